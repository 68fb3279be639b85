"""Readers that misbehave, run by tests in the upload sandbox's child process (never in the test process)."""
from __future__ import annotations

import io
import time
from typing import Any


def calamine_unchecked(data: bytes, filename: str, limits: Any) -> tuple[dict, Any]:
    """What the old reader did: hand the workbook straight to python-calamine (the bomb aborts it)."""
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    return {"header": ["A"], "encoding": "", "delimiter": ""}, iter([(2, [str(len(rows))])])


def spin(data: bytes, filename: str, limits: Any) -> tuple[dict, Any]:
    while True:  # burns CPU until the limit stops it
        time.perf_counter()


def hoard(data: bytes, filename: str, limits: Any) -> tuple[dict, Any]:
    kept = []
    while True:  # allocates until the address-space limit makes Python raise MemoryError
        kept.append(bytearray(64 * 1024 * 1024))


def chatter(data: bytes, filename: str, limits: Any) -> tuple[dict, Any]:
    """A reader that sends far more than any upload could hold."""
    def rows():  # noqa: ANN202
        for i in range(10_000_000):
            yield i + 2, ["x" * 1000]
    return {"header": ["A"], "encoding": "", "delimiter": ""}, rows()
