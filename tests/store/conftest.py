"""A small partnership for store tests: two agencies, an administrator and an analyst."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from core.domain import Role
from core.passwords import hash_password
from core.permissions import Actor
from core.store import Store
from core.store.models import Agency, User

PASSWORD = "correct-horse-battery"
_HASH = hash_password(PASSWORD)


@dataclass
class Small:
    store: Store
    admin: Actor
    analyst: Actor
    ts: int
    hmrc: int


@pytest.fixture
def small(store: Store) -> Small:
    with store.uow() as uow:
        ts = Agency(code="TS", name="Trading Standards", remit=[])
        hmrc = Agency(code="HMRC", name="HM Revenue and Customs", remit=[])
        uow.session.add_all([ts, hmrc])
        uow.flush()
        admin = User(username="admin", name="Ada Admin", role="admin", agency_id=ts.id, password_hash=_HASH)
        analyst = User(username="ana", name="Ana Lyst", role="analyst", agency_id=hmrc.id, password_hash=_HASH)
        uow.session.add_all([admin, analyst])
        uow.flush()
        result = Small(
            store,
            Actor(admin.id, "admin", admin.name, Role.ADMIN, ts.id, ts.name),
            Actor(analyst.id, "ana", analyst.name, Role.ANALYST, hmrc.id, hmrc.name),
            ts.id,
            hmrc.id,
        )
        uow.commit()
    return result


@pytest.fixture
def officer(small: Small) -> Actor:
    """A Trading Standards frontline officer beside the small partnership's admin and analyst."""
    with small.store.uow() as uow:
        u = User(username="olly", name="Olly Officer", role="officer", agency_id=small.ts, password_hash=_HASH)
        uow.session.add(u)
        uow.commit()
    return Actor(u.id, "olly", u.name, Role.OFFICER, small.ts, "Trading Standards")
