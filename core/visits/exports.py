"""Visits leaving the hub: an iCalendar feed per agency or person, and a printable briefing sheet.

The calendar carries what an officer's diary needs and nothing more: premises, times, team and lead
(never reasons, briefing notes or warning markers). Draft visits are not in it: nobody has been asked yet.
The briefing sheet is OFFICIAL-SENSITIVE on every page; warning markers and the briefing notes (which
may repeat them) are printed only for people who may see markers.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain import CLASSIFICATION_SENSITIVE, VisitStatus
from core.errors import NotFound
from core.minutes import DEMO_MARK, marked_pdf
from core.permissions import Actor, allowed, ensure
from core.services.partnership import settings
from core.services.visits import markers_for
from core.store.uow import UnitOfWork
from core.store.models import Agency, Operation, User, Visit, VisitAgency, VisitOfficer
from core.visibility import ensure_visit, visit_premises

PRODID = "-//Partnership Hub//Joint visits//EN"
UID_DOMAIN = "partnership-hub"
ICS_STATUS = {VisitStatus.PROPOSED: "TENTATIVE", VisitStatus.CONFIRMED: "CONFIRMED", VisitStatus.DONE: "CONFIRMED",
              VisitStatus.CANCELLED: "CANCELLED"}

# --- iCalendar (RFC 5545), pure --------------------------------------------------------------


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    stamp: datetime
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str
    description: str
    status: str  # TENTATIVE / CONFIRMED / CANCELLED
    sequence: int = 0


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, every line break as \\n."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str, limit: int = 75) -> str:
    """Fold a content line into pieces of at most `limit` octets, never splitting a UTF-8 character."""
    out, current, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append(current)
            current, size = " ", 1  # a continuation line starts with one space, which counts
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def utc_stamp(dt: datetime) -> str:
    if dt.tzinfo is None:
        raise ValueError("naive datetime given to the calendar; use timezone-aware UTC")
    return dt.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def to_ics(events: Iterable[CalendarEvent], *, name: str) -> str:
    """A VCALENDAR with one VEVENT per event: CRLF line ends, lines folded at 75 octets, times in UTC."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{escape_text(name)}"]
    for e in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{e.uid}",
            f"DTSTAMP:{utc_stamp(e.stamp)}",
            f"DTSTART:{utc_stamp(e.starts_at)}",
            f"DTEND:{utc_stamp(e.ends_at)}",
            f"SEQUENCE:{e.sequence}",
            f"STATUS:{e.status}",
            f"SUMMARY:{escape_text(e.summary)}",
            f"LOCATION:{escape_text(e.location)}",
            f"DESCRIPTION:{escape_text(e.description)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


# --- visit facts shared by the calendar and the briefing ----------------------------------------


@dataclass(frozen=True)
class TeamMember:
    agency: str
    officers: int
    objectives: str
    response: str
    contact_name: str
    contact_email: str
    contact_phone: str


def _visit(s: Session, visit_id: int) -> Visit:
    visit = s.get(Visit, visit_id)
    if visit is None:
        raise NotFound(f"Visit {visit_id} no longer exists.")
    return visit


def _team(s: Session, visit_ids: Sequence[int]) -> dict[int, list[TeamMember]]:
    """The agencies on each visit, lead first is left to the caller; declined agencies are not on the team."""
    rows = s.execute(
        select(VisitAgency, Agency).join(Agency, Agency.id == VisitAgency.agency_id)
        .where(VisitAgency.visit_id.in_(visit_ids), VisitAgency.response != "declined").order_by(Agency.name)
    )
    out: dict[int, list[TeamMember]] = {v: [] for v in visit_ids}
    for va, agency in rows:
        out[va.visit_id].append(TeamMember(agency.name, va.officers, va.objectives, va.response, agency.contact_name,
                                           agency.contact_email, agency.contact_phone))
    return out


