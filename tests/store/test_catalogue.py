"""The agency catalogue on both databases: who edits what, validation, audit, and the recommender seeing edits."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import Forbidden, ValidationError
from core.services import accounts, catalogue
from core.store import Store
from core.store.models import Agency, AuditEvent
from core.visits.recommend import recommend


def _actor(store: Store, username: str):  # noqa: ANN202
    with store.read() as s:
        return accounts.load_actor(s.session, username)


def _id(store: Store, code: str) -> int:
    with store.read() as s:
        return s.session.scalar(select(Agency.id).where(Agency.code == code))


def test_everyone_reads_and_only_own_leads_or_admins_edit(demo_store: Store) -> None:
    officer, coord, admin = (_actor(demo_store, u) for u in ("officer", "coordinator", "admin"))
    lic, fs = _id(demo_store, "LIC"), _id(demo_store, "FS")
    with demo_store.read() as s:
        rows = {a["code"]: a for a in catalogue.agencies(s, actor=coord)}
        assert not any(a["can_edit"] for a in catalogue.agencies(s, actor=officer))
    assert rows["LIC"]["can_edit"] and not rows["FS"]["can_edit"]
    assert any(p["power"] == "entry" and p["entry"] == "without_warrant" for p in rows["LIC"]["powers"])
    with demo_store.uow() as uow:
        with pytest.raises(Forbidden):
            catalogue.set_remit(uow, actor=coord, agency_id=fs, remit=["food hygiene"])
    with demo_store.uow() as uow:
        with pytest.raises(Forbidden):
            catalogue.set_contact(uow, actor=officer, agency_id=fs, contact_name="x", contact_email="",
                                  contact_phone="")
    with demo_store.uow() as uow:
        catalogue.set_remit(uow, actor=admin, agency_id=fs,
                            remit=["food hygiene", "food fraud", "pests", "illegal working"])
    with demo_store.uow() as uow:
        catalogue.set_contact(uow, actor=coord, agency_id=lic, contact_name="Night-time economy team",
                              contact_email="nte@kingsmere.example",
                              contact_phone="01632 960999")
    with demo_store.read() as s:
        assert "illegal working" in s.session.get(Agency, fs).remit
        assert s.session.get(Agency, lic).contact_name == "Night-time economy team"
        audit = [e.action for e in s.session.scalars(select(AuditEvent).where(AuditEvent.entity == "agency"))]
    assert audit.count("catalogue.remit") == 1 and audit.count("catalogue.contact") == 1


def test_powers_are_checked_and_the_recommender_uses_the_edit(demo_store: Store) -> None:
    admin = _actor(demo_store, "admin")
    ie = _id(demo_store, "IE")
    with demo_store.uow() as uow:
        with pytest.raises(ValidationError, match="needs the notice in hours"):
            catalogue.set_powers(uow, actor=admin, agency_id=ie,
                                 rows=[{"power": "entry", "entry": "with_notice", "statute": "Made-up Act"}])
    with demo_store.uow() as uow:
        with pytest.raises(ValidationError, match="name the statute"):
            catalogue.set_powers(uow, actor=admin, agency_id=ie, rows=[{"power": "arrest"}])
    with demo_store.uow() as uow:
        catalogue.set_powers(uow, actor=admin, agency_id=ie, rows=[
            {"power": "entry", "entry": "without_warrant", "premises_scope": "business premises at reasonable hours",
             "statute": "Hypothetical Act 2030, s1"},
            {"power": "arrest", "entry": "without_warrant", "statute": "Immigration Act 1971, s28A"},
        ])
    with demo_store.read() as s:
        powers = catalogue.agencies(s, actor=admin)
        caps = catalogue.capabilities(s.session)
    ie_row = next(a for a in powers if a["code"] == "IE")
    assert [(p["power"], p["entry"]) for p in ie_row["powers"]] == [("entry", "without_warrant"), ("arrest", None)]
    rec = recommend(["illegal working"], "other", caps)
    assert rec.lead_id == ie and rec.entry_mode == "without_warrant"


def test_indicators_in_use_are_retired_not_deleted(demo_store: Store) -> None:
    coord = _actor(demo_store, "coordinator")
    lic = _id(demo_store, "LIC")
    with demo_store.read() as s:
        before = next(a for a in catalogue.agencies(s, actor=coord) if a["code"] == "LIC")["indicators"]
    keep = [dict(i) for i in before[1:]] + [{"code": "", "label": "Door staff without SIA badges", "issue": "licensing breach"}]
    with demo_store.uow() as uow:
        catalogue.set_indicators(uow, actor=coord, agency_id=lic, rows=keep)
    with demo_store.read() as s:
        after = {i["code"]: i for i in next(a for a in catalogue.agencies(s,
                                                                          actor=coord) if a["code"] == "LIC")["indicators"]}
    assert after[before[0]["code"]]["active"] is False
    assert any(i["label"] == "Door staff without SIA badges" and i["active"] for i in after.values())
