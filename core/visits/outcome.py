"""What one agency did and found on a visit: the vocabulary, validation and a short summary.

The stored JSON (VisitAgency.outcome) keeps the older keys the demo and the meeting agendas read:
`result` (the categories found, or ["nothing found"]), `notices` (all notices), `seizures`,
`arrests`, `penalties`, `referrals`, `notes`; it adds the notice types, `advice`, `follow_up` and
`follow_up_note`. Outcomes recorded before the notice types existed read as notices of no stated type.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.errors import ValidationError

NOTICE_TYPES: dict[str, str] = {
    "improvement_notices": "Improvement notices",
    "prohibition_notices": "Prohibition notices",
    "closure_notices": "Closure notices or orders",
}
OTHER_COUNTS: dict[str, str] = {
    "seizures": "Seizures",
    "arrests": "Arrests",
    "penalties": "Civil penalties",
    "referrals": "Referrals made",
}
COUNTS: dict[str, str] = {**NOTICE_TYPES, **OTHER_COUNTS}
# Categories as they appear in `result` and in summaries, in this order.
CATEGORIES = ("notices", "seizures", "arrests", "penalties", "referrals")
NOTHING_FOUND = "nothing found"
ADVICE = "advice"
MAX_COUNT = 999
MAX_NOTE = 2000
_FIELDS = {*COUNTS, "advice", "follow_up", "follow_up_note", "notes"}
_WORDS = {"notices": ("notice", "notices"), "seizures": ("seizure", "seizures"), "arrests": ("arrest", "arrests"),
          "penalties": ("civil penalty", "civil penalties"), "referrals": ("referral", "referrals")}


def _count(name: str, value: Any) -> int:
    label = COUNTS[name]
    if isinstance(value, bool) or value is None:
        raise ValidationError(f"{label}: enter a whole number (0 if none).")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise ValidationError(f"{label}: enter a whole number (0 if none), not {value!r}.")
    if value < 0:
        raise ValidationError(f"{label}: cannot be negative.")
    if value > MAX_COUNT:
        raise ValidationError(f"{label}: {value} is more than {MAX_COUNT}; check the number.")
    return value


def validate(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check one agency's outcome as entered and return the JSON to store; messages name the field."""
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ValidationError(f"Unknown outcome field(s): {', '.join(unknown)}. Use: {', '.join(sorted(_FIELDS))}.")
    counts = {name: _count(name, data.get(name, 0)) for name in COUNTS}
    flags = {}
    for name in ("advice", "follow_up"):
        value = data.get(name, False)
        if not isinstance(value, bool):
            raise ValidationError(f"{name.replace('_', ' ').capitalize()}: answer yes or no.")
        flags[name] = value
    note = " ".join(str(data.get("follow_up_note") or "").split())
    notes = str(data.get("notes") or "").strip()
    if flags["follow_up"] and not note:
        raise ValidationError("Follow-up needed: say what follow-up is needed (e.g. revisit in 28 days, interview).")
    if len(note) > MAX_NOTE or len(notes) > MAX_NOTE:
        raise ValidationError(f"Notes: keep each note under {MAX_NOTE} characters.")
    notices = sum(counts[n] for n in NOTICE_TYPES)
    result = [c for c in CATEGORIES if (notices if c == "notices" else counts[c]) > 0]
    if flags["advice"]:
        result.append(ADVICE)
    return {
        "result": result or [NOTHING_FOUND],
        "notices": notices,
        **counts,
        **flags,
        "follow_up_note": note if flags["follow_up"] else "",
        "notes": notes,
    }


def counts_of(outcome: Mapping[str, Any] | None) -> dict[str, int]:
    """The category counts of a stored outcome (old or new form); zeros when none is recorded."""
    outcome = outcome or {}
    return {c: int(outcome.get(c) or 0) for c in CATEGORIES}


def has_findings(outcome: Mapping[str, Any] | None) -> bool:
    """True when the agency found something it acted on (any notice, seizure, arrest, penalty or referral)."""
    return any(counts_of(outcome).values())


def summarise(outcomes: Iterable[Mapping[str, Any] | None]) -> str:
    """One line for a visit's recorded outcomes, e.g. "2 notices, 1 arrest" or "nothing found"."""
    recorded = [o for o in outcomes if o is not None]
    if not recorded:
        return "no outcome recorded"
    totals = {c: 0 for c in CATEGORIES}
    for o in recorded:
        for c, n in counts_of(o).items():
            totals[c] += n
    parts = [f"{n} {_WORDS[c][n != 1]}" for c, n in totals.items() if n]
    if parts:
        return ", ".join(parts)
    return "advice given" if any(o.get("advice") for o in recorded) else NOTHING_FOUND


def form_values(outcome: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stored outcome as the form's starting values (for a correction)."""
    outcome = outcome or {}
    values: dict[str, Any] = {name: int(outcome.get(name) or 0) for name in COUNTS}
    typed = sum(values[n] for n in NOTICE_TYPES)
    # Notices recorded before the types existed: shown as improvement notices so the total is kept.
    values["improvement_notices"] += max(0, int(outcome.get("notices") or 0) - typed)
    values["advice"] = bool(outcome.get("advice")) or ADVICE in outcome.get("result", [])
    values["follow_up"] = bool(outcome.get("follow_up"))
    values["follow_up_note"] = str(outcome.get("follow_up_note") or "")
    values["notes"] = str(outcome.get("notes") or "")
    return values
