"""Cost of one audited write: a small change plus its audit row, committed, sequentially and from 10 threads.

    .venv/bin/python -m bench.audit_writes [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [-n 500]

Makes a throwaway database (a temporary SQLite file, or a database beside the given PostgreSQL URL, dropped at the
end), then times N units of work that each change one agency's contact name and record the change with
`core.services.audit.record`, one after another and then spread over 10 threads. Prints milliseconds per write
(wall; and the benchmark process's own CPU, which a busy machine disturbs less).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from core.services import audit
from core.store import Store
from core.store.models import Agency


def _write(store: Store, agency_id: int, i: int) -> None:
    with store.uow() as uow:
        agency = uow.session.get(Agency, agency_id)
        before = {"contact_name": agency.contact_name}
        agency.contact_name = f"Contact {i}"
        audit.record(uow.session, None, action="agency.update", entity="agency", entity_id=agency_id,
                     before=before, after={"contact_name": agency.contact_name}, summary=f"bench write {i}")
        uow.commit()


def run(url: str, n: int, threads: int) -> dict[str, float]:
    store = Store(url)
    try:
        with store.uow() as uow:
            agencies = [Agency(code=f"B{k}", name=f"Bench {k}", remit=[]) for k in range(threads)]
            uow.session.add_all(agencies)
            uow.commit()
        ids = [a.id for a in agencies]
        for i in range(20):  # warm the pool and the statement caches
            _write(store, ids[0], i)
        times = []
        cpu0 = time.process_time()
        for i in range(n):
            t0 = time.perf_counter()
            _write(store, ids[0], i)
            times.append(time.perf_counter() - t0)
        cpu = time.process_time() - cpu0
        per_thread = max(1, n // threads)
        errors: list[BaseException] = []

        def worker(k: int) -> None:
            try:
                for i in range(per_thread):
                    _write(store, ids[k], i)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
        t0 = time.perf_counter()
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        wall = time.perf_counter() - t0
        if errors:
            raise errors[0]
        return {
            "sequential mean ms": statistics.mean(times) * 1000,
            "sequential median ms": statistics.median(times) * 1000,
            "sequential p95 ms": sorted(times)[int(len(times) * 0.95)] * 1000,
            "sequential app CPU ms": cpu / n * 1000,
            f"{threads} threads: ms per write (wall / writes)": wall / (per_thread * threads) * 1000,
        }
    finally:
        store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="a PostgreSQL server URL; a throwaway database is made beside it")
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--threads", type=int, default=10)
    args = parser.parse_args()
    if args.database_url:
        name = f"ph_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            figures = run(make_url(args.database_url).set(database=name).render_as_string(hide_password=False),
                          args.n, args.threads)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        backend = "PostgreSQL"
    else:
        with tempfile.TemporaryDirectory() as tmp:
            figures = run(f"sqlite:///{Path(tmp) / 'bench.db'}", args.n, args.threads)
        backend = "SQLite"
    for key, value in figures.items():
        print(f"{backend:<10} {key:<45} {value:8.2f}")


if __name__ == "__main__":
    main()
