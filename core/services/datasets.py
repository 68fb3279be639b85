"""Agency datasets: their imports (all-or-nothing snapshots), column mappings, risk scales and sharing limits.

An import replaces the dataset's current snapshot by reference: new references are added, changed
ones updated in place (they keep their business), references no longer in the file are marked not
current. The mapping is saved for next time, the import is recorded with what changed, matching is
re-run, and all of it lands in one unit of work or none of it does.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, aliased

from core.bulk import collector_paused
from core.errors import NotFound, ValidationError
from core.importing.mapping import Columns, clean_columns, suggest_mapping
from core.importing.reader import Table, read_table
from core.importing.risk import band_for, check_scale
from core.importing.validate import Checked, check
from core.permissions import Actor, ensure
from core.services import linking
from core.services.audit import record
from core.store import Store
from core.store.models import Agency, AgencyRecord, Dataset, DatasetImport, User
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


def datasets(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """My agency's datasets with their mapping, scale, sharing limit, size and freshness."""
    ensure(actor, "dataset.manage", agency_id=actor.agency_id)
    now = datetime.now(timezone.utc)
    found = session.scalars(select(Dataset).where(Dataset.agency_id == actor.agency_id).order_by(Dataset.name)).all()
    counts = _current_counts(session, [d.id for d in found])
    return [{"id": d.id, "name": d.name, "description": d.description, "sharing": d.sharing,
             "column_mapping": d.column_mapping or {}, "risk_scale": d.risk_scale or {}, "records": counts.get(d.id, 0),
             **_freshness(d, now)} for d in found]


