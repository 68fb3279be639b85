"""PostgreSQL with two roles: the owner migrates, the app may only INSERT and SELECT audit rows.

Each test makes its own owner and app roles (unique names) and a database owned by the owner, and drops them.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.exc import DBAPIError

from core.cli import main
from core.errors import ConfigError
from core.permissions import Actor
from core.services import accounts, audit, partnership
from core.store import Store
from core.store.models import AuditEvent, User
from core.store.roles import grant_app_role
from tests.conftest import BACKEND_PARAMS, PG_URL

pytestmark = pytest.mark.parametrize("backend", [p for p in BACKEND_PARAMS if p.id == "postgresql"], indirect=True)


@dataclass
class Roles:
    owner: str
    app: str
    owner_url: str
    app_url: str


def _admin():  # noqa: ANN202
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture
def roles(backend: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Roles]:
    tag = uuid.uuid4().hex[:10]
    owner, app, db = f"ph_owner_{tag}", f"ph_app_{tag}", f"ph_test_roles_{tag}"
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{owner}" LOGIN CREATEROLE'))
        conn.execute(text(f'CREATE DATABASE "{db}" OWNER "{owner}"'))
    base = make_url(PG_URL).set(database=db, password=None)
    r = Roles(owner, app, base.set(username=owner).render_as_string(hide_password=False),
              base.set(username=app).render_as_string(hide_password=False))
    monkeypatch.setenv("DATABASE_OWNER_URL", r.owner_url)
    monkeypatch.setenv("DATABASE_URL", r.app_url)
    monkeypatch.setenv("PH_APP_DB_PASSWORD", "app-secret-" + tag)
    try:
        yield r
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{app}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{owner}"'))
        admin.dispose()


@pytest.fixture
def deployed(roles: Roles, monkeypatch: pytest.MonkeyPatch) -> Roles:
    """The two deployment commands, then the first administrator, created through the app's role."""
    assert main(["migrate"]) == 0
    owner = create_engine(roles.owner_url)
    with owner.begin() as conn:  # a hardened server: functions are not everyone's to run
        conn.execute(text("REVOKE EXECUTE ON FUNCTION audit_chain_tail() FROM PUBLIC"))
    owner.dispose()
    assert main(["grant-app-role", roles.app]) == 0
    monkeypatch.setenv("PH_ADMIN_PASSWORD", "a-long-enough-password")
    assert main(["create-admin", "jo.admin", "--name", "Jo Admin", "--agency-code", "TS",
                 "--agency-name", "Trading Standards"]) == 0
    return roles


def _app_store(r: Roles) -> Store:
    """The app as it starts: DATABASE_URL is the app role, the start-up upgrade runs as the owner."""
    return Store(r.app_url, owner_url=r.owner_url)


def _admin_actor(store: Store) -> Actor:
    with store.read() as s:
        return accounts.load_actor(s.session, "jo.admin")


@pytest.mark.parametrize("statement", [
    "TRUNCATE audit_events",
    "UPDATE audit_events SET summary = 'tampered'",
    "DELETE FROM audit_events",
    "DROP TRIGGER audit_events_no_change ON audit_events",
    "DROP TRIGGER audit_events_chain ON audit_events",
    "ALTER TABLE audit_events DISABLE TRIGGER USER",
    "ALTER TABLE audit_events ADD COLUMN note text",
    "DROP TABLE audit_events",
    "SET session_replication_role = replica",
    "CREATE TABLE public.shadow (id integer)",
    "CREATE OR REPLACE FUNCTION audit_events_chain_guard() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'",
    "ALTER TABLE audit_events RENAME TO audit_events_old",
    "ALTER TABLE audit_events OWNER TO CURRENT_USER",
])
def test_the_app_role_cannot_rewrite_the_audit_log(deployed: Roles, statement: str) -> None:
    store = _app_store(deployed)
    try:
        with pytest.raises(DBAPIError, match="permission denied|must be owner"), store.engine.begin() as conn:
            conn.execute(text(statement))
        with store.read() as s:
            assert s.session.scalar(select(AuditEvent.summary).where(AuditEvent.action == "user.create")) is not None
    finally:
        store.dispose()


