"""The Visits calendar as people know it: a month of weeks, or one week, Monday first, each visit a link that opens
it. Built from st.columns and bordered containers (no calendar component to maintain); clashes are marked on the
visit itself, withheld visits show only their label and do not open."""
from __future__ import annotations

import calendar as cal
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import streamlit as st

from ui.text import escape_md

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STATUS_BADGE = {"draft": "gray", "proposed": "blue", "confirmed": "green", "done": "violet", "cancelled": "gray"}


def weeks_of(month_start: date) -> list[list[date]]:
    """The weeks (Monday to Sunday) that a month's grid shows, days of the months around included."""
    return [list(w) for w in cal.Calendar(firstweekday=0).monthdatescalendar(month_start.year, month_start.month)]


def _visit(row: dict[str, Any], *, detail: bool) -> None:
    name = row["premises"] if detail else row["premises"].split(",")[0][:40]  # a month's cell: the name, not the address
    clash = " :red-badge[clash]" if row["clashes"] else ""
    status = f" :{STATUS_BADGE[row['status']]}-badge[{escape_md(row['status'])}]" if detail else ""
    lead = f" {escape_md(row['lead'])}" if detail else ""  # a month's cell is narrow: the lead is in the tooltip
    label = f"{row['starts_at']:%H:%M}{lead} · {escape_md(name)}{status}{clash}"
    helptext = (" ".join([f"{row['premises']} (lead {row['lead'] or 'not chosen'}).", *row["clashes"]]) if not detail
                else " ".join(row["clashes"]) or None)
    if row["withheld"]:
        st.caption(label, help="The premises are withheld from your agency; this visit cannot be opened.")
    else:
        st.page_link("pages/visits.py", label=label, query_params={"visit": str(row["id"])},
                     help=escape_md(helptext) if helptext else None)
    if detail:
        st.caption(escape_md(f"{row['agencies']} · {row['officers']} officers"
                             + (f" · {row['not answered']} not answered" if row["not answered"] else "")))


def _day(day: date, rows: list[dict[str, Any]], *, faded: bool, detail: bool, height: int) -> None:
    with st.container(border=True, height=height):
        today = " :blue-badge[today]" if day == date.today() else ""
        head = escape_md(f"{day.day}" if not detail else f"{WEEKDAYS[day.weekday()]} {day.day} {day:%b}")
        st.markdown(f":gray[{head}]{today}" if faded else f"**{head}**{today}")
        for row in rows:
            _visit(row, detail=detail)


# Page links keep to one line and cut the rest; in a day's cell the premises must wrap.
# (A keyed container to scope this drew every link twice in Chromium: the rule is for the Visits page's links.)
_WRAP = "<style>[data-testid='stMain'] [data-testid='stPageLink'] * {white-space: normal !important}</style>"


def month_grid(rows: list[dict[str, Any]], month_start: date) -> None:
    st.markdown(_WRAP, unsafe_allow_html=True)
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_day[r["starts_at"].date()].append(r)
    for col, name in zip(st.columns(7, gap="small"), WEEKDAYS):
        col.markdown(f"**{escape_md(name)}**")
    for week in weeks_of(month_start):
        busiest = max(len(by_day[d]) for d in week)
        for col, day in zip(st.columns(7, gap="small"), week):
            with col:
                _day(day, by_day[day] if day.month == month_start.month else [], faded=day.month != month_start.month,
                     detail=False, height=max(150, 60 + 95 * busiest))


def week_grid(rows: list[dict[str, Any]], week_start: date) -> None:
    st.markdown(_WRAP, unsafe_allow_html=True)
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_day[r["starts_at"].date()].append(r)
    days = [week_start + timedelta(days=n) for n in range(7)]
    busiest = max(len(by_day[d]) for d in days)
    for col, day in zip(st.columns(7, gap="small"), days):
        with col:
            _day(day, by_day[day], faded=False, detail=True, height=max(240, 60 + 95 * busiest))
