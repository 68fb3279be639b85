"""Page render benchmark: how long each page takes to render, at demo and at county scale.

    .venv/bin/python bench/pages.py [--runs N] [--database-url URL] [--county-url URL] [--keep] [--profile]

Builds two databases (SQLite in a temporary directory by default; throwaway PostgreSQL databases
beside `--database-url postgresql+psycopg://...`), seeds one with `core.demo.seed_demo(scale="demo")`
and one with `scale="county"`, then renders every page registered in app.py's PAGES through
`streamlit.testing.v1.AppTest`, signed in as a demo user of a role that may see it. Only the
`switch_page(...).run()` is timed; the sign-in run before it is not. Prints the seeding times, the
row counts, and the medians as a plain table and as Markdown.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import cProfile
import io
import logging
import os
import platform
import pstats
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python bench/pages.py`: make `core` and `ui` importable
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Connection, Engine, bindparam, create_engine, event, make_url, text  # noqa: E402

from core.domain import Role  # noqa: E402
from core.permissions import roles_for  # noqa: E402
from core.store import Store  # noqa: E402

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

APP = ROOT / "app.py"
SCALES = ("demo", "county")
COUNTED_TABLES = ("users", "agency_records", "actions", "referrals", "visits", "audit_events")
# The demo partnership has one user per role, named after it (admin, chair, ...).
ROLE_PREFERENCE = [r.value for r in (Role.ADMIN, Role.CHAIR, Role.COORDINATOR, Role.ANALYST, Role.OFFICER)]
# Pages whose most data-rich view is not the first role of ROLE_PREFERENCE.
PREFERRED_ROLE = {"pages/audit.py": "chair"}
# Pages that differ per role: benchmarked once for every role that may see them.
EVERY_ROLE = {"pages/home.py"}
PAGE_TIMEOUT_S = 60


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Case:
    """One benchmarked render: a page seen by a role."""

    path: str
    role: str

    @property
    def label(self) -> str:
        return Path(self.path).stem


@dataclass
class Database:
    scale: str
    url: str
    server: str = ""  # e.g. "PostgreSQL 16.4"
    migrate_s: float = 0.0
    seed_s: float | None = None  # None: an existing database, used as it was
    analyze_s: float | None = None  # PostgreSQL only
    counts: dict[str, int] = field(default_factory=dict)


PageWrapper = Callable[[], contextlib.AbstractContextManager[Any]]


class PageFailed(Exception):
    """A page raised, or did not render as the signed-in user."""


# --- the pages ---------------------------------------------------------------------------------


def registered_pages(app: Path = APP) -> list[Page]:
    """(path, title, roles) of every entry of app.py's PAGES, read with `ast` (importing app.py runs the app)."""
    tree = ast.parse(app.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and "PAGES" in _target_names(node):
            assert isinstance(node.value, ast.List), "PAGES in app.py is no longer a list literal"
            pages = []
            for entry in node.value.elts:
                assert isinstance(entry, ast.Tuple), "PAGES entries are (file, title, icon, roles, group)"
                path, title, _icon, roles_expr, _group = entry.elts
                pages.append(Page(ast.literal_eval(path), ast.literal_eval(title), _eval_roles(roles_expr)))
            return pages
    raise SystemExit(f"PAGES not found in {app}")


def _target_names(node: ast.Assign | ast.AnnAssign) -> set[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {t.id for t in targets if isinstance(t, ast.Name)}


def _eval_roles(expr: ast.expr) -> frozenset[str]:
    """Evaluate a roles expression (`set(Role)`, `roles_for("...")`, `{Role.ADMIN}`) without the app."""
    code = compile(ast.Expression(expr), str(APP), "eval")
    roles = eval(code, {"__builtins__": {"set": set, "frozenset": frozenset}, "Role": Role, "roles_for": roles_for})  # noqa: S307
    return frozenset(Role(r).value for r in roles)


def cases_for(pages: list[Page]) -> list[Case]:
    """The role used for each page: the one with the most data, or every role for per-role pages."""
    cases = []
    for page in pages:
        allowed = [r for r in ROLE_PREFERENCE if r in page.roles]
        if not allowed:
            continue
        if page.path in EVERY_ROLE:
            cases += [Case(page.path, r) for r in allowed]
        else:
            preferred = PREFERRED_ROLE.get(page.path)
            cases.append(Case(page.path, preferred if preferred in allowed else allowed[0]))
    return cases


# --- the databases -----------------------------------------------------------------------------


def seed(url: str, scale: str, *, existing_ok: bool = False) -> Database:
    """Migrate and seed `url` at `scale` (an existing, non-empty database is used as it is when allowed)."""
    from core.demo import is_empty, seed_demo

    db = Database(scale, url)
    started = time.perf_counter()
    store = Store(url)
    db.migrate_s = time.perf_counter() - started
    try:
        if not is_empty(store):
            if not existing_ok:
                raise SystemExit(f"{_safe(url)} is not empty; refusing to seed over it")
            print(f"  {scale:<7} using the existing data in {_safe(url)}", flush=True)
        else:
            print(f"  {scale:<7} seeding {_safe(url)} …", flush=True)
            started = time.perf_counter()
            seed_demo(store, scale=scale)
            db.seed_s = time.perf_counter() - started
        if store.dialect == "postgresql":
            # What autovacuum does soon after a bulk load; without it (autovacuum can be off, as on
            # the CI server) the planner has no statistics and misjudges the county-scale joins.
            started = time.perf_counter()
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
            db.analyze_s = time.perf_counter() - started
        with store.engine.connect() as conn:
            db.counts = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) or 0 for t in COUNTED_TABLES}
            version = ".".join(map(str, conn.dialect.server_version_info or ()))
        db.server = f"{'PostgreSQL' if store.dialect == 'postgresql' else 'SQLite'} {version}"
    finally:
        store.dispose()
    return db


