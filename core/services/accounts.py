"""Sign-in support and the administration of agencies and users."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.domain import Role
from core.errors import Conflict, NotFound, ValidationError
from core.passwords import check_password, hash_password, temporary_password, validate_password
from core.permissions import Actor, ensure
from core.services.audit import record, snapshot
from core.services.signin import clear_failures, end_sessions
from core.store.models import Agency, User
from core.store.uow import UnitOfWork

USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{2,39}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
AGENCY_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]{1,15}$")
USER_FIELDS = ("username", "name", "email", "role", "agency_id", "active")
AGENCY_FIELDS = ("code", "name", "kind", "contact_name", "contact_email", "contact_phone", "active")


# --- sign-in ----------------------------------------------------------------------------------


def load_actor(session: Session, username: str | None) -> Actor | None:
    """The actor for a signed-in username, read from the store; None if unknown or deactivated."""
    if not username:
        return None
    row = session.execute(
        select(User, Agency.name)
        .join(Agency, Agency.id == User.agency_id)
        .where(User.username == username, User.active.is_(True), Agency.active.is_(True))
    ).first()
    if row is None:
        return None
    user, agency_name = row
    return Actor(user.id, user.username, user.name, Role(user.role), user.agency_id, agency_name)


def record_sign_in(uow: UnitOfWork, *, actor: Actor) -> None:
    user = uow.session.get(User, actor.id)
    if user is None:
        raise NotFound("That user no longer exists.")
    user.last_sign_in_at = datetime.now(timezone.utc)
    record(uow.session, actor, action="user.sign_in", entity="user", entity_id=actor.id, summary=f"{actor.username} signed in")
    uow.commit()


def record_sign_out(uow: UnitOfWork, *, actor: Actor) -> None:
    """Signing out ends every session of the person (other browsers, copied cookies), not only this one."""
    end_sessions(uow.session, actor.id)
    record(uow.session, actor, action="user.sign_out", entity="user", entity_id=actor.id,
           summary=f"{actor.username} signed out (every session ended)")
    uow.commit()


def change_own_password(uow: UnitOfWork, *, actor: Actor, current: str, new: str) -> int:
    """Change one's own password; every other session ends. Returns the new session version, which the
    session making the change keeps (with a new cookie) so it stays signed in."""
    ensure(actor, "account.change_password", owner_id=actor.id)
    user = uow.session.get(User, actor.id)
    if user is None or not check_password(current, user.password_hash):
        raise ValidationError("Current password: that is not your current password.")
    if new == current:
        raise ValidationError("New password: choose a password different from the current one.")
    validate_password(new, username=user.username, name=user.name, email=user.email)
    user.password_hash = hash_password(new)
    was_temporary = user.must_change_password
    user.must_change_password = False
    uow.flush()
    version = end_sessions(uow.session, user.id)
    record(uow.session, actor, action="user.change_password", entity="user", entity_id=user.id,
           summary=f"{user.username} {'replaced their temporary password' if was_temporary else 'changed their password'}"
                   " (every other session ended)")
    uow.commit()
    return version


# --- agencies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyInput:
    code: str
    name: str
    kind: str = "council"
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""


def _clean_agency(session: Session, data: AgencyInput, *, agency_id: int | None = None) -> AgencyInput:
    code = data.code.strip().upper()
    name = " ".join(data.name.split())
    if not AGENCY_CODE_RE.match(code):
        raise ValidationError("Code: use 2-16 capital letters or digits, starting with a letter (e.g. TS, HMRC).")
    if not name:
        raise ValidationError("Name: enter the agency's name.")
    email = data.contact_email.strip()
    if email and not EMAIL_RE.match(email):
        raise ValidationError(f"Contact email: {email!r} is not an email address.")
    for column, value in (("code", code), ("name", name)):
        clash = session.scalar(select(Agency.id).where(func.lower(getattr(Agency, column)) == value.lower()))
        if clash is not None and clash != agency_id:
            raise Conflict(f"{column.title()}: another agency already uses {value!r}.")
    return AgencyInput(code, name, data.kind.strip() or "council", data.contact_name.strip(), email, data.contact_phone.strip())


def list_agencies(uow: UnitOfWork, *, actor: Actor, include_inactive: bool = False) -> list[Agency]:
    """Agencies by name. Every signed-in person may see the partnership's agencies."""
    ensure(actor, "agency.view")
    q = select(Agency).order_by(Agency.name)
    if not include_inactive:
        q = q.where(Agency.active.is_(True))
    return list(uow.session.scalars(q))


