"""Agency datasets: their imports (all-or-nothing snapshots), column mappings, risk scales and sharing limits.

An import first says what it will do (`plan_import`: new, changed, and no longer in the file, with a
sample of each), then applies the file by reference in one of two modes the analyst chooses: "replace"
(this file is the whole dataset: references no longer in it stop being current) or "upsert" (add and
update only). New references are added, changed ones updated in place (they keep their business). The
mapping is saved for next time, the import is recorded with every record it touched and its values
before, matching is re-run, and all of it lands in one unit of work or none of it does. `undo_import`
puts the previous snapshot back (newest import first), audited, and matches again.

One import (or undo) of a dataset runs at a time: a claim on the dataset row, committed before the
import's transaction so others are told at once who is importing, and a version the preview names, so
an import made from a preview older than the data is refused, saying who changed it.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pandas as pd
from sqlalchemy import Integer, String, func, insert, literal, or_, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased

from core.bulk import collector_paused
from core.errors import Conflict, NotFound, ValidationError
from core.importing.mapping import Columns, clean_columns, suggest_mapping
from core.importing.reader import Table, read_table
from core.importing.risk import band_for, check_scale
from core.importing.validate import Checked, CleanRow, check
from core.permissions import Actor, ensure
from core.services import linking
from core.services.audit import jsonable, record
from core.store.models import Agency, AgencyRecord, Dataset, DatasetImport, DatasetImportChange, User
from core.store.uow import UnitOfWork
from core.visibility import DEFAULT_SHARING, SHARING_EXPLAINED, known_datasets

Progress = Callable[[float, str], None]
REF_CAP = 200  # how many references of each kind an import's report keeps
STORED = ("trading_name", "company_name", "address", "postcode", "phone", "contact", "sector", "risk_value",
          "risk_band", "last_contact", "extra")
SHARING_HELP = SHARING_EXPLAINED  # each sharing limit in the words the analyst chooses by


def _dataset(session: Session, actor: Actor, dataset_id: int) -> Dataset:
    ds = session.get(Dataset, dataset_id)
    if ds is None:
        raise NotFound("That dataset no longer exists.")
    ensure(actor, "dataset.manage", agency_id=ds.agency_id)
    return ds


def _freshness(ds: Dataset, now: datetime) -> dict[str, Any]:
    days = (now - ds.last_imported_at).days if ds.last_imported_at else None
    return {"last_imported_at": ds.last_imported_at, "days_since_import": days, "stale_after_days": ds.stale_after_days,
            "stale": days is None or days > ds.stale_after_days}


def _current_counts(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(select(AgencyRecord.dataset_id, func.count()).where(
        AgencyRecord.dataset_id.in_(ids), AgencyRecord.current.is_(True)).group_by(AgencyRecord.dataset_id))
    return dict(rows.all())


def datasets(uow: UnitOfWork, *, actor: Actor) -> list[dict[str, Any]]:
    """My agency's datasets with their mapping, scale, sharing limit, size and freshness."""
    session = uow.session
    ensure(actor, "dataset.manage", agency_id=actor.agency_id)
    now = datetime.now(timezone.utc)
    found = session.scalars(select(Dataset).where(Dataset.agency_id == actor.agency_id).order_by(Dataset.name)).all()
    counts = _current_counts(session, [d.id for d in found])
    return [{"id": d.id, "name": d.name, "description": d.description, "sharing": d.sharing,
             "column_mapping": d.column_mapping or {}, "risk_scale": d.risk_scale or {}, "records": counts.get(d.id, 0),
             **_freshness(d, now)} for d in found]


def freshness(uow: UnitOfWork, *, actor: Actor) -> list[dict[str, Any]]:
    """Every dataset's age for whoever sees the risk list; other agencies' owner-only datasets are not listed."""
    session = uow.session
    ensure(actor, "risklist.view")
    now = datetime.now(timezone.utc)
    rows = session.execute(select(Dataset, Agency.name).join(Agency, Agency.id == Dataset.agency_id)
                           .where(known_datasets(actor))
                           .order_by(Agency.name, Dataset.name)).all()
    counts = _current_counts(session, [d.id for d, _ in rows])
    return [{"agency": agency, "dataset": d.name, "records": counts.get(d.id, 0), **_freshness(d, now)}
            for d, agency in rows]


def _check_sharing(sharing: str) -> str:
    if sharing not in SHARING_HELP:
        raise ValidationError(f"Sharing: choose one of {', '.join(SHARING_HELP)}.")
    return sharing