def _sqlite_url(path: Path) -> str:
    for suffix in ("", "-wal", "-shm"):  # a kept file from an earlier run: start afresh
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


@contextlib.contextmanager
def postgres_databases(server_url: str, *, keep: bool) -> Iterator[Callable[[str], str]]:
    """Yields `new(scale) -> url`: a new database beside `server_url`; all are dropped on exit unless `keep`."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    names: list[str] = []
    tag = uuid.uuid4().hex[:8]

    def new(scale: str) -> str:
        name = f"ph_bench_{scale}_{tag}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        names.append(name)
        return make_url(server_url).set(database=name).render_as_string(hide_password=False)

    try:
        yield new
    finally:
        _forget_cached_stores()
        with admin.connect() as conn:
            for name in names:
                if keep:
                    print(f"kept PostgreSQL database {name}")
                else:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _forget_cached_stores() -> None:
    """Drop the app's cached stores so their pooled connections close before databases are removed."""
    import gc

    from ui.context import open_store

    open_store.clear()
    gc.collect()


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# --- measuring ---------------------------------------------------------------------------------


class Renderer:
    """Renders pages through AppTest in this process, signed in as a demo user."""

    def __init__(self) -> None:
        # Outside a server Streamlit warns several times per render (and AppTest resets log levels);
        # deprecations are the app's business, and a failing page is reported by this script.
        for name in ("streamlit.runtime.scriptrunner_utils.script_run_context", "streamlit.deprecation_util"):
            logging.getLogger(name).disabled = True
        self.cookie_key = secrets.token_urlsafe(32)
        self.names: dict[tuple[str, str], str] = {}
        self.versions: dict[tuple[str, str], int] = {}  # session versions: app.py signs a session out without it

    def add(self, db: Database) -> None:
        """Learn the names of `db`'s demo users (one per role, named after it)."""
        store = Store(db.url, migrate=False)
        try:
            with store.engine.connect() as conn:
                query = text("SELECT username, name, session_version FROM users WHERE username IN :u").bindparams(bindparam("u", expanding=True))
                rows = conn.execute(query, {"u": ROLE_PREFERENCE}).all()
        finally:
            store.dispose()
        for username, name, version in rows:
            self.names[(db.url, username)] = name
            self.versions[(db.url, username)] = version
        missing = [r for r in ROLE_PREFERENCE if (db.url, r) not in self.names]
        if missing:
            raise SystemExit(f"the {db.scale} database has no demo user(s) {missing}")

    def render(self, db: Database, case: Case, *, around_page: PageWrapper = contextlib.nullcontext) -> float:
        """Sign in, then time `switch_page(path).run()` (inside `around_page()`); seconds."""
        from streamlit.testing.v1 import AppTest

        os.environ["DATABASE_URL"] = db.url
        os.environ["PH_COOKIE_KEY"] = self.cookie_key
        os.environ["PH_SEED_DEMO"] = "0"
        name = self.names[(db.url, case.role)]
        with routed_like_a_server():
            at = AppTest.from_file(str(APP), default_timeout=PAGE_TIMEOUT_S)
            at.session_state["authentication_status"] = True
            at.session_state["username"] = case.role
            at.session_state["name"] = name
            at.session_state["roles"] = [case.role]
            at.session_state["_ph_sv"] = self.versions[(db.url, case.role)]
            at.run()
            _check(at, db, case, "the sign-in run", name)
            at.switch_page(case.path)
            with around_page():
                started = time.perf_counter()
                at.run()
                took = time.perf_counter() - started
        _check(at, db, case, "the page run", name)
        _check_page(at, db, case)
        return took


