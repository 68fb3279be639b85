"""Browser benchmark: what a person waits for in Chromium, at demo and at county scale.

    .venv/bin/python bench/browser.py [--rounds N] [--moves N] [--scales demo,county] [--chromium PATH]

For each scale it seeds a fresh SQLite database (`core.cli seed --reset --scale ...`), starts `streamlit run
app.py` on it, and drives Debian's Chromium (Playwright, headless, 1366x768) as a new user would:

- **sign-in**: from pressing "Sign in" to a settled Home (the app idle and Home's text on screen), per role;
- **page switch**: from clicking a page in the sidebar to that page settled, for every page the administrator
  sees, `--rounds` times each (the first visit of each page is not timed: it compiles the page);
- **live follow** (demo only): a board meeting is started; the chair presses Next on one screen and a member's
  screen, in another browser context, is timed from the click until it shows the new item (`--moves` presses).

"Settled" is the moment the app stopped running and stayed idle for 300 ms (the time is taken when it became
idle, not after the 300 ms): Streamlit's own e2e helpers use the same signals (`data-test-script-state`, the
status widget, stale elements). Prints one table per measure, as plain text and Markdown (for bench/README.md).
Goals (issue 17): median page switch <= 1.0 s and sign-in <= 2.0 s at county scale; followers within 2 s, p95.
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from core.services import accounts, meetings  # noqa: E402
from core.store import Store  # noqa: E402

PASSWORD = "partnership-demo"
ROLES = ("admin", "chair", "coordinator", "analyst", "officer")
HOME_TEXT = "What needs my attention"
NAV_LINKS = "[data-testid='stSidebarNav'] [data-testid='stSidebarNavLink']"
QUIET_MS = 300

# Resolves to performance.now() when the app became idle and stayed idle for QUIET_MS, after it ran at least once
# since `window.__phMark` (set just before the click), so a page that has not started its rerun is not "settled".
_SETTLED_JS = """
(quietMs) => {
  const app = document.querySelector("[data-testid='stApp']");
  const running = !app || app.getAttribute("data-test-script-state") === "running"
    || !!document.querySelector("[data-testid='stStatusWidget']")
    || !!document.querySelector("[data-testid='stMainBlockContainer'] [data-stale='true']");
  const now = performance.now();
  if (running) { window.__phRan = true; window.__phIdleSince = null; return false; }
  if (!window.__phRan && now - window.__phMark < 1500) return false;  // the rerun has not begun yet
  if (window.__phIdleSince == null) window.__phIdleSince = now;
  return now - window.__phIdleSince >= quietMs ? window.__phIdleSince : false;
}
"""


def mark(page: Page) -> float:
    return page.evaluate("() => { window.__phRan = false; window.__phIdleSince = null; "
                         "return window.__phMark = performance.now(); }")


def settled(page: Page, since: float) -> float:
    """Seconds from `since` (a performance.now() of this page) until the app settled."""
    at = page.wait_for_function(_SETTLED_JS, arg=QUIET_MS, polling="raf", timeout=60_000).json_value()
    return (at - since) / 1000


@contextmanager
def server(scale: str, workdir: Path) -> Iterator[tuple[str, str]]:
    """A seeded database and a Streamlit server on it: (base URL, database URL)."""
    db_url = f"sqlite:///{workdir / f'{scale}.db'}"
    env = {**os.environ, "DATABASE_URL": db_url, "PH_COOKIE_KEY": secrets.token_urlsafe(32), "PH_SEED_DEMO": "0"}
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "core.cli", "seed", "--reset", "--scale", scale], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    print(f"{scale}: seeded in {time.monotonic() - started:.0f} s", flush=True)
    port = 8700 + (scale == "county")
    log = open(workdir / f"{scale}-server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(Path(sys.executable).with_name("streamlit")), "run", "app.py", "--server.port", str(port),
                             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit(f"{scale}: the server did not start; see {workdir}/{scale}-server.log")
        yield base, db_url
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def sign_in(page: Page, base: str, username: str) -> float:
    """Open the app, sign in; seconds from pressing Sign in to a settled Home."""
    page.goto(base)
    page.get_by_test_id("stCustomComponentV1").first.wait_for(state="attached")  # the cookie component
    mark(page)
    settled(page, 0)  # the first load and the cookie component's rerun, untimed
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    t0 = mark(page)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_text(HOME_TEXT).first.wait_for()
    return settled(page, t0)


def page_switches(page: Page, rounds: int) -> dict[str, list[float]]:
    """Every sidebar page, `rounds` times after one untimed visit; seconds per page."""
    links = page.locator(NAV_LINKS)
    # Each link's text is its icon's ligature, then the title; the address tells the links apart.
    pages = {text.strip().splitlines()[-1]: href
             for text, href in zip(links.all_inner_texts(), links.evaluate_all("ls => ls.map(l => l.href)"))}
    times: dict[str, list[float]] = {t: [] for t in pages}
    for n in range(rounds + 1):
        for title, href in pages.items():
            link = page.locator(f"{NAV_LINKS}[href='{href}']")
            t0 = mark(page)
            link.click()
            took = settled(page, t0)
            if n:
                times[title].append(took)
    return times


def start_meeting(db_url: str) -> tuple[int, int]:
    """Start the Partnership Board's next meeting (demo data); (meeting id, agenda items)."""
    store = Store(db_url, migrate=False)
    try:
        with store.read() as s:
            chair = accounts.load_actor(s.session, "chair")
            board = next(b for b in meetings.boards(s, actor=chair) if "Partnership Board" in b["name"])
            meeting_id = meetings.next_meeting_id(s, actor=chair, board_id=board["id"])
        with store.uow() as uow:
            meetings.build_agenda(uow, actor=chair, meeting_id=meeting_id)
        with store.uow() as uow:
            meetings.start(uow, actor=chair, meeting_id=meeting_id)
        with store.read() as s:
            return meeting_id, len(meetings.view(s, actor=chair, meeting_id=meeting_id).items)
    finally:
        store.dispose()