def _check_days(days: int) -> int:
    if not 1 <= int(days) <= 3650:
        raise ValidationError("Stale after: give a number of days from 1 to 3650.")
    return int(days)


def create_dataset(uow: UnitOfWork, *, actor: Actor, name: str, description: str = "", sharing: str = DEFAULT_SHARING,
                   stale_after_days: int = 90) -> int:
    """A new, empty dataset of the actor's agency."""
    ensure(actor, "dataset.manage", agency_id=actor.agency_id)
    s = uow.session
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Name: say what the dataset is, e.g. 'Food hygiene register'.")
    if s.scalar(select(Dataset.id).where(Dataset.agency_id == actor.agency_id, Dataset.name == name)) is not None:
        raise ValidationError(f"Name: your agency already has a dataset called {name!r}.")
    ds = Dataset(agency_id=actor.agency_id, name=name, description=description.strip(), sharing=_check_sharing(sharing),
                 stale_after_days=_check_days(stale_after_days), created_by_id=actor.id, column_mapping={}, risk_scale={})
    s.add(ds)
    s.flush()
    record(s, actor, action="dataset.create", entity="dataset", entity_id=ds.id,
           after={"name": name, "sharing": ds.sharing, "stale_after_days": ds.stale_after_days}, summary=f"created dataset {name}")
    uow.commit()
    return ds.id


def _set(uow: UnitOfWork, actor: Actor, dataset_id: int, attr: str, value: Any, what: str) -> Dataset:
    ds = _dataset(uow.session, actor, dataset_id)
    before = getattr(ds, attr)
    setattr(ds, attr, value)
    record(uow.session, actor, action=f"dataset.{attr}", entity="dataset", entity_id=ds.id,
           before={attr: before}, after={attr: value}, summary=f"{ds.name}: {what}")
    return ds


def set_limits(uow: UnitOfWork, *, actor: Actor, dataset_id: int, sharing: str | None = None,
               stale_after_days: int | None = None) -> None:
    """Save what partners may see of the dataset and after how many days without an import it is stale (one save;
    each change audited)."""
    ds = _dataset(uow.session, actor, dataset_id)
    if sharing is not None and sharing != ds.sharing:
        _set(uow, actor, dataset_id, "sharing", _check_sharing(sharing), f"sharing set to {sharing}")
    if stale_after_days is not None and int(stale_after_days) != ds.stale_after_days:
        _set(uow, actor, dataset_id, "stale_after_days", _check_days(stale_after_days),
             f"stale after {int(stale_after_days)} days")
    uow.commit()


def set_risk_scale(uow: UnitOfWork, *, actor: Actor, dataset_id: int, scale: dict[str, Any]) -> int:
    """Save the scale and re-band the dataset's current records; returns how many records changed band."""
    clean = check_scale(scale)
    ds = _set(uow, actor, dataset_id, "risk_scale", clean, "risk scale changed")
    changed = 0
    for rec in uow.session.scalars(select(AgencyRecord).where(AgencyRecord.dataset_id == ds.id, AgencyRecord.current.is_(True))):
        band = band_for(clean, rec.risk_value)
        if band != rec.risk_band:
            rec.risk_band = band
            changed += 1
    uow.commit()
    return changed


def risk_values(uow: UnitOfWork, *, actor: Actor, dataset_id: int) -> dict[str, int]:
    """The risk values the dataset's current records hold, with how many records hold each."""
    session = uow.session
    ds = _dataset(session, actor, dataset_id)
    rows = session.execute(select(AgencyRecord.risk_value, func.count()).where(
        AgencyRecord.dataset_id == ds.id, AgencyRecord.current.is_(True), AgencyRecord.risk_value != "")
        .group_by(AgencyRecord.risk_value).order_by(AgencyRecord.risk_value))
    return dict(rows.all())


def history(uow: UnitOfWork, *, actor: Actor, dataset_id: int) -> list[dict[str, Any]]:
    """The dataset's imports, newest first: when, who, file, mode, rows, added, changed, removed, whether it was
    undone (when, by whom) and whether it can be undone now (the newest import not undone, made since undo existed)."""
    session = uow.session
    ds = _dataset(session, actor, dataset_id)
    undoer = aliased(User)
    rows = session.execute(select(DatasetImport, User.name, undoer.name)
                           .outerjoin(User, User.id == DatasetImport.imported_by_id)
                           .outerjoin(undoer, undoer.id == DatasetImport.undone_by_id)
                           .where(DatasetImport.dataset_id == ds.id).order_by(DatasetImport.id.desc())).all()
    live = next((imp.id for imp, _n, _u in rows if imp.undone_at is None), None)
    return [{"id": imp.id, "imported_at": imp.imported_at, "by": name or "", "filename": imp.filename, "rows": imp.row_count,
             "mode": imp.mode, "added": imp.added, "changed": imp.changed, "removed": imp.removed,
             "warnings": (imp.report or {}).get("warnings", 0), "report": imp.report or {},
             "undone": imp.undone_at is not None, "undone_at": imp.undone_at, "undone_by": undone_by or "",
             "can_undo": imp.id == live and _tracked(imp)} for imp, name, undone_by in rows]


