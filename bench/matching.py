"""Matching benchmark: our `core.cli link` against Splink on generated multi-agency exports.

    .venv/bin/python bench/matching.py [--sizes 2000,20000,100000] [--seed 1] [--tools ours,ours-learned,splink]
                                       [--generators premises,exports_b]
    make bench-matching

Two generators, each with its own answer: bench/premises.py (written beside the matcher, whose hand
weights were tuned on it) and bench/exports_b.py (written from a description of real exports by
someone who had not read the matcher or premises.py; never tune on it). For each generator and size
(businesses), generates the exports (cached by generator, size and seed under bench/.cache/), then
runs each tool as a separate process, as a user would, timing the wall clock of the whole run
(reading the files included):

  ours          python -m core.cli link FOLDER --mapping MAPPING --out ours.csv
  ours-learned  the same with --weights learned (weights estimated from the records, core/matching/em.py)
  splink        python bench/splink_link.py FOLDER --mapping MAPPING --out splink.csv

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
import re
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

GENERATORS = ("premises", "exports_b")


def mapping_of(generator: str, folder: Path) -> Path:
    """premises.py's mapping is in bench/; exports_b.py writes its own beside the files."""
    return BENCH / "premises_mapping.yaml" if generator == "premises" else folder / "mapping.yaml"


def exports(generator: str, size: int, seed: int, cache: Path) -> Path:
    """The generated folder for this generator, size and seed, made once (again when the generator changes)."""
    script = BENCH / f"{generator}.py"
    version = hashlib.sha256(script.read_bytes()).hexdigest()[:8]
    folder = cache / f"{generator}-{size}-seed{seed}-{version}"
    if not (folder / "truth.csv").exists():
        started = time.perf_counter()
        subprocess.run([sys.executable, str(script), "--businesses", str(size), "--seed", str(seed),
                        "--out", str(folder)], check=True, stdout=subprocess.DEVNULL)
        print(f"generated {generator} {size:,} businesses in {time.perf_counter() - started:.1f} s -> {folder}",
              flush=True)
    return folder


def ours_available() -> str | None:
    """None when `python -m core.cli link` exists, else why not."""
    probe = subprocess.run([sys.executable, "-m", "core.cli", "link", "--help"], cwd=ROOT, capture_output=True,
                           text=True)
    if probe.returncode != 0:
        return "`python -m core.cli link` is not available yet (core.cli has no `link` command)"
    return None


def command(tool: str, folder: Path, mapping: Path, out: Path, seed: int) -> list[str]:
    if tool in ("ours", "ours-learned"):
        weights = ["--weights", "learned"] if tool == "ours-learned" else []
        return [sys.executable, "-m", "core.cli", "link", str(folder), "--mapping", str(mapping), "--out", str(out),
                "--pairs", str(out.with_suffix(".pairs.csv")), *weights]
    return [sys.executable, str(BENCH / "splink_link.py"), str(folder), "--mapping", str(mapping), "--out", str(out),
            "--seed", str(seed)]


def read_csv_map(path: Path, key: str, value: str) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8") as f:
        return {row[key]: row[value] for row in csv.DictReader(f)}


def run(tool: str, folder: Path, mapping: Path, seed: int,
        work: Path) -> tuple[Scores, float, float, dict[str, float]] | str:
    """Scores, wall seconds, CPU seconds (user + system, all threads) and the share of the businesses in
    each hard case kept whole and apart (with "site F1" when both the truth and the tool give sites, and
    "review pairs" when the tool reports its review queue); or the reason it failed."""
    out = work / f"{tool}-{folder.name}.csv"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command(tool, folder, mapping, out, seed), cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if done.returncode != 0 or not out.exists():
        return f"{tool} failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[-2000:]}"
    truth = read_csv_map(folder / "truth.csv", "record_id", "business_id")
    predicted = read_csv_map(out, "record_id", "cluster_id")
    cases = by_case(folder, truth, predicted)
    with open(folder / "truth.csv", encoding="utf-8") as f, open(out, encoding="utf-8") as g:
        has_sites = "site_id" in f.readline() and "site_id" in g.readline()
    if has_sites:
        cases["site F1"] = score(read_csv_map(folder / "truth.csv", "record_id", "site_id"),
                                 read_csv_map(out, "record_id", "site_id")).f1
    if review := re.search(r"([\d,]+) pairs to review", done.stderr):
        cases["review pairs"] = float(review.group(1).replace(",", ""))
    pairs = out.with_suffix(".pairs.csv")
    if pairs.exists():
        cases |= calibration(truth, pairs)
    return score(truth, predicted), seconds, cpu, cases


BANDS = ((40, 60), (60, 85), (85, 95), (95, 101))   # the review band is 40-85; matches from 85


