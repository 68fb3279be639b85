"""Actions: creation rules, updates with a version check, milestones, and no lost update under load."""
from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.domain import Role
from core.errors import Forbidden, ValidationError
from core.permissions import Actor
from core.services import actions
from core.services.actions import ActionInput, EditConflict
from core.store.models import Action, ActionUpdate, AuditEvent, Milestone, User
from tests.store.conftest import _HASH, Small

TODAY = date(2026, 11, 22)




def _new(small: Small, owner: Actor | None = None, **kw) -> int:  # noqa: ANN003
    data = ActionInput(title=kw.pop("title", "Joint visit to 12 The Broadway"), agency_id=kw.pop("agency_id", small.ts),
                       due_on=kw.pop("due_on", TODAY + timedelta(days=30)), strand=kw.pop("strand", "Pursue"),
                       owner_id=(owner or small.admin).id, **kw)
    with small.store.uow() as uow:
        return actions.create_action(uow, actor=small.admin, data=data)


def _version(small: Small, action_id: int) -> int:
    with small.store.read() as s:
        return s.session.scalar(select(Action.version).where(Action.id == action_id))


def test_create_with_milestones_and_supporting_agencies(small: Small, officer: Actor) -> None:
    aid = _new(small, officer, supporting=(small.hmrc, small.ts), milestones=(("Brief team", TODAY + timedelta(days=7)),))
    with small.store.read() as s:
        detail = actions.action_detail(s, actor=officer, action_id=aid, today=TODAY)
    assert detail["supporting"] == [small.hmrc], "the owning agency is not also a supporter"
    assert [m["title"] for m in detail["milestones"]] == ["Brief team"]
    assert detail["rag"] == "amber", "a milestone due within 7 days"
    assert detail["can_edit"] is True, "the owner may edit"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("title", "  ", "Title"), ("strand", "Punish", "Strand"), ("tier", 7, "Tier"), ("priority", "urgent", "Priority"),
])
def test_bad_input_is_refused_and_nothing_is_written(small: Small, field: str, value: object, message: str) -> None:
    kwargs = {field: value}
    with pytest.raises(ValidationError, match=message):
        _new(small, **kwargs)
    with small.store.read() as s:
        assert s.session.scalar(select(func.count()).select_from(Action)) == 0
        assert s.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_an_action_has_an_owner_chosen_by_a_person(small: Small) -> None:
    """Issue 17 bug 6: nothing picks an owner for the user; an action without one is refused and nothing is written."""
    data = ActionInput(title="Joint visit to 12 The Broadway", agency_id=small.ts, due_on=TODAY, strand="Pursue")
    with pytest.raises(ValidationError, match="Owner: choose who will do it"), small.store.uow() as uow:
        actions.create_action(uow, actor=small.admin, data=data)
    with small.store.read() as s:
        assert s.session.scalar(select(func.count()).select_from(Action)) == 0


def test_who_may_create_and_update(small: Small, officer: Actor) -> None:
    data = ActionInput(title="x", agency_id=small.ts, due_on=TODAY, strand="Pursue")
    with pytest.raises(Forbidden), small.store.uow() as uow:
        actions.create_action(uow, actor=small.analyst, data=data)  # an HMRC analyst, for Trading Standards
    with pytest.raises(Forbidden), small.store.uow() as uow:
        actions.create_action(uow, actor=officer, data=data)
    aid = _new(small)  # Trading Standards, owned by the administrator
    with pytest.raises(Forbidden), small.store.uow() as uow:
        actions.update_action(uow, actor=officer, action_id=aid, base_version=1, changes={"status": "in progress"})
    with pytest.raises(Forbidden), small.store.uow() as uow:
        actions.update_action(uow, actor=small.analyst, action_id=aid, base_version=1,
                              changes={"status": "in progress"})


def test_update_records_progress_and_audit(small: Small, officer: Actor) -> None:
    aid = _new(small, officer)
    with small.store.uow() as uow:
        v = actions.update_action(uow, actor=officer, action_id=aid, base_version=1, changes={"status": "in progress"},
                                  note="Visit booked", today=TODAY)
    assert v == 2
    with small.store.read() as s:
        a = s.session.get(Action, aid)
        assert a.status == "in progress" and a.started_on == TODAY
        upd = s.session.scalars(select(ActionUpdate).where(ActionUpdate.action_id == aid).order_by(ActionUpdate.id.desc())).first()
        assert upd.note == "Visit booked" and upd.changes == {"status": ["not started", "in progress"]}
        ev = s.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert ev.action == "action.update" and ev.before["status"] == "not started" and ev.after["status"] == "in progress"
    with small.store.uow() as uow:
        actions.update_action(uow, actor=officer, action_id=aid, base_version=2, changes={"status": "complete"},
                              today=TODAY)
    with small.store.read() as s:
        assert s.session.get(Action, aid).completed_on == TODAY


def test_second_editor_sees_the_first_change_and_can_reapply(small: Small) -> None:
    aid = _new(small)
    seen = {"due_on": TODAY + timedelta(days=30), "status": "not started"}
    with small.store.uow() as uow:  # the chair moves the date
        actions.update_action(uow, actor=small.admin, action_id=aid, base_version=1, base=seen,
                              changes={"due_on": TODAY + timedelta(days=45)})
    with pytest.raises(EditConflict) as caught, small.store.uow() as uow:  # a member, from version 1, sets status
        actions.update_action(uow, actor=small.admin, action_id=aid, base_version=1, base=seen,
                              changes={"status": "in progress"})
    conflict = caught.value
    assert conflict.current_version == 2
    assert conflict.theirs == {"due_on": (TODAY + timedelta(days=30), TODAY + timedelta(days=45))}
    assert "due on" in str(conflict) and "Nothing of yours was saved" in str(conflict)
    with small.store.read() as s:
        assert s.session.get(Action, aid).status == "not started", "the stale edit did not land"
    with small.store.uow() as uow:  # reapply on top
        actions.update_action(uow, actor=small.admin, action_id=aid, base_version=conflict.current_version,
                              changes={"status": "in progress"})
    with small.store.read() as s:
        a = s.session.get(Action, aid)
        assert (a.status, a.due_on, a.version) == ("in progress", TODAY + timedelta(days=45), 3)