def _tracked(imp: DatasetImport) -> bool:
    """Whether the import recorded what it changed (imports made before undo existed did not)."""
    return bool((imp.previous or {}).get("tracked"))


# --- previewing, checking and importing a file ----------------------------------------------

MODES = {"replace": "This file is the whole dataset", "upsert": "Add and update only"}
MODE_HELP = {
    "replace": "References not in this file stop being current: they leave the shared risk list (undo puts them back).",
    "upsert": "New references are added and changed ones updated; records not in this file stay as they are.",
}
LOW_SHARE = 0.8  # a file with fewer rows than this share of the dataset's current records is warned about
SAMPLE = 10
CLAIM_LAPSES = timedelta(minutes=30)  # a claim this old is a crashed import's
UNDO_PREFIX = "undo: "
FIELD_WORDS = {"trading_name": "name", "company_name": "company name", "address": "address", "postcode": "postcode",
               "phone": "phone", "contact": "contact", "sector": "sector", "risk_value": "risk value",
               "risk_band": "risk band", "last_contact": "last contact", "extra": "other columns"}


@dataclass(frozen=True)
class Preview:
    table: Table
    head: pd.DataFrame
    suggestion: Columns


def preview(data: bytes, filename: str, *, rows: int = 20) -> Preview:
    """Read an uploaded file (in the upload sandbox): its first rows and a suggested column mapping (nothing is stored)."""
    table = read_table(data, filename)
    return Preview(table, table.frame.head(rows), suggest_mapping(table.frame))


def check_file(uow: UnitOfWork, *, actor: Actor, dataset_id: int, data: bytes, filename: str, mapping: Columns,
               table: Table | None = None) -> Checked:
    """The validation report for a file against a dataset's risk scale, without importing it (`table`: already read)."""
    session = uow.session
    ds = _dataset(session, actor, dataset_id)
    return check((table or read_table(data, filename)).frame, mapping, ds.risk_scale)


@dataclass
class ImportPlan:
    """What importing a file would do to a dataset, before anything is written."""

    checked: Checked
    version: int  # the dataset's version this plan was made from: pass it to import_file
    busy: str | None = None  # who is importing into the dataset right now, if anyone
    rows: int = 0
    current: int = 0  # the dataset's current records
    new: int = 0  # references the dataset does not hold now (never held, or no longer current)
    changed: int = 0
    unchanged: int = 0
    absent: int = 0  # current records not in the file
    new_sample: list[dict[str, str]] = field(default_factory=list)
    changed_sample: list[dict[str, str]] = field(default_factory=list)
    absent_sample: list[dict[str, str]] = field(default_factory=list)

    @property
    def needs_choice(self) -> bool:
        """The two modes differ only when the file leaves out some of the dataset's current records."""
        return self.absent > 0

    @property
    def low_share(self) -> bool:
        return self.current > 0 and self.rows < LOW_SHARE * self.current

    @property
    def warning(self) -> str:
        if not self.low_share:
            return ""
        return (f"This file has {self.rows:,} rows; the dataset has {self.current:,} current records (the file holds "
                f"{self.rows / self.current:.0%} as many). If it is a partial export, choose '{MODES['upsert']}': as the "
                f"whole dataset it would make {self.absent:,} records stop being current.")


@dataclass
class _Diff:
    new: list[CleanRow] = field(default_factory=list)  # references the dataset never held
    returned: list[CleanRow] = field(default_factory=list)  # held before, not current now
    changed: list[CleanRow] = field(default_factory=list)
    unchanged: int = 0
    absent: list[str] = field(default_factory=list)  # current references not in the file


def _values(row: CleanRow) -> tuple[Any, ...]:
    values = row.values()
    return tuple(values[k] for k in STORED)


