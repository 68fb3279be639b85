"""The review queue one analyst can finish: the pairs that change the list most come first, and a whole
pattern of pairs is decided in one step (once, even when two analysts press at the same moment)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select

from core.domain import Role
from core.errors import Conflict
from core.permissions import Actor
from core.services import review
from core.services.linking import relink
from core.store import Store
from core.store.models import Agency, AgencyRecord, AuditEvent, Dataset, MatchDecision, MatchReview, User
from tests.store.conftest import _HASH
from tests.store.test_concurrency import race, refusals, winners

NOW = datetime.now(timezone.utc)
PERSON = {"name": {"level": "disagree"}, "address": {"level": "exact"}, "number": {"level": "exact"},
          "postcode": {"level": "exact"}, "phone": {"level": "missing"}, "contact": {"level": "missing"}}
TYPO = PERSON | {"name": {"level": "strong"}, "postcode": {"level": "disagree"}}
PROPRIETORS = ["FRANCES ROSE", "JOHN SMITH", "ALI KHAN", "MARY JONES", "PETER LEE"]


@pytest.fixture
def queue_world(store: Store) -> dict[str, Actor]:
    """TS holds five shops that HMRC files under the proprietors' names (five pairs of one pattern), one
    shop HMRC has with a postcode typo (another pattern), and a TS duplicate (same agency twice)."""
    with store.uow() as uow:
        s = uow.session
        actors, ds = {}, {}
        for code in ("TS", "HMRC"):
            a = Agency(code=code, name=f"Agency {code}", remit=[])
            s.add(a)
            s.flush()
            d = Dataset(agency_id=a.id, name=f"{code} list", sharing="full", last_imported_at=NOW - timedelta(days=1),
                        stale_after_days=90)
            actors_made = []
            for k in range(2):
                u = User(username=f"{code.lower()}{k}", name=f"{code} analyst {k}", role=Role.ANALYST.value,
                         agency_id=a.id, password_hash=_HASH)
                s.add(u)
                actors_made.append(u)
            s.add(d)
            s.flush()
            for k, u in enumerate(actors_made):
                actors[f"{code}{k}"] = Actor(u.id, u.username, u.name, Role.ANALYST, a.id, a.name)
            ds[code] = d

        def add(code: str, ref: str, name: str, address: str, postcode: str) -> None:
            s.add(AgencyRecord(dataset_id=ds[code].id, agency_id=ds[code].agency_id, reference=ref, trading_name=name,
                               address=address, postcode=postcode, current=True))

        def pair(a: tuple[str, str], b: tuple[str, str], fields: dict, score: int) -> None:
            s.add(MatchReview(a_dataset_id=ds[a[0]].id, a_reference=a[1], b_dataset_id=ds[b[0]].id, b_reference=b[1],
                              score=score, fields=fields))

        for i, person in enumerate(PROPRIETORS):
            add("TS", f"T{i}", f"Vape Express {i}", f"{19 + i} Dennis Gardens", "IG1 5NE")
            add("HMRC", f"H{i}", person, f"{19 + i} DENNIS GDNS", "IG1 5NE")
        add("TS", "T9", "Corner Shop", "2 Mill Lane", "IG1 4AD")
        add("HMRC", "H9", "CORNER SHOP LTD", "2 MILL LN", "IG14 4AX")   # two slips: the matcher does not join it
        add("TS", "T10", "Corner Shop", "2 Mill Lane", "IG1 4AD")
        s.flush()
        relink(s)   # businesses for the records; the queue below stands for what an uncertain run left
        s.execute(delete(MatchReview))
        for i in range(len(PROPRIETORS)):
            pair(("TS", f"T{i}"), ("HMRC", f"H{i}"), PERSON, 55)
        pair(("TS", "T9"), ("HMRC", "H9"), TYPO, 50)
        pair(("TS", "T9"), ("TS", "T10"), PERSON, 90)   # the likeliest pair, but TS's own duplicate
        uow.commit()
    return actors


def _decisions(store: Store) -> int:
    with store.read() as unit:
        return int(unit.session.scalar(select(func.count()).select_from(MatchDecision)))


def test_pairs_joining_two_agencies_come_before_an_agencys_own_duplicate(store: Store,
                                                                         queue_world: dict[str, Actor]) -> None:
    with store.read() as unit:
        pairs, waiting = review.queue(unit, actor=queue_world["TS0"])
    assert waiting == 7
    agencies = [{p.a["agency"], p.b["agency"]} for p in pairs]
    assert agencies[-1] == {"TS"}            # score 90, but it changes no multi-agency business
    assert all(a == {"TS", "HMRC"} for a in agencies[:-1])


def test_a_pattern_is_decided_in_one_step(store: Store, queue_world: dict[str, Actor]) -> None:
    with store.read() as unit:
        groups = review.patterns(unit, actor=queue_world["TS0"])
    assert [g.pairs for g in groups] == [5]      # the typo and the duplicate are patterns of one pair
    group = groups[0]
    assert group.label == ("HMRC and TS records: same street, number and postcode; different name; "
                           "no phone or contact to compare")
    with store.uow() as unit:
        assert review.decide_pattern(unit, actor=queue_world["TS0"], key=group.key, decision="match", expected=5) == 5
    assert _decisions(store) == 5
    with store.read() as unit:
        _pairs, waiting = review.queue(unit, actor=queue_world["TS0"])
        audited = unit.session.scalar(select(func.count()).select_from(AuditEvent)
                                      .where(AuditEvent.action == "match.decide"))
    assert waiting == 2 and audited == 5
    # Applied: each shop and its proprietor's tax record are one business on the list.
    with store.uow() as unit:
        review.apply_decisions(unit, actor=queue_world["TS0"])
    with store.read() as unit:
        owner = dict(unit.session.execute(select(AgencyRecord.reference, AgencyRecord.business_id)).all())
    assert all(owner[f"T{i}"] == owner[f"H{i}"] for i in range(5))
    assert len({owner[f"T{i}"] for i in range(5)}) == 5


def test_a_changed_queue_records_nothing(store: Store, queue_world: dict[str, Actor]) -> None:
    with store.read() as unit:
        group = review.patterns(unit, actor=queue_world["TS0"])[0]
    with store.uow() as unit:   # a colleague decides one of the pairs meanwhile
        first = review.queue(unit, actor=queue_world["HMRC0"])[0][0]
        review.decide(unit, actor=queue_world["HMRC0"], review_id=first.id, decision="match")
    with store.uow() as unit, pytest.raises(Conflict, match="4 pairs have this pattern now, not 5"):
        review.decide_pattern(unit, actor=queue_world["TS0"], key=group.key, decision="match", expected=5)
    assert _decisions(store) == 1


def test_two_analysts_deciding_one_pattern_at_once_record_it_once(store: Store, queue_world: dict[str, Actor]) -> None:
    with store.read() as unit:
        group = review.patterns(unit, actor=queue_world["TS0"])[0]
    people = [queue_world[k] for k in ("TS0", "TS1", "HMRC0", "HMRC1")]

    def press(i: int) -> int:
        with store.uow() as unit:
            return review.decide_pattern(unit, actor=people[i], key=group.key, decision="match", expected=5)

    results = race(len(people), press)
    assert len(winners(results)) == 1
    assert all("changed" in str(e) or "same moment" in str(e) for e in refusals(results))
    assert _decisions(store) == 5


def test_decided_pairs_keep_their_score_and_tell_later_reviewers(store: Store, queue_world: dict[str, Actor],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Each pair decided by looking at it keeps the matcher's score; once enough pairs in a band are decided,
    the next pair in that band shows how often they were one business."""
    from core.matching import calibration

    monkeypatch.setattr(calibration, "MIN_DECIDED", 3)
    ts = queue_world["TS0"]
    with store.read() as unit:
        pairs, _ = review.queue(unit, actor=ts)
    first = [p for p in pairs if p.score == 55]
    assert first[0].likely == "55% likely, says the matcher"
    for p, decision in zip(first[:3], ("match", "match", "no match")):
        with store.uow() as unit:
            review.decide(unit, actor=ts, review_id=p.id, decision=decision)
    with store.read() as unit:
        assert sorted(unit.session.scalars(select(MatchDecision.score))) == [55, 55, 55]
        pairs, _ = review.queue(unit, actor=ts)
    left = next(p for p in pairs if p.score == 55)
    assert left.likely == ("55% likely, says the matcher; the partnership's analysts found 2 of 3 pairs scored "
                           "55-69 to be one business")