def _officers(s: Session, visit_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    rows = s.execute(
        select(VisitOfficer.visit_id, User.name, Agency.name).join(User, User.id == VisitOfficer.user_id)
        .join(Agency, Agency.id == User.agency_id).where(VisitOfficer.visit_id.in_(visit_ids)).order_by(User.name)
    )
    out: dict[int, list[tuple[str, str]]] = {v: [] for v in visit_ids}
    for vid, name, agency in rows:
        out[vid].append((name, agency))
    return out


def _agency_names(s: Session) -> dict[int, str]:
    return dict(s.execute(select(Agency.id, Agency.name)).all())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- calendar feeds ----------------------------------------------------------------------------


def _events(s: Session, actor: Actor, visits: Sequence[Visit]) -> list[CalendarEvent]:
    ids = [v.id for v in visits]
    teams, officers, names = _team(s, ids), _officers(s, ids), _agency_names(s)
    shown = visit_premises(s, actor, visits)
    events = []
    for v in visits:
        premises = shown[v.id]
        lead = names.get(v.lead_agency_id or 0, "not chosen")
        team = "; ".join(f"{m.agency} ({_plural(m.officers, 'officer')})" for m in teams[v.id]) or "none yet"
        people = "; ".join(f"{n} ({a})" for n, a in officers[v.id]) or "none named yet"
        description = f"Lead: {lead}\nTeam: {team}\nOfficers: {people}\nApproach: {v.approach}\nStatus: {v.status}"
        events.append(CalendarEvent(
            uid=f"visit-{v.id}@{UID_DOMAIN}", stamp=v.updated_at, starts_at=v.starts_at, ends_at=v.ends_at,
            summary=f"Joint visit: {premises or 'premises to be confirmed'}", location=premises,
            description=description, status=ICS_STATUS.get(VisitStatus(v.status), "TENTATIVE"),
            sequence=max(0, v.version - 1)))
    return events


def _listed(query):  # type: ignore[no-untyped-def]
    return query.where(Visit.status != VisitStatus.DRAFT.value).order_by(Visit.starts_at, Visit.id)


def agency_calendar(uow: UnitOfWork, *, actor: Actor, agency_id: int) -> str:
    """The .ics of every non-draft visit the agency is on (declined ones excluded)."""
    s = uow.session
    ensure(actor, "visit.view")
    agency = s.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"Agency {agency_id} no longer exists.")
    visits = s.scalars(_listed(select(Visit).join(VisitAgency, VisitAgency.visit_id == Visit.id).where(
        VisitAgency.agency_id == agency_id, VisitAgency.response != "declined"))).all()
    return to_ics(_events(s, actor, visits), name=f"Joint visits: {agency.name}")


def person_calendar(uow: UnitOfWork, *, actor: Actor, user_id: int) -> str:
    """The .ics of every non-draft visit the person is named on."""
    s = uow.session
    ensure(actor, "visit.view")
    user = s.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} no longer exists.")
    visits = s.scalars(_listed(select(Visit).join(VisitOfficer, VisitOfficer.visit_id == Visit.id).where(
        VisitOfficer.user_id == user_id))).all()
    return to_ics(_events(s, actor, visits), name=f"Joint visits: {user.name}")


def visit_calendar(uow: UnitOfWork, *, actor: Actor, visit_id: int) -> str:
    """The .ics of one visit (drafts included: the planner asked for it)."""
    s = uow.session
    ensure(actor, "visit.view")
    visit = _visit(s, visit_id)
    return to_ics(_events(s, actor, [visit]), name=f"Joint visit {visit.id}")


# --- briefing sheet ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Marker:
    category: str
    subject: str
    details: str
    agency: str


@dataclass(frozen=True)
class Briefing:
    partnership: str
    demo: bool
    visit_id: int
    premises: str
    starts_at: datetime
    ends_at: datetime
    status: str
    approach: str
    operation: str
    lead: str
    entry_route: str
    team: tuple[TeamMember, ...]
    officers: tuple[tuple[str, str], ...]
    markers: tuple[Marker, ...] | None  # None: the reader may not see markers
    notes: str | None  # None: withheld with the markers


