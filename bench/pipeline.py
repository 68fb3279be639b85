"""The whole shared-risk-list pipeline at partnership scale: import every agency's file, match, list.

    .venv/bin/python bench/pipeline.py --businesses 100000            # SQLite file in a temp folder
    .venv/bin/python bench/pipeline.py --businesses 100000 --database-url postgresql+psycopg://...

Generates the agency exports with bench/premises.py (cached like bench/matching.py), makes a fresh
database with one agency, analyst and dataset per file, then times, through the same services the
Datasets page uses: reading, checking and storing each file (a first bulk load defers matching to
one run after the last file: `import_file(..., match=False)`), one matching run over every record,
and building the shared risk list as an analyst sees it. Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

from sqlalchemy import create_engine, func, make_url, select, text  # noqa: E402

from core.domain import Role  # noqa: E402
from core.importing.mapping import load_mapping  # noqa: E402
from core.importing.reader import read_table  # noqa: E402
from core.importing.risk import suggest_risk_scale  # noqa: E402
from core.passwords import hash_password  # noqa: E402
from core.permissions import Actor  # noqa: E402
from core.services import datasets, risklist  # noqa: E402
from core.services.linking import relink  # noqa: E402
from core.store import Store  # noqa: E402
from core.store.models import Agency, AgencyRecord, User  # noqa: E402
from matching import exports  # noqa: E402


def _database(url: str, tmp: Path) -> tuple[str, object]:
    if not url:
        return f"sqlite:///{tmp / 'pipeline.db'}", None
    name = f"ph_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--businesses", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--database-url", default="", help="a PostgreSQL server URL (a throwaway database is made beside it)")
    p.add_argument("--cache", type=Path, default=BENCH / ".cache")
    p.add_argument("--profile", action="store_true", help="profile the imports and the matching run; print the top entries")
    args = p.parse_args(argv)

    folder = exports(args.businesses, args.seed, args.cache)
    entries = load_mapping((BENCH / "premises_mapping.yaml").read_text(encoding="utf-8"))
    figures: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = _database(args.database_url, Path(tmp))
        try:
            store = Store(url)
            actors: dict[str, Actor] = {}
            with store.uow() as uow:
                pw = hash_password("bench-only-password")
                for e in entries:
                    a = Agency(code=e.agency, name=f"Agency {e.agency}", remit=[])
                    uow.session.add(a)
                    uow.session.flush()
                    u = User(username=f"analyst.{e.agency.lower()}", name=f"{e.agency} analyst", role="analyst",
                             agency_id=a.id, password_hash=pw)
                    uow.session.add(u)
                    uow.session.flush()
                    actors[e.agency] = Actor(u.id, u.username, u.name, Role.ANALYST, a.id, a.name)
                uow.commit()

            started = time.perf_counter()
            rows = 0
            for e in entries:
                data = (folder / e.file).read_bytes()
                actor = actors[e.agency]
                t0 = time.perf_counter()
                risk_col = e.columns.get("risk")
                scale = suggest_risk_scale(read_table(data, e.file).frame[risk_col]) if risk_col else {}
                with store.uow() as uow:
                    did = datasets.create_dataset(uow, actor=actor, name=e.file)
                    datasets.set_risk_scale(uow, actor=actor, dataset_id=did, scale=scale)
                    uow.commit()
                with store.uow() as unit:
                    result = datasets.import_file(unit, actor=actor, dataset_id=did, data=data, filename=e.file,
                                                  mapping=e.columns, mode="replace", match=False)
                rows += result.rows
                figures.append((f"import {e.file}", time.perf_counter() - t0, f"{result.rows:,} rows"))
            imported = time.perf_counter() - started

            t0 = time.perf_counter()
            profiler = cProfile.Profile() if args.profile else None
            with store.uow() as uow:
                if profiler:
                    profiler.enable()
                summary = relink(uow.session)
                uow.commit()
                if profiler:
                    profiler.disable()
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
            figures.append(("match every record", time.perf_counter() - t0,
                            f"{summary.records:,} records -> {summary.businesses:,} businesses, "
                            f"{summary.multi_agency:,} held by 2+ agencies, {summary.review_pairs:,} to review"))

            viewer = actors[entries[0].agency]
            t0 = time.perf_counter()
            with store.read() as unit:
                whole = risklist.whole_list(unit, actor=viewer)
            two = risklist.narrow(whole, risklist.RiskFilters(min_agencies=2))
            figures.append(("build the risk list", time.perf_counter() - t0,
                            f"{whole.total:,} businesses visible to {entries[0].agency}, {two.total:,} held by 2+"))
            total = time.perf_counter() - started
            with store.read() as s:
                stored = s.session.scalar(select(func.count()).select_from(AgencyRecord))
            store.dispose()
        finally:
            if drop:
                drop()

    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"\nPipeline at {args.businesses:,} businesses ({rows:,} rows in {len(entries)} files, {stored:,} stored), "
          f"{backend}\n")
    print("| step | seconds | |\n|---|--:|---|")
    for step, secs, note in figures:
        print(f"| {step} | {secs:.1f} | {note} |")
    print(f"| **imports together** | **{imported:.1f}** | |")
    print(f"| **imported, matched and listed** | **{total:.1f}** | goal: under 60 |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