def _diff(existing: Mapping[str, tuple[bool, tuple[Any, ...]]], rows: list[CleanRow]) -> _Diff:
    """How a file's clean rows compare with the dataset's records (reference -> (current, stored values))."""
    out = _Diff()
    seen: set[str] = set()
    for row in rows:
        seen.add(row.reference)
        held = existing.get(row.reference)
        if held is None:
            out.new.append(row)
        elif not held[0]:
            out.returned.append(row)
        elif held[1] != _values(row):
            out.changed.append(row)
        else:
            out.unchanged += 1
    out.absent = [ref for ref, (current, _v) in existing.items() if current and ref not in seen]
    return out


def _existing(session: Session, dataset_id: int) -> dict[str, tuple[bool, tuple[Any, ...]]]:
    cols = [getattr(AgencyRecord, k) for k in STORED]
    rows = session.execute(select(AgencyRecord.reference, AgencyRecord.current, *cols)
                           .where(AgencyRecord.dataset_id == dataset_id).order_by(AgencyRecord.current, AgencyRecord.id))
    return {r[0]: (bool(r[1]), tuple(r[2:])) for r in rows}


def _shown(value: Any) -> str:
    if value is None or value == "" or value == {}:
        return "(empty)"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _what_changes(before: tuple[Any, ...], after: tuple[Any, ...]) -> str:
    return "; ".join(f"{FIELD_WORDS[k]} {_shown(b)} → {_shown(a)}" for k, b, a in zip(STORED, before, after, strict=True)
                     if b != a)


def plan_import(uow: UnitOfWork, *, actor: Actor, dataset_id: int, table: Table, mapping: Columns) -> ImportPlan:
    """The validation report and, for a clean file, what importing it would do: N new, M changed, K no longer in
    this file (with a sample of each), a warning when the file is much smaller than the dataset, and who is
    importing into the dataset right now. Nothing is written."""
    session = uow.session
    ds = _dataset(session, actor, dataset_id)
    checked = check(table.frame, mapping, ds.risk_scale)
    plan = ImportPlan(checked, ds.version, busy=_busy(session, ds, datetime.now(timezone.utc)))
    if not checked.ok:
        return plan
    existing = _existing(session, ds.id)
    d = _diff(existing, checked.rows)
    plan.rows = len(checked.rows)
    plan.current = sum(1 for current, _v in existing.values() if current)
    plan.new, plan.changed, plan.unchanged, plan.absent = len(d.new) + len(d.returned), len(d.changed), d.unchanged, len(d.absent)
    plan.new_sample = [{"Reference": r.reference, "Name": r.trading_name or r.company_name, "Address": r.address,
                        "Postcode": r.postcode} for r in (d.new + d.returned)[:SAMPLE]]
    plan.changed_sample = [{"Reference": r.reference, "Name": r.trading_name or r.company_name,
                            "What changes": _what_changes(existing[r.reference][1], _values(r))} for r in d.changed[:SAMPLE]]
    at = {k: i for i, k in enumerate(STORED)}
    plan.absent_sample = [{"Reference": ref, "Name": v[at["trading_name"]] or v[at["company_name"]], "Address": v[at["address"]],
                           "Last contact": _shown(v[at["last_contact"]]) if v[at["last_contact"]] else ""}
                          for ref in d.absent[:SAMPLE] for v in [existing[ref][1]]]
    return plan


# --- who is importing: the claim, the version, the matching lock --------------------------------


def _when(at: datetime | None) -> str:
    return f"{at.astimezone(timezone.utc):%H:%M} UTC" if at else "a moment ago"


def _person(session: Session, user_id: int | None) -> str:
    row = session.execute(select(User.name, Agency.name).join(Agency, Agency.id == User.agency_id)
                          .where(User.id == user_id)).first() if user_id else None
    return f"{row[0]} ({row[1]})" if row else "Someone"


def _busy(session: Session, ds: Dataset, now: datetime) -> str | None:
    """Who is importing into (or undoing an import of) the dataset now, in words; None when nobody is."""
    if ds.import_claim is None or ds.importing_since is None or ds.importing_since < now - CLAIM_LAPSES:
        return None
    who = _person(session, ds.importing_by_id)
    what = ds.importing_file or "a file"
    doing = (f"is undoing the import of {what.removeprefix(UNDO_PREFIX)} in" if what.startswith(UNDO_PREFIX)
             else f"is importing {what} into")
    return (f"{who} {doing} {ds.name} (started at {_when(ds.importing_since)}). One import of a dataset runs at a "
            "time: wait until it has finished, then look at the preview again.")


