"""Agencies and users: administration rules, sign-in data and the audit trail of each change."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.errors import Conflict, Forbidden, ValidationError
from core.passwords import check_password
from core.services import accounts, signin
from core.services.accounts import AgencyInput, UserInput
from core.store.models import AuditEvent, User
from tests.store.conftest import PASSWORD, Small


def _audit(small: Small) -> list[AuditEvent]:
    with small.store.read() as s:
        return list(s.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _users(small: Small) -> int:
    with small.store.read() as s:
        return s.session.scalar(select(func.count()).select_from(User))


def test_admin_creates_a_user_who_can_then_sign_in(small: Small) -> None:
    with small.store.uow() as uow:
        uid = accounts.create_user(uow, actor=small.admin,
                                   data=UserInput(" Sam.Jones ", "Sam  Jones", "officer", small.hmrc, "sam@x.example"),
                                   password="a-long-password")
    attempt = signin.sign_in(small.store, "Sam.Jones", "a-long-password")
    assert attempt.signed_in is not None and not attempt.signed_in.must_change_password
    actor = attempt.signed_in.actor
    assert actor.id == uid and actor.role == "officer" and actor.agency_name == "HM Revenue and Customs"
    with small.store.read() as s:
        stored = s.session.scalar(select(User.password_hash).where(User.id == uid))
    assert stored != "a-long-password" and check_password("a-long-password", stored)
    event = _audit(small)[-1]
    assert (event.action, event.entity, event.entity_id, event.actor_username) == ("user.create", "user", str(uid), "admin")
    assert event.after["username"] == "sam.jones" and event.after["role"] == "officer"
    assert "password" not in str(event.after) and "$2" not in str(event.after), "no hash in the audit log"


@pytest.mark.parametrize(
    ("data", "password", "message"),
    [
        (UserInput("x", "X", "officer", 0), "a-long-password", "Username"),
        (UserInput("new.user", " ", "officer", 0), "a-long-password", "Name"),
        (UserInput("new.user", "New", "superuser", 0), "a-long-password", "Role"),
        (UserInput("new.user", "New", "officer", 999), "a-long-password", "Agency"),
        (UserInput("new.user", "New", "officer", 0, "not-an-email"), "a-long-password", "Email"),
        (UserInput("new.user", "New", "officer", 0), "short", "at least 10"),
        (UserInput("new.user", "New", "officer", 0), "new.user-password", "username"),
    ],
)
def test_bad_user_input_is_refused_with_a_message_and_nothing_is_written(small: Small, data: UserInput, password: str, message: str) -> None:
    if data.agency_id == 0:
        data = UserInput(data.username, data.name, data.role, small.ts, data.email)
    before_users, before_audit = _users(small), len(_audit(small))
    with pytest.raises(ValidationError, match=message), small.store.uow() as uow:
        accounts.create_user(uow, actor=small.admin, data=data, password=password)
    assert _users(small) == before_users and len(_audit(small)) == before_audit


def test_usernames_are_unique(small: Small) -> None:
    with pytest.raises(Conflict, match="taken"), small.store.uow() as uow:
        accounts.create_user(uow, actor=small.admin, data=UserInput("ANA", "Another Ana", "officer", small.ts),
                             password="a-long-password")


def test_only_admins_manage_users(small: Small) -> None:
    with pytest.raises(Forbidden), small.store.uow() as uow:
        accounts.create_user(uow, actor=small.analyst, data=UserInput("new.user", "New", "officer", small.hmrc),
                             password="a-long-password")
    with pytest.raises(Forbidden), small.store.read() as s:
        accounts.list_users(s, actor=small.analyst)
    assert _users(small) == 2


def test_deactivated_user_cannot_sign_in_and_is_audited(small: Small) -> None:
    with small.store.uow() as uow:
        accounts.set_user_active(uow, actor=small.admin, user_id=small.analyst.id, active=False)
    assert signin.sign_in(small.store, "ana", PASSWORD).signed_in is None
    with small.store.read() as s:
        assert accounts.load_actor(s.session, "ana") is None
    event = [e for e in _audit(small) if e.entity == "user"][-1]
    assert event.action == "user.deactivate" and event.before == {"active": True} and event.after == {"active": False}
    with small.store.uow() as uow:
        accounts.set_user_active(uow, actor=small.admin, user_id=small.analyst.id, active=True)
    with small.store.read() as s:
        assert accounts.load_actor(s.session, "ana") is not None


def test_users_of_a_deactivated_agency_cannot_sign_in(small: Small) -> None:
    with small.store.uow() as uow:
        accounts.set_agency_active(uow, actor=small.admin, agency_id=small.hmrc, active=False)
    assert signin.sign_in(small.store, "ana", PASSWORD).signed_in is None
    with small.store.read() as s:
        assert accounts.load_actor(s.session, "ana") is None


def test_admin_cannot_lock_the_partnership_out(small: Small) -> None:
    with pytest.raises(ValidationError, match="your own account"), small.store.uow() as uow:
        accounts.set_user_active(uow, actor=small.admin, user_id=small.admin.id, active=False)
    with pytest.raises(ValidationError, match="own administrator role"), small.store.uow() as uow:
        accounts.update_user(uow, actor=small.admin, user_id=small.admin.id,
                             data=UserInput("admin", "Ada", "chair", small.ts))
    with pytest.raises(ValidationError, match="own agency"), small.store.uow() as uow:
        accounts.set_agency_active(uow, actor=small.admin, agency_id=small.ts, active=False)


def test_change_role_and_agency_takes_effect_on_next_load(small: Small) -> None:
    with small.store.uow() as uow:
        accounts.update_user(uow, actor=small.admin, user_id=small.analyst.id,
                             data=UserInput("ignored", "Ana Lyst", "coordinator", small.ts))
    with small.store.read() as s:
        actor = accounts.load_actor(s.session, "ana")
    assert actor.role == "coordinator" and actor.agency_id == small.ts
    event = _audit(small)[-1]
    assert event.before == {"role": "analyst", "agency_id": small.hmrc}
    assert event.after == {"role": "coordinator", "agency_id": small.ts}


def test_reset_password_gives_a_working_temporary_password(small: Small) -> None:
    with small.store.uow() as uow:
        temp = accounts.reset_password(uow, actor=small.admin, user_id=small.analyst.id)
    with small.store.read() as s:
        stored = s.session.scalar(select(User.password_hash).where(User.id == small.analyst.id))
    assert check_password(temp, stored) and not check_password(PASSWORD, stored)
    assert _audit(small)[-1].action == "user.reset_password"


def test_change_own_password(small: Small) -> None:
    with pytest.raises(ValidationError, match="not your current password"), small.store.uow() as uow:
        accounts.change_own_password(uow, actor=small.analyst, current="wrong-password", new="another-long-one")
    with small.store.uow() as uow:
        accounts.change_own_password(uow, actor=small.analyst, current=PASSWORD, new="another-long-one")
    assert signin.sign_in(small.store, "ana", "another-long-one").signed_in is not None
    assert signin.sign_in(small.store, "ana", PASSWORD).signed_in is None


def test_agencies_are_validated_and_unique(small: Small) -> None:
    with small.store.uow() as uow:
        aid = accounts.create_agency(uow, actor=small.admin,
                                     data=AgencyInput("frs", "Fire and Rescue", "fire", "Protection team",
                                                      "fire@x.example"))
    with pytest.raises(Conflict, match="Code"), small.store.uow() as uow:
        accounts.create_agency(uow, actor=small.admin, data=AgencyInput("FRS", "Fire 2"))
    with pytest.raises(Conflict, match="Name"), small.store.uow() as uow:
        accounts.create_agency(uow, actor=small.admin, data=AgencyInput("FR2", "fire and rescue"))
    with pytest.raises(ValidationError, match="Code"), small.store.uow() as uow:
        accounts.create_agency(uow, actor=small.admin, data=AgencyInput("f", "Fire 3"))
    with pytest.raises(Forbidden), small.store.uow() as uow:
        accounts.create_agency(uow, actor=small.analyst, data=AgencyInput("XX", "Nope"))
    with small.store.uow() as uow:
        accounts.update_agency(uow, actor=small.admin, agency_id=aid,
                               data=AgencyInput("FRS", "Kingsmere Fire and Rescue", "fire"))
    event = _audit(small)[-1]
    assert event.action == "agency.update"
    assert event.before["name"] == "Fire and Rescue" and event.after["name"] == "Kingsmere Fire and Rescue"


def test_settings_are_checked_audited_and_admin_only(small: Small) -> None:
    from core.services.partnership import settings, update_settings

    with small.store.uow() as uow:
        update_settings(uow, actor=small.admin, ack_days="7", feedback_days=21, grading_scheme="3x5x2")
    with small.store.read() as s:
        p = settings(s.session)
    assert (p.ack_days, p.feedback_days, p.grading_scheme) == (7, 21, "3x5x2")
    assert _audit(small)[-1].after == {"ack_days": 7, "feedback_days": 21, "grading_scheme": "3x5x2"}
    for bad, message in (({"ack_days": 30}, "not be later"), ({"feedback_days": "soon"}, "whole number"),
                         ({"grading_scheme": "9x9"}, "Grading scheme"), ({"partnership_name": " "}, "enter a name")):
        with pytest.raises(ValidationError, match=message), small.store.uow() as uow:
            update_settings(uow, actor=small.admin, **bad)
    with pytest.raises(Forbidden), small.store.uow() as uow:
        update_settings(uow, actor=small.analyst, ack_days=3)


@pytest.mark.parametrize("weak", ["password12", "1234567890", "aaaaaaaaaa", " " * 10])
def test_weak_passwords_are_refused_for_new_users_and_own_changes(small: Small, weak: str) -> None:
    before_users, before_audit = _users(small), len(_audit(small))
    with pytest.raises(ValidationError, match="Password: "), small.store.uow() as uow:
        accounts.create_user(uow, actor=small.admin, data=UserInput("new.user", "New User", "officer", small.ts),
                             password=weak)
    with pytest.raises(ValidationError, match="too easy to guess"), small.store.uow() as uow:
        accounts.change_own_password(uow, actor=small.analyst, current=PASSWORD, new=weak)
    assert _users(small) == before_users and len(_audit(small)) == before_audit
    with small.store.read() as s:
        assert check_password(PASSWORD, s.session.scalar(select(User.password_hash).where(User.id == small.analyst.id)))


def test_a_password_made_of_the_persons_own_name_is_refused(small: Small) -> None:
    with pytest.raises(ValidationError, match="own name"), small.store.uow() as uow:
        accounts.change_own_password(uow, actor=small.analyst, current=PASSWORD, new="lyst1234567")


def test_create_admin_from_the_command_line_checks_the_password(store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    from core import cli

    monkeypatch.setenv("DATABASE_URL", store.url)
    args = ["create-admin", "jo.bloggs", "--name", "Jo Bloggs", "--agency-code", "TS"]
    monkeypatch.setenv("PH_ADMIN_PASSWORD", "password12")
    assert cli.main(args) == 2
    assert "too easy to guess" in capsys.readouterr().err
    with store.read() as s:
        assert s.session.scalar(select(func.count()).select_from(User)) == 0
    monkeypatch.setenv("PH_ADMIN_PASSWORD", "kettle orbit salmon")
    assert cli.main(args) == 0
    with store.read() as s:
        assert s.session.scalar(select(User.role).where(User.username == "jo.bloggs")) == "admin"