def calibration(truth: dict[str, str], pairs: Path) -> dict[str, float]:
    """For each band of stated probability (the score, in per cent): "cal:40-60" the share of its pairs that are
    truly one business, "calmean:40-60" the mean stated score, "calpairs:40-60" how many pairs."""
    seen: dict[tuple[int, int], list[float]] = {band: [] for band in BANDS}
    right: dict[tuple[int, int], int] = {band: 0 for band in BANDS}
    with open(pairs, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            s = float(row["score"])
            band = next((b for b in BANDS if b[0] <= s < b[1]), None)
            if band is None:
                continue
            seen[band].append(s)
            a, b = truth.get(row["record_a"]), truth.get(row["record_b"])
            right[band] += a is not None and a == b
    out: dict[str, float] = {}
    for band, scores in seen.items():
        if scores:
            name = f"{band[0]}-{min(band[1], 100)}"
            out[f"cal:{name}"] = right[band] / len(scores)
            out[f"calmean:{name}"] = sum(scores) / len(scores)
            out[f"calpairs:{name}"] = len(scores)
    return out


def calibration_table(results: list[tuple[str, int, int, str, Scores, float, float, dict[str, float]]]) -> str:
    names = [f"{lo}-{min(hi, 100)}" for lo, hi in BANDS]
    lines = ["| generator | businesses | tool | " + " | ".join(f"score {n}: stated / true (pairs)" for n in names) + " |",
             "|---|---:|---|" + "---:|" * len(names)]
    for generator, size, _records, tool, _s, _w, _c, extra in results:
        if not any(k.startswith("cal:") for k in extra):
            continue
        cells = [f"{extra['calmean:' + n]:.0f}% / {extra['cal:' + n]:.0%} ({extra['calpairs:' + n]:,.0f})"
                 if "cal:" + n in extra else "–" for n in names]
        lines.append(f"| {generator} | {size:,} | {tool} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


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


def case_table(generator: str, size: int, rows: list[tuple[str, dict[str, float]]]) -> str:
    tools = [tool for tool, _ in rows]
    lines = [f"| hard case ({generator}, {size:,} businesses) | businesses | " + " | ".join(tools) + " |",
             "|---|---:|" + "---:|" * len(tools)]
    cases = sorted((c for c in rows[0][1] if not c.startswith("n:") and "n:" + c in rows[0][1]),
                   key=lambda c: (c != "all businesses", c))
    for case in cases:
        lines.append(f"| {case} | {rows[0][1]['n:' + case]:,.0f} | "
                     + " | ".join(f"{shares[case]:.1%}" for _, shares in rows) + " |")
    return "\n".join(lines)


def table(results: list[tuple[str, int, int, str, Scores, float, float, dict[str, float]]]) -> str:
    lines = ["| generator | businesses | records | tool | precision | recall | F1 | multi-agency exact | site F1 "
             "| to review | wall s | CPU s |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for generator, size, records, tool, s, seconds, cpu, extra in results:
        site = f"{extra['site F1']:.3f}" if "site F1" in extra else "–"
        review = f"{extra['review pairs']:,.0f} ({extra['review pairs'] / records:.1%})" if "review pairs" in extra else "–"
        lines.append(f"| {generator} | {size:,} | {records:,} | {tool} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} | "
                     f"{s.multi_agency_exact:.1%} of {s.multi_agency:,} | {site} | {review} | {seconds:.1f} | {cpu:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="2000,20000,100000", help="businesses per run, comma separated")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--tools", default="ours,ours-learned,splink", help="ours, ours-learned, splink (comma separated)")
    p.add_argument("--generators", default=",".join(GENERATORS), help="premises, exports_b (comma separated)")
    p.add_argument("--cache", type=Path, default=BENCH / ".cache", help="where generated exports are kept")
    args = p.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    generators = [g.strip() for g in args.generators.split(",") if g.strip()]
    unknown = sorted(set(generators) - set(GENERATORS)) + sorted(set(tools) - {"ours", "ours-learned", "splink"})
    if unknown:
        p.error(f"unknown generator or tool: {', '.join(unknown)}")
    if {"ours", "ours-learned"} & set(tools) and (why := ours_available()):
        print(f"skipping ours: {why}", flush=True)
        tools = [t for t in tools if not t.startswith("ours")]
    for generator in [g for g in generators if not (BENCH / f"{g}.py").exists()]:
        print(f"skipping {generator}: bench/{generator}.py is not there", file=sys.stderr, flush=True)
        generators.remove(generator)
    results: list[tuple[str, int, int, str, Scores, float, float, dict[str, float]]] = []
    per_case: dict[tuple[str, int], list[tuple[str, dict[str, float]]]] = {}
    failed = False
    with tempfile.TemporaryDirectory(prefix="ph-bench-matching-") as tmp:
        for generator in generators:
            for size in sizes:
                folder = exports(generator, size, args.seed, args.cache)
                mapping = mapping_of(generator, folder)
                with open(folder / "truth.csv", encoding="utf-8") as f:
                    records = sum(1 for _ in f) - 1
                for tool in tools:
                    outcome = run(tool, folder, mapping, args.seed, Path(tmp))
                    if isinstance(outcome, str):
                        print(outcome, file=sys.stderr, flush=True)
                        failed = True
                        continue
                    s, seconds, cpu, cases = outcome
                    results.append((generator, size, records, tool, s, seconds, cpu, cases))
                    per_case.setdefault((generator, size), []).append((tool, cases))
                    print(f"{generator:<9} {size:>7,} businesses {records:>8,} records  {tool:<12}  "
                          f"P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}  multi-agency exact "
                          f"{s.multi_agency_exact:.1%} of {s.multi_agency:,}  {seconds:.1f} s (CPU {cpu:.1f} s)",
                          flush=True)
    if results:
        print()
        print(table(results))
        print()
        print("Does the score mean what it says? Pairs by stated probability, and the share truly one business:")
        print()
        print(calibration_table(results))
        print()
        print("Share of businesses whose records come out exactly as one cluster (whole, nothing else in it):")
        for (generator, size), rows in per_case.items():
            print()
            print(case_table(generator, size, rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