def create_agency(uow: UnitOfWork, *, actor: Actor, data: AgencyInput) -> int:
    ensure(actor, "agency.manage")
    clean = _clean_agency(uow.session, data)
    agency = Agency(**clean.__dict__, remit=[])
    uow.session.add(agency)
    uow.flush()
    record(uow.session, actor, action="agency.create", entity="agency", entity_id=agency.id,
           after=snapshot(agency, AGENCY_FIELDS), summary=f"created agency {agency.name}")
    uow.commit()
    return agency.id


def update_agency(uow: UnitOfWork, *, actor: Actor, agency_id: int, data: AgencyInput) -> None:
    ensure(actor, "agency.manage")
    agency = uow.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"No agency with id {agency_id}.")
    before = snapshot(agency, AGENCY_FIELDS)
    clean = _clean_agency(uow.session, data, agency_id=agency_id)
    for key, value in clean.__dict__.items():
        setattr(agency, key, value)
    record(uow.session, actor, action="agency.update", entity="agency", entity_id=agency.id,
           before=before, after=snapshot(agency, AGENCY_FIELDS), summary=f"updated agency {agency.name}")
    uow.commit()


def set_agency_active(uow: UnitOfWork, *, actor: Actor, agency_id: int, active: bool) -> None:
    ensure(actor, "agency.manage")
    agency = uow.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"No agency with id {agency_id}.")
    if not active and agency.id == actor.agency_id:
        raise ValidationError("You cannot deactivate your own agency: you would lock yourself out.")
    before = snapshot(agency, AGENCY_FIELDS)
    agency.active = active
    record(uow.session, actor, action="agency.activate" if active else "agency.deactivate", entity="agency",
           entity_id=agency.id, before=before, after=snapshot(agency, AGENCY_FIELDS),
           summary=f"{'reactivated' if active else 'deactivated'} agency {agency.name}")
    uow.commit()


# --- users ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserInput:
    username: str
    name: str
    role: str
    agency_id: int
    email: str = ""


def _clean_user(session: Session, data: UserInput) -> UserInput:
    username = data.username.strip().lower()
    name = " ".join(data.name.split())
    if not USERNAME_RE.match(username):
        raise ValidationError(
            "Username: use 3-40 lower-case letters, digits, dots, hyphens or underscores, starting with a letter."
        )
    if not name:
        raise ValidationError("Name: enter the person's full name.")
    try:
        role = Role(data.role)
    except ValueError:
        raise ValidationError(f"Role: choose one of {', '.join(r.value for r in Role)}.") from None
    agency = session.get(Agency, data.agency_id)
    if agency is None or not agency.active:
        raise ValidationError("Agency: choose an active agency; every person belongs to one.")
    email = data.email.strip()
    if email and not EMAIL_RE.match(email):
        raise ValidationError(f"Email: {email!r} is not an email address.")
    return UserInput(username, name, role.value, agency.id, email)


def list_users(uow: UnitOfWork, *, actor: Actor) -> list[dict[str, Any]]:
    session = uow.session
    ensure(actor, "user.manage")
    rows = session.execute(select(User, Agency.name).join(Agency, Agency.id == User.agency_id).order_by(User.username))
    return [
        {
            "id": u.id, "username": u.username, "name": u.name, "email": u.email, "role": u.role,
            "agency_id": u.agency_id, "agency": agency_name, "active": u.active, "last_sign_in": u.last_sign_in_at,
        }
        for u, agency_name in rows
    ]


