"""The hostile-partner probe, on both databases: what an agency withholds must never reach anyone it should not.

A. A copy of the demo partnership gets a recognisable token ("zqk" + kind + four letters) in every withholdable
   value (agency records' names, addresses, phones and contacts; referral texts, messages and feedback; warning
   markers; visit premises and briefings); the records are matched again so the stored businesses derive from the
   planted records; then a few ordinary users act (markers, a visit, tasking, the agenda). An oracle written in
   tests/store/probe_world.py from the partnership's rules, with plain reads, says which tokens each user may see.
B. Every reading service is called as every active demo user (tests/store/probe_sweep.py); no returned value and
   no refusal may carry a token the oracle withholds from that user, nor a postcode only hidden records hold. All
   leaks are reported at once, grouped by service, what leaked and who saw it.
C. Every id-taking write refuses an id its actor may not read (a business only another agency's owner-only, or
   interest-only, data holds; a visit withheld from the actor) and writes nothing.

These tests are expected to fail until the leaks are fixed; the sanity tests make sure the probe is not blind.
"""
from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta, timezone
from typing import Any, NamedTuple

import pandas as pd
import pytest
from sqlalchemy import func, select, text

from core.domain import Role
from core.errors import HubError
from core.permissions import Actor
from core.risk import to_xlsx
from core.services import operations, referrals, review, risklist, visits
from core.services.referrals import ReferralInput
from core.services.visits import TeamMember, VisitPlan
from core.store import Store
from core.store.models import (
    Agency,
    AgencyRecord,
    Business,
    Operation,
    Referral,
    ReferralRecipient,
    Visit,
    VisitAgency,
)
from tests.store.probe_sweep import Sweep, strings
from tests.store.probe_world import (
    TOKEN_RE,
    Oracle,
    Planted,
    Scenario,
    Secret,
    Viewer,
    act,
    actor_of,
    build_oracle,
    only_held_by,
    plant,
    token,
)


@dataclass
class Probe:
    store: Store
    planted: Planted
    scenario: Scenario
    oracle: Oracle
    sweep: Sweep
    seconds: float


@pytest.fixture(scope="module")
def probe(databases: Any, demo_url: str) -> Iterator[Probe]:
    """A private planted copy of the demo partnership (as `demo_store` makes), swept once per database."""
    started = time.perf_counter()
    store = Store(databases.copy_of(demo_url), migrate=False)
    planted = plant(store)
    scenario = act(store)
    oracle = build_oracle(store)
    sweep = Sweep(store, oracle).run()
    yield Probe(store, planted, scenario, oracle, sweep, time.perf_counter() - started)
    store.dispose()


# --- A and B: reading ------------------------------------------------------------------------------------------


def test_no_reading_service_shows_anyone_what_they_may_not_see(probe: Probe) -> None:
    sweep = probe.sweep
    calls = sum(sweep.ok.values()) + sum(sweep.refused.values())
    if sweep.leak_count:
        head = (f"Probe of {len(probe.oracle.viewers)} users, {calls} calls to {len(set(sweep.ok) | set(sweep.refused))} "
                f"reading functions, {len(probe.oracle.secrets)} planted tokens ({probe.seconds:.0f} s).")
        pytest.fail(f"{head}\n{sweep.report()}", pytrace=False)


def test_planting_kept_the_demo_partnership_as_it_was(probe: Probe) -> None:
    """The tokens must not change what the matcher sees, or the probe would look at another partnership."""
    p = probe.planted
    assert p.records_changed_by_matching <= 20, f"{p.records_changed_by_matching} records read differently by the matcher"
    assert (p.businesses_after, p.multi_agency_after) == (p.businesses_before, p.multi_agency_before)
    assert len(p.secrets) > 5000


def _seen(sweep: Sweep, service: str, username: str) -> set[str]:
    return sweep.seen.get((service, username), set())