def _lock_wait(exc: OperationalError) -> bool:
    """A lock that was not granted in time (PostgreSQL lock_timeout, SQLite's busy database)."""
    return getattr(exc.orig, "sqlstate", None) == "55P03" or "database is locked" in str(exc.orig)


BUSY_DATABASE = ("Another import is being saved right now (the partnership's records are matched one import at a "
                 "time); try again in a minute. Nothing was changed.")


def _claim(uow: UnitOfWork, actor: Actor, dataset_id: int, what: str) -> str:
    """Claim the dataset for one import or undo (committed at once, apart from the import's own unit of work, so
    others are told who is importing)."""
    token = uuid.uuid4().hex
    now = datetime.now(timezone.utc)
    claimed = False
    try:
        with uow.another() as claim:
            s = claim.session
            ds = _dataset(s, actor, dataset_id)
            if (busy := _busy(s, ds, now)) is not None:
                raise Conflict(busy)
            if s.get_bind().dialect.name == "postgresql":  # never queue behind a running import's row lock: say who it is
                s.execute(text("SET LOCAL lock_timeout = '3s'"))
            result = s.execute(update(Dataset).where(
                Dataset.id == dataset_id,
                or_(Dataset.import_claim.is_(None), Dataset.importing_since.is_(None), Dataset.importing_since < now - CLAIM_LAPSES))
                .values(import_claim=token, importing_by_id=actor.id, importing_file=what[:260], importing_since=now)
                .execution_options(synchronize_session=False))
            claimed = result.rowcount == 1
            claim.commit()
    except OperationalError as exc:
        if not _lock_wait(exc):
            raise
    if not claimed:
        with uow.another() as peek:
            ds = peek.session.get(Dataset, dataset_id)
            busy = _busy(peek.session, ds, now) if ds is not None else None
        raise Conflict(busy or "Another import of this dataset is being saved right now; look at the preview again in "
                               "a minute. Nothing was changed.")
    return token


def _release(uow: UnitOfWork, dataset_id: int, token: str) -> None:
    """Give the claim back after a failed import (a successful one clears it in its own transaction)."""
    try:
        with uow.another() as release:
            release.session.execute(update(Dataset).where(Dataset.id == dataset_id, Dataset.import_claim == token).values(
                import_claim=None, importing_by_id=None, importing_file="", importing_since=None)
                .execution_options(synchronize_session=False))
            release.commit()
    except Exception:  # noqa: BLE001 - the import's own error matters more; the claim lapses in 30 minutes
        pass


def _changed_since(session: Session, ds: Dataset) -> str:
    """Who changed the dataset last (an import, or an undo), in words."""
    last = session.execute(select(DatasetImport, User.name).outerjoin(User, User.id == DatasetImport.imported_by_id)
                           .where(DatasetImport.dataset_id == ds.id).order_by(DatasetImport.id.desc()).limit(1)).first()
    undo = session.execute(select(DatasetImport, User.name).outerjoin(User, User.id == DatasetImport.undone_by_id)
                           .where(DatasetImport.dataset_id == ds.id, DatasetImport.undone_at.is_not(None))
                           .order_by(DatasetImport.undone_at.desc()).limit(1)).first()
    after = ("after this preview was made. Look at the preview again (it now compares the file with the dataset as it "
             "is) and import again if it still looks right. Nothing was changed.")
    if undo is not None and (last is None or undo[0].undone_at >= last[0].imported_at):
        return f"{undo[1] or 'Someone'} undid the import of {undo[0].filename} at {_when(undo[0].undone_at)}, {after}"
    if last is not None:
        return f"{last[1] or 'Someone'} imported {last[0].filename} at {_when(last[0].imported_at)}, {after}"
    return f"The dataset changed {after}"


def _take(session: Session, dataset_id: int, token: str, expected_version: int | None) -> None:
    """The transaction's first write: bump the version while the claim is ours (and, given one, the version is the
    preview's). It locks the dataset row (PostgreSQL) or the database (SQLite) until the transaction ends."""
    cond = [Dataset.id == dataset_id, Dataset.import_claim == token]
    if expected_version is not None:
        cond.append(Dataset.version == expected_version)
    result = session.execute(update(Dataset).where(*cond).values(version=Dataset.version + 1)
                             .execution_options(synchronize_session=False))
    if result.rowcount == 1:
        return
    ds = session.get(Dataset, dataset_id)
    if ds is None:
        raise NotFound("That dataset no longer exists.")
    if ds.import_claim != token:
        raise Conflict("This import waited so long that another one of the dataset started; look at the preview again. "
                       "Nothing was changed.")
    raise Conflict(_changed_since(session, ds))


