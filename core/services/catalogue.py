"""The agency catalogue: each agency's remit, powers, golden indicators and contact point.

Everyone signed in reads it; an agency's leads edit their own entry, administrators any.
Every change is audited. The recommender reads it as plain dataclasses (`capabilities`).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core import vocabulary as vocab
from core.errors import NotFound, ValidationError
from core.permissions import Actor, allowed, ensure
from core.services.audit import record, snapshot
from core.store.models import Agency, AgencyPower, Indicator
from core.store.uow import UnitOfWork
from core.visits.recommend import AgencyCap, Power

POWER_FIELDS = ("power", "entry", "notice_hours", "premises_scope", "statute", "notes")
CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone")
# Officers an agency usually sends when nothing else is known (police attend in pairs).
USUAL_OFFICERS = {"police": 2}


def _require_signed_in(actor: Actor | None) -> None:
    ensure(actor, "visit.view")


def _agencies(session: Session) -> list[Agency]:
    return list(session.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.name)
                                .options(selectinload(Agency.powers), selectinload(Agency.indicators))))


def agencies(uow: UnitOfWork, *, actor: Actor) -> list[dict[str, Any]]:
    """Every active agency with its remit, powers, indicators and contact, and whether the actor may edit it."""
    session = uow.session
    _require_signed_in(actor)
    return [_view(a, actor) for a in _agencies(session)]


def _view(a: Agency, actor: Actor) -> dict[str, Any]:
    return {
        "id": a.id, "code": a.code, "name": a.name, "kind": a.kind, "remit": list(a.remit or []),
        "contact_name": a.contact_name, "contact_email": a.contact_email, "contact_phone": a.contact_phone,
        "powers": [{"id": p.id, **{f: getattr(p, f) for f in POWER_FIELDS}} for p in sorted(a.powers, key=lambda p: p.id)],
        "indicators": [{"code": i.code, "label": i.label, "issue": i.issue, "active": i.active}
                       for i in sorted(a.indicators, key=lambda i: i.code)],
        "can_edit": allowed(actor, "catalogue.edit", agency_id=a.id),
    }


def issue_types(uow: UnitOfWork, *, actor: Actor) -> list[str]:
    """The issue vocabulary: the standard list plus anything an agency added to its remit."""
    ensure(actor, "agency.view")
    found = set(vocab.ISSUES)
    for remit in uow.session.scalars(select(Agency.remit).where(Agency.active.is_(True))):
        found |= set(remit or [])
    return sorted(found, key=str.lower)


def capabilities(session: Session) -> list[AgencyCap]:
    """The catalogue as the recommender sees it."""
    return [
        AgencyCap(a.id, a.name, frozenset(a.remit or []),
                  tuple(Power(p.power, p.entry, p.notice_hours, p.premises_scope, p.statute)
                        for p in sorted(a.powers, key=lambda p: p.id)),
                  officers=USUAL_OFFICERS.get(a.kind, 1))
        for a in _agencies(session)
    ]


def _editable(uow: UnitOfWork, actor: Actor, agency_id: int) -> Agency:
    ensure(actor, "catalogue.edit", agency_id=agency_id)
    agency = uow.session.get(Agency, agency_id)
    if agency is None or not agency.active:
        raise NotFound(f"No active agency {agency_id}.")
    return agency


def set_remit(uow: UnitOfWork, *, actor: Actor, agency_id: int, remit: list[str]) -> None:
    """Replace the issue types the agency deals with."""
    agency = _editable(uow, actor, agency_id)
    clean = list(dict.fromkeys(" ".join(str(i).split()) for i in remit if str(i).strip()))
    if any(len(i) > 60 for i in clean):
        raise ValidationError("Remit: keep each issue type under 60 characters.")
    before = {"remit": list(agency.remit or [])}
    agency.remit = clean
    record(uow.session, actor, action="catalogue.remit", entity="agency", entity_id=agency.id, before=before,
           after={"remit": clean}, summary=f"changed the remit of {agency.name}")
    uow.commit()


def _blank(value: Any) -> bool:
    """None, empty text or NaN (a data editor's empty cell)."""
    return value is None or value != value or not str(value).strip()


def _clean_power(row: dict[str, Any], n: int) -> dict[str, Any]:
    row = {k: None if _blank(v) else v for k, v in row.items()}
    where = f"Power row {n}"
    power = str(row.get("power") or "").strip()
    if power not in vocab.POWERS:
        raise ValidationError(f"{where}: choose a power from the list ({', '.join(vocab.POWERS)}).")
    entry = str(row.get("entry") or "").strip() or None
    if power == "entry" and entry not in vocab.ENTRY_MODES:
        raise ValidationError(f"{where}: an entry power needs how entry is gained ({', '.join(vocab.ENTRY_MODES)}).")
    if power != "entry":
        entry = None
    hours = row.get("notice_hours")
    hours = None if hours is None else int(hours)
    if entry == "with_notice" and not hours:
        raise ValidationError(f"{where}: entry with notice needs the notice in hours.")
    if hours is not None and not 1 <= hours <= 24 * 60:
        raise ValidationError(f"{where}: notice between 1 and 1,440 hours.")
    statute = " ".join(str(row.get("statute") or "").split())
    if not statute:
        raise ValidationError(f"{where}: name the statute (e.g. 'Licensing Act 2003, s179').")
    return {"power": power, "entry": entry, "notice_hours": hours if entry == "with_notice" else None,
            "premises_scope": " ".join(str(row.get("premises_scope") or "").split())[:200],
            "statute": statute[:300], "notes": str(row.get("notes") or "").strip()}


def set_powers(uow: UnitOfWork, *, actor: Actor, agency_id: int, rows: list[dict[str, Any]]) -> None:
    """Replace the agency's powers with `rows` (each checked; the whole set lands or none of it)."""
    agency = _editable(uow, actor, agency_id)
    clean = [_clean_power(r, n) for n, r in enumerate(rows, start=1)
             if not all(_blank(v) for k, v in r.items() if k != "id")]
    before = [snapshot(p, POWER_FIELDS) for p in agency.powers]
    agency.powers.clear()
    uow.session.flush()
    agency.powers.extend(AgencyPower(**c) for c in clean)
    record(uow.session, actor, action="catalogue.powers", entity="agency", entity_id=agency.id,
           before={"powers": before}, after={"powers": clean}, summary=f"changed the powers of {agency.name}")
    uow.commit()


def set_indicators(uow: UnitOfWork, *, actor: Actor, agency_id: int, rows: list[dict[str, Any]]) -> None:
    """Add, change or retire golden indicators; one used on a referral is retired, never deleted."""
    agency = _editable(uow, actor, agency_id)
    existing = {i.code: i for i in agency.indicators}
    before = [snapshot(i, ("code", "label", "issue", "active")) for i in agency.indicators]
    seen: set[str] = set()
    for n, row in enumerate(rows, start=1):
        row = {k: None if _blank(v) else v for k, v in row.items()}
        label = " ".join(str(row.get("label") or "").split())
        if not label:
            continue
        code = str(row.get("code") or "").strip() or f"{agency.code.lower()}_{len(existing) + n}"
        if code in seen:
            raise ValidationError(f"Indicator row {n}: code {code!r} is used twice.")
        seen.add(code)
        ind = existing.get(code)
        if ind is None:
            ind = Indicator(code=code[:40], label="")
            agency.indicators.append(ind)
        ind.label, ind.issue = label[:200], " ".join(str(row.get("issue") or "").split())[:60]
        ind.active = row.get("active") is None or bool(row["active"])
    for code, ind in existing.items():
        if code not in seen:
            ind.active = False
    after = [snapshot(i, ("code", "label", "issue", "active")) for i in agency.indicators]
    record(uow.session, actor, action="catalogue.indicators", entity="agency", entity_id=agency.id,
           before={"indicators": before}, after={"indicators": after}, summary=f"changed the indicators of {agency.name}")
    uow.commit()


def set_contact(uow: UnitOfWork, *, actor: Actor, agency_id: int, contact_name: str, contact_email: str,
                contact_phone: str) -> None:
    """The agency's contact point for partners."""
    agency = _editable(uow, actor, agency_id)
    email = contact_email.strip()
    if email and ("@" not in email or " " in email):
        raise ValidationError("Contact email: enter an address like team@agency.example.")
    before = snapshot(agency, CONTACT_FIELDS)
    agency.contact_name, agency.contact_email, agency.contact_phone = contact_name.strip()[:120], email[:200], contact_phone.strip()[:40]
    record(uow.session, actor, action="catalogue.contact", entity="agency", entity_id=agency.id, before=before,
           after=snapshot(agency, CONTACT_FIELDS), summary=f"changed the contact point of {agency.name}")
    uow.commit()
