"""Visits: the partnership's shared calendar, and each visit's team, lead, entry route, answers and warnings."""
from __future__ import annotations

import calendar as cal
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from core.permissions import allowed
from core.services import visits
from core.services.partnership import update_settings
from core.services.visits import MARKER_CATEGORIES, STATUSES
from core.visibility import WITHHELD_CAPTION
from ui.calendar import month_grid, week_grid
from ui.legend import agency_legend
from ui.context import context, marking, user_errors
from ui.text import escape_md

try:  # the briefing PDF and .ics buttons, when the outcomes work is merged
    from ui import visit_downloads
except ImportError:  # pragma: no cover - depends on what is merged
    visit_downloads = None  # type: ignore[assignment]

ctx = context()
marking(ctx.partnership, sensitive=True)


def _open(visit_id: int | None) -> None:
    if visit_id is None:
        st.query_params.pop("visit", None)
    else:
        st.query_params["visit"] = str(visit_id)


def detail(visit_id: int) -> None:
    with ctx.store.read() as s:
        d = visits.visit_detail(s, actor=ctx.actor, visit_id=visit_id)
    # Answers and status changes name the version that was on screen when the button was pressed (the run the
    # click starts has already read the visit again): if it moved on, the service says who changed what.
    seen_key = f"visit_seen_{visit_id}"
    seen = st.session_state.get(seen_key, d["version"])
    st.session_state[seen_key] = d["version"]
    st.button("← Back to the calendar", on_click=_open, args=(None,))
    for m in d["markers"]:
        st.error(f"**Officer safety: {escape_md(m['category'].upper())}** · {escape_md(m['subject'])}: "
                 f"{escape_md(m['details'])} ({escape_md(m['agency'])})", icon=":material/report:")
    st.title(escape_md(d["premises"]))
    st.markdown(f"**{d['starts_at']:%A %d %B %Y, %H:%M}–{d['ends_at']:%H:%M} UTC** · status **{escape_md(d['status'])}** · "
                f"approach **{escape_md(d['approach'])}** · lead **{escape_md(d['lead'] or 'not chosen')}**")
    if d["mixed_warning"]:
        st.warning(escape_md(d["mixed_warning"]))
    for c in d["clashes"]:
        st.warning(f"**{escape_md(c['kind'])}**: {escape_md(c['message'])}", icon=":material/warning:")
    st.markdown(f"**Entry route:** {escape_md(d['entry_route'] or 'not recorded', multiline=True)}")
    if d["not_answered"]:
        st.info("Not answered yet: " + escape_md(", ".join(d["not_answered"])))
    team = pd.DataFrame(d["team"]).drop(columns=["agency_id", "outcome"])
    st.dataframe(team, hide_index=True, width="stretch",
                 column_config={"Answered at": st.column_config.DatetimeColumn(format="D MMM YYYY HH:mm")})
    if d["officers"]:
        st.markdown("**Named officers:** " + escape_md(", ".join(o["name"] for o in d["officers"])))
    if d["briefing"]:
        st.markdown("**Briefing notes**")
        st.write(escape_md(d["briefing"], multiline=True))
    with st.expander("Why this team (the recommendation) and what was changed"):
        for r in d["reasons"]:
            st.markdown(f"- {escape_md(r)}")
        if d["overrides"]:
            st.dataframe(pd.DataFrame(d["overrides"]), hide_index=True, width="stretch")
        else:
            st.caption("The coordinator followed the recommendation.")

    if d["can_respond"]:
        with st.container(border=True):
            st.markdown(f"**Answer from {escape_md(ctx.actor.agency_name)}:** {escape_md(d['my_answer'])}")
            note = st.text_input("Note (needed to decline)", key=f"respond_note_{visit_id}")
            b1, b2 = st.columns(2)
            for col, answer, label in ((b1, "confirmed", "Confirm our part"), (b2, "declined", "Decline our part")):
                if col.button(label, key=f"{answer}_{visit_id}"):
                    with user_errors(), ctx.store.uow() as uow:
                        visits.respond(uow, actor=ctx.actor, visit_id=visit_id, answer=answer, note=note,
                                       base_version=seen)
                        st.rerun()

    if d["can_plan"]:
        with st.container(border=True):
            st.markdown("**Coordinator**")
            st.page_link("pages/visit_planner.py", label="Change the plan", icon=":material/edit:", query_params={"visit": visit_id})
            if d["next"]:
                c1, c2 = st.columns([1, 2])
                to = c1.selectbox("Move to", d["next"], key=f"status_{visit_id}")
                reason = c2.text_input("Reason (needed to cancel, or to confirm before every agency has)", key=f"reason_{visit_id}")
                if st.button("Change status", key=f"status_btn_{visit_id}"):
                    with user_errors(), ctx.store.uow() as uow:
                        visits.set_status(uow, actor=ctx.actor, visit_id=visit_id, status=to, base_version=seen,
                                          reason=reason)
                        st.rerun()

    if allowed(ctx.actor, "marker.manage", agency_id=ctx.actor.agency_id):
        with st.expander("Officer-safety warning markers"):
            for m in d["markers"]:
                if m["can_retire"]:
                    r1, r2 = st.columns([3, 1])
                    why = r1.text_input(f"Retire '{escape_md(m['category'])}: {escape_md(m['subject'])}' because", key=f"retire_{m['id']}")
                    if r2.button("Retire", key=f"retire_btn_{m['id']}"):
                        with user_errors(), ctx.store.uow() as uow:
                            visits.retire_marker(uow, actor=ctx.actor, marker_id=m["id"], reason=why)
                            st.rerun()
            with st.form(f"marker_{visit_id}", clear_on_submit=True):
                st.caption(f"A new warning from {escape_md(ctx.actor.agency_name)} on these premises or a person there.")
                category = st.selectbox("Category", MARKER_CATEGORIES)
                subject = st.text_input("About (a person, or leave empty for the premises)")
                details = st.text_area("What officers must know")
                if st.form_submit_button("Add warning marker"):
                    with user_errors(), ctx.store.uow() as uow:
                        visits.add_marker(uow, actor=ctx.actor, category=category, details=details,
                                          business_id=d["business_id"],
                                          subject=subject or ("" if d["business_id"] else d["premises"]))
                        st.success("Warning marker added; it shows on every visit to these premises.")
    if visit_downloads is not None:
        visit_downloads.render(ctx, visit_id)