def _clear_claim(ds: Dataset) -> None:
    ds.import_claim, ds.importing_by_id, ds.importing_file, ds.importing_since = None, None, "", None


# --- importing -------------------------------------------------------------------------------


@dataclass
class ImportResult:
    import_id: int
    rows: int
    added: int
    changed: int
    removed: int
    warnings: int
    records_matched: int  # this dataset's current records sharing a business with another agency's record
    businesses: int
    seconds: float
    added_refs: list[str] = field(default_factory=list)
    changed_refs: list[str] = field(default_factory=list)
    removed_refs: list[str] = field(default_factory=list)
    mode: str = "replace"
    kept: int = 0  # records not in the file left current ("upsert")


def _stored(rec: AgencyRecord) -> tuple[Any, ...]:
    return tuple(getattr(rec, k) for k in STORED)


def _before(rec: AgencyRecord) -> dict[str, Any]:
    return {**{k: jsonable(getattr(rec, k)) for k in STORED}, "import_id": rec.import_id}


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValidationError(f"Choose whether this file is the whole dataset ('{MODES['replace']}') or holds only some "
                              f"of it ('{MODES['upsert']}'). Nothing was imported.")
    return mode


@collector_paused()
def import_file(uow: UnitOfWork, *, actor: Actor, dataset_id: int, data: bytes, filename: str, mapping: Columns,
                progress: Progress | None = None, mode: str, expected_version: int | None = None,
                table: Table | None = None, match: bool = True) -> ImportResult:
    """Validate and import a file into the dataset, then re-match; all or nothing.

    `mode`: "replace" (the file is the whole dataset: references not in it stop being current) or "upsert"
    (add and update only). `expected_version`: the version of the plan the analyst saw (ImportPlan.version); if
    the dataset changed since, Conflict says who changed it. `table`: the file already read. A file with errors
    raises `RejectedFile` (a ValidationError carrying the per-row report) and writes nothing; so does an import
    while another of the same dataset runs (Conflict, saying who). `match=False` (a first bulk load of several
    files) leaves the matching to one run after the last file.
    """
    say = progress or (lambda _f, _m: None)
    started = datetime.now(timezone.utc)
    columns = clean_columns(mapping)
    check_mode(mode)
    with uow.another() as peek:  # read apart from the import's own unit of work, which the claim must not precede
        scale = _dataset(peek.session, actor, dataset_id).risk_scale
    say(0.02, "Reading the file")
    table = table or read_table(data, filename)
    say(0.1, f"Checking {len(table.frame):,} rows")
    checked = check(table.frame, columns, scale)
    checked.raise_if_errors()
    if not checked.rows:
        raise ValidationError(f"{filename} has no data rows, so nothing was imported (an empty file would remove every record).")

    token = _claim(uow, actor, dataset_id, filename)
    committed = False
    try:
        s = uow.session
        _take(s, dataset_id, token, expected_version)
        linking.lock_matching(s)
        ds = _dataset(s, actor, dataset_id)
        if ds.risk_scale != scale:  # changed while the file was read: band it with the scale it has now
            checked = check(table.frame, columns, ds.risk_scale)
            checked.raise_if_errors()
        say(0.25, "Saving the new snapshot")
        imp = DatasetImport(dataset_id=ds.id, imported_at=started, imported_by_id=actor.id, filename=filename[:260],
                            row_count=len(checked.rows), mode=mode,
                            previous={"tracked": True, "column_mapping": ds.column_mapping or {},
                                      "last_imported_at": jsonable(ds.last_imported_at)})
        s.add(imp)
        s.flush()
        existing = {r.reference: r for r in s.scalars(select(AgencyRecord).where(AgencyRecord.dataset_id == ds.id)
                                                      .order_by(AgencyRecord.current, AgencyRecord.id))}
        d = _diff({ref: (r.current, _stored(r)) for ref, r in existing.items()}, checked.rows)
        removed = d.absent if mode == "replace" else []
        if d.new:
            s.execute(insert(AgencyRecord), [{**r.values(), "dataset_id": ds.id, "import_id": imp.id,
                                              "agency_id": ds.agency_id, "current": True} for r in d.new])
            # Every record carrying this import's id is one it added (no other record has been touched yet).
            s.execute(insert(DatasetImportChange).from_select(
                ["import_id", "record_id", "kind"],
                select(literal(imp.id, Integer), AgencyRecord.id, literal("added", String))
                .where(AgencyRecord.dataset_id == ds.id, AgencyRecord.import_id == imp.id)))
        changes = [{"import_id": imp.id, "record_id": existing[r.reference].id, "kind": kind,
                    "before": _before(existing[r.reference])}
                   for kind, rows in (("returned", d.returned), ("changed", d.changed)) for r in rows]
        changes += [{"import_id": imp.id, "record_id": existing[ref].id, "kind": "removed", "before": None} for ref in removed]
        if changes:
            s.execute(insert(DatasetImportChange), changes)
        for row in d.returned + d.changed:
            rec, values = existing[row.reference], row.values()
            for k in STORED:
                setattr(rec, k, values[k])
            rec.current, rec.import_id = True, imp.id  # a returning reference is the same record: it keeps its business
        for ref in removed:
            existing[ref].current = False
        added = [r.reference for r in d.new + d.returned]
        changed = [r.reference for r in d.changed]
        imp.added, imp.changed, imp.removed = len(added), len(changed), len(removed)
        ds.column_mapping = columns
        ds.last_imported_at = started
        _clear_claim(ds)
        s.flush()

        if match:
            say(0.4, "Matching records into businesses")
            summary = linking.relink(s, progress=lambda f, m: say(0.4 + 0.55 * max(0.0, min(1.0, f)), m))
            matched, businesses = _records_matched(s, ds), summary.businesses
        else:
            matched, businesses = 0, 0
        seconds = (datetime.now(timezone.utc) - started).total_seconds()
        kept = len(d.absent) - len(removed)
        imp.report = {
            "rows": len(checked.rows), "errors": 0, "warnings": len(checked.warnings),
            "warning_sample": [w.__dict__ for w in checked.warnings[:REF_CAP]],
            "mapping": columns, "file": table.describe(), "mode": mode, "kept": kept,
            "added_refs": added[:REF_CAP], "changed_refs": changed[:REF_CAP], "removed_refs": removed[:REF_CAP],
            "records_matched": matched, "businesses": businesses, "seconds": round(seconds, 2),
        }
        record(s, actor, action="dataset.import", entity="dataset", entity_id=ds.id,
               after={"import_id": imp.id, "filename": filename, "mode": mode, "rows": len(checked.rows),
                      "added": len(added), "changed": len(changed), "removed": len(removed), "kept": kept},
               summary=f"{ds.name}: imported {filename} ({MODES[mode].lower()}; {len(checked.rows):,} rows; "
                       f"{len(added):,} added, {len(changed):,} changed, {len(removed):,} removed)")
        say(0.97, "Saving")
        uow.commit()
        committed = True
    except OperationalError as exc:
        if not _lock_wait(exc):
            raise
        raise Conflict(BUSY_DATABASE) from None
    finally:
        if not committed:
            uow.session.rollback()  # first let go of the dataset's row (or SQLite's write lock), then the claim
            _release(uow, dataset_id, token)
    say(1.0, "Done")
    return ImportResult(imp.id, len(checked.rows), len(added), len(changed), len(removed), len(checked.warnings), matched,
                        businesses, seconds, added[:REF_CAP], changed[:REF_CAP], removed[:REF_CAP], mode, kept)