def test_milestones_bump_the_version_and_change_rag(small: Small, officer: Actor) -> None:
    aid = _new(small, officer, due_on=TODAY + timedelta(days=90))
    with small.store.uow() as uow:
        mid = actions.add_milestone(uow, actor=officer, action_id=aid, title="Interview director",
                                    due_on=TODAY - timedelta(days=1))
    assert _version(small, aid) == 2
    with small.store.read() as s:
        assert actions.action_detail(s, actor=officer, action_id=aid, today=TODAY)["rag"] == "red"
    with small.store.uow() as uow:
        actions.set_milestone_done(uow, actor=officer, milestone_id=mid, done=True, today=TODAY)
    with small.store.read() as s:
        assert actions.action_detail(s, actor=officer, action_id=aid, today=TODAY)["rag"] == "green"
        assert s.session.get(Milestone, mid).completed_on == TODAY
    assert _version(small, aid) == 3


def test_list_filters_and_orders_by_rag(small: Small, officer: Actor) -> None:
    _new(small, officer, title="late", due_on=TODAY - timedelta(days=2))
    _new(small, title="fine", due_on=TODAY + timedelta(days=60), strand="Prevent")
    with small.store.read() as s:
        rows = actions.list_actions(s, actor=officer, today=TODAY)
        assert [(r["Action"], r["RAG"]) for r in rows] == [("late", "red"), ("fine", "green")]
        assert [r["Action"] for r in actions.list_actions(s, actor=officer, flt=actions.ActionFilter(strand="Prevent"),
                                                          today=TODAY)] == ["fine"]
        assert [r["Action"] for r in actions.list_actions(s, actor=officer, flt=actions.ActionFilter(rag=("red",)),
                                                          today=TODAY)] == ["late"]
        assert [r["Action"] for r in actions.list_actions(s, actor=officer,
                                                          flt=actions.ActionFilter(owner_id=officer.id),
                                                          today=TODAY)] == ["late"]


def test_many_concurrent_writers_lose_nothing(small: Small) -> None:
    """Eight people each add five progress notes from the version they last saw, retrying on conflict.

    Every note lands exactly once and the version counts every save: no silent overwrite.
    """
    aid = _new(small)
    writers, notes_each = 8, 5
    conflicts = []
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(notes_each):
                while True:
                    version = _version(small, aid)
                    try:
                        with small.store.uow() as uow:
                            actions.update_action(uow, actor=small.admin, action_id=aid, base_version=version,
                                                  changes={"priority": ("high", "medium", "low")[(n + i) % 3]}, note=f"w{n}-{i}")
                        break
                    except EditConflict:
                        conflicts.append(n)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    with small.store.read() as s:
        notes = list(s.session.scalars(select(ActionUpdate.note).where(ActionUpdate.action_id == aid,
                                                                       ActionUpdate.note.like("w%"))))
        version = s.session.scalar(select(Action.version).where(Action.id == aid))
    assert sorted(notes) == sorted(f"w{n}-{i}" for n in range(writers) for i in range(notes_each))
    assert version == 1 + writers * notes_each, "every save bumped the version exactly once"


def test_detail_names_what_the_action_is_linked_to(small: Small) -> None:
    """A linked business is named from the records the reader may read, never from the values the matcher stored."""
    from core.store.models import ActionLink, AgencyRecord, Business, Dataset

    aid = _new(small)
    with small.store.uow() as uow:
        s = uow.session
        shop = Business(name="stored name", address="stored address")
        hidden = Business(name="HMRC's own spelling", address="1 Secret Row")
        s.add_all([shop, hidden])
        s.flush()
        full = Dataset(agency_id=small.ts, name="TS register", sharing="full")
        owner = Dataset(agency_id=small.hmrc, name="HMRC risk", sharing="owner-only")
        s.add_all([full, owner])
        s.flush()
        s.add_all([AgencyRecord(dataset_id=full.id, agency_id=small.ts, business_id=shop.id, reference="T1",
                                trading_name="Chicken Shop", address="12 The Broadway", postcode="KM1 1AA"),
                   AgencyRecord(dataset_id=owner.id, agency_id=small.hmrc, business_id=hidden.id, reference="H1",
                                trading_name="HMRC's own spelling", address="1 Secret Row")])
        s.add_all([ActionLink(action_id=aid, business_id=shop.id), ActionLink(action_id=aid, business_id=hidden.id),
                   ActionLink(action_id=aid, referral_id=None)])
        uow.commit()
    with small.store.read() as s:
        # The administrator (Trading Standards) may not read HMRC's owner-only record; HMRC's analyst may.
        assert actions.action_detail(s, actor=small.admin, action_id=aid)["links"] == [
            "Business: Chicken Shop, 12 The Broadway, KM1 1AA", "Business: one your agency may not see"]
        assert actions.action_detail(s, actor=small.analyst, action_id=aid)["links"] == [
            "Business: Chicken Shop, 12 The Broadway, KM1 1AA", "Business: HMRC's own spelling, 1 Secret Row"]