def briefing(uow: UnitOfWork, *, actor: Actor, visit_id: int) -> Briefing:
    """Everything the briefing sheet prints, checked for the reader (visit.view; markers need marker.view)."""
    s = uow.session
    ensure(actor, "visit.view")
    v = _visit(s, visit_id)
    ensure_visit(s, actor, v)
    names = _agency_names(s)
    team = _team(s, [v.id])[v.id]
    lead = names.get(v.lead_agency_id or 0, "")
    team.sort(key=lambda m: (m.agency != lead, m.agency))
    markers: tuple[Marker, ...] | None = None
    if allowed(actor, "marker.view"):
        # The same markers the team sees on the visit (markers_for lists newest first; a briefing reads oldest first).
        found = markers_for(uow, actor=actor, business_id=v.business_id, premises_text=v.premises_text)
        markers = tuple(Marker(m["category"], m["subject"], m["details"], m["agency"])
                        for m in reversed(found))
    operation = s.get(Operation, v.operation_id) if v.operation_id else None
    p = settings(s)
    return Briefing(
        partnership=p.name, demo=p.demo, visit_id=v.id, premises=visit_premises(s, actor, [v])[v.id], starts_at=v.starts_at,
        ends_at=v.ends_at, status=v.status, approach=v.approach, operation=operation.name if operation else "",
        lead=lead, entry_route=v.entry_route, team=tuple(team), officers=tuple(_officers(s, [v.id])[v.id]),
        markers=markers, notes=v.briefing if markers is not None else None,
    )


def _when(b: Briefing) -> str:
    start, end = b.starts_at, b.ends_at
    return f"{start:%A} {start.day} {start:%B %Y}, {start:%H:%M}-{end:%H:%M} UTC"


def briefing_pdf(b: Briefing) -> bytes:
    """The printable briefing sheet, OFFICIAL-SENSITIVE at the top and bottom of every page."""
    title = f"Visit briefing: {b.premises or f'visit {b.visit_id}'}"
    flags = (DEMO_MARK if b.demo else "", "VISIT CANCELLED" if b.status == VisitStatus.CANCELLED else "")
    pdf = marked_pdf(mark=CLASSIFICATION_SENSITIVE, flags=flags, title=title, author=b.partnership,
                     footer_left=f"Visit {b.visit_id}, {b.starts_at.day} {b.starts_at:%b %Y}")
    pdf.add_page()
    pdf.set_font(pdf.family, "B", 18)
    pdf.set_text_color(20, 45, 80)
    pdf.multi_cell(0, 9, pdf.safe(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.para(b.partnership, size=11)
    pdf.ln(2)
    pdf.field("When", _when(b))
    pdf.field("Premises", b.premises or "Not recorded")
    pdf.field("Status", b.status)
    pdf.field("Approach", b.approach)
    if b.operation:
        pdf.field("Operation", b.operation)
    pdf.field("Lead agency", b.lead or "Not chosen yet")
    pdf.field("Entry route", b.entry_route or "Not recorded: agree it with the lead before the visit")

    pdf.heading("Officer safety")
    if b.markers is None:
        pdf.note("Warning markers are not shown to your role. Ask the visit coordinator for the safety briefing "
                 "before attending.")
    elif b.markers:
        pdf.note(f"{_plural(len(b.markers), 'active warning marker')} on these premises.")
        pdf.grid(("Category", "About", "Details", "Recorded by"),
                 [(m.category, m.subject, m.details, m.agency) for m in b.markers], (2.2, 3.5, 7, 3))
    else:
        pdf.para("No active warning markers on these premises.")

    pdf.heading("Team and objectives")
    if b.team:
        pdf.grid(("Agency", "Officers", "Answer", "Objectives"),
                 [(("Lead: " if m.agency == b.lead else "") + m.agency, str(m.officers), m.response, m.objectives)
                  for m in b.team], (4, 1.6, 2, 8))
    else:
        pdf.para("No agencies on this visit yet.")
    pdf.heading("Officers")
    if b.officers:
        pdf.grid(("Name", "Agency"), list(b.officers), (1, 1))
    else:
        pdf.para("No officers named yet.")
    pdf.heading("Agency contacts")
    pdf.grid(("Agency", "Contact", "Email", "Phone"),
             [(m.agency, m.contact_name, m.contact_email, m.contact_phone) for m in b.team] or [("", "", "", "")],
             (3.5, 4, 4.5, 2.5))
    if b.notes:
        pdf.heading("Briefing notes")
        pdf.para(b.notes)
    return bytes(pdf.output())


def briefing_filename(b: Briefing) -> str:
    return f"visit-{b.visit_id}-briefing-{b.starts_at:%Y-%m-%d}.pdf"
