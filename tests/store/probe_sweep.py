"""The hostile-partner probe's sweep: every reading service, called as every active demo user, every returned value
(and every refusal's message) walked for planted tokens the oracle says that user may not see.

Leaks are collected, not raised, so one run shows all of them, grouped by (service, role/agency, what leaked).
"""
from __future__ import annotations

import csv
import dataclasses
import inspect
import io
import time as clock
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain import CLASSIFICATION_SENSITIVE
from core.errors import HubError
from core.matching.normalise import parse_postcode
from core.minutes import to_docx, to_markdown
from core.services import (
    accounts,
    actions,
    attention,
    audit,
    catalogue,
    datasets,
    meetings,
    operations,
    outcomes,
    referrals,
    review,
    risklist,
    visits,
)
from core.services.actions import ActionFilter
from core.services.risklist import RiskFilters
from core.services.visits import TeamMember, VisitPlan
from core.store import Store
from core.store.uow import UnitOfWork
from core.store.models import (
    Action,
    ActionLink,
    Agency,
    AgencyRecord,
    Board,
    Business,
    Dataset,
    Indicator,
    Meeting,
    Operation,
    Referral,
    ReferralRecipient,
    Visit,
    VisitAgency,
    VisitOfficer,
    WarningMarker,
)
from core.visits.exports import agency_calendar, briefing, person_calendar, visit_calendar
from tests.store.probe_world import KINDS, POSTCODE_RE, TOKEN_RE, Oracle, Secret, Viewer

# Per user, how many ids of each sort are probed beyond the ones that matter (all hidden visits, own referrals...).
HIDDEN_BUSINESSES = 10
VISIBLE_BUSINESSES = 4
VISIBLE_VISITS = 3
OTHER_REFERRALS = 4
OTHER_ACTIONS = 3
AGENCY_FEEDS = 4
PERSON_FEEDS = 4
AREAS = 2
SAMPLES = 2


# --- walking a returned value ------------------------------------------------------------------------------------


def strings(value: Any, _seen: set[int] | None = None) -> Iterator[str]:
    """Every piece of text in a value: str, bytes (CSV text, XLSX and DOCX read back), containers, dataclasses,
    named tuples, DataFrames (column names too) and objects' public attributes."""
    seen = _seen if _seen is not None else set()
    if value is None or isinstance(value, (bool, int, float, Decimal, date, datetime, time, timedelta)):
        return
    if isinstance(value, str):
        yield value
        return
    if isinstance(value, Enum):
        yield str(value.value)
        return
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, (bytes, bytearray)):
        yield from _bytes_text(bytes(value))
    elif isinstance(value, pd.DataFrame):
        yield from (str(c) for c in value.columns)
        if value.index.name:
            yield str(value.index.name)
        if not isinstance(value.index, pd.RangeIndex):
            for v in value.index.tolist():
                yield from strings(v, seen)
        for col in value.columns:
            for v in value[col].tolist():
                yield from strings(v, seen)
    elif isinstance(value, pd.Series):
        if value.name is not None:
            yield str(value.name)
        for v in value.index.tolist() + value.tolist():
            yield from strings(v, seen)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k, seen)
            yield from strings(v, seen)
    elif isinstance(value, (list, tuple, set, frozenset)):  # named tuples too
        for v in value:
            yield from strings(v, seen)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from strings(getattr(value, f.name), seen)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        for k, v in vars(value).items():
            if not k.startswith("_"):
                yield from strings(v, seen)
    else:
        yield str(value)


def _bytes_text(data: bytes) -> Iterator[str]:
    if data[:2] == b"PK":  # a zip: XLSX (read back with openpyxl) or DOCX
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        if any(n.startswith("xl/") for n in names):
            from openpyxl import load_workbook

            wb = load_workbook(io.BytesIO(data), read_only=True)
            for ws in wb.worksheets:
                for row in ws.iter_rows(values_only=True):
                    for cell in row:
                        if cell is not None:
                            yield str(cell)
            return
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for n in names:
                if n.endswith(".xml"):
                    yield z.read(n).decode("utf-8", "replace")
        return
    yield data.decode("utf-8-sig", "replace")


