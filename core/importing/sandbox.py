"""Read an upload in a child process with memory and time limits, so the worst file costs one refused upload.

The server (Streamlit, every signed-in user) never parses an uploaded file itself. `run(data, filename)`
starts `python -m core.importing.sandbox`, which first limits itself (address space `RLIMIT_AS`, CPU
seconds, no core dump, no files written), then reads the file from its standard input with
`core.importing.parse` and writes the rows back as JSON lines. The parent also keeps a wall clock and a
cap on what it accepts back. A reader that aborts the process (python-calamine on a workbook whose cells
span A1:XFD1048576 asks for 512 GB and calls abort()), runs out of memory or time, or crashes, ends as a
`Refused` (a ValidationError with a plain message), and the server carries on.

The child is started fresh (not forked from the server's threads), with no environment beyond PATH and
the locale: no database URL, no cookie key. What it sends back is parsed as JSON, never unpickled.

Limits: `PH_IMPORT_MEMORY_MB` (default 2048) and `PH_IMPORT_SECONDS` (default 120).
"""
from __future__ import annotations

import importlib
import json
import logging
import os
import resource
import selectors
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ValidationError
from core.importing.parse import NOTHING, Limits

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TARGET = "core.importing.parse:read"
MEMORY_MB = 2048
SECONDS = 120
BATCH = 1_000
BATCH_CHARS = 4_000_000
MEMORY_EXIT = 3  # the child's exit code after a MemoryError


class Refused(ValidationError):
    """The upload was refused (by the reader's checks, or because the child hit a limit); `peak_kb` is the
    child's peak resident memory."""

    def __init__(self, message: str, peak_kb: int = 0) -> None:
        super().__init__(message)
        self.peak_kb = peak_kb


@dataclass
class Result:
    header: list[str]
    encoding: str
    delimiter: str
    columns: list[list[str]] = field(default_factory=list)  # column by column (less to hold than row lists)
    file_rows: list[int] = field(default_factory=list)
    peak_kb: int = 0

    @property
    def rows(self) -> int:
        return len(self.file_rows)


def memory_limit_mb() -> int:
    return int(os.environ.get("PH_IMPORT_MEMORY_MB") or MEMORY_MB)


def seconds_allowed() -> int:
    return int(os.environ.get("PH_IMPORT_SECONDS") or SECONDS)


