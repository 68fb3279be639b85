"""Who may do what: one table, one `allowed` (to decide what to show), one `ensure` (to enforce).

Every service calls `ensure` before it reads or writes; pages call `allowed` only to decide
what to offer. A rule's scope says which resources it covers:
ANY (anything in the partnership), OWN_AGENCY (resources of the actor's agency),
SELF (the actor's own record) or CHAIRED (a board the actor chairs or deputises for).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from core.domain import ROLE_LABELS, Role
from core.errors import Forbidden


@dataclass(frozen=True)
class Actor:
    """The signed-in person, as loaded from the store on every request (never from the cookie)."""

    id: int
    username: str
    name: str
    role: Role
    agency_id: int
    agency_name: str = ""


class Scope(Enum):
    ANY = "any"
    OWN_AGENCY = "own agency"
    SELF = "self"
    CHAIRED = "a board this person chairs or deputises for"


A, C, K, N, O = Role.ADMIN, Role.CHAIR, Role.COORDINATOR, Role.ANALYST, Role.OFFICER
ANY, OWN, SELF, CHAIRED = Scope.ANY, Scope.OWN_AGENCY, Scope.SELF, Scope.CHAIRED
EVERYONE = (A, C, K, N, O)


def _all(scope: Scope) -> dict[Role, Scope]:
    return {role: scope for role in EVERYONE}


# action -> (what it means, in words for error messages; which roles may, with what scope)
RULES: dict[str, tuple[str, dict[Role, Scope]]] = {
    "agency.manage": ("create or change agencies", {A: ANY}),
    "user.manage": ("create, deactivate or change users", {A: ANY}),
    "audit.view": ("read the audit log", {A: ANY, C: ANY}),
    "settings.manage": ("change the partnership's settings", {A: ANY}),
    "agency.view": ("see the partnership's agencies and the issues they cover", _all(ANY)),
    "account.change_password": ("change this account's password", _all(SELF)),
    "attention.view": ("see what needs this person's attention", _all(SELF)),
    # Partnership-wide overviews: counts and statuses, never intelligence content.
    "action.view": ("see the partnership's actions", _all(ANY)),
    "action.create": ("create actions", {A: ANY, C: ANY, K: OWN, N: OWN}),
    # What a meeting agrees (a new action on an item, a tier 1-3) is recorded by whoever runs it, for any agency.
    "action.agree": ("record an action the meeting agreed", {A: ANY, C: CHAIRED, K: CHAIRED, N: CHAIRED, O: CHAIRED}),
    # Owners (any role) update their own actions; leads update their agency's or those it supports.
    "action.update": ("update that action", {A: ANY, C: ANY, K: OWN, N: OWN, O: SELF}),
    "visit.view": ("see the shared calendar of visits", _all(ANY)),
    "meeting.view": ("see boards, meetings and agendas", _all(ANY)),
    # A meeting is run by its board's chair or deputy, whatever their role (a coordinator chairs tasking).
    "meeting.run": ("run a meeting (agenda, attendance, tiers, closing)", {A: ANY, C: CHAIRED, K: CHAIRED, N: CHAIRED, O: CHAIRED}),
    "board.manage": ("set a board's members, chair and deputy", {A: ANY, C: ANY}),
    # Board members record notes, decisions and new actions in their board's meetings.
    "meeting.contribute": ("record in this meeting (board members only)", {A: ANY, C: ANY, K: SELF, N: SELF, O: SELF}),
    "referral.view_counts": ("see referral counts and outcomes", {A: ANY, C: ANY, N: OWN}),
    # The sterile wall: an officer sees their own referrals; an analyst their agency's inbox.
    "referral.view_own": ("see referrals this person sent", {K: SELF, N: SELF, O: SELF}),
    "referral.view_inbox": ("see an agency's referral inbox", {N: OWN}),
    "referral.submit": ("submit intelligence referrals", {K: SELF, N: SELF, O: SELF}),
    "referral.triage": ("triage that agency's referrals", {N: OWN}),
    "referral.feedback": ("give feedback on that agency's referrals", {N: OWN}),
    # Shared risk lists. Each agency's analysts own its datasets (import, mapping, risk scale, sharing limit).
    "dataset.manage": ("import, map and set the sharing and risk scale of that agency's datasets", {N: OWN}),
    "risklist.view": ("see the shared risk list", {A: ANY, C: ANY, K: ANY, N: ANY}),
    "risklist.export": ("export the shared risk list", {C: ANY, K: ANY, N: ANY}),
    # A pair of records is reviewed by an analyst of an agency that holds one of them.
    "match.review": ("decide whether records of that agency match, or split and merge its businesses", {N: OWN}),
    "tasking.request": ("send businesses to the next tasking meeting", {C: ANY, K: ANY, N: ANY}),
    # Joint visits.
    "catalogue.edit": ("change that agency's remit, powers, indicators and contact", {A: ANY, C: OWN, K: OWN, N: OWN}),
    "visit.plan": ("plan, change and cancel joint visits and weeks of action", {A: ANY, C: ANY, K: ANY}),
    "visit.respond": ("confirm or decline that agency's part in a visit", {C: OWN, K: OWN, N: OWN}),
    "visit.outcome": ("record that agency's outcome of a visit", {K: OWN, N: OWN, O: OWN}),
    "marker.view": ("see officer-safety warning markers", {C: ANY, K: ANY, N: ANY, O: ANY}),
    "marker.manage": ("add or retire that agency's warning markers", {K: OWN, N: OWN}),
}


def _rule(action: str) -> tuple[str, dict[Role, Scope]]:
    try:
        return RULES[action]
    except KeyError:
        raise KeyError(f"unknown permission action {action!r}; add it to core.permissions.RULES") from None


def allowed(
    actor: Actor | None,
    action: str,
    *,
    agency_id: int | Iterable[int] | None = None,
    owner_id: int | None = None,
    chairs: Iterable[int | None] | None = None,
) -> bool:
    """True when `actor` may do `action` on a resource of `agency_id` / owned by `owner_id`.

    `agency_id` may be several agencies (e.g. an action's owning and supporting agencies):
    OWN_AGENCY is met when the actor's agency is any of them. With no resource given,
    OWN_AGENCY and SELF mean "on the actor's own" and are allowed. CHAIRED needs the board's
    `chairs` (its chair's and deputy's user ids) and is refused without them.
    """
    _, by_role = _rule(action)
    if actor is None:
        return False
    scope = by_role.get(actor.role)
    if scope is None:
        return False
    if scope is Scope.ANY:
        return True
    if scope is Scope.CHAIRED:
        return chairs is not None and actor.id in set(chairs)
    if scope is Scope.OWN_AGENCY:
        if agency_id is None:
            return True
        ids = {agency_id} if isinstance(agency_id, int) else set(agency_id)
        return actor.agency_id in ids
    if owner_id is None:
        return True
    return owner_id == actor.id


def ensure(
    actor: Actor | None,
    action: str,
    *,
    agency_id: int | Iterable[int] | None = None,
    owner_id: int | None = None,
    chairs: Iterable[int | None] | None = None,
) -> None:
    """Raise `Forbidden` with a message a person can act on unless `allowed(...)`."""
    if allowed(actor, action, agency_id=agency_id, owner_id=owner_id, chairs=chairs):
        return
    words, by_role = _rule(action)
    if actor is None:
        raise Forbidden(f"Sign in to {words}.")
    scope = by_role.get(actor.role)
    who = ROLE_LABELS[actor.role]
    if scope is None:
        roles = ", ".join(ROLE_LABELS[r].lower() for r in by_role) or "nobody"
        raise Forbidden(f"A {who.lower()} may not {words}; this needs: {roles}.")
    if scope is Scope.CHAIRED:
        raise Forbidden(f"Only the board's chair or deputy may {words}; an administrator or a board chair names them under Meetings.")
    if scope is Scope.OWN_AGENCY:
        raise Forbidden(f"You may {words} only for your own agency ({actor.agency_name or 'yours'}).")
    raise Forbidden(f"You may {words} only for yourself.")


def roles_for(action: str) -> set[Role]:
    """The roles that may do `action` in some scope (used to register pages per role)."""
    return set(_rule(action)[1])
