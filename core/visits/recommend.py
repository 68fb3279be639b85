"""Which agencies should attend a joint visit, who leads, and how the team gets through the door.

Pure: no database. The catalogue comes in as plain dataclasses (`AgencyCap`), built by
`core.services.catalogue.capabilities` from the partnership's editable catalogue.

The rules, in the partnership's words:
- only the agencies with the most relevant powers attend: the smallest set whose remits cover
  what we expect to find (ties: the best way in, then fewest officers, then the lightest powers);
- the lead is the attending agency whose entry power gets everyone in lawfully: without a warrant
  at reasonable hours beats after notice, beats a warrant, beats the occupier's consent;
- an agency that can enter only with a warrant or consent (Immigration Enforcement) never leads when
  a partner with entry powers attends: it enters alongside.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import combinations

PREMISES_KINDS: tuple[str, ...] = ("licensed premises", "food business", "HMO/residential", "other")

# Best first. An agency with no entry route for the premises ranks after all of them.
ENTRY_RANK: dict[str, int] = {"without_warrant": 0, "with_notice": 1, "warrant_only": 2, "consent": 3}
NO_ENTRY = len(ENTRY_RANK)

# Words in a power's premises scope that say it reaches a kind of premises. Editable catalogue
# rows are free text, so this reads them the way a person would.
_COMMERCIAL = (r"business premises", r"non-residential", r"non-domestic", r"relevant premises", r"any premises",
               r"premises where workers", r"labour providers", r"premises where company documents")
_ANY_NAMED = (r"named on", r"any premises")  # a warrant names the premises, whatever they are
_KIND_WORDS: dict[str, tuple[str, ...]] = {
    "licensed premises": (r"licensed premises", *_COMMERCIAL, *_ANY_NAMED),
    "food business": (r"food premises", r"food business", *_COMMERCIAL, *_ANY_NAMED),
    "HMO/residential": (r"(?<!non-)residential", r"\bhmos?\b", r"dwelling", *_ANY_NAMED),
    "other": (*_COMMERCIAL, *_ANY_NAMED),
}
# A route that needs a suspicion, a refusal or one purpose first is not the plan's way in (it is mentioned, not used).
_CONDITIONAL = re.compile(r"suspected|refused|would defeat|to arrest|save life|to enforce", re.IGNORECASE)
_HEAVY = {"arrest", "closure_notice", "seize_cash"}


@dataclass(frozen=True)
class Power:
    power: str
    entry: str | None = None
    notice_hours: int | None = None
    premises_scope: str = ""
    statute: str = ""


@dataclass(frozen=True)
class AgencyCap:
    """One agency as the recommender sees it."""

    id: int
    name: str
    remit: frozenset[str]
    powers: tuple[Power, ...] = ()
    officers: int = 1  # officers it usually sends

    def covers(self, issues: frozenset[str]) -> frozenset[str]:
        return self.remit & issues


@dataclass(frozen=True)
class EntryRoute:
    agency_id: int
    mode: str | None  # a key of ENTRY_RANK, or None: no way in for these premises
    power: Power | None = None

    @property
    def rank(self) -> int:
        return ENTRY_RANK.get(self.mode or "", NO_ENTRY)


@dataclass(frozen=True)
class Recommendation:
    team: tuple[int, ...]  # agency ids, lead first
    lead_id: int | None
    entry_mode: str | None
    entry_route: str
    reasons: tuple[str, ...]
    uncovered: tuple[str, ...]
    covers: dict[int, tuple[str, ...]] = field(default_factory=dict)
    officers: dict[int, int] = field(default_factory=dict)


def scope_reaches(scope: str, kind: str) -> bool:
    """True when a power's premises scope (free text) reaches this kind of premises."""
    text = scope.lower()
    return any(re.search(w, text) for w in _KIND_WORDS.get(kind, _COMMERCIAL))