def test_the_app_role_inserts_and_reads_audit_rows_and_its_services_work(deployed: Roles) -> None:
    store = _app_store(deployed)
    try:
        admin = _admin_actor(store)
        with store.uow() as uow:
            agency_id = accounts.create_agency(uow, actor=admin,
                                               data=accounts.AgencyInput(code="HMRC", name="HM Revenue and Customs"))
        with store.uow() as uow:
            user_id = accounts.create_user(uow, actor=admin,
                                           data=accounts.UserInput(username="ana.lyst", name="Ana Lyst",
                                                                         role="analyst", agency_id=agency_id),
                                           password="another-long-password")
        with store.uow() as uow:
            partnership.update_settings(uow, actor=admin, partnership_name="Test Partnership")
        with store.read() as s:
            assert s.session.get(User, user_id).username == "ana.lyst"
            actions = [e["action"] for e in audit.list_events(s, actor=admin)]
            assert {"agency.create", "user.create"} <= set(actions)
            report = audit.verify_chain(s, actor=admin)
        assert report.ok and report.rows == len(actions)
        with store.engine.connect() as conn:
            owned = conn.execute(text(
                "SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid) + (SELECT count(*) FROM pg_proc WHERE "
                "proowner = r.oid) + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid) + (SELECT count(*) FROM "
                "pg_type WHERE typowner = r.oid) FROM pg_roles r WHERE r.rolname = current_user")).scalar()
            assert owned == 0, "the app role owns nothing"
            granted = {p: conn.execute(text("SELECT has_table_privilege(current_user, 'audit_events', :p)"), {"p": p}).scalar()
                       for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")}
            assert granted == {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False, "TRUNCATE": False,
                               "TRIGGER": False, "REFERENCES": False}
    finally:
        store.dispose()
    assert main(["audit", "verify"]) == 0  # as the app role (DATABASE_URL)


def test_the_app_role_cannot_append_a_row_off_the_chain(deployed: Roles) -> None:
    store = _app_store(deployed)
    try:
        ghost = ("INSERT INTO public.audit_events (id, at, actor_username, action, entity, entity_id, summary, "
                 "prev_hash, hash) VALUES (1000, now(), 'ghost', 'x', 'x', '', 'ghost', 'x', 'y')")
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(ghost))
        # A temporary table of the same name (the app's role may make those) does not fool the database's check.
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text("CREATE TEMPORARY TABLE audit_events (id integer, hash varchar)"))
            conn.execute(text("INSERT INTO audit_events VALUES (1, 'x')"))
            conn.execute(text(ghost))
    finally:
        store.dispose()


def test_migrate_grants_the_app_role_what_new_tables_need(deployed: Roles) -> None:
    owner = create_engine(deployed.owner_url)
    with owner.begin() as conn:
        conn.execute(text("CREATE TABLE later_table (id serial PRIMARY KEY, note text)"))
    owner.dispose()
    assert main(["migrate"]) == 0
    store = _app_store(deployed)
    try:
        with store.engine.begin() as conn:
            conn.execute(text("INSERT INTO later_table (note) VALUES ('ok')"))
    finally:
        store.dispose()


def test_grant_refuses_roles_that_would_own_or_bypass(deployed: Roles) -> None:
    owner = create_engine(deployed.owner_url)
    try:
        with owner.begin() as conn, pytest.raises(ConfigError, match="owner"):
            grant_app_role(conn, deployed.owner)
        with owner.begin() as conn, pytest.raises(ConfigError, match="superuser"):
            grant_app_role(conn, make_url(PG_URL).username)
    finally:
        owner.dispose()
    assert main(["grant-app-role", "no_such_role_" + uuid.uuid4().hex[:6], "--no-create"]) == 2


def test_seed_reset_runs_as_the_owner_and_grants_the_app_role_again(deployed: Roles) -> None:
    """`seed --reset` drops and recreates every table (the owner's work); the app's role gets its grants back."""
    assert main(["seed", "--reset"]) == 0
    store = _app_store(deployed)
    try:
        with store.read() as s:
            admin = accounts.load_actor(s.session, "admin")
        with store.uow() as uow:
            partnership.update_settings(uow, actor=admin, partnership_name="Reseeded Partnership")
        with store.read() as s:
            assert audit.verify_chain(s, actor=admin).ok
        with pytest.raises(DBAPIError, match="permission denied|must be owner"), store.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_events"))
    finally:
        store.dispose()