def test_the_probe_is_not_blind(probe: Probe) -> None:
    """What users may see does reach them: a probe that saw nothing at all would pass the leak test vacuously."""
    sweep, oracle = probe.sweep, probe.oracle
    problems = []
    never = sorted(s for s in set(sweep.refused) | set(sweep.crashed) if not sweep.ok[s])
    if never:
        problems.append(f"refused to (or crashed for) every user, so never probed: {never}")
    if sweep.crashed:
        problems.append(f"crashed (not a HubError): {dict(sweep.crashed)}")
    owner_of: dict[str, str] = {tok: sec.owner for tok, sec in oracle.secrets.items()}
    by_name = {v.actor.username: v for v in oracle.viewers}

    def own_records_seen(username: str, agency_code: str) -> bool:
        toks = _seen(sweep, "risklist.whole_list", username)
        return any(f"({agency_code} " in owner_of[t] for t in toks)

    for username, code in (("analyst", "IE"), ("farah.ali", "HMRC"), ("raj.kapoor", "POL"), ("kiran.patel", "FS")):
        if not own_records_seen(username, code):
            problems.append(f"{username} saw none of {code}'s own records on the risk list")
    if not own_records_seen("coordinator", "FS"):
        problems.append("the Licensing coordinator saw none of Food Safety's fully shared records on the risk list")
    with probe.store.read() as s:
        senders = s.session.execute(select(Referral.sender_id, func.count()).where(Referral.status == "sent")
                            .group_by(Referral.sender_id)).all()
        receivers = {a for (a,) in s.session.execute(select(ReferralRecipient.agency_id).distinct())}
        markers = s.session.scalar(text("SELECT COUNT(*) FROM warning_markers"))
    for sender_id, _n in senders:
        v = next((x for x in oracle.viewers if x.actor.id == sender_id), None)
        if v and not any(oracle.secrets[t].kind == "b" for t in _seen(sweep, "referrals.referral_for_sender", v.actor.username)):
            problems.append(f"{v.actor.username} never saw the text of a referral they sent")
    for v in oracle.viewers:
        if v.actor.role == Role.ANALYST and v.actor.agency_id in receivers:
            if not any(oracle.secrets[t].kind == "s" for t in _seen(sweep, "referrals.inbox", v.actor.username)):
                problems.append(f"{v.actor.username} saw no subject in their agency's inbox")
    marker_toks = {t for v in oracle.viewers for t in _seen(sweep, "visits.markers_for", v.actor.username)
                   if oracle.secrets[t].kind == "d"}
    if len(marker_toks) < markers:
        problems.append(f"only {len(marker_toks)} of {markers} markers' details reached anyone through markers_for")
    premises = {t for v in oracle.viewers for t in _seen(sweep, "visits.calendar", v.actor.username)
                if oracle.secrets[t].kind == "v"}
    if len(premises) < 50:
        problems.append(f"only {len(premises)} visits' premises reached anyone on the calendar")
    for name in ("admin", "chair", "analyst", "officer", "coordinator"):
        if not by_name[name].hidden_businesses or not by_name[name].hidden_visits:
            problems.append(f"the oracle hides {len(by_name[name].hidden_businesses)} businesses and "
                            f"{len(by_name[name].hidden_visits)} visits from {name}: nothing to probe")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


class _Row(NamedTuple):
    label: str
    values: tuple[str, ...]


@dataclass
class _Holder:
    rows: list[_Row] = field(default_factory=list)
    note: str = ""


def test_the_walker_finds_a_token_wherever_a_service_puts_it() -> None:
    """Every shape a service returns is walked: str, bytes (CSV, XLSX), dict keys, sets, dataclasses, named tuples,
    DataFrames (column names too) and objects' attributes."""
    hidden = [token("t", n) for n in range(10)]
    secrets = {t: Secret("t", f"record {n} (IE owner-only)") for n, t in enumerate(hidden)}
    viewer = Viewer(Actor(1, "x", "X", Role.ANALYST, 1, "A"), "x (analyst, A)", set(), set(), set(), [], [], {"KM9 9ZZ"}, {})
    frame = pd.DataFrame({hidden[0]: [1], "b": [f"Shop ({hidden[1]})"]})
    buf = io.StringIO()
    csv.writer(buf).writerow(["a", hidden[2]])
    obj = type("Plain", (), {})()
    obj.name = hidden[7]
    value = {
        "frame": frame, "csv": ("\ufeff" + buf.getvalue()).encode("utf-8"),
        "xlsx": to_xlsx(["h"], [[hidden[3].upper()]], "OFFICIAL", title="t"),
        hidden[4]: 1, "set": {hidden[5]}, "holder": _Holder([_Row("r", ("", hidden[6]))]), "obj": obj,
        "series": pd.Series([hidden[8]]), "postcode": "12 High St, KM99ZZ",
    }
    sweep = Sweep(None, Oracle(secrets, [viewer], {}))  # type: ignore[arg-type]
    sweep.check("svc", viewer, value)
    sweep.check("svc", viewer, "nothing here: zqkt is not a token, KM9 9ZY is another postcode")
    found = {t for t in hidden if t in "".join(strings(value)).lower()}
    assert found == set(hidden[:9])
    assert sweep.leak_count[("svc", "analyst/A", "record trading name")] == 9
    assert sweep.leak_count[("svc", "analyst/A", "postcode only hidden records hold")] == 1
    assert TOKEN_RE.findall(token("v", 26 ** 4 - 1)) == ["zqkvzzzz"]


# --- C: writes with an id the actor may not read --------------------------------------------------------------


