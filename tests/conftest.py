"""Shared fixtures: every store-backed test runs on SQLite and on PostgreSQL.

PostgreSQL comes from TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test);
the suite creates throwaway databases beside it and drops them at the end. Without it the
PostgreSQL cases are skipped and the run says so; under CI=true that is an error.
"""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from core.store import Store

PG_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ["sqlite", "postgresql"]
_skipped_pg: list[str] = []
_skipped_browser: list[str] = []
_ran = {"postgresql": 0, "browser": 0}


def pytest_configure(config: pytest.Config) -> None:
    # A run of selected files (e.g. `pytest tests/unit`) is not expected to include every layer.
    config.args_were_narrowed = bool(config.args) and list(config.args) != ["tests"]  # type: ignore[attr-defined]
    config.addinivalue_line("markers", "postgresql: runs against PostgreSQL")
    config.addinivalue_line("markers", "browser: drives the app in headless Chromium")
    if IN_CI and not PG_URL:
        raise pytest.UsageError("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests would be skipped.")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `make test` (pytest-xdist, `--dist loadgroup`) one worker takes every SQLite test and the other every
    PostgreSQL test, so each starts one demo database, one Streamlit server and one Chromium, as a serial run does."""
    for item in items:
        backend = getattr(item, "callspec", None) and item.callspec.params.get("backend")
        if backend:
            item.add_marker(pytest.mark.xdist_group(backend))


def _is_worker(config: pytest.Config) -> bool:
    """A pytest-xdist worker: the controller sees every report and judges the whole run."""
    return hasattr(config, "workerinput")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "[postgresql" in report.nodeid:
        _skipped_pg.append(report.nodeid)
    if report.skipped and report.nodeid.startswith("tests/browser") and "[postgresql" not in report.nodeid:
        _skipped_browser.append(report.nodeid)
    if report.when == "call" and report.passed:
        _ran["postgresql"] += "[postgresql" in report.nodeid
        _ran["browser"] += report.nodeid.startswith("tests/browser")


def _ci_missing() -> list[str]:
    """Under CI, what should have run and did not."""
    missing = []
    if _skipped_pg or _ran["postgresql"] == 0:
        missing.append("PostgreSQL tests")
    if _skipped_browser or _ran["browser"] == 0:
        missing.append("browser tests")
    return missing


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if IN_CI and _ci_missing() and exitstatus == 0 and not session.config.args_were_narrowed and not _is_worker(session.config):
        # Under CI a skipped PostgreSQL or browser test is a failure, not a pass.
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    if _skipped_pg:
        terminalreporter.write_sep(
            "!", f"{len(_skipped_pg)} PostgreSQL tests SKIPPED: set TEST_DATABASE_URL to run them", red=True
        )
    if _skipped_browser:
        terminalreporter.write_sep("!", f"{len(_skipped_browser)} browser tests SKIPPED (is /usr/bin/chromium installed?)", red=True)
    if IN_CI and _ci_missing() and not config.args_were_narrowed:
        terminalreporter.write_sep("!", f"CI=true: {' and '.join(_ci_missing())} did not run; the run fails", red=True)
    if not _skipped_pg and PG_URL and _ran["postgresql"]:
        terminalreporter.write_line(f"PostgreSQL tests ran against {make_url(PG_URL).render_as_string(hide_password=True)}")


# --- PostgreSQL throwaway databases ------------------------------------------------------------


def _pg_admin():
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def pg_create_database(template: str | None = None) -> str:
    """Create a fresh database beside TEST_DATABASE_URL and return its URL."""
    name = f"ph_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        tmpl = f" TEMPLATE {template}" if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{tmpl}'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def pg_drop_database(url: str) -> None:
    name = make_url(url).database
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _backend_param(name: str):  # noqa: ANN202
    if name == "postgresql":
        return pytest.param(
            name,
            marks=[pytest.mark.postgresql, pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set")],
            id=name,
        )
    return pytest.param(name, id=name)


BACKEND_PARAMS = [_backend_param(b) for b in BACKENDS]


class DatabaseFactory:
    """Makes empty migrated databases (and copies of a seeded one) for one backend."""

    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend = backend
        self.tmp = tmp
        self.urls: list[str] = []
        self._template: str | None = None

    def _new_url(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp / (uuid.uuid4().hex[:10] + '.db')}"
        return pg_create_database(template=self._template)

    def template(self) -> str:
        """URL of a migrated, empty database that copies are made from."""
        if self._template is None:
            url = self._new_url()
            Store(url).dispose()
            self._template = url if self.backend == "sqlite" else make_url(url).database
            self.urls.append(url)
        return self._template

    def empty(self) -> str:
        """A new, migrated, empty database."""
        tmpl = self.template()
        if self.backend == "sqlite":
            path = self.tmp / (uuid.uuid4().hex[:10] + ".db")
            shutil.copyfile(make_url(tmpl).database, path)
            url = f"sqlite:///{path}"
        else:
            url = pg_create_database(template=tmpl)
        self.urls.append(url)
        return url

    def copy_of(self, url: str) -> str:
        """A copy of an existing database (callers must have disposed its engine)."""
        if self.backend == "sqlite":
            path = self.tmp / (uuid.uuid4().hex[:10] + ".db")
            shutil.copyfile(make_url(url).database, path)
            new = f"sqlite:///{path}"
        else:
            new = pg_create_database(template=make_url(url).database)
        self.urls.append(new)
        return new

    def cleanup(self) -> None:
        if self.backend == "postgresql":
            for url in self.urls:
                pg_drop_database(url)


@pytest.fixture(scope="session", params=BACKEND_PARAMS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def databases(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(backend, tmp_path_factory.mktemp(f"db-{backend}"))
    yield factory
    factory.cleanup()


@pytest.fixture
def store(databases: DatabaseFactory) -> Iterator[Store]:
    """An empty, migrated store on this test's backend."""
    s = Store(databases.empty(), migrate=False)
    yield s
    s.dispose()


@pytest.fixture(scope="session")
def demo_url(databases: DatabaseFactory) -> str:
    """URL of a database seeded once per session with the demo partnership (treat as read-only)."""
    from core.demo import seed_demo

    url = databases.empty()
    s = Store(url, migrate=False)
    seed_demo(s)
    s.dispose()
    return url


@pytest.fixture
def demo_store(databases: DatabaseFactory, demo_url: str) -> Iterator[Store]:
    """A private copy of the seeded demo partnership that the test may change."""
    s = Store(databases.copy_of(demo_url), migrate=False)
    yield s
    s.dispose()