def entry_route(agency: AgencyCap, kind: str) -> EntryRoute:
    """The agency's best unconditional way into this kind of premises."""
    best = EntryRoute(agency.id, None)
    for p in agency.powers:
        if p.power != "entry" or not p.entry or p.entry not in ENTRY_RANK:
            continue
        if _CONDITIONAL.search(p.premises_scope) or not scope_reaches(p.premises_scope, kind):
            continue
        candidate = EntryRoute(agency.id, p.entry, p)
        if candidate.rank < best.rank:
            best = candidate
    return best


def describe_entry(name: str, route: EntryRoute) -> str:
    """'Licensing can enter licensed premises at any reasonable time (Licensing Act 2003, s179)'."""
    p = route.power
    statute = f" ({p.statute})" if p and p.statute else ""
    scope = p.premises_scope if p else ""
    if route.mode == "without_warrant":
        return f"{name} can enter without a warrant: {scope}{statute}"
    if route.mode == "with_notice":
        hours = f"{p.notice_hours} hours' " if p and p.notice_hours else ""
        return f"{name} can enter after giving {hours}notice: {scope}{statute}"
    if route.mode == "warrant_only":
        return f"{name} can enter only with a warrant{statute}"
    if route.mode == "consent":
        return f"{name} can enter only with the occupier's consent"
    return f"{name} has no power of entry to these premises"


def notice_warning(lead_name: str, route: EntryRoute, starts_at: datetime, now: datetime) -> str:
    """A lead that enters after giving notice must have given it in time: a warning when the visit starts
    sooner than the notice period from now (empty when the route needs no notice or there is time)."""
    hours = route.power.notice_hours if route.mode == "with_notice" and route.power else None
    if not hours:
        return ""
    give_by = starts_at - timedelta(hours=hours)
    if now <= give_by:
        return ""
    earliest = now + timedelta(hours=hours)
    return (f"{lead_name} enters after giving {hours} hours' notice, so notice had to be given by "
            f"{give_by:%a %d %b %H:%M} UTC. If it was not, move the visit to {earliest:%a %d %b %H:%M} UTC or later, "
            "or let a partner that can enter without notice lead.")


def _team_key(team: tuple[AgencyCap, ...], routes: dict[int, EntryRoute]) -> tuple:
    """Ordering among equally small teams: best way in, fewest officers, lightest powers, then names."""
    return (
        min(routes[a.id].rank for a in team),
        sum(a.officers for a in team),
        sum(1 for a in team for p in a.powers if p.power in _HEAVY),
        sum(routes[a.id].rank for a in team),
        tuple(sorted(a.name for a in team)),
    )


def _smallest_cover(issues: frozenset[str], useful: list[AgencyCap],
                    routes: dict[int, EntryRoute]) -> tuple[tuple[AgencyCap, ...], list[tuple[AgencyCap, ...]]]:
    """The best smallest team covering every coverable issue, and every team that tied on size."""
    coverable = frozenset().union(*(a.covers(issues) for a in useful)) if useful else frozenset()
    if not coverable:
        return (), []
    for size in range(1, len(useful) + 1):
        teams = [t for t in combinations(useful, size)
                 if frozenset().union(*(a.covers(issues) for a in t)) == coverable]
        if teams:
            teams.sort(key=lambda t: _team_key(t, routes))
            return teams[0], teams
    raise AssertionError("unreachable: all useful agencies together cover what is coverable")