@dataclass
class Hidden:
    """A business the actor may not read, and what it would take to name it; a visit withheld from the actor."""

    sharing: str
    business_id: int
    names: list[str]
    visit_id: int
    visit_version: int
    operation_id: int
    visible_business_id: int  # one the actor may read (the other side of a merge)
    recipient_id: int | None  # a referral the actor's agency received (for linking)


HIDING = {"owner-only": "IE", "interest-only": "HMRC"}


def _hidden(store: Store, sharing: str, actor: Actor) -> Hidden:
    """Find the hidden business; give it a visit by its holding agency next week (withheld from the actor), and
    give the partnership an operation still to come."""
    with store.uow() as uow:
        s = uow.session
        bid = only_held_by(s, HIDING[sharing])[0]
        holder = s.scalar(select(Agency.id).where(Agency.code == HIDING[sharing]))
        biz = s.get(Business, bid)
        names = {biz.name, biz.address}
        for r in s.scalars(select(AgencyRecord).where(AgencyRecord.business_id == bid)):
            names |= {r.trading_name, r.company_name, r.address}
        start = datetime.combine(date.today() + timedelta(days=7), dtime(10, 0), timezone.utc)
        visit = Visit(business_id=bid, premises_text=biz.address or biz.name, starts_at=start,
                      ends_at=start + timedelta(hours=2), lead_agency_id=holder, status="proposed", version=1,
                      reasons=[], overrides=[], briefing="")
        visit.agencies = [VisitAgency(agency_id=holder, response="confirmed")]
        s.add(visit)
        op = Operation(name="Operation Probe", starts_on=date.today() + timedelta(days=14),
                       ends_on=date.today() + timedelta(days=18))
        s.add(op)
        s.flush()
        readable = s.scalar(text(
            "SELECT r.business_id FROM agency_records r JOIN datasets d ON d.id = r.dataset_id "
            "WHERE r.current = :t AND r.business_id IS NOT NULL AND d.agency_id = :a ORDER BY r.business_id LIMIT 1"),
            {"t": True, "a": actor.agency_id})
        recipient = s.scalar(select(ReferralRecipient.id).join(Referral, Referral.id == ReferralRecipient.referral_id)
                             .where(ReferralRecipient.agency_id == actor.agency_id, Referral.status == "sent")
                             .order_by(ReferralRecipient.id).limit(1))
        out = Hidden(sharing, bid, sorted(n for n in names if n and len(n) >= 5), visit.id, visit.version, op.id,
                     readable, recipient)
        uow.commit()
    return out


def _plan_visit(store: Store, a: Actor, h: Hidden) -> Any:
    start = datetime.combine(date.today() + timedelta(days=10), dtime(10, 0), timezone.utc)
    with store.uow() as uow:
        return visits.plan_visit(uow, actor=a,
                                 plan=VisitPlan(start, start + timedelta(hours=2), [TeamMember(a.agency_id)],
                                                   a.agency_id, h.business_id, ""), clash_reason="probe")


def _edit_visit(store: Store, a: Actor, h: Hidden) -> Any:
    start = datetime.combine(date.today() + timedelta(days=7), dtime(11, 0), timezone.utc)
    with store.uow() as uow:
        return visits.plan_visit(uow, actor=a,
                                 plan=VisitPlan(start, start + timedelta(hours=2), [TeamMember(a.agency_id)],
                                                   a.agency_id, None, "Unit 1, Probe Street"),
                                 visit_id=h.visit_id, base_version=h.visit_version, clash_reason="probe")


def _add_marker(store: Store, a: Actor, h: Hidden) -> Any:
    with store.uow() as uow:
        return visits.add_marker(uow, actor=a, category="dogs", details="Two dogs in the yard",
                                 business_id=h.business_id)


def _merge_into(store: Store, a: Actor, h: Hidden) -> Any:
    with store.uow() as uow:
        return visits.merge_into(uow, actor=a, target_id=h.visit_id, team=[TeamMember(a.agency_id)])


def _set_status(store: Store, a: Actor, h: Hidden) -> Any:
    with store.uow() as uow:
        return visits.set_status(uow, actor=a, visit_id=h.visit_id, status="cancelled", base_version=h.visit_version,
                                 reason="probe")


def _link_business(store: Store, a: Actor, h: Hidden) -> Any:
    assert h.recipient_id is not None, "the actor's agency received no referral in the demo"
    with store.uow() as uow:
        return referrals.link_business(uow, actor=a, recipient_id=h.recipient_id, business_id=h.business_id)


def _save_draft(store: Store, a: Actor, h: Hidden) -> Any:
    with store.uow() as uow:
        return referrals.save_draft(uow, actor=a,
                                    data=ReferralInput(subject="Seen at the premises", business_id=h.business_id))


def _send_to_tasking(store: Store, a: Actor, h: Hidden) -> Any:
    with store.uow() as unit:
        return risklist.send_to_tasking(unit, actor=a, business_ids=[h.business_id], reason="probe: worth a look")


