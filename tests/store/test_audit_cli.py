"""`python -m core.cli audit verify`: 0 when the chain is whole, 1 (and the first bad row) when it is not."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.cli import main
from core.store.models import AuditEvent
from tests.store.conftest import Small
from tests.store.test_audit_chain import _tamper, _write


def test_audit_verify_exit_codes(small: Small, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", small.store.url)
    monkeypatch.delenv("DATABASE_OWNER_URL", raising=False)
    _write(small.store, 4)
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "intact" in out and "4 rows" in out
    with small.store.read() as s:
        second = s.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()[1]
    _tamper(small.store, f"UPDATE audit_events SET summary = 'tampered' WHERE id = {second}")
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "BROKEN" in out and f"#{second}" in out and "changed" in out


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
