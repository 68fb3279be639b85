"""Deconfliction: will this visit clash with another agency's visit or double-book an officer?

Pure: the service loads the visits nearby and the business links, this decides.
"""
from __future__ import annotations

import re
from functools import lru_cache
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

ACTIVE = ("draft", "proposed", "confirmed", "done")  # a cancelled visit clashes with nothing
DEFAULT_WINDOW_DAYS = 14


@dataclass(frozen=True)
class PlannedVisit:
    id: int | None
    starts_at: datetime
    ends_at: datetime
    business_id: int | None = None
    premises_text: str = ""
    status: str = "draft"
    officer_ids: frozenset[int] = frozenset()
    officer_names: Mapping[int, str] = field(default_factory=dict)
    label: str = ""


@dataclass(frozen=True)
class Clash:
    kind: str  # "same premises", "same business", "connected business", "officer double-booked"
    visit_id: int | None
    message: str


@lru_cache(maxsize=65536)
def normalise_premises(text: str) -> str:
    """'12, The Broadway ' and '12 the broadway' are the same premises text."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _when(v: PlannedVisit) -> str:
    return f"{v.starts_at:%a %d %b %Y %H:%M}"


def _label(v: PlannedVisit) -> str:
    return v.label or v.premises_text or f"business {v.business_id}"


class _Where:
    """'<premises> on <when> (<status>)', written only when a clash names it."""

    def __init__(self, v: PlannedVisit) -> None:
        self.v = v

    def __format__(self, spec: str) -> str:
        return f"{_label(self.v)} on {_when(self.v)} ({self.v.status})"


def deconflict(
    proposed: PlannedVisit,
    others: Iterable[PlannedVisit],
    *,
    canonical: Mapping[int, int] | None = None,
    links: Mapping[int, Iterable[int] | Mapping[int, str]] | None = None,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> list[Clash]:
    """Warnings for the proposed visit, one per other visit and reason, most serious first.

    `canonical` maps a business to the one it was merged into (the same matched business);
    `links` maps a business to businesses connected to it (a shared phone or contact, the same building): either
    a collection of ids or {business id: label} ("Shared phone", "Same building"), the label then named in the clash.
    """
    canonical = canonical or {}
    links = links or {}
    window = timedelta(days=window_days)
    mine = canonical.get(proposed.business_id, proposed.business_id) if proposed.business_id else None
    my_text = normalise_premises(proposed.premises_text)
    mine_links = links.get(proposed.business_id or -1, ()) if proposed.business_id else ()
    labels = mine_links if isinstance(mine_links, Mapping) else {}
    connected = {canonical.get(b, b): labels.get(b, "") for b in mine_links}
    out: list[Clash] = []
    for other in others:
        if other.status not in ACTIVE or (proposed.id is not None and other.id == proposed.id):
            continue
        near = abs(other.starts_at - proposed.starts_at) <= window
        overlap = other.starts_at < proposed.ends_at and proposed.starts_at < other.ends_at
        if not near and not overlap:  # most of a month's visits: nothing to compare (a calendar asks for hundreds)
            continue
        theirs = canonical.get(other.business_id, other.business_id) if other.business_id else None
        where = _Where(other)
        if near:
            if proposed.business_id and other.business_id == proposed.business_id or (
                    my_text and normalise_premises(other.premises_text) == my_text):
                out.append(Clash("same premises", other.id, f"Another visit to the same premises: {where}."))
            elif mine is not None and theirs == mine:
                out.append(Clash("same business", other.id, f"A visit to the same business (matched records): {where}."))
            elif theirs is not None and theirs in connected:
                why = f" ({connected[theirs]})" if connected[theirs] else ""
                out.append(Clash("connected business", other.id, f"A visit to a connected business{why}: {where}. "
                                 "Visiting one may alert the other."))
        both = proposed.officer_ids & other.officer_ids
        if overlap and both:
            names = ", ".join(sorted(proposed.officer_names.get(i) or other.officer_names.get(i) or f"officer {i}"
                                     for i in both))
            out.append(Clash("officer double-booked", other.id, f"{names} also on {where}."))
    order = {"officer double-booked": 0, "same premises": 1, "same business": 2, "connected business": 3}
    return sorted(out, key=lambda c: (order[c.kind], c.visit_id or 0))
