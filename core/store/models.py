"""SQLAlchemy 2 models for the whole partnership domain.

Enumerated values are stored as short strings and validated in the services against
`core.domain`, so adding a value later needs no schema change on either database.
Datetimes are stored in UTC and always come back timezone-aware.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC; SQLite drops the zone, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


def fk(target: str, *, nullable: bool = False, ondelete: str | None = None) -> Any:
    return mapped_column(ForeignKey(target, ondelete=ondelete), nullable=nullable, index=True)


# --- partnership, agencies, people ------------------------------------------------------------


class Setting(Base):
    """Partnership-wide settings: name, area, grading scheme, feedback deadlines, demo flag."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Agency(Base):
    __tablename__ = "agencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(40), default="local")
    remit: Mapped[list[Any]] = mapped_column(default=list)
    contact_name: Mapped[str] = mapped_column(String(120), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    powers: Mapped[list[AgencyPower]] = relationship(back_populates="agency", cascade="all, delete-orphan")
    indicators: Mapped[list[Indicator]] = relationship(back_populates="agency", cascade="all, delete-orphan")


class AgencyPower(Base):
    """One power an agency holds, as data: what it allows, how entry is gained, under which statute."""

    __tablename__ = "agency_powers"
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = fk("agencies.id", ondelete="CASCADE")
    power: Mapped[str] = mapped_column(String(40))
    entry: Mapped[str | None] = mapped_column(String(30))
    notice_hours: Mapped[int | None] = mapped_column(Integer)
    premises_scope: Mapped[str] = mapped_column(String(200), default="")
    statute: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    agency: Mapped[Agency] = relationship(back_populates="powers")


class Indicator(Base):
    """A golden indicator other officers watch for on behalf of `agency`."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("agency_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = fk("agencies.id", ondelete="CASCADE")
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(200))
    issue: Mapped[str] = mapped_column(String(60), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    agency: Mapped[Agency] = relationship(back_populates="indicators")


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    agency_id: Mapped[int] = fk("agencies.id")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]
    feedback_seen_at: Mapped[datetime | None]
    # Carried in the sign-in cookie and checked on every run: raising it (sign-out, password change,
    # reset) ends every session and makes every copy of an older cookie worthless.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    # Set by a reset: the temporary password only opens the "choose a new password" screen.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)

    agency: Mapped[Agency] = relationship()


class SignInThrottle(Base):
    """Failed sign-ins in a row for one username as typed (lower-cased), known or not: an unknown
    username is throttled exactly like a real one, so a lockout tells nobody whether it exists."""

    __tablename__ = "sign_in_throttle"
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None]
    # No attempt is checked before this time (a short wait after a few failures, then a lockout).
    locked_until: Mapped[datetime | None]


# --- shared risk lists ------------------------------------------------------------------------


class Business(Base):
    """One business or premises: a cluster of agency records matched together."""

    __tablename__ = "businesses"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="", index=True)
    district: Mapped[str] = mapped_column(String(6), default="", index=True)
    sector: Mapped[str] = mapped_column(String(60), default="")
    # The site (building or plot) it is at, as the last matching run found it: businesses with the same key
    # share a building (the shop and the flats above it). "" before the first run that gave sites.
    site_key: Mapped[str] = mapped_column(String(16), default="", server_default="", index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    tasking_requested_at: Mapped[datetime | None]
    # A business that matching folded into another (its referrals, visits and actions follow it).
    merged_into_id: Mapped[int | None] = fk("businesses.id", nullable=True)
    # False once no current agency record belongs to it (kept: visits and referrals may point to it).
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    matched_at: Mapped[datetime | None]


class BusinessLink(Base):
    """Two businesses connected by a shared phone number or contact name (a possible network), not merged."""

    __tablename__ = "business_links"
    __table_args__ = (UniqueConstraint("business_a_id", "business_b_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    business_a_id: Mapped[int] = fk("businesses.id", ondelete="CASCADE")
    business_b_id: Mapped[int] = fk("businesses.id", ondelete="CASCADE")
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dataset(Base):
    """An agency's recurring export (e.g. 'Food hygiene register'), with its mapping and limits."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("agency_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = fk("agencies.id")
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    sharing: Mapped[str] = mapped_column(String(20), default="full")
    column_mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    risk_scale: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = fk("users.id", nullable=True)
    last_imported_at: Mapped[datetime | None]
    # After this many days without a new import the dataset is shown as stale.
    stale_after_days: Mapped[int] = mapped_column(Integer, default=90)
    # Bumped by every import and undo: an import names the version its preview was made from.
    version: Mapped[int] = mapped_column(Integer, default=0)
    # Who is importing now: committed before the import's own transaction (so others can be told at once),
    # cleared by it (or when it fails); a claim older than 30 minutes is a crashed import's and lapses.
    import_claim: Mapped[str | None] = mapped_column(String(40))
    importing_by_id: Mapped[int | None] = fk("users.id", nullable=True)
    importing_file: Mapped[str] = mapped_column(String(260), default="")
    importing_since: Mapped[datetime | None]

    agency: Mapped[Agency] = relationship()


class DatasetImport(Base):
    """One import of a dataset: the snapshot's history (who, when, counts, what changed)."""

    __tablename__ = "dataset_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = fk("datasets.id", ondelete="CASCADE")
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = fk("users.id", nullable=True)
    filename: Mapped[str] = mapped_column(String(260), default="")
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # "replace" (the file is the whole dataset) or "upsert" (add and update only).
    mode: Mapped[str] = mapped_column(String(10), default="replace")
    # The dataset's column mapping and last import time before this import: what undoing it puts back.
    previous: Mapped[dict[str, Any]] = mapped_column(default=dict)
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = fk("users.id", nullable=True)


class DatasetImportChange(Base):
    """A record one import touched and its values before: undoing the import puts them back.

    kind: "added" (a new record), "returned" (a record not current until this import), "changed", "removed"
    (stopped being current). `before` holds the stored fields and import id for "returned" and "changed".
    """

    __tablename__ = "dataset_import_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = fk("dataset_imports.id", ondelete="CASCADE")
    record_id: Mapped[int] = fk("agency_records.id", ondelete="CASCADE")
    kind: Mapped[str] = mapped_column(String(10))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AgencyRecord(Base):
    """One row of an agency's dataset: its own view of a business."""

    __tablename__ = "agency_records"
    __table_args__ = (Index("ix_agency_records_dataset_current", "dataset_id", "current"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = fk("datasets.id", ondelete="CASCADE")
    import_id: Mapped[int | None] = fk("dataset_imports.id", nullable=True, ondelete="CASCADE")
    agency_id: Mapped[int] = fk("agencies.id")
    business_id: Mapped[int | None] = fk("businesses.id", nullable=True)
    reference: Mapped[str] = mapped_column(String(80))
    trading_name: Mapped[str] = mapped_column(String(200), default="")
    company_name: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(12), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    contact: Mapped[str] = mapped_column(String(120), default="")
    sector: Mapped[str] = mapped_column(String(60), default="")
    risk_value: Mapped[str] = mapped_column(String(40), default="")
    risk_band: Mapped[str | None] = mapped_column(String(10))
    last_contact: Mapped[date | None] = mapped_column(Date)
    match_score: Mapped[int | None] = mapped_column(Integer)
    current: Mapped[bool] = mapped_column(Boolean, default=True)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)


class MatchDecision(Base):
    """A person's decision on whether two agency records are the same business.

    Keyed on (dataset, reference) rather than row ids so it survives re-imports.
    """

    __tablename__ = "match_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    a_dataset_id: Mapped[int] = fk("datasets.id", ondelete="CASCADE")
    a_reference: Mapped[str] = mapped_column(String(80))
    b_dataset_id: Mapped[int] = fk("datasets.id", ondelete="CASCADE")
    b_reference: Mapped[str] = mapped_column(String(80))
    decision: Mapped[str] = mapped_column(String(12))
    decided_by_id: Mapped[int | None] = fk("users.id", nullable=True)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)   # the matcher's, for a reviewed pair


class MatchReview(Base):
    """A pair of agency records the matcher was unsure about, waiting for a person's decision."""

    __tablename__ = "match_reviews"
    __table_args__ = (UniqueConstraint("a_dataset_id", "a_reference", "b_dataset_id", "b_reference"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    a_dataset_id: Mapped[int] = fk("datasets.id", ondelete="CASCADE")
    a_reference: Mapped[str] = mapped_column(String(80))
    b_dataset_id: Mapped[int] = fk("datasets.id", ondelete="CASCADE")
    b_reference: Mapped[str] = mapped_column(String(80))
    score: Mapped[int] = mapped_column(Integer, default=0)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskingRequest(Base):
    """A business or referral sent to the next tasking meeting; the meeting records a tier."""

    __tablename__ = "tasking_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int | None] = fk("businesses.id", nullable=True)
    referral_id: Mapped[int | None] = fk("referrals.id", nullable=True)
    requested_by_id: Mapped[int | None] = fk("users.id", nullable=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    meeting_id: Mapped[int | None] = fk("meetings.id", nullable=True)
    tier: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="open")


# --- joint visits -----------------------------------------------------------------------------


class WarningMarker(Base):
    """Officer-safety marker on a premises or a person."""

    __tablename__ = "warning_markers"
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int | None] = fk("businesses.id", nullable=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    category: Mapped[str] = mapped_column(String(20))
    details: Mapped[str] = mapped_column(Text, default="")
    agency_id: Mapped[int] = fk("agencies.id")
    created_by_id: Mapped[int | None] = fk("users.id", nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Operation(Base):
    """A week of action: many premises visited over a few days."""

    __tablename__ = "operations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    coordinator_id: Mapped[int | None] = fk("users.id", nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Visit(Base):
    __tablename__ = "visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int | None] = fk("businesses.id", nullable=True)
    premises_text: Mapped[str] = mapped_column(String(300), default="")
    operation_id: Mapped[int | None] = fk("operations.id", nullable=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    lead_agency_id: Mapped[int | None] = fk("agencies.id", nullable=True)
    entry_route: Mapped[str] = mapped_column(Text, default="")
    approach: Mapped[str] = mapped_column(String(30), default="enforcement")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    briefing: Mapped[str] = mapped_column(Text, default="")
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    overrides: Mapped[list[Any]] = mapped_column(default=list)
    created_by_id: Mapped[int | None] = fk("users.id", nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    agencies: Mapped[list[VisitAgency]] = relationship(back_populates="visit", cascade="all, delete-orphan")
    __mapper_args__ = {"version_id_col": version}


class VisitAgency(Base):
    """An agency's part in a visit: officers, objectives, its answer and its outcome."""

    __tablename__ = "visit_agencies"
    __table_args__ = (UniqueConstraint("visit_id", "agency_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = fk("visits.id", ondelete="CASCADE")
    agency_id: Mapped[int] = fk("agencies.id")
    officers: Mapped[int] = mapped_column(Integer, default=1)
    objectives: Mapped[str] = mapped_column(Text, default="")
    response: Mapped[str] = mapped_column(String(12), default="pending")
    responded_by_id: Mapped[int | None] = fk("users.id", nullable=True)
    responded_at: Mapped[datetime | None]
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    outcome_recorded_at: Mapped[datetime | None]
    # Saves of the outcome so far (0: none yet). Each save names the version it started from; the second of two
    # people saving at once is told who saved (`outcome_by_id`) and what, instead of overwriting it.
    outcome_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    outcome_by_id: Mapped[int | None] = fk("users.id", nullable=True)

    visit: Mapped[Visit] = relationship(back_populates="agencies")


class VisitOfficer(Base):
    """A named officer on a visit, for double-booking checks and personal calendars."""

    __tablename__ = "visit_officers"
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


# --- boards, meetings, actions ----------------------------------------------------------------


class Board(Base):
    __tablename__ = "boards"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="board")
    description: Mapped[str] = mapped_column(Text, default="")
    chair_id: Mapped[int | None] = fk("users.id", nullable=True)
    deputy_id: Mapped[int | None] = fk("users.id", nullable=True)  # runs the board's meetings when the chair cannot
    quorum: Mapped[int] = mapped_column(Integer, default=3)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class BoardMember(Base):
    __tablename__ = "board_members"
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class Meeting(Base):
    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = fk("boards.id")
    scheduled_at: Mapped[datetime] = mapped_column(index=True)
    location: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(12), default="planned")
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    current_position: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}


class MeetingAttendee(Base):
    __tablename__ = "meeting_attendees"
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    present: Mapped[bool] = mapped_column(Boolean, default=True)


class AgendaItem(Base):
    __tablename__ = "agenda_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = fk("meetings.id", ondelete="CASCADE")
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    action_id: Mapped[int | None] = fk("actions.id", nullable=True)
    business_id: Mapped[int | None] = fk("businesses.id", nullable=True)
    referral_id: Mapped[int | None] = fk("referrals.id", nullable=True)
    visit_id: Mapped[int | None] = fk("visits.id", nullable=True)
    tasking_request_id: Mapped[int | None] = fk("tasking_requests.id", nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str] = mapped_column(Text, default="")
    tier: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    carried_from_id: Mapped[int | None] = fk("agenda_items.id", nullable=True)


class Action(Base):
    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = fk("users.id", nullable=True)
    agency_id: Mapped[int] = fk("agencies.id")
    board_id: Mapped[int | None] = fk("boards.id", nullable=True)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    priority: Mapped[str] = mapped_column(String(10), default="medium")
    strand: Mapped[str] = mapped_column(String(10))
    tier: Mapped[int] = mapped_column(Integer, default=3)
    source: Mapped[str] = mapped_column(String(40), default="other")
    status: Mapped[str] = mapped_column(String(20), default="not started")
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = fk("users.id", nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="Milestone.due_on"
    )
    __mapper_args__ = {"version_id_col": version}


class ActionAgency(Base):
    """A supporting agency on an action."""

    __tablename__ = "action_agencies"
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)


class ActionLink(Base):
    """Links an action to a business, visit or referral."""

    __tablename__ = "action_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = fk("actions.id", ondelete="CASCADE")
    business_id: Mapped[int | None] = fk("businesses.id", nullable=True)
    visit_id: Mapped[int | None] = fk("visits.id", nullable=True)
    referral_id: Mapped[int | None] = fk("referrals.id", nullable=True)


class Milestone(Base):
    __tablename__ = "milestones"
    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = fk("actions.id", ondelete="CASCADE")
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    completed_on: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = fk("users.id", nullable=True)

    action: Mapped[Action] = relationship(back_populates="milestones")


class ActionUpdate(Base):
    """A dated progress update on an action, with the fields it changed."""

    __tablename__ = "action_updates"
    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = fk("actions.id", ondelete="CASCADE")
    author_id: Mapped[int | None] = fk("users.id", nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)


# --- intelligence referrals -------------------------------------------------------------------


class Referral(Base):
    __tablename__ = "referrals"
    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = fk("users.id")
    sender_agency_id: Mapped[int] = fk("agencies.id")
    subject_type: Mapped[str] = mapped_column(String(20), default="business")
    subject: Mapped[str] = mapped_column(String(300))
    business_id: Mapped[int | None] = fk("businesses.id", nullable=True)
    observed_at: Mapped[datetime | None]
    place: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    scheme: Mapped[str] = mapped_column(String(8), default="5x5x5")
    source_grade: Mapped[str | None] = mapped_column(String(2))
    intel_grade: Mapped[str | None] = mapped_column(String(2))
    handling_code: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(10), default="draft")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(index=True)

    recipients: Mapped[list[ReferralRecipient]] = relationship(
        back_populates="referral", cascade="all, delete-orphan"
    )


class ReferralIndicator(Base):
    __tablename__ = "referral_indicators"
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"), primary_key=True)


class ReferralRecipient(Base):
    """A referral as one receiving agency handles it: triage, decision, feedback deadlines."""

    __tablename__ = "referral_recipients"
    __table_args__ = (UniqueConstraint("referral_id", "agency_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = fk("referrals.id", ondelete="CASCADE")
    agency_id: Mapped[int] = fk("agencies.id")
    status: Mapped[str] = mapped_column(String(14), default="new")
    acknowledge_by: Mapped[date | None] = mapped_column(Date)
    feedback_by: Mapped[date | None] = mapped_column(Date, index=True)
    acknowledged_at: Mapped[datetime | None]
    assigned_to_id: Mapped[int | None] = fk("users.id", nullable=True)
    decision: Mapped[str | None] = mapped_column(String(30))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None]
    action_id: Mapped[int | None] = fk("actions.id", nullable=True)
    visit_id: Mapped[int | None] = fk("visits.id", nullable=True)

    referral: Mapped[Referral] = relationship(back_populates="recipients")


class Feedback(Base):
    """What the receiving agency tells the sender: was it useful, what happened."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    # One feedback per receiving agency's referral (more is said in messages).
    recipient_id: Mapped[int] = mapped_column(ForeignKey("referral_recipients.id", ondelete="CASCADE"), index=True, unique=True)
    author_id: Mapped[int | None] = fk("users.id", nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    usefulness: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(40), default="")
    comments: Mapped[str] = mapped_column(Text, default="")
    improve: Mapped[str] = mapped_column(Text, default="")


class ReferralMessage(Base):
    """A reply or added information on a referral, from the sender or a recipient."""

    __tablename__ = "referral_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = fk("referrals.id", ondelete="CASCADE")
    author_id: Mapped[int | None] = fk("users.id", nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[str] = mapped_column(Text)


# --- audit ------------------------------------------------------------------------------------


class AuditEvent(Base):
    """Append-only: database triggers refuse UPDATE and DELETE, and an INSERT that does not follow the last row.

    Each row carries its predecessor's hash and its own (`core/store/chain.py`); ids are given in order there.
    """

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_username: Mapped[str] = mapped_column(String(60), default="")
    actor_agency_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity: Mapped[str] = mapped_column(String(40), index=True)
    entity_id: Mapped[str] = mapped_column(String(40), default="")
    summary: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