def child_environment() -> dict[str, str]:
    """What the child may see: no secrets (database URL, cookie key) reach it."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


# --- the parent ------------------------------------------------------------------------------


class _Garbled(Exception):
    """The child sent something that is not what it should say."""


class _TooMuch(Exception):
    """The child sent more than any upload could hold."""


def run(data: bytes, filename: str, *, limits: Limits | None = None, memory_mb: int | None = None,
        seconds: int | None = None, target: str = DEFAULT_TARGET) -> Result:
    """Parse `data` in a child process; the rows, or `Refused` saying why not (nothing is ever half read)."""
    limits = limits or Limits()
    memory = memory_mb or memory_limit_mb()
    allowed = seconds or seconds_allowed()
    # What the child may send back: every cell as JSON (up to four bytes a character) and its row number.
    cap = 4 * limits.max_text_chars + 64 * (limits.max_rows + 2) + (1 << 20)
    header = json.dumps({"filename": filename, "size": len(data), "limits": asdict(limits), "memory_mb": memory,
                         "seconds": allowed, "target": target}).encode() + b"\n"
    try:
        proc = subprocess.Popen([sys.executable, "-E", "-s", "-B", "-m", "core.importing.sandbox"], cwd=ROOT,
                                env=child_environment(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, close_fds=True)
    except OSError as exc:  # no process to be had (the machine is out of processes or memory)
        log.error("upload sandbox: cannot start the reader: %s", exc)
        raise Refused(f"{filename} could not be read just now (the server could not start its file reader). {NOTHING} "
                      "Try again in a minute.") from None

    def feed() -> None:
        try:
            proc.stdin.write(header)  # type: ignore[union-attr]
            proc.stdin.write(data)  # type: ignore[union-attr]
        except (BrokenPipeError, OSError):
            pass  # the child stopped reading (it refused the file, or died): its exit says why
        finally:
            try:
                proc.stdin.close()  # type: ignore[union-attr]
            except OSError:
                pass

    writer = threading.Thread(target=feed, name="upload-sandbox-feed", daemon=True)
    writer.start()
    deadline = time.monotonic() + allowed + 5  # the CPU limit stops a busy child first; this one that waits
    reader = _Reader(limits.max_rows, cap)
    stopped = ""
    finished = False
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "out")  # type: ignore[arg-type]
    sel.register(proc.stderr, selectors.EVENT_READ, "err")  # type: ignore[arg-type]
    try:
        streams = 2
        while streams and not stopped:
            left = deadline - time.monotonic()
            if left <= 0:
                stopped = "time"
                break
            for key, _ in sel.select(timeout=min(left, 1.0)):
                chunk = os.read(key.fileobj.fileno(), 1 << 20)  # type: ignore[union-attr]
                if not chunk:
                    sel.unregister(key.fileobj)
                    streams -= 1
                elif key.data == "err":
                    reader.stderr(chunk)
                elif not reader.feed(chunk):
                    stopped = "size"
                    break
        finished = True
    except _Garbled as exc:
        stopped = f"garbled ({exc})"
    except _TooMuch:
        stopped = "size"
    finally:
        sel.close()
        if stopped or not finished:
            _kill(proc)
        status, late = _reap(proc, deadline)
        peak_kb = reader.peak_kb
        writer.join(timeout=5)
        for stream in (proc.stdout, proc.stderr):
            stream.close()  # type: ignore[union-attr]
    stopped = stopped or ("time" if late else "")
    err = reader.err.decode(errors="replace")[-2000:]
    took_too_long = _limit_message(filename, f"it took longer than the {allowed:,} seconds an import may take to read")
    too_big = _limit_message(filename, f"it needed more memory than the {memory:,} MB an import may use")
    if reader.refusal is not None:
        raise Refused(reader.refusal, peak_kb)
    if stopped == "time":
        raise Refused(took_too_long, peak_kb)
    if stopped == "size":
        raise Refused(_limit_message(filename, "the reader produced more data than any upload can hold"), peak_kb)
    if stopped:
        log.warning("upload sandbox: %s: %s; stderr: %s", filename, stopped, err)
        raise Refused(_limit_message(filename, "the reader stopped unexpectedly"), peak_kb)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        log.warning("upload sandbox: %s: stopped by signal %s (peak %d KB); stderr: %s", filename, sig, peak_kb, err)
        raise Refused(took_too_long if sig in (signal.SIGXCPU, signal.SIGKILL) else too_big, peak_kb)
    code = os.WEXITSTATUS(status)
    if code == MEMORY_EXIT:
        raise Refused(too_big, peak_kb)
    if code != 0 or reader.result is None or not reader.done:
        log.warning("upload sandbox: %s: exit code %s; stderr: %s", filename, code, err)
        raise Refused(_limit_message(filename, "the reader stopped unexpectedly"), peak_kb)
    reader.result.peak_kb = peak_kb
    return reader.result


class _Reader:
    """The parent's side of the conversation: JSON lines from the child, checked for shape and size."""

    def __init__(self, max_rows: int, cap: int) -> None:
        self.max_rows, self.cap = max_rows, cap
        self.received = 0
        self.pending = bytearray()
        self.err = bytearray()
        self.result: Result | None = None
        self.refusal: str | None = None
        self.done = False
        self.peak_kb = 0  # as the child measured itself (VmHWM); 0 when it died before saying

    def stderr(self, chunk: bytes) -> None:
        if len(self.err) < 65536:
            self.err += chunk[:65536 - len(self.err)]

    def feed(self, chunk: bytes) -> bool:
        """Take a chunk of the child's output; False once it has sent more than any upload could hold."""
        self.received += len(chunk)
        if self.received > self.cap:
            return False
        if b"\n" not in chunk:
            self.pending += chunk
            return True
        *lines, rest = (bytes(self.pending) + chunk).split(b"\n")
        self.pending = bytearray(rest)
        for line in lines:
            self._message(line)
        return True

    def _message(self, line: bytes) -> None:
        try:
            message = json.loads(line)
            if "error" in message:
                self.refusal = str(message["error"])[:2000]
            elif "meta" in message:
                meta = message["meta"]
                header = [str(h) for h in meta["header"]]
                self.result = Result(header, str(meta.get("encoding") or ""), str(meta.get("delimiter") or ""),
                                     [[] for _ in header])
            elif "rows" in message and self.result is not None:
                width = len(self.result.header)
                batch = message["rows"]
                if any(len(row) != width + 1 or not isinstance(row[0], int) for row in batch):
                    raise _Garbled("a row of the wrong shape")
                columns = list(zip(*batch, strict=True)) if batch else []
                if columns and not all(isinstance(c, str) for col in columns[1:] for c in col):
                    raise _Garbled("a cell that is not text")
                if columns:
                    self.result.file_rows.extend(columns[0])
                    for kept, col in zip(self.result.columns, columns[1:], strict=True):
                        kept.extend(col)
                if self.result.rows > self.max_rows:
                    raise _TooMuch
            elif "done" in message and self.result is not None:
                self.done = message["done"] == self.result.rows
            elif "peak_kb" in message:
                self.peak_kb = int(message["peak_kb"])
            else:
                raise _Garbled("an unexpected message")
        except (ValueError, KeyError, TypeError) as exc:
            raise _Garbled(type(exc).__name__) from None
        except _TooMuch:
            raise