def follow(chair: Page, member: Page, moves: int, items: int) -> list[float]:
    """Seconds from the chair's Next to the member's screen showing the new item, `moves` times."""
    out = []
    pause = random.Random(17)  # a chair moves at any moment of the member's refresh cycle, not just after one
    for k in range(2, min(moves + 2, items + 1)):
        wanted = f"item {k} of {items}"
        chair.locator(".st-key-next button").wait_for()
        settled(chair, mark(chair))
        settled(member, mark(member))  # the member's page has finished following the last move (meetings pause)
        time.sleep(pause.uniform(0, 1.0))
        t0 = time.perf_counter()
        chair.locator(".st-key-next button").click()
        member.wait_for_function("(w) => { const p = document.querySelector(\"[data-testid='stProgress']\");"
                                 " return !!p && p.innerText.includes(w); }", arg=wanted, polling=20, timeout=30_000)
        out.append(time.perf_counter() - t0)
    return out


def quantile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(headers), "| " + " | ".join("-" * w for w in widths) + " |", *map(line, rows)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--moves", type=int, default=20)
    ap.add_argument("--scales", default="demo,county")
    ap.add_argument("--roles", default=",".join(ROLES), help="who signs in (the administrator switches pages)")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()
    scales = args.scales.split(",")
    signins: dict[str, dict[str, float]] = {}
    switches: dict[str, dict[str, list[float]]] = {}
    follows: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium)
        for scale in scales:
            with server(scale, Path(tmp)) as (base, db_url):
                signins[scale] = {}
                for role in args.roles.split(","):
                    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
                    page = ctx.new_page()
                    signins[scale][role] = sign_in(page, base, role)
                    if role == "admin" and args.rounds:
                        switches[scale] = page_switches(page, args.rounds)
                    ctx.close()
                    print(f"{scale}: {role} signed in in {signins[scale][role]:.2f} s", flush=True)
                if scale == "demo" and args.moves:
                    meeting_id, items = start_meeting(db_url)
                    contexts = [browser.new_context(viewport={"width": 1366, "height": 768}) for _ in range(2)]
                    chair, member = (c.new_page() for c in contexts)
                    sign_in(chair, base, "chair")
                    sign_in(member, base, "analyst")
                    for pg in (chair, member):
                        pg.goto(f"{base}/live")
                        pg.get_by_test_id("stProgress").wait_for()
                    follows = follow(chair, member, args.moves, items)
                    for c in contexts:
                        c.close()
        browser.close()

    print("\nSign-in to a settled Home (s)")
    print(table(["role", *scales], [[r, *(f"{signins[s][r]:.2f}" for s in scales)] for r in args.roles.split(",")]))
    if switches:
        print_switches(switches, scales)
    if follows:
        print(f"\nLive meeting: member's screen after the chair's Next ({len(follows)} moves, demo)")
        print(table(["median s", "p95 s", "max s"],
                    [[f"{statistics.median(follows):.2f}", f"{quantile(follows, 0.95):.2f}", f"{max(follows):.2f}"]]))


def print_switches(switches: dict[str, dict[str, list[float]]], scales: list[str]) -> None:
    print("\nPage switch, administrator (median s of the rounds)")
    titles = list(next(iter(switches.values())))
    rows = [[t, *(f"{statistics.median(switches[s][t]):.2f}" if switches[s].get(t) else "-" for s in scales)]
            for t in titles]
    rows.append(["**median of pages**", *(f"{statistics.median([statistics.median(v) for v in switches[s].values() if v]):.2f}"
                                          for s in scales)])
    print(table(["page", *scales], rows))


if __name__ == "__main__":
    main()
