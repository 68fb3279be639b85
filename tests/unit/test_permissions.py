"""Role x action x own-agency/other-agency: the permission table, case by case."""
from __future__ import annotations

import pytest

from core.domain import Role
from core.errors import Forbidden
from core.permissions import RULES, Actor, allowed, ensure, roles_for

OWN_AGENCY, OTHER_AGENCY = 1, 2
ME, SOMEONE_ELSE = 10, 11
ACTORS = {role: Actor(ME, role.value, role.value.title(), role, OWN_AGENCY, "Own agency") for role in Role}

# (action, role, resource) -> expected. resource: "own" agency/self, "other" agency/person, None.
CASES = [
    # administration: admins only, any agency
    ("user.manage", Role.ADMIN, "other", True),
    ("user.manage", Role.CHAIR, "own", False),
    ("user.manage", Role.COORDINATOR, "own", False),
    ("user.manage", Role.ANALYST, "own", False),
    ("user.manage", Role.OFFICER, "own", False),
    ("agency.manage", Role.ADMIN, "other", True),
    ("agency.manage", Role.CHAIR, "other", False),
    ("agency.manage", Role.OFFICER, "own", False),
    ("settings.manage", Role.ADMIN, None, True),
    *[("settings.manage", role, None, False) for role in (Role.CHAIR, Role.COORDINATOR, Role.ANALYST, Role.OFFICER)],
    # the audit log: administrators and chairs
    ("audit.view", Role.ADMIN, None, True),
    ("audit.view", Role.CHAIR, None, True),
    ("audit.view", Role.COORDINATOR, None, False),
    ("audit.view", Role.ANALYST, None, False),
    ("audit.view", Role.OFFICER, None, False),
    # own account only
    *[("account.change_password", role, "own", True) for role in Role],
    *[("account.change_password", role, "other", False) for role in Role],
    *[("attention.view", role, "other", False) for role in Role],
    # partnership-wide overviews
    *[("action.view", role, "other", True) for role in Role],
    *[("agency.view", role, "other", True) for role in Role],
    *[("visit.view", role, "other", True) for role in Role],
    ("action.create", Role.ADMIN, "other", True),
    ("action.create", Role.CHAIR, "other", True),
    ("action.create", Role.COORDINATOR, "own", True),
    ("action.create", Role.COORDINATOR, "other", False),
    ("action.create", Role.ANALYST, "own", True),
    ("action.create", Role.ANALYST, "other", False),
    ("action.create", Role.OFFICER, "own", False),
    ("action.update", Role.CHAIR, "other", True),
    ("action.update", Role.ADMIN, "other", True),
    ("action.update", Role.COORDINATOR, "own", True),
    ("action.update", Role.COORDINATOR, "other", False),
    ("action.update", Role.ANALYST, "other", False),
    ("action.update", Role.OFFICER, "own", True),
    ("action.update", Role.OFFICER, "other", False),
    *[("meeting.view", role, "other", True) for role in Role],
    # a meeting is run by its board's chair or deputy, whatever their role ("own": the actor chairs it)
    ("meeting.run", Role.ADMIN, "other", True),
    # what a meeting agreed: recorded by whoever runs it, for any agency
    ("action.agree", Role.ADMIN, "other", True),
    *[("action.agree", role, "own", True) for role in (Role.CHAIR, Role.COORDINATOR, Role.ANALYST, Role.OFFICER)],
    *[("action.agree", role, "other", False) for role in (Role.CHAIR, Role.COORDINATOR, Role.ANALYST, Role.OFFICER)],
    *[("meeting.run", role, "own", True) for role in (Role.CHAIR, Role.COORDINATOR, Role.ANALYST, Role.OFFICER)],
    *[("meeting.run", role, "other", False) for role in (Role.CHAIR, Role.COORDINATOR, Role.ANALYST, Role.OFFICER)],
    *[("meeting.run", role, None, False) for role in (Role.CHAIR, Role.COORDINATOR, Role.ANALYST, Role.OFFICER)],
    *[("board.manage", role, "other", True) for role in (Role.ADMIN, Role.CHAIR)],
    *[("board.manage", role, "own", False) for role in (Role.COORDINATOR, Role.ANALYST, Role.OFFICER)],
    ("meeting.contribute", Role.CHAIR, "other", True),
    *[("meeting.contribute", role, "own", True) for role in (Role.COORDINATOR, Role.ANALYST, Role.OFFICER)],
    *[("meeting.contribute", role, "other", False) for role in (Role.COORDINATOR, Role.ANALYST, Role.OFFICER)],
    ("referral.view_counts", Role.CHAIR, "other", True),
    ("referral.view_counts", Role.ADMIN, "other", True),
    ("referral.view_counts", Role.ANALYST, "own", True),
    ("referral.view_counts", Role.ANALYST, "other", False),
    ("referral.view_counts", Role.COORDINATOR, "own", False),
    ("referral.view_counts", Role.OFFICER, "own", False),
    # sterile wall: senders see their own referrals; analysts their own agency's inbox only
    ("referral.view_own", Role.OFFICER, "own", True),
    ("referral.view_own", Role.OFFICER, "other", False),
    ("referral.view_own", Role.ANALYST, "other", False),
    ("referral.view_own", Role.CHAIR, "own", False),
    ("referral.view_own", Role.ADMIN, "own", False),
    ("referral.view_inbox", Role.ANALYST, "own", True),
    ("referral.view_inbox", Role.ANALYST, "other", False),
    ("referral.view_inbox", Role.CHAIR, "own", False),
    ("referral.view_inbox", Role.ADMIN, "own", False),
    ("referral.view_inbox", Role.OFFICER, "own", False),
    ("referral.view_inbox", Role.COORDINATOR, "own", False),
    *[("referral.submit", role, "own", True) for role in (Role.COORDINATOR, Role.ANALYST, Role.OFFICER)],
    *[("referral.submit", role, "own", False) for role in (Role.CHAIR, Role.ADMIN)],
    ("referral.submit", Role.OFFICER, "other", False),
    *[(action, Role.ANALYST, "own", True) for action in ("referral.triage", "referral.feedback")],
    *[(action, Role.ANALYST, "other", False) for action in ("referral.triage", "referral.feedback")],
    *[(action, role, "own", False) for action in ("referral.triage", "referral.feedback")
      for role in (Role.ADMIN, Role.CHAIR, Role.COORDINATOR, Role.OFFICER)],
    # datasets belong to their agency's analysts; nobody else (not even an admin) changes a sharing limit
    ("dataset.manage", Role.ANALYST, "own", True),
    ("dataset.manage", Role.ANALYST, "other", False),
    *[("dataset.manage", role, "own", False) for role in (Role.ADMIN, Role.CHAIR, Role.COORDINATOR, Role.OFFICER)],
    *[("risklist.view", role, "other", True) for role in (Role.ADMIN, Role.CHAIR, Role.COORDINATOR, Role.ANALYST)],
    ("risklist.view", Role.OFFICER, "own", False),
    *[("risklist.export", role, "other", True) for role in (Role.CHAIR, Role.COORDINATOR, Role.ANALYST)],
    *[("risklist.export", role, "own", False) for role in (Role.ADMIN, Role.OFFICER)],
    ("match.review", Role.ANALYST, "own", True),
    ("match.review", Role.ANALYST, "other", False),
    *[("match.review", role, "own", False) for role in (Role.ADMIN, Role.CHAIR, Role.COORDINATOR, Role.OFFICER)],
    *[("tasking.request", role, "other", True) for role in (Role.CHAIR, Role.COORDINATOR, Role.ANALYST)],
    *[("tasking.request", role, "own", False) for role in (Role.ADMIN, Role.OFFICER)],
    # the catalogue of powers: admins for any agency, each agency's leads for its own entry
    ("catalogue.edit", Role.ADMIN, "other", True),
    *[("catalogue.edit", role, "own", True) for role in (Role.CHAIR, Role.COORDINATOR, Role.ANALYST)],
    *[("catalogue.edit", role, "other", False) for role in (Role.CHAIR, Role.COORDINATOR, Role.ANALYST)],
    ("catalogue.edit", Role.OFFICER, "own", False),
    *[("visit.plan", role, "other", True) for role in (Role.ADMIN, Role.CHAIR, Role.COORDINATOR)],
    *[("visit.plan", role, "own", False) for role in (Role.ANALYST, Role.OFFICER)],
    *[("visit.respond", role, "own", True) for role in (Role.CHAIR, Role.COORDINATOR, Role.ANALYST)],
    *[("visit.respond", role, "other", False) for role in (Role.CHAIR, Role.COORDINATOR, Role.ANALYST)],
    *[("visit.respond", role, "own", False) for role in (Role.ADMIN, Role.OFFICER)],
    *[("visit.outcome", role, "own", True) for role in (Role.COORDINATOR, Role.ANALYST, Role.OFFICER)],
    *[("visit.outcome", role, "other", False) for role in (Role.COORDINATOR, Role.ANALYST, Role.OFFICER)],
    *[("visit.outcome", role, "own", False) for role in (Role.ADMIN, Role.CHAIR)],
    *[("marker.view", role, "other", True) for role in (Role.CHAIR, Role.COORDINATOR, Role.ANALYST, Role.OFFICER)],
    ("marker.view", Role.ADMIN, "own", False),
    *[("marker.manage", role, "own", True) for role in (Role.COORDINATOR, Role.ANALYST)],
    *[("marker.manage", role, "other", False) for role in (Role.COORDINATOR, Role.ANALYST)],
    *[("marker.manage", role, "own", False) for role in (Role.ADMIN, Role.CHAIR, Role.OFFICER)],
]


