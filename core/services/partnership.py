"""Partnership-wide settings (name, area, marking, demo flag, feedback deadlines)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain import CLASSIFICATION
from core.store.models import Setting

DEFAULTS: dict[str, object] = {
    "partnership_name": "Partnership Hub",
    "area": "",
    "classification": CLASSIFICATION,
    "demo": False,
    "grading_scheme": "5x5x5",
    "ack_days": 14,
    "feedback_days": 28,
    "stale_after_days": 90,
}


@dataclass(frozen=True)
class Partnership:
    name: str
    area: str
    classification: str
    demo: bool
    grading_scheme: str
    ack_days: int
    feedback_days: int
    stale_after_days: int


def settings(session: Session) -> Partnership:
    """The settings, with defaults for anything not yet stored. Readable by anyone signed in."""
    stored = {s.key: s.value for s in session.scalars(select(Setting))}
    merged = {**DEFAULTS, **{k: v for k, v in stored.items() if k in DEFAULTS}}
    return Partnership(
        name=str(merged["partnership_name"]),
        area=str(merged["area"]),
        classification=str(merged["classification"]),
        demo=bool(merged["demo"]),
        grading_scheme=str(merged["grading_scheme"]),
        ack_days=int(merged["ack_days"]),  # type: ignore[call-overload]
        feedback_days=int(merged["feedback_days"]),  # type: ignore[call-overload]
        stale_after_days=int(merged["stale_after_days"]),  # type: ignore[call-overload]
    )