@contextlib.contextmanager
def routed_like_a_server() -> Iterator[None]:
    """Make every AppTest run start at app.py, the router, as every run on a running server does.

    Streamlit treats an app with a `pages/` folder beside its main script as a v1 multipage app
    until some script calls `st.navigation`; a server runs app.py first and then always routes
    through it. AppTest resets that flag before each run, so after `switch_page()` it would run the
    page file alone: no sign-in check, no frame, and a context left over from the previous run.
    """
    from streamlit.runtime.pages_manager import PagesManager

    class RoutedPagesManager(PagesManager):
        def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    with mock.patch("streamlit.testing.v1.app_test.PagesManager", RoutedPagesManager):
        yield


def _check(at: AppTest, db: Database, case: Case, stage: str, name: str) -> None:
    """The run raised nothing, and app.py's frame ran in it and signed the user in (their name is in the sidebar)."""
    where = f"{case.path} as {case.role} at {db.scale} scale ({stage})"
    if at.exception:
        details = "\n".join(f"{e.proto.message}\n" + "\n".join(e.stack_trace) for e in at.exception)
        raise PageFailed(f"{where} raised:\n{details}")
    if not any(name in str(m.value) for m in at.sidebar.markdown):
        errors = "; ".join(e.value for e in at.error) or "no error shown"
        raise PageFailed(f"{where}: app.py did not sign {case.role} in, or did not run ({errors})")


def _check_page(at: AppTest, db: Database, case: Case) -> None:
    """The run rendered the requested page (AppTest keeps the finished page's hash privately)."""
    pages = getattr(at, "_registered_pages", None)
    finished = getattr(at, "_finished_page_script_hash", None)
    if not pages or finished not in pages:
        return  # AppTest internals changed: skip this check rather than fail the benchmark
    script = pages[finished].get("script_path")
    if script and Path(str(script)).resolve() != (ROOT / case.path).resolve():
        raise PageFailed(f"{case.path} as {case.role} at {db.scale} scale rendered {script} instead")


def measure(renderer: Renderer, dbs: list[Database], cases: list[Case], runs: int) -> dict[tuple[Case, str], list[float]]:
    """Per (case, scale): `runs` timings after one warm-up render.

    The scales take turns run by run, so a change in the machine's load affects both alike.
    """
    for db in dbs:
        renderer.add(db)
    timings: dict[tuple[Case, str], list[float]] = {(case, db.scale): [] for case in cases for db in dbs}
    for case in cases:
        for db in dbs:
            renderer.render(db, case)  # warm-up: imports, caches, the database's page cache
        for _ in range(runs):
            for db in dbs:
                timings[(case, db.scale)].append(renderer.render(db, case))
        medians = "  ".join(f"{db.scale} {statistics.median(timings[(case, db.scale)]) * 1000:5.0f} ms" for db in dbs)
        print(f"  {case.label:<10} {case.role:<12} {medians}", flush=True)
    return timings


