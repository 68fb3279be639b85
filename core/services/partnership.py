"""Partnership-wide settings (name, area, marking, demo flag, feedback deadlines)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import grading
from core.domain import CLASSIFICATION
from core.errors import ValidationError
from core.permissions import Actor, ensure
from core.services.audit import record
from core.store.models import Setting
from core.store.uow import UnitOfWork

DEFAULTS: dict[str, object] = {
    "partnership_name": "Partnership Hub",
    "area": "",
    "classification": CLASSIFICATION,
    "demo": False,
    "grading_scheme": "5x5x5",
    "ack_days": 14,
    "feedback_days": 28,
    "stale_after_days": 90,
    # Visits to the same or a connected business within this many days are flagged when planning.
    "deconfliction_days": 14,
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
    deconfliction_days: int = 14


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
        deconfliction_days=int(merged["deconfliction_days"]),  # type: ignore[call-overload]
    )


def update_settings(uow: UnitOfWork, *, actor: Actor, **values: object) -> None:
    """Change partnership settings (administrators); each value is checked and the change audited."""
    ensure(actor, "settings.manage")
    unknown = set(values) - set(DEFAULTS) - {"demo"}
    if unknown:
        raise ValidationError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    for key in ("ack_days", "feedback_days", "stale_after_days", "deconfliction_days"):
        if key in values:
            try:
                values[key] = int(values[key])  # type: ignore[call-overload]
            except (TypeError, ValueError):
                raise ValidationError(f"{key.replace('_', ' ').capitalize()}: enter a whole number of days.") from None
            if not 1 <= values[key] <= 365:  # type: ignore[operator]
                raise ValidationError(f"{key.replace('_', ' ').capitalize()}: between 1 and 365 days.")
    if "ack_days" in values or "feedback_days" in values:
        current = settings(uow.session)
        ack = values.get("ack_days", current.ack_days)
        fb = values.get("feedback_days", current.feedback_days)
        if ack > fb:  # type: ignore[operator]
            raise ValidationError("Acknowledgement days: must not be later than the feedback deadline.")
    if "grading_scheme" in values:
        grading.scheme(str(values["grading_scheme"]))
    if "partnership_name" in values and not str(values["partnership_name"]).strip():
        raise ValidationError("Partnership name: enter a name.")
    before = {}
    for key, value in values.items():
        row = uow.session.get(Setting, key)
        before[key] = row.value if row else DEFAULTS.get(key)
        if row is None:
            uow.session.add(Setting(key=key, value=value))
        else:
            row.value = value
    record(uow.session, actor, action="settings.update", entity="settings", before=before, after=dict(values),
           summary="changed partnership settings")
    uow.commit()
