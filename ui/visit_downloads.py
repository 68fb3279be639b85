"""Download buttons for visits: a visit's briefing sheet and .ics, and the calendar feeds.

The files are built when the button is clicked (Streamlit calls `data` then), not on every rerun;
`on_click="ignore"` keeps the click from rerunning the page (which reset the page's widgets).
"""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.visits import exports as visit_exports
from core.permissions import allowed
from ui.context import Context
from ui.text import escape_md


def _built(ctx: Context, build: Callable) -> Callable[[], bytes | str]:  # type: ignore[type-arg]
    def data() -> bytes | str:
        with ctx.store.read() as s:
            return build(s)
    return data


def render(ctx: Context, visit_id: int) -> None:
    """The briefing sheet (PDF, OFFICIAL-SENSITIVE) and the visit's .ics, side by side."""
    if not allowed(ctx.actor, "visit.view"):
        return
    left, right = st.columns(2)
    left.download_button(
        "Briefing sheet (PDF)", icon=":material/picture_as_pdf:", key=f"visit_pdf_{visit_id}",
        data=_built(ctx,
                    lambda s: visit_exports.briefing_pdf(visit_exports.briefing(s, actor=ctx.actor,
                                                                                visit_id=visit_id))),
        file_name=f"visit-{visit_id}-briefing.pdf", mime="application/pdf", on_click="ignore",
        help="Printable sheet for the team: marked OFFICIAL-SENSITIVE; warning markers only if you may see them.",
    )
    right.download_button(
        "Add to calendar (.ics)", icon=":material/event:", key=f"visit_ics_{visit_id}",
        data=_built(ctx, lambda s: visit_exports.visit_calendar(s, actor=ctx.actor, visit_id=visit_id)),
        file_name=f"visit-{visit_id}.ics", mime="text/calendar", on_click="ignore",
    )


def my_calendars(ctx: Context) -> None:
    """Calendar feeds for the signed-in person's agency and for the visits they are named on."""
    if not allowed(ctx.actor, "visit.view"):
        return
    left, right = st.columns(2)
    left.download_button(
        "My visits calendar (.ics)", icon=":material/calendar_month:", key="cal_agency",
        data=_built(ctx, lambda s: visit_exports.agency_calendar(s, actor=ctx.actor, agency_id=ctx.actor.agency_id)),
        file_name="agency-visits.ics", mime="text/calendar", on_click="ignore",
        help=f"Every proposed, confirmed, done or cancelled visit {escape_md(ctx.actor.agency_name or 'your agency')} is on. "
             "Premises, times, team and lead only.",
    )
    right.download_button(
        "Visits I am named on (.ics)", icon=":material/person_pin_circle:", key="cal_person",
        data=_built(ctx, lambda s: visit_exports.person_calendar(s, actor=ctx.actor, user_id=ctx.actor.id)),
        file_name="my-visits.ics", mime="text/calendar", on_click="ignore",
    )