def _pick_lead(team: tuple[AgencyCap, ...], routes: dict[int, EntryRoute], issues: frozenset[str]) -> AgencyCap:
    return min(team, key=lambda a: (routes[a.id].rank, -len(a.covers(issues)), a.officers, a.name))


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def recommend(issues: list[str] | frozenset[str], kind: str, catalogue: list[AgencyCap]) -> Recommendation:
    """The smallest team that covers the expected issues, its lead, the entry route, and why."""
    if kind not in PREMISES_KINDS:
        raise ValueError(f"premises kind must be one of {PREMISES_KINDS}, not {kind!r}")
    wanted = frozenset(i.strip() for i in issues if i and i.strip())
    routes = {a.id: entry_route(a, kind) for a in catalogue}
    useful = sorted((a for a in catalogue if a.covers(wanted)), key=lambda a: a.name)
    team, tied = _smallest_cover(wanted, useful, routes)
    covered = frozenset().union(*(a.covers(wanted) for a in team)) if team else frozenset()
    uncovered = tuple(sorted(wanted - covered))
    reasons: list[str] = []
    if not wanted:
        return Recommendation((), None, None, "", ("No expected issues given: choose what you expect to find.",), ())
    if not team:
        reasons.append(f"No agency's remit covers {_names(list(uncovered))}: add it to an agency's remit in "
                       "Agencies and powers, or plan without it.")
        return Recommendation((), None, None, "", tuple(reasons), uncovered)

    lead = _pick_lead(team, routes, wanted)
    ordered = (lead, *sorted((a for a in team if a is not lead), key=lambda a: a.name))
    lead_route = routes[lead.id]
    covers = {a.id: tuple(sorted(a.covers(wanted))) for a in ordered}

    for a in ordered:
        reasons.append(f"{a.name} covers {_names(list(covers[a.id]))}.")
    if len(tied) > 1:
        others = [" + ".join(x.name for x in t) for t in tied[1:4]]
        reasons.append(f"{len(team)} {'agency covers' if len(team) == 1 else 'agencies cover'} everything; other "
                       f"teams of the same size ({'; '.join(others)}) were passed over for a better way in, "
                       "fewer officers or lighter powers.")
    for a in ordered:
        route = routes[a.id]
        if a is not lead and route.rank >= ENTRY_RANK["warrant_only"]:
            words = "a warrant or consent" if route.mode in ("warrant_only", "consent") else "any power of entry"
            reasons.append(f"{a.name} cannot enter without {words}; it enters alongside {lead.name}"
                           f"{' (or is named on its warrant)' if a.powers else ''}.")
    reasons.append(describe_entry(lead.name, lead_route) + ".")
    if len(ordered) > 1:
        reasons.append(f"{lead.name} leads: its entry power gets the team through the door lawfully.")
    else:
        reasons.append(f"{lead.name} leads.")
    if lead_route.rank >= ENTRY_RANK["warrant_only"]:
        helpers = sorted(a.name for a in catalogue if routes[a.id].rank < ENTRY_RANK["warrant_only"] and a not in ordered)
        tip = f" A partner with entry powers could accompany: {_names(helpers[:3])}." if helpers else ""
        reasons.append(f"No attending agency can enter these premises without a warrant or consent: apply for a "
                       f"warrant or seek the occupier's consent.{tip}")
    if uncovered:
        reasons.append(f"Not covered by any agency's remit: {_names(list(uncovered))}.")
    return Recommendation(
        team=tuple(a.id for a in ordered), lead_id=lead.id, entry_mode=lead_route.mode,
        entry_route=route_text(lead.name, lead_route, [a.name for a in ordered[1:] if routes[a.id].rank >= 2]),
        reasons=tuple(reasons), uncovered=uncovered, covers=covers, officers={a.id: a.officers for a in ordered},
    )


def route_text(lead_name: str, route: EntryRoute, alongside: list[str]) -> str:
    """The entry route stored on the plan, e.g. 'Licensing leads: enters without a warrant (Licensing Act 2003, s179).'"""
    p = route.power
    how = {"without_warrant": "enters without a warrant", "with_notice": "enters after giving notice",
           "warrant_only": "enters with a warrant", "consent": "enters with the occupier's consent"}.get(
        route.mode or "", "has no power of entry: a warrant or consent is needed")
    text = f"{lead_name} leads: {how}"
    if route.mode == "with_notice" and p and p.notice_hours:
        text += f" ({p.notice_hours} hours' notice)"
    if p and p.statute:
        text += f" under {p.statute}"
    text += "."
    if alongside:
        text += f" {_names(alongside)} {'enters' if len(alongside) == 1 else 'enter'} alongside the lead."
    return text