# --- undoing an import -----------------------------------------------------------------------


@dataclass
class UndoResult:
    import_id: int
    filename: str
    restored: int  # records put back as they were (changed by the import, or made not current by it)
    retired: int  # records the import added (or brought back) that are not current any more
    seconds: float


def _latest(session: Session, dataset_id: int) -> DatasetImport | None:
    """The newest import of the dataset that has not been undone."""
    return session.scalars(select(DatasetImport).where(DatasetImport.dataset_id == dataset_id, DatasetImport.undone_at.is_(None))
                           .order_by(DatasetImport.id.desc()).limit(1)).first()


def _undoable(session: Session, actor: Actor, dataset_id: int, import_id: int) -> tuple[Dataset, DatasetImport]:
    ds = _dataset(session, actor, dataset_id)
    imp = session.get(DatasetImport, import_id)
    if imp is None or imp.dataset_id != ds.id:
        raise NotFound("That import is not in this dataset's history.")
    if imp.undone_at is not None:
        raise Conflict(f"The import of {imp.filename} was already undone (at {_when(imp.undone_at)}).")
    latest = _latest(session, ds.id)
    if latest is not None and latest.id != imp.id:
        raise Conflict(f"Undo the import of {latest.filename} ({latest.imported_at:%d %b %Y %H:%M} UTC) first: imports "
                       "are undone newest first.")
    if not _tracked(imp):
        raise ValidationError(f"The import of {imp.filename} was made before imports could be undone, so what it "
                              "replaced was not kept. Import the earlier file again instead.")
    return ds, imp


