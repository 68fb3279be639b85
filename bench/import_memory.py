"""Peak memory of reading the uploads that hurt, before (the reader as it was, in the server's own process)
and after (the upload sandbox's child process).

    .venv/bin/python bench/import_memory.py [--before COMMIT]

Builds in a temporary folder: a 600,001-row CSV (31.6 MB), a 500,000-row CSV (26.3 MB) and a two-million-row
.xlsx with every cell numbered (9.3 MB; tests/fixtures/uploads/rows_2000000.xlsx is the same without numbers,
125 KB), and reads the fixtures too. "Before" runs the old reader (`git show COMMIT:core/importing/reader.py`,
default 712b630, the commit this work started from) in a fresh process and reports that process's own peak
(VmHWM), pandas and all, as the server would have paid it; "after" reports the sandbox child's own peak
(VmHWM, which it measures itself) and the calling process's own peak (it builds the table from the rows the
child sends: what an accepted file costs the server).
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.uploads.make_uploads import SHEET_HEAD, inline, workbook  # noqa: E402

UPLOADS = ROOT / "tests" / "fixtures" / "uploads"

_OLD = textwrap.dedent("""
    import json, sys, importlib.util
    def hwm():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    spec = importlib.util.spec_from_file_location("old_reader", sys.argv[1])
    old = importlib.util.module_from_spec(spec); sys.modules["old_reader"] = old; spec.loader.exec_module(old)
    base = hwm()
    data = open(sys.argv[2], "rb").read()
    try:
        t = old.read_table(data, sys.argv[2])
        out = f"read {len(t.frame):,} rows"
    except Exception as exc:
        out = "refused: " + str(exc)[:60]
    print(json.dumps({"base_kb": base, "peak_kb": hwm(), "out": out}))
""")


def csv_file(path: Path, rows: int) -> Path:
    rnd = random.Random(2)
    with path.open("w") as f:
        f.write("Ref,Name,Address,Postcode,Risk,Last Visit\n")
        for i in range(rows):
            f.write(f"R{i},Shop {rnd.randint(0, 99999)},{rnd.randint(1, 200)} High Street,KM1 {rnd.randint(1, 9)}AA,"
                    f"{rnd.randint(0, 5)},2024-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}\n")
    return path


def numbered_rows(path: Path, rows: int) -> Path:
    def parts():  # noqa: ANN202
        yield SHEET_HEAD + f'<sheetData><row r="1">{inline("A1", "Ref")}</row>'
        for start in range(2, rows + 2, 10_000):
            yield "".join(f'<row r="{i}"><c r="A{i}"><v>1</v></c></row>' for i in range(start, min(start + 10_000, rows + 2)))
        yield "</sheetData></worksheet>"
    workbook(parts(), path)
    return path


def before(old_reader: Path, path: Path) -> str:
    run = subprocess.run([sys.executable, "-c", _OLD, str(old_reader), str(path)], capture_output=True, text=True,
                         timeout=600, check=False, cwd=ROOT)
    if run.returncode < 0:
        return f"the process died (signal {-run.returncode}: {run.stderr.strip().splitlines()[0][:70]})"
    if run.returncode:
        return f"failed: {run.stderr.strip()[-300:]}"
    got = json.loads(run.stdout.strip().splitlines()[-1])
    return f"{got['peak_kb'] / 1024:,.0f} MB peak ({got['base_kb'] / 1024:,.0f} MB of it before reading); {got['out']}"


_NEW = textwrap.dedent("""
    import json, sys
    from core.importing import sandbox
    from core.importing.reader import read_table
    def hwm():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    base = hwm()
    data = open(sys.argv[1], "rb").read()
    try:
        t = read_table(data, sys.argv[1].rsplit("/", 1)[-1])
        child, out = t.reader_peak_kb, f"read {len(t.frame):,} rows"
    except sandbox.Refused as exc:
        child, out = exc.peak_kb, "refused: " + str(exc)[:60]
    print(json.dumps({"base_kb": base, "peak_kb": hwm(), "child_kb": child, "out": out}))
""")


def after(path: Path) -> str:
    run = subprocess.run([sys.executable, "-c", _NEW, str(path)], capture_output=True, text=True, timeout=600,
                         check=False, cwd=ROOT)
    if run.returncode:
        return f"failed: {run.stderr.strip()[-300:]}"
    got = json.loads(run.stdout.strip().splitlines()[-1])
    return (f"child {got['child_kb'] / 1024:,.0f} MB peak; the calling process {got['peak_kb'] / 1024:,.0f} MB peak "
            f"({got['base_kb'] / 1024:,.0f} MB before reading); {got['out']}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="712b630")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        old_reader = folder / "old_reader.py"
        old_reader.write_text(subprocess.run(["git", "show", f"{args.before}:core/importing/reader.py"], cwd=ROOT,
                                             capture_output=True, text=True, check=True).stdout)
        files = [csv_file(folder / "rows_600001.csv", 600_001), csv_file(folder / "rows_500000.csv", 500_000),
                 numbered_rows(folder / "rows_2000000_numbered.xlsx", 2_000_000),
                 UPLOADS / "rows_2000000.xlsx", UPLOADS / "dimension_bomb.xlsx"]
        for path in files:
            size = path.stat().st_size / 1024 / 1024
            print(f"{path.name} ({size:,.1f} MB)\n  before: {before(old_reader, path)}\n  after:  {after(path)}", flush=True)


if __name__ == "__main__":
    main()