def _plan_operation_visits(store: Store, a: Actor, h: Hidden) -> Any:
    with store.uow() as uow:
        return operations.plan_operation_visits(uow, actor=a, operation_id=h.operation_id, business_ids=[h.business_id])


def _split(store: Store, a: Actor, h: Hidden) -> Any:
    with store.read() as s:
        refs = s.session.execute(select(AgencyRecord.dataset_id, AgencyRecord.reference).where(
            AgencyRecord.business_id == h.business_id, AgencyRecord.current.is_(True))).all()
    with store.uow() as unit:
        return review.split(unit, actor=a, business_id=h.business_id, references=[tuple(refs[0])])


def _merge(store: Store, a: Actor, h: Hidden) -> Any:
    with store.uow() as unit:
        return review.merge(unit, actor=a, business_id=h.visible_business_id, other_id=h.business_id)


@dataclass(frozen=True)
class WriteCase:
    name: str
    actor: str
    call: Callable[[Store, Actor, Hidden], Any]
    tables: tuple[str, ...]
    state: str = ""  # SQL whose result must not change (":b" the hidden business, ":v" its visit, ":r" the recipient)


WRITES = (
    WriteCase("visits.plan_visit", "coordinator", _plan_visit, ("visits", "visit_agencies", "visit_officers")),
    WriteCase("visits.plan_visit(visit_id)", "coordinator", _edit_visit, ("visit_agencies", "visit_officers"),
              "SELECT status, version, premises_text FROM visits WHERE id = :v"),
    WriteCase("visits.add_marker", "coordinator", _add_marker, ("warning_markers",)),
    WriteCase("visits.merge_into", "coordinator", _merge_into, ("visit_agencies", "visit_officers"),
              "SELECT status, version FROM visits WHERE id = :v"),
    WriteCase("visits.set_status", "coordinator", _set_status, ("visits",),
              "SELECT status, version FROM visits WHERE id = :v"),
    WriteCase("referrals.link_business", "kiran.patel", _link_business, ("referrals",),
              "SELECT r.business_id FROM referrals r JOIN referral_recipients rr ON rr.referral_id = r.id WHERE rr.id = :r"),
    WriteCase("referrals.save_draft", "officer", _save_draft, ("referrals", "referral_recipients", "referral_indicators")),
    WriteCase("risklist.send_to_tasking", "coordinator", _send_to_tasking, ("tasking_requests",),
              "SELECT tasking_requested_at FROM businesses WHERE id = :b"),
    WriteCase("operations.plan_operation_visits", "coordinator", _plan_operation_visits, ("visits", "visit_agencies")),
    WriteCase("review.split", "kiran.patel", _split, ("match_decisions",)),
    WriteCase("review.merge", "kiran.patel", _merge, ("match_decisions",)),
)
ALWAYS = ("audit_events", "businesses", "agency_records")


def _snapshot(store: Store, case: WriteCase, h: Hidden) -> dict[str, Any]:
    with store.read() as s:
        out: dict[str, Any] = {t: s.session.scalar(text(f"SELECT COUNT(*) FROM {t}")) for t in (*case.tables, *ALWAYS)}
        out["businesses merged or retired"] = s.session.scalar(text(
            "SELECT COUNT(*) FROM businesses WHERE merged_into_id IS NOT NULL OR active = :f"), {"f": False})
        if case.state:
            out["state"] = [tuple(r) for r in s.session.execute(text(case.state), {"b": h.business_id, "v": h.visit_id,
                                                                           "r": h.recipient_id or -1})]
    return out


@pytest.mark.parametrize("sharing", list(HIDING))
@pytest.mark.parametrize("case", WRITES, ids=[c.name for c in WRITES])
def test_a_write_refuses_an_id_its_actor_may_not_read(demo_store: Store, case: WriteCase, sharing: str) -> None:
    with demo_store.read() as s:
        actor = actor_of(s.session, case.actor)
    h = _hidden(demo_store, sharing, actor)
    before = _snapshot(demo_store, case, h)
    problems = []
    try:
        result = case.call(demo_store, actor, h)
    except HubError as e:
        message = f"{type(e).__name__}: {e}"
        named = [n for n in h.names if n.lower() in message.lower()]
        if named:
            problems.append(f"the refusal names the hidden business ({named}): {message}")
    else:
        shown = [n for n in h.names if n.lower() in " ".join(strings(result)).lower()]
        problems.append(f"not refused: {case.actor} ({actor.agency_name}) used business {h.business_id} (or its visit "
                        f"{h.visit_id}), held only in {HIDING[sharing]}'s {sharing} data; returned {str(result)[:200]!r}"
                        + (f", naming it ({shown})" if shown else ""))
    after = _snapshot(demo_store, case, h)
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    if changed:
        problems.append(f"wrote: {changed}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