@collector_paused()
def undo_import(uow: UnitOfWork, *, actor: Actor, dataset_id: int, import_id: int,
                progress: Progress | None = None) -> UndoResult:
    """Put back the dataset as it was before its newest import: records it changed get their values back, records
    it made stop being current are current again, records it added (or brought back) stop being current; the
    mapping and last-import time are restored. Audited; matching runs again; one transaction."""
    say = progress or (lambda _f, _m: None)
    started = datetime.now(timezone.utc)
    with uow.another() as peek:
        _ds, imp = _undoable(peek.session, actor, dataset_id, import_id)
        filename = imp.filename
    token = _claim(uow, actor, dataset_id, UNDO_PREFIX + filename)
    committed = False
    try:
        s = uow.session
        _take(s, dataset_id, token, None)
        linking.lock_matching(s)
        ds, imp = _undoable(s, actor, dataset_id, import_id)
        say(0.1, f"Putting back the dataset as it was before {filename}")
        changes = s.execute(select(DatasetImportChange.record_id, DatasetImportChange.kind, DatasetImportChange.before)
                            .where(DatasetImportChange.import_id == imp.id)).all()
        counts = {"added": 0, "returned": 0, "changed": 0, "removed": 0}
        for _rid, kind, _b in changes:
            counts[kind] = counts.get(kind, 0) + 1
        for kind, current in (("added", False), ("removed", True)):
            if counts[kind]:
                s.execute(update(AgencyRecord).where(AgencyRecord.id.in_(
                    select(DatasetImportChange.record_id).where(DatasetImportChange.import_id == imp.id,
                                                                DatasetImportChange.kind == kind)))
                    .values(current=current).execution_options(synchronize_session=False))
        restore = []
        for rid, kind, before in changes:
            if kind in ("returned", "changed") and before:
                values = {k: before.get(k) for k in STORED}
                values["last_contact"] = date.fromisoformat(values["last_contact"]) if values["last_contact"] else None
                values["extra"] = values["extra"] or {}
                values["risk_band"] = band_for(ds.risk_scale, values["risk_value"] or "")  # banded by today's scale
                restore.append({"id": rid, **values, "import_id": before.get("import_id"), "current": kind == "changed"})
        if restore:
            linking._update_by_id(s, AgencyRecord, restore)  # noqa: SLF001 - the same bulk update matching uses
        previous = imp.previous or {}
        ds.column_mapping = previous.get("column_mapping") or {}
        last = previous.get("last_imported_at")
        ds.last_imported_at = datetime.fromisoformat(last) if last else None
        imp.undone_at, imp.undone_by_id = started, actor.id
        _clear_claim(ds)
        s.flush()
        say(0.3, "Matching records into businesses")
        linking.relink(s, progress=lambda f, m: say(0.3 + 0.65 * max(0.0, min(1.0, f)), m))
        restored, retired = counts["changed"] + counts["removed"], counts["added"] + counts["returned"]
        seconds = (datetime.now(timezone.utc) - started).total_seconds()
        record(s, actor, action="dataset.import_undo", entity="dataset", entity_id=ds.id,
               after={"import_id": imp.id, "filename": filename, "restored": restored, "retired": retired},
               summary=f"{ds.name}: undid the import of {filename} ({restored:,} records put back as they were, "
                       f"{retired:,} no longer current)")
        uow.commit()
        committed = True
    except OperationalError as exc:
        if not _lock_wait(exc):
            raise
        raise Conflict(BUSY_DATABASE) from None
    finally:
        if not committed:
            uow.session.rollback()  # first let go of the dataset's row (or SQLite's write lock), then the claim
            _release(uow, dataset_id, token)
    say(1.0, "Done")
    return UndoResult(import_id, filename, restored, retired, seconds)


def _records_matched(s: Session, ds: Dataset) -> int:
    other = aliased(AgencyRecord)
    shared = (select(other.id).where(other.business_id == AgencyRecord.business_id, other.current.is_(True),
                                     other.agency_id != ds.agency_id).exists())
    return s.scalar(select(func.count()).select_from(AgencyRecord).where(
        AgencyRecord.dataset_id == ds.id, AgencyRecord.current.is_(True), AgencyRecord.business_id.is_not(None), shared)) or 0
