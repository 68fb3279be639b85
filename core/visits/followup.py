"""The follow-up work a batch of visits is likely to leave each agency (pure functions).

Large operations create months of follow-up (notices to check, interviews, prosecution files) that
fall on front-line teams; the estimate shows the partnership the load before it commits.

Per attended visit, an agency is expected to leave:
- notices: notices served (each needs a compliance check or revisit);
- interviews: seizures plus arrests (each needs an interview under caution);
- prosecutions: PROSECUTION_SHARE of those interviews become a prosecution file (no history records
  prosecutions, so this share is always the default).
Rates come from the agency's own recorded outcomes when it has at least MIN_HISTORY of them, else
from all agencies of its kind, else from DEFAULT_RATES below (planning assumptions, not measurements).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core.visits.outcome import counts_of

MIN_HISTORY = 5
PROSECUTION_SHARE = 0.25


@dataclass(frozen=True)
class Rates:
    """Expected follow-up per attended visit, and where the figure came from."""

    notices: float
    interviews: float
    basis: str

    @property
    def prosecutions(self) -> float:
        return self.interviews * PROSECUTION_SHARE


# Documented defaults per agency kind (core.demo_catalogue kinds), used until there is history.
DEFAULT_RATES: dict[str, Rates] = {
    "council": Rates(notices=0.8, interviews=0.3, basis="default for council services"),
    "police": Rates(notices=0.1, interviews=0.8, basis="default for police"),
    "fire": Rates(notices=0.6, interviews=0.05, basis="default for fire and rescue"),
    "national": Rates(notices=0.2, interviews=0.6, basis="default for national agencies"),
}
FALLBACK = Rates(notices=0.5, interviews=0.3, basis="default")


@dataclass(frozen=True)
class FollowUp:
    agency: str
    visits: int
    notices: float
    interviews: float
    prosecutions: float
    basis: str


def _rates(outcomes: list[Mapping[str, Any]], basis: str) -> Rates:
    n = len(outcomes)
    notices = sum(counts_of(o)["notices"] for o in outcomes)
    interviews = sum(counts_of(o)["seizures"] + counts_of(o)["arrests"] for o in outcomes)
    return Rates(notices=notices / n, interviews=interviews / n, basis=f"{basis} ({n} recorded outcomes)")


def learn_rates(history: Iterable[tuple[str, str, Mapping[str, Any] | None]],
                *, min_visits: int = MIN_HISTORY) -> tuple[dict[str, Rates], dict[str, Rates]]:
    """Rates by agency and by kind from (agency, kind, outcome) rows; groups under `min_visits` are left out."""
    by_agency: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    by_kind: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for agency, kind, outcome in history:
        if outcome is None:
            continue
        by_agency[agency].append(outcome)
        by_kind[kind].append(outcome)
    return (
        {a: _rates(rows, "its history") for a, rows in by_agency.items() if len(rows) >= min_visits},
        {k: _rates(rows, f"history of {k} agencies") for k, rows in by_kind.items() if len(rows) >= min_visits},
    )


def rates_for(agency: str, kind: str, by_agency: Mapping[str, Rates], by_kind: Mapping[str, Rates]) -> Rates:
    """The agency's own rates, else its kind's, else the documented default."""
    return by_agency.get(agency) or by_kind.get(kind) or DEFAULT_RATES.get(kind) or FALLBACK


def estimate(planned: Mapping[str, int], kinds: Mapping[str, str],
             history: Iterable[tuple[str, str, Mapping[str, Any] | None]] = ()) -> list[FollowUp]:
    """Expected follow-up per agency for `planned` visits per agency, largest load first."""
    by_agency, by_kind = learn_rates(history)
    out = []
    for agency, visits in planned.items():
        r = rates_for(agency, kinds.get(agency, ""), by_agency, by_kind)
        out.append(FollowUp(agency, visits, round(visits * r.notices, 1), round(visits * r.interviews, 1),
                            round(visits * r.prosecutions, 1), r.basis))
    return sorted(out, key=lambda f: (-(f.notices + f.interviews + f.prosecutions), f.agency))