def _resource(action: str, resource: str | None) -> dict:
    if resource is None:
        return {}
    own = resource == "own"
    if action == "action.update":  # an action has both an owning agency and an owner
        return {"agency_id": OWN_AGENCY if own else OTHER_AGENCY, "owner_id": ME if own else SOMEONE_ELSE}
    if action in ("meeting.run", "action.agree"):  # a board's chair and deputy
        return {"chairs": {ME, None} if own else {SOMEONE_ELSE, None}}
    if action in ("account.change_password", "attention.view", "referral.view_own", "meeting.contribute", "referral.submit"):
        return {"owner_id": ME if resource == "own" else SOMEONE_ELSE}
    return {"agency_id": OWN_AGENCY if resource == "own" else OTHER_AGENCY}


@pytest.mark.parametrize(("action", "role", "resource", "expected"), CASES, ids=lambda v: str(getattr(v, "value", v)))
def test_permission_table(action: str, role: Role, resource: str | None, expected: bool) -> None:
    actor = ACTORS[role]
    kwargs = _resource(action, resource)
    assert allowed(actor, action, **kwargs) is expected
    if expected:
        ensure(actor, action, **kwargs)
    else:
        with pytest.raises(Forbidden):
            ensure(actor, action, **kwargs)


def test_every_rule_is_covered_by_the_table() -> None:
    covered = {case[0] for case in CASES}
    assert covered == set(RULES), f"add table cases for: {set(RULES) - covered}"


