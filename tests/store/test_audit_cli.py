"""`python -m core.cli audit verify`: 0 when the chain is whole, 1 (and the first bad row) when it is not."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.cli import main
from core.store.models import AuditEvent
from tests.store.conftest import Small
from tests.store.test_audit_chain import _tamper, _write


_GHOST = ("(id, at, actor_username, action, entity, entity_id, summary) VALUES "
          "({id}, '2026-01-01 00:00:00', 'ghost', 'x.test', 'x', '', 'never happened')")
TAMPERING = {
    # kind of break: (statement with {id} = the second row's id, {last} = the last row's, the row named first)
    "changed": ("UPDATE audit_events SET summary = 'tampered' WHERE id = {id}", "id"),
    "missing": ("DELETE FROM audit_events WHERE id = {id}", "next"),
    "inserted": ("INSERT INTO audit_events " + _GHOST.replace("{id}", "{after}"), "after"),
    "replaced": ("{replace} INTO audit_events " + _GHOST + "{on_conflict}", "id"),
}


@pytest.mark.parametrize("tampering", TAMPERING)
def test_audit_verify_exit_codes(small: Small, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                 tampering: str) -> None:
    monkeypatch.setenv("DATABASE_URL", small.store.url)
    monkeypatch.delenv("DATABASE_OWNER_URL", raising=False)
    _write(small.store, 4)
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "intact" in out and "4 rows" in out
    with small.store.read() as s:
        ids = s.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    sqlite = small.store.dialect == "sqlite"
    statement, named = TAMPERING[tampering]
    _tamper(small.store, statement.format(
        id=ids[1], after=ids[-1] + 1, replace="INSERT OR REPLACE" if sqlite else "INSERT",
        on_conflict="" if sqlite else " ON CONFLICT (id) DO UPDATE SET summary = EXCLUDED.summary"))
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    first = {"id": ids[1], "next": ids[2], "after": ids[-1] + 1}[named]
    kind = "changed" if tampering == "replaced" else tampering
    assert f"BROKEN: first bad row #{first} ({kind})" in out, out


def test_audit_verify_on_a_database_without_the_schema(tmp_path, monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.delenv("DATABASE_OWNER_URL", raising=False)
    assert main(["audit", "verify"]) == 2
    assert "migrate" in capsys.readouterr().err


def test_a_kept_head_catches_rows_removed_from_the_end(small: Small, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Removing the newest rows leaves a shorter chain that is whole; a head kept outside the database tells."""
    monkeypatch.setenv("DATABASE_URL", small.store.url)
    monkeypatch.delenv("DATABASE_OWNER_URL", raising=False)
    _write(small.store, 3)
    assert main(["audit", "verify"]) == 0
    head = capsys.readouterr().out.split("head #")[1].split()
    anchor = f"{head[0]}:{head[1]}"
    assert main(["audit", "verify", "--expect", anchor]) == 0
    _tamper(small.store, f"DELETE FROM audit_events WHERE id = {head[0]}")
    assert main(["audit", "verify"]) == 0
    assert main(["audit", "verify", "--expect", anchor]) == 1
    assert f"#{head[0]}" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["audit", "verify", "--expect", "12:not-a-hash"])