def canonical_postcode(value: str) -> str:
    return parse_postcode(value or "") or ""


# --- the sweep ----------------------------------------------------------------------------------------------------


def _as_keywords(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """A service is called `(uow, *, actor, ...)`: the probe's positional arguments after the unit become keywords
    (moved into `kwargs`); other functions are called as given."""
    params = list(inspect.signature(fn).parameters.values())
    if len(params) > 1 and params[1].kind is inspect.Parameter.KEYWORD_ONLY and len(args) > 1:
        for p, value in zip(params[1:], args[1:], strict=False):
            kwargs[p.name] = value
        return args[:1]
    return args


@dataclasses.dataclass
class Sweep:
    store: Store
    oracle: Oracle
    leaks: dict[tuple[str, str, str], list[str]] = dataclasses.field(default_factory=lambda: defaultdict(list))
    leak_count: Counter[tuple[str, str, str]] = dataclasses.field(default_factory=Counter)
    seen: dict[tuple[str, str], set[str]] = dataclasses.field(default_factory=lambda: defaultdict(set))
    ok: Counter[str] = dataclasses.field(default_factory=Counter)
    refused: Counter[str] = dataclasses.field(default_factory=Counter)
    crashed: dict[str, list[str]] = dataclasses.field(default_factory=lambda: defaultdict(list))
    seconds: Counter[str] = dataclasses.field(default_factory=Counter)  # time spent per service (calls and checks)
    _docx: dict[Any, bytes] = dataclasses.field(default_factory=dict)

    # recording -------------------------------------------------------------------------------------------------
    def leak(self, service: str, viewer: Viewer, what: str, sample: str) -> None:
        key = (service, f"{viewer.actor.role.value}/{viewer.label.rsplit(', ', 1)[1].rstrip(')')}", what)
        self.leak_count[key] += 1
        if len(self.leaks[key]) < SAMPLES:
            self.leaks[key].append(f"{viewer.actor.username}: {sample}")

    def check(self, service: str, viewer: Viewer, value: Any) -> None:
        secrets = self.oracle.secrets
        seen = self.seen[(service, viewer.actor.username)]
        for text in strings(value):
            low = text.lower()
            if "zqk" in low:
                for tok in TOKEN_RE.findall(low):
                    sec: Secret | None = secrets.get(tok)
                    if sec is None:
                        continue
                    seen.add(tok)
                    if tok not in viewer.allowed:
                        i = low.find(tok)
                        context = text[max(0, i - 40): i + 48].replace("\n", " ")
                        self.leak(service, viewer, KINDS[sec.kind], f"{tok} [{sec.owner}] in {context!r}")
            if viewer.hidden_postcodes and any(ch.isdigit() for ch in text):
                for m in POSTCODE_RE.finditer(text.upper()):
                    pc = f"{m.group(1)} {m.group(2)}"
                    if pc in viewer.hidden_postcodes:
                        context = text[max(0, m.start() - 40): m.end() + 20].replace("\n", " ")
                        self.leak(service, viewer, "postcode only hidden records hold", f"{pc} in {context!r}")

    def check_row_postcodes(self, service: str, viewer: Viewer, rows: list[tuple[Any, Any]]) -> None:
        """A risk list row's postcode must come from a record of that business the viewer may read."""
        for bid, pc in rows:
            pc = canonical_postcode(str(pc or ""))
            if pc and pc not in viewer.readable_postcodes.get(int(bid), set()):
                self.leak(service, viewer, "postcode not from a record the viewer may read",
                          f"business {bid} listed at {pc}; readable records give "
                          f"{sorted(viewer.readable_postcodes.get(int(bid), set())) or 'none'}")

    def call(self, service: str, viewer: Viewer, fn: Callable[..., Any], *args: Any, session: Session | None = None,
             **kwargs: Any) -> Any:
        """Call one reading function as the viewer; check what it returns, or the message it refuses with."""
        started = clock.perf_counter()
        try:
            return self._call(service, viewer, fn, *args, session=session, **kwargs)
        finally:
            self.seconds[service] += clock.perf_counter() - started

    def _call(self, service: str, viewer: Viewer, fn: Callable[..., Any], *args: Any, session: Session | None = None,
              **kwargs: Any) -> Any:
        try:
            result = fn(*_as_keywords(fn, args, kwargs), **kwargs)
        except HubError as e:
            self.refused[service] += 1
            self.check(service, viewer, f"{type(e).__name__}: {e}")
            return None
        except Exception as e:  # noqa: BLE001 - a crash is reported, and the sweep goes on
            if session is not None:
                session.rollback()
            self.crashed[service].append(f"{viewer.actor.username}: {type(e).__name__}: {str(e)[:160]}")
            self.check(service, viewer, str(e))
            return None
        self.ok[service] += 1
        self.check(service, viewer, result)
        return result

    # the calls ---------------------------------------------------------------------------------------------------
    def run(self) -> Sweep:
        facts = self._facts()
        for viewer in self.oracle.viewers:
            self._risk_list(viewer, facts)
            with self.store.read() as s:
                self._visits(s, viewer, facts)
                self._operations_and_outcomes(s, viewer, facts)
                self._actions_and_meetings(s, viewer, facts)
                self._referrals(s, viewer, facts)
                self._everything_else(s, viewer, facts)
        return self

    def _facts(self) -> dict[str, Any]:
        today = datetime.now(timezone.utc).date()
        with self.store.read() as s:
            f: dict[str, Any] = {
                "today": today,
                "agencies": list(s.session.scalars(select(Agency.id).order_by(Agency.id))),
                "datasets": list(s.session.scalars(select(Dataset.id).order_by(Dataset.id))),
                "boards": list(s.session.scalars(select(Board.id).order_by(Board.id))),
                "meetings": list(s.session.scalars(select(Meeting.id).order_by(Meeting.id))),
                "open_meetings": list(s.session.scalars(select(Meeting.id).where(Meeting.status != "closed").order_by(Meeting.id))),
                "operations": list(s.session.scalars(select(Operation.id).order_by(Operation.id))),
                "actions": list(s.session.scalars(select(Action.id).order_by(Action.id))),
                "indicators": list(s.session.scalars(select(Indicator.id).order_by(Indicator.id))),
                "visits": {v.id: v for v in s.session.scalars(select(Visit).order_by(Visit.id))},
                "named": s.session.execute(select(VisitOfficer.visit_id, VisitOfficer.user_id)
                                   .order_by(VisitOfficer.visit_id, VisitOfficer.user_id)).all(),
                "linked_actions": sorted(set(s.session.scalars(select(ActionLink.action_id)))),
                "marker_businesses": sorted({b for b in s.session.scalars(select(WarningMarker.business_id)) if b}),
                "referrals": s.session.execute(select(Referral.id, Referral.sender_id).order_by(Referral.id)).all(),
                "recipients": s.session.execute(select(ReferralRecipient.id, ReferralRecipient.agency_id,
                                                       ReferralRecipient.visit_id)
                                        .order_by(ReferralRecipient.id)).all(),
                "business_postcode": dict(s.session.execute(select(Business.id, Business.postcode)
                                                    .where(Business.active.is_(True))).all()),
                "business_tokens": {b: TOKEN_RE.findall(f"{n} {ad}".lower()) for b, n, ad in
                                    s.session.execute(select(Business.id, Business.name, Business.address))},
                "references": {b: ref for b, ref in s.session.execute(
                    select(AgencyRecord.business_id, AgencyRecord.reference).where(AgencyRecord.current.is_(True))
                    .order_by(AgencyRecord.id.desc()))},
                "records": s.session.execute(select(AgencyRecord.id, AgencyRecord.dataset_id, AgencyRecord.business_id,
                                            AgencyRecord.trading_name).where(AgencyRecord.current.is_(True))
                                     .order_by(AgencyRecord.id)).all(),
            }
            parts: dict[int, set[int]] = defaultdict(set)
            for vid, aid in s.session.execute(select(VisitAgency.visit_id, VisitAgency.agency_id)):
                parts[vid].add(aid)
            f["parts"] = parts
        return f

    # risk list, review ---------------------------------------------------------------------------------------
    def _risk_list(self, v: Viewer, f: dict[str, Any]) -> None:
        with self.store.uow() as unit:  # the export is audited: it commits
            self._risk_list_in(unit, v, f)

    def _risk_list_in(self, store: UnitOfWork, v: Viewer, f: dict[str, Any]) -> None:
        a = v.actor
        whole = self.call("risklist.whole_list", v, risklist.whole_list, store, a)
        if whole is not None:
            self.check_row_postcodes("risklist.whole_list", v, list(zip(whole.rows["business_id"], whole.rows["postcode"])))
            for needle in self._search_texts(v, f, 1):
                self.call("risklist.narrow", v, risklist.narrow, whole, RiskFilters(text=needle))
            self.call("risklist.overlaps", v, risklist.overlaps, whole)
        # The area filter, with postcodes only hidden records give of businesses the viewer reads.
        areas = sorted({f["business_postcode"][b] for b in v.readable_businesses
                        if f["business_postcode"].get(b) and f["business_postcode"][b] not in v.readable_postcodes.get(b, set())})
        areas = areas[:AREAS] or sorted(v.hidden_postcodes)[:1]
        for area in areas:
            rl = self.call("risklist.risk_list", v, risklist.risk_list, store, a, RiskFilters(area=area), limit=None)
            if rl is not None:
                self.check_row_postcodes("risklist.risk_list", v, list(zip(rl.rows["business_id"], rl.rows["postcode"])))
                for bid in rl.rows["business_id"]:
                    if not any(p.startswith(area) for p in v.readable_postcodes.get(int(bid), set())):
                        self.leak("risklist.risk_list", v, "listed by a postcode only hidden records give",
                                  f"area {area!r} lists business {bid}; readable records give "
                                  f"{sorted(v.readable_postcodes.get(int(bid), set())) or 'none'}")
        for fmt in ("csv", "xlsx"):
            out = self.call(f"risklist.export({fmt})", v, risklist.export, store, a, RiskFilters(), fmt=fmt,
                            marking=CLASSIFICATION_SENSITIVE)
            if out is not None and fmt == "csv":
                rows = list(csv.reader(io.StringIO(out[0].decode("utf-8-sig"))))
                header = rows[1]
                bi, pi = header.index("Business"), header.index("Postcode")
                self.check_row_postcodes("risklist.export(csv)", v, [(r[bi], r[pi]) for r in rows[2:-1]])
        self.call("risklist.dataset_freshness", v, risklist.dataset_freshness, store, a)
        self.call("risklist.version", v, risklist.version, store, a)
        for bid in self._businesses(v, f):
            self.call("risklist.business_detail", v, risklist.business_detail, store, a, bid)
        self.call("review.queue", v, review.queue, store, a, limit=1000)
        for bid in v.hidden_businesses[:2] + sorted(v.readable_businesses)[:1]:
            self.call("review.references_for", v, review.references_for, store, a, bid, f["references"].get(bid, "x"))

    def _misnamed(self, v: Viewer, f: dict[str, Any]) -> list[int]:
        """Businesses the viewer reads whose stored name or address is written from a record it may not read."""
        return sorted(b for b in v.readable_businesses if b in f["business_postcode"]
                      and any(t not in v.allowed for t in f["business_tokens"].get(b, ())))

    def _businesses(self, v: Viewer, f: dict[str, Any]) -> list[int]:
        """Hidden businesses (those that matter first), then readable ones stored with a name, address or postcode
        from a record the viewer may not read, or carrying markers."""
        wrong_pc = sorted(b for b in v.readable_businesses
                          if f["business_postcode"].get(b) and f["business_postcode"][b] not in v.readable_postcodes.get(b, set()))
        marked = sorted(set(f["marker_businesses"]) & v.readable_businesses)
        visible = list(dict.fromkeys(self._misnamed(v, f)[:2] + wrong_pc[:1] + marked))[:VISIBLE_BUSINESSES]
        return v.hidden_businesses[:HIDDEN_BUSINESSES] + visible

    def _search_texts(self, v: Viewer, f: dict[str, Any], n: int) -> list[str]:
        """What to type as a search: the viewer's own spelling of businesses stored under a name from a record it may
        not read, then the tokens of such names, then trading-name tokens of records it may not read."""
        misnamed = self._misnamed(v, f)
        own = {}
        for r in f["records"]:
            if r.business_id in misnamed and r.dataset_id in v.readable_datasets and r.trading_name:
                own.setdefault(r.business_id, TOKEN_RE.sub("", r.trading_name.lower()).replace("()", "").strip())
        texts = [own[b] for b in misnamed if own.get(b)][:2]
        texts += [t for b in misnamed for t in f["business_tokens"][b] if t not in v.allowed and t[3] == "t"][:2]
        texts += sorted(t for r in f["records"] if r.dataset_id not in v.readable_datasets
                        for t in TOKEN_RE.findall((r.trading_name or "").lower()))
        return list(dict.fromkeys(texts))[:n]

    # visits ------------------------------------------------------------------------------------------------
    def _visit_ids(self, v: Viewer, f: dict[str, Any]) -> list[int]:
        misnamed = set(self._misnamed(v, f))
        shown = [vid for vid in f["visits"] if vid not in v.hidden_visits]
        wrong = [vid for vid in shown if f["visits"][vid].business_id in misnamed]
        joint = [vid for vid in shown if v.actor.agency_id in f["parts"][vid] and len(f["parts"][vid]) > 1]
        return v.hidden_visits + list(dict.fromkeys(wrong[:3] + joint[:2] + shown[:VISIBLE_VISITS]))

    def _visits(self, s: UnitOfWork, v: Viewer, f: dict[str, Any]) -> None:
        a, today = v.actor, f["today"]
        call = self._in(s)
        call("visits.calendar", v, visits.calendar, s, a, start=today - timedelta(days=400), end=today + timedelta(days=400))
        for vid in self._visit_ids(v, f):
            call("visits.visit_detail", v, visits.visit_detail, s, a, vid)
            call("visit_exports.visit_calendar", v, visit_calendar, s, a, vid)
            call("visit_exports.briefing", v, briefing, s, a, vid)
            call("visits.visit_referral_issues", v, visits.visit_referral_issues, s, a, vid)
            call("outcomes.outcome_of", v, outcomes.outcome_of, s, a, vid)
            visit = f["visits"][vid]
            plan = VisitPlan(visit.starts_at + timedelta(hours=1), visit.starts_at + timedelta(hours=2),
                             [TeamMember(a.agency_id)], a.agency_id, visit.business_id, "probe premises")
            call("visits.clashes", v, visits.clashes, s, a, plan)
        for vid, _agency, rvid in f["recipients"]:
            if rvid and rvid not in self._visit_ids(v, f):
                call("visits.visit_referral_issues", v, visits.visit_referral_issues, s, a, rvid)
                break
        for bid in list(dict.fromkeys(f["marker_businesses"] + v.hidden_businesses[:HIDDEN_BUSINESSES])):
            call("visits.markers_for", v, visits.markers_for, s, a, business_id=bid, include_retired=True)
        for bid in self._businesses(v, f):
            call("visits.interest", v, visits.interest, s, a, bid)
        # Feeds: the viewer's own, and those of the agencies and people on visits withheld from the viewer.
        hidden = set(v.hidden_visits)
        on_hidden = [aid for vid in v.hidden_visits for aid in sorted(f["parts"][vid])]
        for agency_id in list(dict.fromkeys([a.agency_id, *on_hidden, f["agencies"][0]]))[:AGENCY_FEEDS]:
            call("visit_exports.agency_calendar", v, agency_calendar, s, a, agency_id)
        people = [uid for vid, uid in f["named"] if vid in hidden] + [uid for _vid, uid in f["named"]]
        for uid in list(dict.fromkeys([a.id, *people]))[:PERSON_FEEDS]:
            call("visit_exports.person_calendar", v, person_calendar, s, a, uid)
        call("visits.officers_for", v, visits.officers_for, s, a, [a.agency_id])
        call("visits.recommend_team", v, visits.recommend_team, s, a, ["illegal working", "food hygiene"], "food business")
        call("visits.entry_route_for", v, visits.entry_route_for, s, a, a.agency_id, "food business", [a.agency_id])
        call("visits.notice_warning_for", v, visits.notice_warning_for, s, a, a.agency_id, "food business",
             datetime.now(timezone.utc) + timedelta(days=3))

    def _operations_and_outcomes(self, s: UnitOfWork, v: Viewer, f: dict[str, Any]) -> None:
        a = v.actor
        call = self._in(s)
        call("operations.list_operations", v, operations.list_operations, s, a)
        call("operations.coordinator_choices", v, operations.coordinator_choices, s, a)
        call("operations.candidates", v, operations.candidates, s, a, min_agencies=1, limit=5000)
        call("operations.default_team", v, operations.default_team, s, a, v.hidden_businesses[:HIDDEN_BUSINESSES])
        for op in f["operations"]:
            call("operations.operation_summary", v, operations.operation_summary, s, a, op)
        call("outcomes.awaiting_outcome", v, outcomes.awaiting_outcome, s, a)
        call("outcomes.recorded_outcomes", v, outcomes.recorded_outcomes, s, a)
        call("outcomes.results", v, outcomes.results, s, a)

    def _actions_and_meetings(self, s: UnitOfWork, v: Viewer, f: dict[str, Any]) -> None:
        a = v.actor
        call = self._in(s)
        call("actions.list_actions", v, actions.list_actions, s, a, ActionFilter(include_closed=True))
        for aid in dict.fromkeys(f["linked_actions"] + f["actions"][:OTHER_ACTIONS]):  # links name businesses
            call("actions.action_detail", v, actions.action_detail, s, a, aid)
        call("actions.my_work", v, actions.my_work, s, a)
        call("actions.milestones_for", v, actions.milestones_for, s, a, f["actions"])
        call("attention.attention", v, attention.attention, s, a)
        now, today = datetime.now(timezone.utc), f["today"]
        for name, fn, when in (("my_actions", attention.my_actions, today), ("my_milestones", attention.my_milestones, today),
                               ("upcoming_visits", attention.upcoming_visits, now), ("inbox_due", attention.inbox_due, today),
                               ("partnership_overview", attention.partnership_overview, today),
                               ("agency_data", attention.agency_data, now)):
            call(f"attention.{name}", v, fn, s, a, when)
        call("attention.new_feedback", v, attention.new_feedback, s, a)
        call("meetings.boards", v, meetings.boards, s, a)
        for b in f["boards"]:
            call("meetings.meetings", v, meetings.meetings, s, a, b)
            call("meetings.next_meeting_id", v, meetings.next_meeting_id, s, a, b)
        for m in f["meetings"]:
            call("meetings.view", v, meetings.view, s, a, m)
            mins = call("meetings.minutes", v, meetings.minutes, s, a, m)
            if mins is not None:
                call("minutes.to_markdown", v, to_markdown, mins)
                # The Word minutes do not depend on the reader: made once per meeting, read back for everyone.
                if mins not in self._docx:
                    self._docx[mins] = to_docx(mins)
                call("minutes.to_docx", v, lambda m=mins: self._docx[m])
        for m in f["open_meetings"]:  # what building the agenda would put before everyone who may open the meeting
            meeting = s.session.get(Meeting, m)
            call("meetings.proposed_items", v, meetings.proposed_items, s.session, meeting, f["today"])

    def _referrals(self, s: UnitOfWork, v: Viewer, f: dict[str, Any]) -> None:
        a = v.actor
        call = self._in(s)
        call("referrals.indicators", v, referrals.indicators, s, a)
        call("referrals.suggest_recipients", v, referrals.suggest_recipients, s, a, f["indicators"][:12])
        for tok in self._search_texts(v, f, 5):
            call("referrals.suggest_subjects", v, referrals.suggest_subjects, s, a, tok)
        call("referrals.my_referrals", v, referrals.my_referrals, s, a)
        own = [rid for rid, sender in f["referrals"] if sender == a.id]
        others = [rid for rid, sender in f["referrals"] if sender != a.id][:OTHER_REFERRALS]
        for rid in own + others:
            call("referrals.referral_for_sender", v, referrals.referral_for_sender, s, a, rid)
        call("referrals.inbox", v, referrals.inbox, s, a, open_only=False)
        mine = [rid for rid, agency, _v in f["recipients"] if agency == a.agency_id]
        others = [rid for rid, agency, _v in f["recipients"] if agency != a.agency_id][:OTHER_REFERRALS]
        for rid in mine + others:
            call("referrals.referral_for_recipient", v, referrals.referral_for_recipient, s, a, rid)
        call("referrals.dashboard", v, referrals.dashboard, s, a)

    def _everything_else(self, s: UnitOfWork, v: Viewer, f: dict[str, Any]) -> None:
        a = v.actor
        call = self._in(s)
        call("datasets.datasets", v, datasets.datasets, s, a)
        call("datasets.freshness", v, datasets.freshness, s, a)
        for d in f["datasets"]:
            call("datasets.risk_values", v, datasets.risk_values, s, a, d)
            call("datasets.history", v, datasets.history, s, a, d)
        call("audit.list_events", v, audit.list_events, s, a)
        call("audit.filter_choices", v, audit.filter_choices, s, a)
        call("catalogue.agencies", v, catalogue.agencies, s, a)
        call("accounts.directory", v, accounts.directory, s, a)
        call("accounts.list_users", v, accounts.list_users, s, a)

    def _in(self, s: UnitOfWork) -> Callable[..., Any]:
        def call(service: str, viewer: Viewer, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            return self.call(service, viewer, fn, *args, session=s, **kwargs)
        return call

    # reporting ---------------------------------------------------------------------------------------------
    def report(self) -> str:
        """Every leak, grouped by service, then what leaked, then who (role/agency) with a count; one sample each."""
        tree: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
        for (service, who, what), n in sorted(self.leak_count.items()):
            tree[service][what][who] = n
        lines = [f"{sum(self.leak_count.values())} leaks in {len(tree)} services, {len(self.leak_count)} "
                 "(service, role/agency, kind) groups:"]
        for service, kinds in tree.items():
            lines.append(f"{service}:")
            for what, whos in kinds.items():
                sample = next(self.leaks[(service, who, what)][0] for who in whos)
                lines.append(f"  {what} -> " + ", ".join(f"{who} x{n}" for who, n in whos.items()))
                lines.append(f"      e.g. {sample[:230]}")
        return "\n".join(lines)