def test_signed_out_may_do_nothing() -> None:
    for action in RULES:
        assert allowed(None, action) is False
    with pytest.raises(Forbidden, match="Sign in"):
        ensure(None, "audit.view")


def test_own_agency_scope_accepts_any_of_several_agencies() -> None:
    analyst = ACTORS[Role.ANALYST]
    assert allowed(analyst, "referral.view_inbox", agency_id=[OTHER_AGENCY, OWN_AGENCY])
    assert not allowed(analyst, "referral.view_inbox", agency_id=[OTHER_AGENCY, 3])


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(KeyError, match="unknown permission action"):
        allowed(ACTORS[Role.ADMIN], "user.manag")


def test_messages_say_what_is_needed() -> None:
    with pytest.raises(Forbidden, match="frontline officer may not read the audit log; this needs: administrator, board chair"):
        ensure(ACTORS[Role.OFFICER], "audit.view")
    with pytest.raises(Forbidden, match="only for your own agency"):
        ensure(ACTORS[Role.ANALYST], "referral.view_inbox", agency_id=OTHER_AGENCY)


def test_roles_for_lists_roles_with_any_scope() -> None:
    assert roles_for("audit.view") == {Role.ADMIN, Role.CHAIR}
    assert roles_for("user.manage") == {Role.ADMIN}
