"""The partnership's vocabulary: roles, strands, tiers, statuses and grading schemes."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    CHAIR = "chair"
    COORDINATOR = "coordinator"
    ANALYST = "analyst"
    OFFICER = "officer"


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Administrator",
    Role.CHAIR: "Board chair",
    Role.COORDINATOR: "Visit coordinator",
    Role.ANALYST: "Intelligence analyst",
    Role.OFFICER: "Frontline officer",
}


class Strand(StrEnum):
    """The 4Ps of serious and organised crime plans."""

    PURSUE = "Pursue"
    PREVENT = "Prevent"
    PROTECT = "Protect"
    PREPARE = "Prepare"


TIERS: dict[int, str] = {
    1: "Full operational (multi-agency) response",
    2: "Limited response",
    3: "Develop further knowledge",
    4: "Monitoring",
    5: "No further action",
}


class ActionStatus(StrEnum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    COMPLETE = "complete"
    CANCELLED = "cancelled"


class ActionSource(StrEnum):
    LOCAL_PROFILE = "local profile recommendation"
    TASKING = "tasking decision"
    VISIT = "visit follow-up"
    OTHER = "other"


class VisitStatus(StrEnum):
    DRAFT = "draft"
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    DONE = "done"
    CANCELLED = "cancelled"


class Approach(StrEnum):
    ENFORCEMENT = "enforcement"
    SUPPORTIVE = "supportive compliance"
    MIXED = "mixed"


class Sharing(StrEnum):
    """How much of a dataset partners may see (set by the owning agency)."""

    FULL = "full"
    INTEREST = "interest-only"
    OWNER = "owner-only"


class Band(StrEnum):
    """The common risk band every agency scale maps to."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class GradingScheme(StrEnum):
    FIVE_BY_FIVE = "5x5x5"
    THREE_BY_FIVE = "3x5x2"


class RecipientStatus(StrEnum):
    """Where a referral stands with one receiving agency."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    DECIDED = "decided"


CLASSIFICATION = "OFFICIAL"
CLASSIFICATION_SENSITIVE = "OFFICIAL-SENSITIVE"
