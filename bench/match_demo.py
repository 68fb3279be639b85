"""Accuracy and speed of core.matching against the demo generator's ground truth.

Seed a database first, e.g.
    DATABASE_URL=sqlite:////tmp/demo.db PH_SEED_DEMO=0 .venv/bin/python -m core.cli seed --reset --scale demo
then
    .venv/bin/python bench/match_demo.py /tmp/demo.db [/tmp/county.db ...] [--scale-to 170000]

`agency_records.business_id` is the true business. Pairwise precision/recall/F1 count record pairs in one
true business against pairs in one predicted cluster; "exact" is the share of true businesses held by 2+
datasets whose records form exactly one predicted cluster. `--scale-to N` also times a run on N records
made by copying the area under other postcode areas (each copy is a new set of businesses).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.matching import MatchInput, link  # noqa: E402

AREAS = ["AB", "CD", "EF", "GH", "LN", "PR", "ST", "WX", "YZ", "BR", "DT", "HU"]


def load(path: str) -> tuple[list[MatchInput], dict[str, int]]:
    con = sqlite3.connect(path)
    rows = con.execute(
        "select dataset_id, reference, trading_name, company_name, address, postcode, phone, contact, last_contact,"
        " business_id from agency_records order by dataset_id, reference").fetchall()
    con.close()
    records, truth = [], {}
    for ds, ref, tn, cn, addr, pc, phone, contact, last, biz in rows:
        rid = f"{ds}:{ref}"
        records.append(MatchInput(rid, str(ds), tn or "", cn or "", addr or "", pc or "", phone or "", contact or "",
                                  date.fromisoformat(str(last)[:10]) if last else None))
        truth[rid] = biz
    return records, truth


def scaled(records: list[MatchInput], truth: dict[str, int], n: int) -> tuple[list[MatchInput], dict[str, int]]:
    """Copies of the area under other postcode areas until there are n records."""
    out, out_truth = list(records), dict(truth)
    copy = 0
    while len(out) < n:
        area = AREAS[copy % len(AREAS)] + str(copy // len(AREAS) or "")
        for r in records:
            if len(out) >= n:
                break
            rid = f"{r.record_id}~{copy}"
            out.append(MatchInput(rid, r.source, r.trading_name, r.company_name, r.address,
                                  r.postcode.upper().replace("KM", area[:2], 1) if r.postcode else "",
                                  r.phone.replace("01632", f"0{1700 + copy}") if r.phone else "",
                                  r.contact, r.last_contact))
            out_truth[rid] = truth[r.record_id] * 100 + copy + 1
        copy += 1
    return out, out_truth


def pairs(sizes: Counter) -> int:
    return sum(k * (k - 1) // 2 for k in sizes.values())


def evaluate(records: list[MatchInput], truth: dict[str, int], cluster_of: dict[str, int]) -> dict[str, float]:
    true_sizes = Counter(truth[r.record_id] for r in records)
    pred_sizes = Counter(cluster_of[r.record_id] for r in records)
    both = Counter((truth[r.record_id], cluster_of[r.record_id]) for r in records)
    tp, t, p = pairs(both), pairs(true_sizes), pairs(pred_sizes)
    precision, recall = tp / p if p else 1.0, tp / t if t else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    sources: dict[int, set[str]] = defaultdict(set)
    for r in records:
        sources[truth[r.record_id]].add(r.source)
    multi = [b for b, s in sources.items() if len(s) >= 2]
    clusters_of_biz: dict[int, set[int]] = defaultdict(set)
    for r in records:
        clusters_of_biz[truth[r.record_id]].add(cluster_of[r.record_id])
    exact = sum(1 for b in multi if len(clusters_of_biz[b]) == 1
                and pred_sizes[next(iter(clusters_of_biz[b]))] == true_sizes[b])
    return {"precision": precision, "recall": recall, "f1": f1, "multi": len(multi),
            "exact": exact / len(multi) if multi else 1.0, "true_biz": len(true_sizes), "clusters": len(pred_sizes)}


def run(label: str, records: list[MatchInput], truth: dict[str, int]) -> None:
    result = link(records)
    m = evaluate(records, truth, result.cluster_of)
    st = result.stats
    print(f"| {label} | {len(records):,} | {m['true_biz']:,} | {m['clusters']:,} | {m['precision']:.4f} | "
          f"{m['recall']:.4f} | {m['f1']:.4f} | {m['exact']:.3f} of {m['multi']:,} | {st['candidate_pairs']:,.0f} | "
          f"{len(result.review):,} | {len(result.connections):,} | {st['seconds']:.2f} "
          f"({st['seconds_prepare']:.1f}/{st['seconds_block']:.1f}/{st['seconds_score']:.1f}/"
          f"{st['seconds_cluster']:.1f}/{st['seconds_output']:.1f}) |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("databases", nargs="+", help="SQLite files seeded by `core.cli seed`")
    ap.add_argument("--scale-to", type=int, default=0, help="also time a run on this many records (copies)")
    args = ap.parse_args()
    print("| data | records | true businesses | clusters | precision | recall | F1 | multi-agency exact | "
          "candidate pairs | review | connections | seconds (prepare/block/score/cluster/output) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for path in args.databases:
        records, truth = load(path)
        run(Path(path).stem, records, truth)
        if args.scale_to and args.scale_to > len(records):
            big, big_truth = scaled(records, truth, args.scale_to)
            run(f"{Path(path).stem} x{len(big) / len(records):.1f}", big, big_truth)


if __name__ == "__main__":
    main()