def _queue_the_other_record_of_the_shop(store: Store) -> None:
    """HMRC's H9 against TS's T10: the same two businesses as the queued T9 / H9 (T9 and T10 are one shop)."""
    with store.uow() as uow:
        s = uow.session
        ts, hmrc = (s.scalar(select(Dataset.id).join(Agency).where(Agency.code == c)) for c in ("TS", "HMRC"))
        s.add(MatchReview(a_dataset_id=ts, a_reference="T10", b_dataset_id=hmrc, b_reference="H9", score=45,
                          fields=TYPO))
        uow.commit()


def test_two_pairs_between_the_same_two_businesses_are_one_question(store: Store,
                                                                     queue_world: dict[str, Actor]) -> None:
    """HMRC's shop against either of TS's two records of one shop is one question: the analyst is asked once,
    with the likelier pair, and the count says so."""
    with store.read() as unit:
        _pairs, before = review.queue(unit, actor=queue_world["TS0"])
    _queue_the_other_record_of_the_shop(store)
    with store.read() as unit:
        pairs, after = review.queue(unit, actor=queue_world["TS0"])
    assert after == before
    asked = [(p.a["reference"], p.b["reference"]) for p in pairs if "H9" in (p.a["reference"], p.b["reference"])]
    assert asked == [("T9", "H9")]   # score 50 before 45


def test_a_decision_settles_the_other_pairs_between_the_same_two_businesses(store: Store,
                                                                             queue_world: dict[str, Actor]) -> None:
    _queue_the_other_record_of_the_shop(store)
    with store.read() as unit:
        pairs, before = review.queue(unit, actor=queue_world["TS0"])
    first = next(p for p in pairs if {p.a["reference"], p.b["reference"]} == {"T9", "H9"})
    with store.uow() as unit:
        review.decide(unit, actor=queue_world["TS0"], review_id=first.id, decision="no match")
    with store.read() as unit:
        pairs, after = review.queue(unit, actor=queue_world["TS0"])
        left = unit.session.scalars(select(MatchReview.b_reference).where(MatchReview.b_reference == "H9")).all()
    assert after == before - 1 and left == []   # T10 / H9 went with it: the two shops stay apart as a whole