def create_user(uow: UnitOfWork, *, actor: Actor, data: UserInput, password: str) -> int:
    ensure(actor, "user.manage")
    clean = _clean_user(uow.session, data)
    if uow.session.scalar(select(User.id).where(User.username == clean.username)) is not None:
        raise Conflict(f"Username: {clean.username!r} is taken; choose another.")
    validate_password(password, username=clean.username, name=clean.name, email=clean.email)
    user = User(**clean.__dict__, password_hash=hash_password(password), active=True)
    uow.session.add(user)
    uow.flush()
    record(uow.session, actor, action="user.create", entity="user", entity_id=user.id,
           after=snapshot(user, USER_FIELDS), summary=f"created user {user.username} ({user.role})")
    uow.commit()
    return user.id


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN.value, User.active.is_(True))) or 0


def update_user(uow: UnitOfWork, *, actor: Actor, user_id: int, data: UserInput) -> None:
    """Change a user's name, email, role or agency (the username never changes)."""
    ensure(actor, "user.manage")
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    clean = _clean_user(uow.session, UserInput(user.username, data.name, data.role, data.agency_id, data.email))
    if user.role == Role.ADMIN.value and clean.role != Role.ADMIN.value:
        if user.id == actor.id:
            raise ValidationError("Role: you cannot remove your own administrator role.")
        if user.active and _active_admins(uow.session) <= 1:
            raise ValidationError("Role: this is the last active administrator; make another one first.")
    before = snapshot(user, USER_FIELDS)
    user.name, user.email, user.role, user.agency_id = clean.name, clean.email, clean.role, clean.agency_id
    record(uow.session, actor, action="user.update", entity="user", entity_id=user.id,
           before=before, after=snapshot(user, USER_FIELDS), summary=f"updated user {user.username}")
    uow.commit()


def set_user_active(uow: UnitOfWork, *, actor: Actor, user_id: int, active: bool) -> None:
    ensure(actor, "user.manage")
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    if not active:
        if user.id == actor.id:
            raise ValidationError("You cannot deactivate your own account.")
        if user.role == Role.ADMIN.value and user.active and _active_admins(uow.session) <= 1:
            raise ValidationError("This is the last active administrator; make another one first.")
    before = snapshot(user, USER_FIELDS)
    user.active = active
    if not active:  # its sessions and cookies stay dead even if the account is reactivated later
        uow.flush()
        end_sessions(uow.session, user.id)
    record(uow.session, actor, action="user.activate" if active else "user.deactivate", entity="user",
           entity_id=user.id, before=before, after=snapshot(user, USER_FIELDS),
           summary=f"{'reactivated' if active else 'deactivated'} user {user.username}")
    uow.commit()


def reset_password(uow: UnitOfWork, *, actor: Actor, user_id: int) -> str:
    """Set a random temporary password and return it, to be shown once to the administrator.

    Every session of the user ends, a wait or lockout on their username is lifted, and the temporary
    password only opens the "choose a new password" screen until they have chosen one."""
    ensure(actor, "user.manage")
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    uow.flush()
    end_sessions(uow.session, user.id)
    clear_failures(uow.session, user.username)
    # The hash itself is never written to the audit log.
    record(uow.session, actor, action="user.reset_password", entity="user", entity_id=user.id,
           summary=f"reset the password of {user.username} (every session ended; a new password is due at next sign-in)")
    uow.commit()
    return password


def directory(uow: UnitOfWork, *, actor: Actor) -> list[dict[str, Any]]:
    """Active people and their agencies, for choosing owners and attendees (no emails or roles)."""
    session = uow.session
    ensure(actor, "action.view")
    rows = session.execute(select(User.id, User.name, User.agency_id, Agency.code).join(Agency, Agency.id == User.agency_id)
                           .where(User.active.is_(True)).order_by(User.name))
    return [{"id": r.id, "name": r.name, "agency_id": r.agency_id, "agency": r.code} for r in rows]
