"""Does the matcher's score mean what it says? What the partnership's own decisions answer.

The score is the matcher's probability, in per cent, that two records are one business. On data it was
not tuned on it can be too sure (bench/matching.py prints the share of pairs truly one business per band
of score). The analysts' decisions on reviewed pairs are the partnership's own answer: of the pairs the
matcher scored 55-70, how many did people find to be one business? Shown beside the score once enough
pairs in that band have been decided. Pure functions.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BANDS = ((0, 40), (40, 55), (55, 70), (70, 85), (85, 101))
MIN_DECIDED = 10   # decisions in a band before their share is shown


@dataclass(frozen=True, slots=True)
class Band:
    low: int
    high: int         # exclusive (101 for the top band)
    same: int         # decided "match"
    decided: int      # decided "match" or "no match" ("unsure" says nothing)

    @property
    def label(self) -> str:
        return f"{self.low}-{min(self.high, 100) - (0 if self.high > 100 else 1)}"


def band_of(score: float) -> tuple[int, int]:
    return next(b for b in BANDS if b[0] <= score < b[1]) if 0 <= score <= 100 else BANDS[-1]


def decided_bands(decisions: Iterable[tuple[float | None, str]]) -> dict[tuple[int, int], Band]:
    """(score when decided, decision) of reviewed pairs -> each band's count of decisions and matches."""
    same: dict[tuple[int, int], int] = {b: 0 for b in BANDS}
    total: dict[tuple[int, int], int] = {b: 0 for b in BANDS}
    for score, decision in decisions:
        if score is None or decision not in ("match", "no match"):
            continue
        b = band_of(score)
        total[b] += 1
        same[b] += decision == "match"
    return {b: Band(b[0], b[1], same[b], total[b]) for b in BANDS}


def percent(score: float) -> int:
    """The score as a likelihood people read: 1 to 99 per cent (no score is certainty either way)."""
    return min(99, max(1, round(score)))


def in_words(score: float, bands: dict[tuple[int, int], Band] | None = None) -> str:
    """"64% likely, says the matcher; the partnership's analysts found 7 of 19 pairs scored 55-69 to be one
    business" (the second part once MIN_DECIDED pairs in the band are decided)."""
    said = f"{percent(score)}% likely, says the matcher"
    band = (bands or {}).get(band_of(score))
    if band is None or band.decided < MIN_DECIDED:
        return said
    return (f"{said}; the partnership's analysts found {band.same} of {band.decided} pairs scored {band.label} "
            "to be one business")
