"""Browser fixtures: the real app under `streamlit run`, driven by headless Chromium (Playwright).

One Streamlit server per backend (on a private copy of the demo partnership), reused by every
browser test of that backend; one Chromium per session; one fresh browser context per test.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import IN_CI, DatabaseFactory

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "artefacts" / "screenshots"
HEALTH_TIMEOUT_S = 30.0
DEFAULT_TIMEOUT_MS = 20_000


# --- waiting for Streamlit (as Streamlit's own e2e helpers do) ---------------------------------


_IDLE_JS = """
(quietMs) => {
  const app = document.querySelector("[data-testid='stApp']");
  const idle = !!app
    && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && app.getAttribute("data-test-script-state") === "notRunning"
    && !document.querySelector("[data-testid='stStatusWidget']")
    && !document.querySelector("[data-testid='stMainBlockContainer'] [data-stale='true']")
    && !!document.querySelector("[data-testid='stMainBlockContainer']");
  const now = performance.now();
  if (!idle) { window.__phIdleSince = null; return false; }
  if (window.__phIdleSince == null) window.__phIdleSince = now;
  return now - window.__phIdleSince >= quietMs;
}
"""


def wait_for_app_run(page, initial_wait_ms: int = 250, quiet_ms: int = 400) -> None:  # noqa: ANN001
    """Wait until the rerun(s) triggered by the last interaction have finished.

    As Streamlit's own e2e helpers do: wait a moment (the rerun request has to reach the server
    before the script state changes), then until the status widget is gone, the script is not
    running and the main block is attached. One interaction can cause several reruns here
    (streamlit-authenticator reruns after sign-in, the cookie component reports back and reruns
    again), so the app must stay idle for `quiet_ms` before this returns.
    """
    if initial_wait_ms:
        page.wait_for_timeout(initial_wait_ms)
    page.evaluate("() => { window.__phIdleSince = null; }")
    page.wait_for_function(_IDLE_JS, arg=quiet_ms, polling=50)


def wait_for_app_loaded(page) -> None:  # noqa: ANN001
    """After goto()/reload(): the app view is mounted and the first run has finished."""
    page.wait_for_selector("[data-testid='stAppViewContainer']", state="attached")
    wait_for_app_run(page)


@dataclass(frozen=True)
class AppServer:
    backend: str
    url: str  # http://127.0.0.1:<port>/
    database_url: str
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _streamlit() -> str:
    exe = Path(sys.executable).with_name("streamlit")
    return str(exe if exe.exists() else ROOT / ".venv" / "bin" / "streamlit")


def _tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return "<no output>"


@pytest.fixture(scope="session")
def app_server(backend: str, databases: DatabaseFactory, demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """`streamlit run app.py` on a private copy of the demo partnership, for one backend."""
    db_url = databases.copy_of(demo_url)
    port = _free_port()
    log = tmp_path_factory.mktemp(f"streamlit-{backend}") / "server.log"
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "PH_COOKIE_KEY": secrets.token_urlsafe(32),
        "PH_SEED_DEMO": "0",
    }
    cmd = [
        _streamlit(), "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with code {proc.returncode} before becoming healthy:\n{_tail(log)}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                    if resp.read().decode().strip() == "ok":
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy on port {port} after {HEALTH_TIMEOUT_S:.0f} s:\n{_tail(log)}")
            time.sleep(0.2)
        yield AppServer(backend, base + "/", db_url, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("chromium missing under CI")
        pytest.skip(f"{CHROMIUM} not found: install it (apt-get install -y chromium) to run the browser tests")
    from playwright.sync_api import sync_playwright

    from playwright.sync_api import expect

    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def warm_server(chromium, app_server: AppServer) -> AppServer:  # noqa: ANN001
    """One untimed first visit per server, as a deployment's health check would make: the first script run
    on a cold server (imports, the cookie component's first load) is slow enough that its late rerun can
    swallow a sign-in typed meanwhile. Tests are about the app, not its first second after a restart."""
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    try:
        pg = context.new_page()
        pg.goto(app_server.url)
        wait_for_app_loaded(pg)
        pg.get_by_test_id("stCustomComponentV1").first.wait_for(state="attached")
        wait_for_app_run(pg, initial_wait_ms=1000, quiet_ms=1000)
    finally:
        context.close()
    return app_server


@pytest.fixture
def page(chromium, warm_server: AppServer) -> Iterator[object]:  # noqa: ANN001
    """A fresh browser context (no cookies) with one page, opened on the app and loaded."""
    app_server = warm_server
    context = chromium.new_context(viewport={"width": 1366, "height": 900}, base_url=app_server.url)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    pg = context.new_page()
    try:
        pg.goto(app_server.url)
        wait_for_app_loaded(pg)
        yield pg
    finally:
        context.close()


@pytest.fixture
def browser_for(chromium: Browser, app_server: AppServer, warm_server: AppServer,
                request: pytest.FixtureRequest) -> Iterator[Callable[[str], Page]]:
    """Opens another person's browser (own context, own cookies) on the app; closes them all at the end.

    On a failure it keeps a screenshot of each (conftest keeps the one of `page`).
    """
    failed_before = request.session.testsfailed
    opened: list[tuple[str, Page]] = []

    def open_for(who: str) -> Page:
        context = chromium.new_context(viewport={"width": 1366, "height": 900}, base_url=app_server.url)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        pg = context.new_page()
        opened.append((who, pg))
        pg.goto(app_server.url)
        wait_for_app_loaded(pg)
        return pg

    yield open_for
    for who, pg in opened:
        if request.session.testsfailed > failed_before:
            path = SCREENSHOTS / app_server.backend / f"FAILED-{request.node.name.replace('[', '-').rstrip(']')}-{who}.png"
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                pg.screenshot(path=str(path), full_page=True)
            except Exception:  # noqa: BLE001 - a broken page must not hide the real failure
                pass
        pg.context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # noqa: ANN201
    """On a failed browser test: keep a screenshot of the page and show the server's log tail."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    server = getattr(item, "funcargs", {}).get("app_server")
    pg = getattr(item, "funcargs", {}).get("page")
    if server is not None:
        report.sections.append((f"streamlit server log ({server.backend}, tail)", _tail(server.log)))
        if pg is not None:
            path = SCREENSHOTS / server.backend / f"FAILED-{item.name.replace('[', '-').rstrip(']')}.png"
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                pg.screenshot(path=str(path), full_page=True)
                report.sections.append(("failure screenshot", str(path)))
            except Exception as exc:  # noqa: BLE001 - a broken page must not hide the real failure
                report.sections.append(("failure screenshot", f"not taken: {exc}"))
