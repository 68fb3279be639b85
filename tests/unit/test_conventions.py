"""Guards for the project's own conventions."""
from __future__ import annotations

import ast
import re
from pathlib import Path

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
