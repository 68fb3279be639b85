"""Guards for the project's own conventions."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_streamlit() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "core").rglob("*.py") if {"streamlit", "streamlit_authenticator"} & _imports(p)]
    assert offenders == [], f"core/ must not import streamlit: {offenders}"


def test_pages_do_no_sql() -> None:
    """Pages call services; SQL and models stay in core/."""
    offenders = []
    for p in (ROOT / "pages").glob("*.py"):
        text = p.read_text(encoding="utf-8")
        if "sqlalchemy" in _imports(p) or "core.store.models" in text or re.search(r"\bselect\(", text):
            offenders.append(p.name)
    assert offenders == [], f"pages must not do SQL: {offenders}"


def test_every_page_file_is_registered_in_the_router() -> None:
    app = (ROOT / "app.py").read_text(encoding="utf-8")
    missing = [p.name for p in (ROOT / "pages").glob("*.py") if f'"pages/{p.name}"' not in app]
    assert missing == []


def test_requirements_are_pinned() -> None:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            assert "==" in line, f"pin {line!r} to an exact version"


def test_no_secrets_file_is_tracked() -> None:
    gitignore = (ROOT / ".gitignore").read_text()
    assert ".streamlit/secrets.toml" in gitignore


# The sharing rule's words: the Sharing constants, the limits' literal names, and comparisons of a dataset's limit.
SHARING_RULE = re.compile(r"\bSharing\.(FULL|INTEREST|OWNER)\b|[\"'](?:interest|owner)-only[\"']|\.sharing\s*[!=]=")
# Where the rule may be written: the one model of "may see", the one of "may do", the vocabulary, and the demo's
# data (a dataset spec names its limit; it applies no rule).
SHARING_RULE_HOMES = {"core/visibility.py", "core/permissions.py", "core/domain.py", "core/demo_catalogue.py"}


def sharing_rule_outside_its_home(path: Path, text: str) -> list[str]:
    rel = path.relative_to(ROOT).as_posix()
    if rel in SHARING_RULE_HOMES:
        return []
    return [f"{rel}:{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), start=1) if SHARING_RULE.search(line)]


def test_the_sharing_rule_is_written_once() -> None:
    """Who may see a dataset's records is decided in core/visibility.py; a second statement of it drifts (the last
    round found it restated in seven places, leaking in several)."""
    files = [*ROOT.joinpath("core").rglob("*.py"), *ROOT.joinpath("pages").glob("*.py"), *ROOT.joinpath("ui").glob("*.py"),
             ROOT / "app.py"]
    offenders = [hit for p in files for hit in sharing_rule_outside_its_home(p, p.read_text(encoding="utf-8"))]
    assert offenders == [], "the sharing rule belongs in core/visibility.py:\n" + "\n".join(offenders)


@pytest.mark.parametrize("line", [
    "if ds.sharing == 'full' or ds.agency_id == me:",
    "q.where(Dataset.sharing != Sharing.OWNER.value)",
    "visible = [d for d in ds if d.sharing != \"owner-only\"]",
])
def test_the_sharing_rule_check_catches_a_restatement(line: str) -> None:
    fake = ROOT / "core" / "services" / "somewhere.py"
    assert sharing_rule_outside_its_home(fake, line)