# --- profiling the slowest page ----------------------------------------------------------------


@contextlib.contextmanager
def timed_queries() -> Iterator[list[tuple[float, str]]]:
    """Collects (seconds, SQL) for every statement any engine runs inside the block."""
    found: list[tuple[float, str]] = []

    def before(conn: Connection, _cursor: object, _statement: str, _params: object, _context: object, _many: bool) -> None:
        conn.info.setdefault("_bench_started", []).append(time.perf_counter())

    def after(conn: Connection, _cursor: object, statement: str, _params: object, _context: object, _many: bool) -> None:
        found.append((time.perf_counter() - conn.info["_bench_started"].pop(), statement))

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    try:
        yield found
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)


@contextlib.contextmanager
def profile_next_thread(profiler: cProfile.Profile) -> Iterator[None]:
    """Profile the first thread started inside the block: AppTest runs the script in its own thread."""
    started = threading.Event()

    def on_thread_start(_frame: FrameType, _event: str, _arg: object) -> None:
        sys.setprofile(None)
        if not started.is_set():
            started.set()
            profiler.enable()  # installs cProfile's hook in this (the script's) thread

    threading.setprofile(on_thread_start)
    try:
        yield
    finally:
        threading.setprofile(None)
    if not started.is_set():
        raise RuntimeError("no thread started while profiling: AppTest no longer runs the script in a thread")


def profile(renderer: Renderer, db: Database, case: Case) -> None:
    """Render one page under cProfile (the page run only) and print where the time goes, and the slowest SQL."""
    renderer.add(db)
    profiler = cProfile.Profile()
    queries: list[tuple[float, str]] = []

    @contextlib.contextmanager
    def profiled() -> Iterator[None]:
        with timed_queries() as found, profile_next_thread(profiler):
            yield
        queries.extend(found)

    took = renderer.render(db, case, around_page=profiled)
    out = io.StringIO()
    project = re.escape(str(ROOT)) + r"/(app\.py|core/|ui/|pages/)"
    out.write("Project code, by cumulative time:\n")
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(project, 20)
    out.write("Everything, by own time:\n")
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(15)
    print(f"\nProfile: {case.label} as {case.role} at {db.scale} scale, {took * 1000:.0f} ms under cProfile\n")
    print(out.getvalue())
    total = sum(s for s, _ in queries)
    print(f"SQL: {len(queries)} statements, {total * 1000:.0f} ms in the database driver; the slowest:")
    for seconds, statement in sorted(queries, reverse=True)[:8]:
        print(f"  {seconds * 1000:8.1f} ms  {' '.join(statement.split())[:300]}")