def _limit_message(filename: str, why: str) -> str:
    return (f"{filename} could not be read within the limits of an import: {why}. {NOTHING} "
            "Export it again as CSV (UTF-8), or split it into smaller files, and upload it again.")


def _kill(proc: subprocess.Popen) -> None:
    try:
        proc.kill()
    except ProcessLookupError:
        pass


def _reap(proc: subprocess.Popen, deadline: float) -> tuple[int, bool]:
    """Wait for the child (killing it at the deadline); (wait status, whether it had to be killed).

    (The child's own peak memory comes from the child: wait4's ru_maxrss carries the parent's high-water
    mark across the vfork and exec that started it.)"""
    late = False
    while True:
        try:
            pid, status = os.waitpid(proc.pid, os.WNOHANG)
        except ChildProcessError:  # already reaped
            return 0, late
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return status, late
        if time.monotonic() > deadline and not late:
            _kill(proc)
            late = True
        time.sleep(0.01)


# --- the child -------------------------------------------------------------------------------


def _limit_self(memory: int, seconds: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write to a file fails (EFBIG) instead of killing the child
    resource.setrlimit(resource.RLIMIT_AS, (memory * 1024 * 1024, memory * 1024 * 1024))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


def _target(spec: str) -> Any:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def child() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    header = json.loads(stdin.readline(1 << 16))
    _limit_self(int(header["memory_mb"]), int(header["seconds"]))

    def send(message: dict[str, Any]) -> None:
        stdout.write(json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")

    try:
        data = stdin.read(int(header["size"]))
        meta, rows = _target(header["target"])(data, str(header["filename"]), Limits(**header["limits"]))
        send({"meta": meta})
        batch: list[list[Any]] = []
        sent = chars = 0
        for row, cells in rows:
            batch.append([row, *cells])
            chars += sum(map(len, cells))
            if len(batch) >= BATCH or chars > BATCH_CHARS:
                send({"rows": batch})
                sent += len(batch)
                batch, chars = [], 0
        if batch:
            send({"rows": batch})
            sent += len(batch)
        send({"done": sent})
    except ValidationError as exc:
        send({"error": str(exc)})
    except MemoryError:
        os._exit(MEMORY_EXIT)
    send({"peak_kb": _peak_kb()})
    stdout.flush()
    return 0


def _peak_kb() -> int:
    """This process's peak resident memory since it started (VmHWM), in KB."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(child())
