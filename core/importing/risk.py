"""Agency risk scales and the common band: one lookup (`band_for`) used everywhere.

A scale is stored on `Dataset.risk_scale` in one of two shapes:
- categorical: {"A": "high", "B": "medium", "C": "low"} (value as the agency writes it -> band);
- numeric: {"type": "numeric", "high_from": 70, "medium_from": 40} (a score at or above
  `high_from` is high, at or above `medium_from` medium, anything lower low).
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from core.domain import Band
from core.errors import ValidationError

BANDS = tuple(b.value for b in Band)


def _number(value: str) -> float | None:
    try:
        n = float(value.strip().replace(",", ""))
    except (ValueError, AttributeError):
        return None
    return n if math.isfinite(n) else None


def is_numeric(scale: Mapping[str, Any]) -> bool:
    return scale.get("type") == "numeric"


def band_for(scale: Mapping[str, Any], value: str | None) -> str | None:
    """The common band for one agency value, or None when the scale does not cover it."""
    text = (value or "").strip()
    if not text or not scale:
        return None
    if is_numeric(scale):
        n = _number(text)
        if n is None:
            return None
        return "high" if n >= float(scale["high_from"]) else "medium" if n >= float(scale["medium_from"]) else "low"
    band = scale.get(text)
    if band is None:
        folded = text.casefold()
        band = next((b for v, b in scale.items() if v.strip().casefold() == folded), None)
    if band is None and (n := _number(text)) is not None and n.is_integer():
        band = scale.get(str(int(n)))  # "3.0" from a spreadsheet is the agency's "3"
    return band if band in BANDS else None


def check_scale(scale: Mapping[str, Any]) -> dict[str, Any]:
    """A clean copy of a scale, or a ValidationError naming what to fix."""
    if is_numeric(scale):
        try:
            high, medium = float(scale["high_from"]), float(scale["medium_from"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError("Risk scale: give numbers for 'high from' and 'medium from'.") from exc
        if not medium < high:
            raise ValidationError("Risk scale: 'medium from' must be lower than 'high from'.")
        as_int = lambda x: int(x) if x.is_integer() else x  # noqa: E731
        return {"type": "numeric", "high_from": as_int(high), "medium_from": as_int(medium)}
    out: dict[str, str] = {}
    for value, band in scale.items():
        v = str(value).strip()
        b = str(band or "").strip().lower()
        if not v:
            continue
        if b not in BANDS:
            raise ValidationError(f"Risk scale: the band for {v!r} must be high, medium or low (it is {band!r}).")
        if v in out:
            raise ValidationError(f"Risk scale: {v!r} is listed twice.")
        out[v] = b
    return out


_WORDS = {
    "very high": "high", "high": "high", "h": "high", "medium": "medium", "med": "medium", "m": "medium",
    "moderate": "medium", "low": "low", "l": "low", "very low": "low", "red": "high", "amber": "medium",
    "green": "low",
}
_STARS = re.compile(r"star|rating|hygiene|fhrs|score ?0", re.I)
_LOWER_IS_WORSE = re.compile(r"category|cat\b|priority|tier|grade", re.I)


def suggest_risk_scale(values: Iterable[str], column: str = "") -> dict[str, Any]:
    """A proposed {value: band} (or a numeric scale) for the values seen in a file's risk column.

    Shapes: food hygiene 0-5 stars (0-1 high, 2 medium, 3-5 low); 1-5 threat (5-4 high, 3 medium);
    High/Medium/Low; Red/Amber/Green; A/B/C (A worst); "Level 3"/"Category 1" style labels; a wider
    numeric score (thresholds at 70% and 40% of its range). Values it cannot place are left out.
    """
    seen = sorted({str(v).strip() for v in values if str(v or "").strip()})
    if not seen:
        return {}
    numbers = {v: _number(v) for v in seen}
    if all(n is not None for n in numbers.values()):
        nums = [n for n in numbers.values() if n is not None]
        lo, hi = min(nums), max(nums)
        integral = all(n.is_integer() for n in nums)
        if integral and lo >= 0 and hi <= 5:
            stars = 0 in nums or bool(_STARS.search(column))
            if stars:
                return {v: "high" if n <= 1 else "medium" if n == 2 else "low" for v, n in numbers.items()}  # type: ignore[operator]
            return {v: "high" if n >= 4 else "medium" if n == 3 else "low" for v, n in numbers.items()}  # type: ignore[operator]
        top = 100 if hi <= 100 and lo >= 0 else hi
        bottom = 0 if lo >= 0 and top == 100 else lo
        span = top - bottom
        return {"type": "numeric", "high_from": round(bottom + 0.7 * span), "medium_from": round(bottom + 0.4 * span)}
    folded = {v: v.casefold() for v in seen}
    out: dict[str, Any] = {v: _WORDS[f] for v, f in folded.items() if f in _WORDS}
    rest = [v for v in seen if v not in out]
    if rest and all(len(v) == 1 and v.isalpha() for v in rest):
        letters = sorted(v.upper() for v in rest)
        for v in rest:  # A worst
            i = letters.index(v.upper())
            out[v] = "high" if i == 0 else "medium" if i == 1 else "low"
        return out
    labelled = {v: m for v in rest if (m := re.search(r"\d+", v))}
    if len(labelled) >= 2:
        ranks = sorted({int(m.group()) for m in labelled.values() if m})
        lower_worse = bool(_LOWER_IS_WORSE.search(" ".join(rest)))
        for v, m in labelled.items():
            i = ranks.index(int(m.group())) if m else 0
            pos = i if lower_worse else len(ranks) - 1 - i  # 0 = worst
            out[v] = "high" if pos == 0 else "medium" if pos == 1 and len(ranks) > 2 else "low"
    return out