# --- output ------------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> tuple[str, str]:
    """The same rows as an aligned plain-text table and as a Markdown table."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def cells(row: list[str]) -> list[str]:
        return [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]

    plain = "\n".join("  ".join(cells(r)).rstrip() for r in [header, ["-" * w for w in widths], *rows])
    rule = ["-" * (w - 1) + ":" if i in right else "-" * w for i, w in enumerate(widths)]
    md = "\n".join("| " + " | ".join(cells(r)) + " |" for r in [header, rule, *rows])
    return plain, md


def report(dbs: list[Database], cases: list[Case], timings: dict[tuple[Case, str], list[float]], runs: int,
           load_before: float) -> None:
    header = ["scale", "migrate s", "seed s", "analyze s", *COUNTED_TABLES]
    rows = [[db.scale, f"{db.migrate_s:.1f}", "existing" if db.seed_s is None else f"{db.seed_s:.1f}",
             "-" if db.analyze_s is None else f"{db.analyze_s:.1f}", *(f"{db.counts[t]:,}" for t in COUNTED_TABLES)]
            for db in dbs]
    plain_db, md_db = _table(header, rows, right=set(range(1, len(header))))

    header = ["page", "role", "demo ms", "county ms", "county/demo"]
    rows = []
    for case in cases:
        demo = statistics.median(timings[(case, "demo")]) * 1000
        county = statistics.median(timings[(case, "county")]) * 1000
        rows.append([case.label, case.role, f"{demo:.0f}", f"{county:.0f}", f"{county / demo:.1f}×" if demo else "-"])
    plain_pages, md_pages = _table(header, rows, right={2, 3, 4})

    import streamlit

    machine = (f"{date.today().isoformat()} · {platform.machine()} · {os.cpu_count()} cores · Python {platform.python_version()}"
               f" · Streamlit {streamlit.__version__} · {dbs[0].server} · load average {load_before:.1f} before, "
               f"{os.getloadavg()[0]:.1f} after")
    title = f"median of {runs} runs after one warm-up"
    print(f"\n{machine}\n\nDatabases:\n{plain_db}\n\nPage render, {title}:\n{plain_pages}\n")
    print(f"Markdown:\n\n{machine}\n\n{md_db}\n\n{md_pages}\n")


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/pages.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed renders per page and scale (default 5)")
    parser.add_argument("--database-url", default="",
                        help="a PostgreSQL server URL: two throwaway databases are created beside it and dropped at the end")
    parser.add_argument("--county-url", default="",
                        help="an existing county-scale database to use instead of seeding one (seeded if empty; never dropped)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the databases: SQLite as data/bench-demo.db and data/bench-county.db, PostgreSQL not dropped")
    parser.add_argument("--profile", action="store_true", help="then profile the slowest county-scale page once")
    parser.add_argument("--pages", default="", help="only these pages (comma separated file names, e.g. risk_list,visits)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    for scheme in ("postgres://", "postgresql://"):  # as core.config does: psycopg 3 is the driver
        if args.database_url.startswith(scheme):
            args.database_url = "postgresql+psycopg://" + args.database_url[len(scheme):]
    if args.database_url and not make_url(args.database_url).drivername.startswith("postgresql"):
        parser.error("--database-url must be a postgresql+psycopg:// URL (SQLite databases are built by default)")

    cases = cases_for(registered_pages())
    if args.pages:
        wanted = {p.strip() for p in args.pages.split(",") if p.strip()}
        unknown = wanted - {c.label for c in cases}
        if unknown:
            parser.error(f"--pages: no page {', '.join(sorted(unknown))}; known: {', '.join(sorted({c.label for c in cases}))}")
        cases = [c for c in cases if c.label in wanted]
    renderer = Renderer()
    with contextlib.ExitStack() as stack:
        if args.database_url:
            new_database = stack.enter_context(postgres_databases(args.database_url, keep=args.keep))
            backend = "PostgreSQL"
        else:
            folder = ROOT / "data" if args.keep else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ph-bench-")))
            folder.mkdir(exist_ok=True)
            stack.callback(_forget_cached_stores)  # runs before the temporary directory is removed

            def new_database(scale: str) -> str:
                return _sqlite_url(folder / f"bench-{scale}.db")

            backend = "SQLite"

        print(f"Seeding ({backend}):", flush=True)
        dbs = [seed(args.county_url, scale, existing_ok=True) if scale == "county" and args.county_url
               else seed(new_database(scale), scale) for scale in SCALES]

        print(f"Rendering {len(cases)} page views × {len(dbs)} scales × (1 warm-up + {args.runs} runs):", flush=True)
        try:
            load_before = os.getloadavg()[0]  # the machine may be shared: say how busy it was
            timings = measure(renderer, dbs, cases, args.runs)
            report(dbs, cases, timings, args.runs, load_before)
            if args.profile:
                county = dbs[-1]
                profile(renderer, county, max(cases, key=lambda c: statistics.median(timings[(c, county.scale)])))
        except PageFailed as exc:
            print(f"\nFAILED: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
