"""Hand-made businesses, holdings and visits for the operations and outcomes tests."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.domain import Role
from core.permissions import Actor
from core.store import Store
from core.store.models import Agency, AgencyPower, AgencyRecord, Business, Dataset, User, Visit, VisitAgency, VisitOfficer
from tests.store.conftest import _HASH, Small


def add_agency(store: Store, code: str, name: str, *, kind: str = "council", entry: str | None = None) -> int:
    with store.uow() as uow:
        a = Agency(code=code, name=name, kind=kind, remit=["testing"], contact_name=f"{code} desk",
                   contact_email=f"{code.lower()}@example.test", contact_phone="01632 960000")
        uow.session.add(a)
        uow.flush()
        if entry:
            uow.session.add(AgencyPower(agency_id=a.id, power="entry", entry=entry, statute=f"{code} Act 2000"))
        uow.commit()
        return a.id


def add_user(store: Store, username: str, role: Role, agency_id: int) -> Actor:
    with store.uow() as uow:
        u = User(username=username, name=username.title(), role=role.value, agency_id=agency_id, password_hash=_HASH)
        uow.session.add(u)
        uow.flush()
        agency = uow.session.get(Agency, agency_id)
        uow.commit()
        return Actor(u.id, username, u.name, role, agency_id, agency.name)


def add_business(store: Store, name: str, held_by: dict[int, str] | None = None) -> int:
    """A business with one current record per holding agency; held_by maps agency id -> dataset sharing."""
    with store.uow() as uow:
        s = uow.session
        b = Business(name=name, address=f"1 {name} Street", postcode="KM1 1AA")
        s.add(b)
        s.flush()
        for agency_id, sharing in (held_by or {}).items():
            ds = s.query(Dataset).filter_by(agency_id=agency_id, sharing=sharing).first()
            if ds is None:
                ds = Dataset(agency_id=agency_id, name=f"Register {agency_id} {sharing}", sharing=sharing)
                s.add(ds)
                s.flush()
            s.add(AgencyRecord(dataset_id=ds.id, agency_id=agency_id, business_id=b.id, reference=f"R{b.id}",
                               trading_name=name, address=f"1 {name} Street", postcode="KM1 1AA"))
        uow.commit()
        return b.id


def add_visit(store: Store, business_id: int | None, agencies: dict[int, int], *, days: float = -1, status: str = "confirmed",
              lead: int | None = None, officers: tuple[int, ...] = (), declined: tuple[int, ...] = (),
              outcomes: dict[int, dict] | None = None) -> int:
    """A visit `days` from now with {agency id: officers}; outcomes maps agency id -> stored outcome JSON."""
    start = datetime.now(timezone.utc) + timedelta(days=days)
    with store.uow() as uow:
        v = Visit(business_id=business_id, premises_text=f"Premises {business_id}", starts_at=start,
                  ends_at=start + timedelta(hours=2), lead_agency_id=lead or next(iter(agencies)), status=status,
                  entry_route="Lead enters without a warrant.", updated_at=start - timedelta(days=3))
        v.agencies = [VisitAgency(agency_id=a, officers=n, objectives=f"Objectives of {a}",
                                  response="declined" if a in declined else "confirmed",
                                  outcome=(outcomes or {}).get(a), outcome_version=1 if a in (outcomes or {}) else 0,
                                  outcome_recorded_at=start + timedelta(hours=3) if a in (outcomes or {}) else None)
                      for a, n in agencies.items()]
        uow.session.add(v)
        uow.flush()
        for uid in officers:
            uow.session.add(VisitOfficer(visit_id=v.id, user_id=uid))
        uow.commit()
        return v.id


def third_agency(small: Small) -> int:
    return add_agency(small.store, "FS", "Food Safety", entry="without_warrant")