def freshness(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Every dataset's age for whoever sees the risk list; other agencies' owner-only datasets are not listed."""
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


def create_dataset(uow: UnitOfWork, actor: Actor, *, name: str, description: str = "", sharing: str = DEFAULT_SHARING,
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
    return ds.id


def _set(uow: UnitOfWork, actor: Actor, dataset_id: int, attr: str, value: Any, what: str) -> Dataset:
    ds = _dataset(uow.session, actor, dataset_id)
    before = getattr(ds, attr)
    setattr(ds, attr, value)
    record(uow.session, actor, action=f"dataset.{attr}", entity="dataset", entity_id=ds.id,
           before={attr: before}, after={attr: value}, summary=f"{ds.name}: {what}")
    return ds


def set_sharing(uow: UnitOfWork, actor: Actor, dataset_id: int, sharing: str) -> None:
    _set(uow, actor, dataset_id, "sharing", _check_sharing(sharing), f"sharing set to {sharing}")


def set_stale_after_days(uow: UnitOfWork, actor: Actor, dataset_id: int, days: int) -> None:
    _set(uow, actor, dataset_id, "stale_after_days", _check_days(days), f"stale after {int(days)} days")


def set_risk_scale(uow: UnitOfWork, actor: Actor, dataset_id: int, scale: dict[str, Any]) -> int:
    """Save the scale and re-band the dataset's current records; returns how many records changed band."""
    clean = check_scale(scale)
    ds = _set(uow, actor, dataset_id, "risk_scale", clean, "risk scale changed")
    changed = 0
    for rec in uow.session.scalars(select(AgencyRecord).where(AgencyRecord.dataset_id == ds.id, AgencyRecord.current.is_(True))):
        band = band_for(clean, rec.risk_value)
        if band != rec.risk_band:
            rec.risk_band = band
            changed += 1
    return changed


def risk_values(session: Session, actor: Actor, dataset_id: int) -> dict[str, int]:
    """The risk values the dataset's current records hold, with how many records hold each."""
    ds = _dataset(session, actor, dataset_id)
    rows = session.execute(select(AgencyRecord.risk_value, func.count()).where(
        AgencyRecord.dataset_id == ds.id, AgencyRecord.current.is_(True), AgencyRecord.risk_value != "")
        .group_by(AgencyRecord.risk_value).order_by(AgencyRecord.risk_value))
    return dict(rows.all())


def history(session: Session, actor: Actor, dataset_id: int) -> list[dict[str, Any]]:
    """The dataset's imports, newest first: when, who, file, rows, added, changed, removed."""
    ds = _dataset(session, actor, dataset_id)
    rows = session.execute(select(DatasetImport, User.name).outerjoin(User, User.id == DatasetImport.imported_by_id)
                           .where(DatasetImport.dataset_id == ds.id).order_by(DatasetImport.imported_at.desc(), DatasetImport.id.desc()))
    return [{"id": imp.id, "imported_at": imp.imported_at, "by": name or "", "filename": imp.filename, "rows": imp.row_count,
             "added": imp.added, "changed": imp.changed, "removed": imp.removed,
             "warnings": (imp.report or {}).get("warnings", 0), "report": imp.report or {}} for imp, name in rows]


# --- previewing, checking and importing a file ----------------------------------------------


@dataclass(frozen=True)
class Preview:
    table: Table
    head: pd.DataFrame
    suggestion: Columns


def preview(data: bytes, filename: str, *, rows: int = 20) -> Preview:
    """Read an uploaded file: its first rows and a suggested column mapping (nothing is stored)."""
    table = read_table(data, filename)
    return Preview(table, table.frame.head(rows), suggest_mapping(table.frame))


def check_file(session: Session, actor: Actor, dataset_id: int, data: bytes, filename: str, mapping: Columns,
               *, table: Table | None = None) -> Checked:
    """The validation report for a file against a dataset's risk scale, without importing it (`table`: already read)."""
    ds = _dataset(session, actor, dataset_id)
    return check((table or read_table(data, filename)).frame, mapping, ds.risk_scale)


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


def _stored(rec: AgencyRecord) -> tuple[Any, ...]:
    return tuple(getattr(rec, k) for k in STORED)


@collector_paused()
def import_file(store: Store, actor: Actor, dataset_id: int, data: bytes, filename: str, mapping: Columns,
                progress: Progress | None = None, *, match: bool = True) -> ImportResult:
    """Validate and import a file as the dataset's new snapshot, then re-match; all or nothing.

    A file with errors raises `RejectedFile` (a ValidationError carrying the per-row report) and
    writes nothing. `match=False` (a first bulk load of several files: `python -m core.cli import`)
    leaves the matching to one run after the last file.
    """
    say = progress or (lambda _f, _m: None)
    started = datetime.now(timezone.utc)
    columns = clean_columns(mapping)
    with store.uow() as uow:
        s = uow.session
        ds = _dataset(s, actor, dataset_id)
        say(0.02, "Reading the file")
        table = read_table(data, filename)
        say(0.1, f"Checking {len(table.frame):,} rows")
        checked = check(table.frame, columns, ds.risk_scale)
        checked.raise_if_errors()
        if not checked.rows:
            raise ValidationError(f"{filename} has no data rows, so nothing was imported (an empty file would remove every record).")

        say(0.25, "Saving the new snapshot")
        imp = DatasetImport(dataset_id=ds.id, imported_at=started, imported_by_id=actor.id, filename=filename[:260],
                            row_count=len(checked.rows))
        s.add(imp)
        s.flush()
        existing = {r.reference: r for r in s.scalars(select(AgencyRecord).where(AgencyRecord.dataset_id == ds.id)
                                                         .order_by(AgencyRecord.current, AgencyRecord.id))}
        added: list[str] = []
        changed: list[str] = []
        seen: set[str] = set()
        new_rows = []
        for row in checked.rows:
            seen.add(row.reference)
            values = row.values()
            rec = existing.get(row.reference)
            if rec is None:
                new_rows.append({**values, "dataset_id": ds.id, "import_id": imp.id, "agency_id": ds.agency_id, "current": True})
                added.append(row.reference)
            elif not rec.current:  # back after an absence: the same record, so it keeps its business
                for k in STORED:
                    setattr(rec, k, values[k])
                rec.current, rec.import_id = True, imp.id
                added.append(row.reference)
            elif _stored(rec) != tuple(values[k] for k in STORED):
                for k in STORED:
                    setattr(rec, k, values[k])
                rec.import_id = imp.id
                changed.append(row.reference)
        if new_rows:
            s.execute(insert(AgencyRecord), new_rows)
        removed = [ref for ref, rec in existing.items() if rec.current and ref not in seen]
        for ref in removed:
            existing[ref].current = False
        imp.added, imp.changed, imp.removed = len(added), len(changed), len(removed)
        ds.column_mapping = columns
        ds.last_imported_at = started
        s.flush()

        if match:
            say(0.4, "Matching records into businesses")
            summary = linking.relink(s, progress=lambda f, m: say(0.4 + 0.55 * max(0.0, min(1.0, f)), m))
            matched, businesses = _records_matched(s, ds), summary.businesses
        else:
            matched, businesses = 0, 0
        seconds = (datetime.now(timezone.utc) - started).total_seconds()
        imp.report = {
            "rows": len(checked.rows), "errors": 0, "warnings": len(checked.warnings),
            "warning_sample": [w.__dict__ for w in checked.warnings[:REF_CAP]],
            "mapping": columns, "file": table.describe(),
            "added_refs": added[:REF_CAP], "changed_refs": changed[:REF_CAP], "removed_refs": removed[:REF_CAP],
            "records_matched": matched, "businesses": businesses, "seconds": round(seconds, 2),
        }
        record(s, actor, action="dataset.import", entity="dataset", entity_id=ds.id,
               after={"import_id": imp.id, "filename": filename, "rows": len(checked.rows), "added": len(added),
                      "changed": len(changed), "removed": len(removed)},
               summary=f"{ds.name}: imported {filename} ({len(checked.rows):,} rows; {len(added):,} added, "
                       f"{len(changed):,} changed, {len(removed):,} removed)")
        say(0.97, "Saving")
        uow.commit()
    say(1.0, "Done")
    return ImportResult(imp.id, len(checked.rows), len(added), len(changed), len(removed), len(checked.warnings), matched,
                        businesses, seconds, added[:REF_CAP], changed[:REF_CAP], removed[:REF_CAP])


def _records_matched(s: Session, ds: Dataset) -> int:
    other = aliased(AgencyRecord)
    shared = (select(other.id).where(other.business_id == AgencyRecord.business_id, other.current.is_(True),
                                     other.agency_id != ds.agency_id).exists())
    return s.scalar(select(func.count()).select_from(AgencyRecord).where(
        AgencyRecord.dataset_id == ds.id, AgencyRecord.current.is_(True), AgencyRecord.business_id.is_not(None), shared)) or 0