visit_param = st.query_params.get("visit")
if visit_param and str(visit_param).isdigit():
    st.query_params["visit"] = str(visit_param)  # a link from the grid: the address names the visit (to share it)
    with user_errors():
        detail(int(visit_param))
    st.stop()

st.title("Visits")
st.caption("The shared calendar of joint visits: check it before planning so two agencies do not turn up at the "
           "same business in the same week.")
with ctx.store.read() as s:
    names = visits.agency_names(s, actor=ctx.actor)
f1, f2, f3, f4 = st.columns([2, 2, 2, 3])
view = f1.segmented_control("View", ("Month", "Week", "List"), default="Month", key="cal_view") or "Month"


def _shift(months: int = 0, days: int = 0) -> None:
    """Previous / next month or week (a callback: it runs before the date box is drawn)."""
    d = st.session_state.get("cal_anchor") or date.today()
    if months:
        m = d.month - 1 + months
        d = date(d.year + m // 12, m % 12 + 1, 1)
    st.session_state["cal_anchor"] = d + timedelta(days=days)


st.session_state.setdefault("cal_anchor", date.today())
anchor = f2.date_input("From", format="DD/MM/YYYY", key="cal_anchor")
agency = f3.selectbox("Agency", [None, *names], format_func=lambda i: "All agencies" if i is None else names[i])
statuses = f4.multiselect("Status", STATUSES, default=["draft", "proposed", "confirmed"], select_all=False)
if view == "Month":
    start = anchor.replace(day=1)
    end = start.replace(day=cal.monthrange(start.year, start.month)[1])
elif view == "Week":
    start = anchor - timedelta(days=anchor.weekday())
    end = start + timedelta(days=6)
else:
    start, end = anchor, anchor + timedelta(days=60)
with ctx.store.read() as s:
    rows = visits.calendar(s, actor=ctx.actor, start=start, end=end, agency_id=agency, statuses=statuses)
clashing = sum(bool(r["clashes"]) for r in rows)
n1, n2, n3 = st.columns([4, 1, 1], vertical_alignment="center")
period = f"{start:%B %Y}" if view == "Month" else f"{start.day} {start:%b} to {end.day} {end:%b %Y}"
n1.markdown(f"**{escape_md(period)}** · {len(rows)} visit{'s' if len(rows) != 1 else ''}"
            + (f" · :red-badge[{clashing:d} clashing]" if clashing else ""))
if view != "List":
    step = {"months": 1} if view == "Month" else {"days": 7}
    back = {k: -v for k, v in step.items()}
    n2.button("Previous", icon=":material/chevron_left:", on_click=_shift, kwargs=back, width="stretch")
    n3.button("Next", icon=":material/chevron_right:", on_click=_shift, kwargs=step, width="stretch")
if view == "Month":
    month_grid(rows, start)
elif view == "Week":
    week_grid(rows, start)
if not rows:
    st.info("No visits match. Widen the dates or the statuses, or plan one.")
else:
    agency_legend(ctx)


def _pick() -> None:
    _open(st.session_state.get("open_visit"))
    st.session_state["open_visit"] = None  # coming back to the calendar must not reopen it


if view == "List" and rows:
    frame = pd.DataFrame(rows).assign(clashes=lambda f: f["clashes"].map(len))
    st.dataframe(frame.drop(columns=["id", "withheld"]), hide_index=True, width="stretch",
                 column_config={"starts_at": st.column_config.DatetimeColumn("Starts", format="ddd D MMM HH:mm", pinned=True),
                                "ends_at": st.column_config.DatetimeColumn("Ends", format="HH:mm"),
                                "premises": st.column_config.TextColumn("Premises", pinned=True, width="medium"),
                                "lead": "Lead", "agencies": "Agencies", "officers": "Officers", "status": "Status",
                                "not answered": "Not answered", "my agency": "My agency", "approach": "Approach",
                                "clashes": st.column_config.NumberColumn("Clashes", help="Other visits it clashes with")})
    labels = {int(r["id"]): f"{r['starts_at']:%a %d %b %H:%M} · {r['premises']} · {r['status']}" for r in rows
              if not r["withheld"]}
    st.selectbox("Open a visit", [None, *labels], format_func=lambda i: "Choose a visit…" if i is None else labels[i],
                 key="open_visit", on_change=_pick)
if any(r["withheld"] for r in rows):
    st.caption(WITHHELD_CAPTION)
if allowed(ctx.actor, "visit.plan"):
    st.page_link("pages/visit_planner.py", label="Plan a new visit", icon=":material/add:")
if allowed(ctx.actor, "settings.manage"):
    with st.expander("Deconfliction setting"), st.form("deconfliction"):
        window = st.number_input("Warn about visits to the same or a connected business within (days)", 1, 365,
                                 ctx.partnership.deconfliction_days)
        if st.form_submit_button("Save setting"):
            with user_errors(), ctx.store.uow() as uow:
                update_settings(uow, actor=ctx.actor, deconfliction_days=int(window))
                st.success("Saved; it applies from the next page load.")
