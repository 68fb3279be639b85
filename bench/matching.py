"""Matching benchmark: our `core.cli link` against Splink on generated multi-agency exports.

    .venv/bin/python bench/matching.py [--sizes 2000,20000,100000] [--seed 1] [--tools ours,splink]
    make bench-matching

For each size (businesses), generates the exports with bench/premises.py (cached by size and seed
under bench/.cache/), then runs each tool as a separate process, as a user would, timing the wall
clock of the whole run (reading the files included):

  ours    python -m core.cli link FOLDER --mapping bench/premises_mapping.yaml --out ours.csv
  splink  python bench/splink_link.py FOLDER --mapping bench/premises_mapping.yaml --out splink.csv

and scores each output against truth.csv: pairwise precision, recall and F1 (counted over cluster
intersections, bench/metrics.py) and the share of the true multi-agency businesses (records from 2+
agencies) recovered exactly; and per hard case (businesses.csv), the share of its businesses kept
whole and apart. Prints Markdown tables with wall and CPU seconds (the machine may be
shared: CPU time is the steadier of the two; DuckDB uses several threads, so it can exceed wall time).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from metrics import Scores, exact_entities, score  # noqa: E402

MAPPING = BENCH / "premises_mapping.yaml"


def exports(size: int, seed: int, cache: Path) -> Path:
    """The generated folder for this size and seed, made once (again when the generator changes)."""
    version = hashlib.sha256((BENCH / "premises.py").read_bytes()).hexdigest()[:8]
    folder = cache / f"premises-{size}-seed{seed}-{version}"
    if not (folder / "truth.csv").exists():
        started = time.perf_counter()
        subprocess.run([sys.executable, str(BENCH / "premises.py"), "--businesses", str(size), "--seed", str(seed),
                        "--out", str(folder)], check=True, stdout=subprocess.DEVNULL)
        print(f"generated {size:,} businesses in {time.perf_counter() - started:.1f} s -> {folder}", flush=True)
    return folder


def ours_available() -> str | None:
    """None when `python -m core.cli link` exists, else why not."""
    probe = subprocess.run([sys.executable, "-m", "core.cli", "link", "--help"], cwd=ROOT, capture_output=True,
                           text=True)
    if probe.returncode != 0:
        return "`python -m core.cli link` is not available yet (core.cli has no `link` command)"
    return None


def command(tool: str, folder: Path, out: Path, seed: int) -> list[str]:
    if tool == "ours":
        return [sys.executable, "-m", "core.cli", "link", str(folder), "--mapping", str(MAPPING), "--out", str(out)]
    return [sys.executable, str(BENCH / "splink_link.py"), str(folder), "--mapping", str(MAPPING), "--out", str(out),
            "--seed", str(seed)]


def read_csv_map(path: Path, key: str, value: str) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8") as f:
        return {row[key]: row[value] for row in csv.DictReader(f)}


def run(tool: str, folder: Path, seed: int, work: Path) -> tuple[Scores, float, float, dict[str, float]] | str:
    """Scores, wall seconds, CPU seconds (user + system, all threads) and the share of the businesses in
    each hard case kept whole and apart; or the reason it failed."""
    out = work / f"{tool}-{folder.name}.csv"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command(tool, folder, out, seed), cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if done.returncode != 0 or not out.exists():
        return f"{tool} failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}"
    truth = read_csv_map(folder / "truth.csv", "record_id", "business_id")
    predicted = read_csv_map(out, "record_id", "cluster_id")
    return score(truth, predicted), seconds, cpu, by_case(folder, truth, predicted)


def by_case(folder: Path, truth: dict[str, str], predicted: dict[str, str]) -> dict[str, float]:
    """Hard case -> share of its businesses whose records come out as exactly one cluster."""
    exact = exact_entities(truth, predicted)
    members: dict[str, list[str]] = {"all businesses": []}
    with open(folder / "businesses.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            members["all businesses"].append(row["business_id"])
            for case in filter(None, row["cases"].split(";")):
                members.setdefault(case, []).append(row["business_id"])
    return {case: sum(b in exact for b in ids) / len(ids) for case, ids in members.items()} | {
        f"n:{case}": len(ids) for case, ids in members.items()}


def case_table(size: int, rows: list[tuple[str, dict[str, float]]]) -> str:
    tools = [tool for tool, _ in rows]
    lines = [f"| hard case ({size:,} businesses) | businesses | " + " | ".join(tools) + " |",
             "|---|---:|" + "---:|" * len(tools)]
    cases = sorted((c for c in rows[0][1] if not c.startswith("n:")), key=lambda c: (c != "all businesses", c))
    for case in cases:
        lines.append(f"| {case} | {rows[0][1]['n:' + case]:,.0f} | "
                     + " | ".join(f"{shares[case]:.1%}" for _, shares in rows) + " |")
    return "\n".join(lines)


def table(results: list[tuple[int, int, str, Scores, float, float]]) -> str:
    lines = ["| businesses | records | tool | precision | recall | F1 | multi-agency exact | wall s | CPU s |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    for size, records, tool, s, seconds, cpu in results:
        lines.append(f"| {size:,} | {records:,} | {tool} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | "
                     f"{s.multi_agency_exact:.1%} of {s.multi_agency:,} | {seconds:.1f} | {cpu:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="2000,20000,100000", help="businesses per run, comma separated")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tools", default="ours,splink", help="ours, splink or both (comma separated)")
    p.add_argument("--cache", type=Path, default=BENCH / ".cache", help="where generated exports are kept")
    args = p.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    if "ours" in tools and (why := ours_available()):
        print(f"skipping ours: {why}", flush=True)
        tools.remove("ours")
    results: list[tuple[int, int, str, Scores, float, float]] = []
    per_case: dict[int, list[tuple[str, dict[str, float]]]] = {}
    failed = False
    with tempfile.TemporaryDirectory(prefix="ph-bench-matching-") as tmp:
        for size in sizes:
            folder = exports(size, args.seed, args.cache)
            with open(folder / "truth.csv", encoding="utf-8") as f:
                records = sum(1 for _ in f) - 1
            for tool in tools:
                outcome = run(tool, folder, args.seed, Path(tmp))
                if isinstance(outcome, str):
                    print(outcome, file=sys.stderr, flush=True)
                    failed = True
                    continue
                s, seconds, cpu, cases = outcome
                results.append((size, records, tool, s, seconds, cpu))
                per_case.setdefault(size, []).append((tool, cases))
                print(f"{size:>7,} businesses {records:>8,} records  {tool:<6}  P {s.precision:.3f}  "
                      f"R {s.recall:.3f}  F1 {s.f1:.3f}  multi-agency exact {s.multi_agency_exact:.1%} "
                      f"of {s.multi_agency:,}  {seconds:.1f} s (CPU {cpu:.1f} s)", flush=True)
    if results:
        print()
        print(table(results))
        print()
        print("Share of businesses whose records come out exactly as one cluster (whole, nothing else in it):")
        for size, rows in per_case.items():
            print()
            print(case_table(size, rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
