"""Intelligence grading: the 5x5x5 and 3x5x2 schemes, what each grade means, and what a handling
code lets a receiving agency see.

The meanings are the published standard wording, shortened; a partnership that words them
differently edits this table. Handling decides visibility:
- "full": partner agencies that receive the report see its text;
- "summary": they see only the sanitised summary (the originator keeps the text);
- "originator": it may not leave the originating agency at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.domain import GradingScheme
from core.errors import ValidationError

Visibility = Literal["full", "summary", "originator"]


@dataclass(frozen=True)
class Scheme:
    name: str
    source: dict[str, str]
    intelligence: dict[str, str]
    handling: dict[str, str]
    visibility: dict[str, Visibility]


SCHEMES: dict[str, Scheme] = {
    GradingScheme.FIVE_BY_FIVE.value: Scheme(
        name="5x5x5",
        source={
            "A": "Always reliable",
            "B": "Mostly reliable",
            "C": "Sometimes reliable",
            "D": "Unreliable",
            "E": "Untested source",
        },
        intelligence={
            "1": "Known to be true without reservation",
            "2": "Known personally to the source but not to the officer",
            "3": "Not known personally to the source, but corroborated",
            "4": "Cannot be judged",
            "5": "Suspected to be false or malicious",
        },
        handling={
            "1": "May be shared with other law enforcement and prosecuting agencies",
            "2": "May be shared with UK non-prosecuting partners (record the reason)",
            "3": "May be shared with non-UK law enforcement agencies (conditions apply)",
            "4": "Within the originating agency only",
            "5": "No further sharing without the originator's say; special handling",
        },
        visibility={"1": "full", "2": "full", "3": "full", "4": "originator", "5": "summary"},
    ),
    GradingScheme.THREE_BY_FIVE.value: Scheme(
        name="3x5x2",
        source={"1": "Reliable", "2": "Untested", "3": "Not reliable"},
        intelligence={
            "A": "Known directly to the source",
            "B": "Known indirectly to the source but corroborated",
            "C": "Known indirectly to the source",
            "D": "Not known",
            "E": "Suspected to be false",
        },
        handling={
            "P": "Lawful sharing permitted",
            "C": "Lawful sharing permitted subject to conditions set by the originator",
        },
        visibility={"P": "full", "C": "summary"},
    ),
}


def scheme(name: str) -> Scheme:
    try:
        return SCHEMES[name]
    except KeyError:
        raise ValidationError(f"Grading scheme: choose {' or '.join(SCHEMES)}.") from None


def validate(scheme_name: str, source: str | None, intelligence: str | None, handling: str | None) -> tuple[str, str, str]:
    """A complete, valid grading, or a ValidationError naming what is missing or wrong."""
    sc = scheme(scheme_name)
    missing = [label for label, value in (("source evaluation", source), ("intelligence evaluation", intelligence),
                                           ("handling code", handling)) if not (value or "").strip()]
    if missing:
        raise ValidationError(f"Grading ({sc.name}): choose the {', the '.join(missing)} before sending.")
    out = []
    for label, value, allowed_values in (("Source evaluation", source, sc.source), ("Intelligence evaluation", intelligence, sc.intelligence),
                                         ("Handling code", handling, sc.handling)):
        v = str(value).strip().upper()
        if v not in allowed_values:
            raise ValidationError(f"{label} ({sc.name}): {value!r} is not a grade; choose one of {', '.join(allowed_values)}.")
        out.append(v)
    return out[0], out[1], out[2]


def visibility(scheme_name: str, handling: str) -> Visibility:
    """What a receiving partner agency may see of a report with this handling code."""
    return scheme(scheme_name).visibility[handling.upper()]


def label(scheme_name: str, source: str, intelligence: str, handling: str) -> str:
    """E.g. 'B2 handling 1 (5x5x5)'."""
    return f"{source}{intelligence} handling {handling} ({scheme(scheme_name).name})"
