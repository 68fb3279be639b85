"""Charts for actions against milestones: the figures' data, not their looks."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import plotly.graph_objects as go
import pytest

from core.charts import NO_ACTIONS, NO_MILESTONES, actions_by, gantt, milestones_over_time
from core.rag import RAG_COLOURS, RAG_ORDER

TODAY = date(2026, 11, 25)  # a Wednesday; its week starts on Monday 23 November


def d(days: int) -> date:
    return TODAY + timedelta(days=days)


def action(i: int, rag: str, due: date, **extra: object) -> dict:
    return {"id": i, "Action": f"Action {i}", "Due": due, "RAG": rag, "Owner": "Pat Lee", "Agency": "TS",
            "Strand": "Pursue", "Status": "in progress", **extra}


ACTIONS = [
    action(1, "red", d(-3), Agency="POL", Strand="Prevent"),
    action(2, "amber", d(5), Agency="TS", Strand="Pursue"),
    action(3, "green", d(40), Agency="TS", Strand="Pursue", created=datetime(2026, 9, 1, 14, 30)),
    action(4, "green", d(20), Agency="LIC", Strand="Protect", start=d(-7)),
    action(5, "complete", d(-10), Agency="POL", Strand="Prevent"),
    action(6, "red", d(-1), Agency="TS", Strand="Prevent", Owner=""),
]
MILESTONES = [
    {"action_id": 1, "title": "Visit done", "due_on": d(-10), "completed_on": d(-12)},
    {"action_id": 3, "title": "Report drafted", "due_on": d(10), "completed_on": None},
    {"action_id": 3, "title": "Late step", "due_on": d(-2), "completed_on": None},
    {"action_id": 99, "title": "Milestone of an action not shown", "due_on": d(1), "completed_on": None},
]


def bars(fig: go.Figure) -> list:
    return [t for t in fig.data if t.type == "bar"]


def annotations(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def today_shape(fig: go.Figure):
    shapes = [s for s in fig.layout.shapes if s.name == "today"]
    assert len(shapes) == 1
    return shapes[0]


# --- gantt --------------------------------------------------------------------------------------


def test_gantt_has_one_bar_per_action_coloured_by_rag() -> None:
    fig = gantt(ACTIONS, MILESTONES, TODAY)
    assert sum(len(t.y) for t in bars(fig)) == len(ACTIONS)
    for trace in bars(fig):
        assert trace.legendgroup in RAG_COLOURS
        assert trace.marker.color == RAG_COLOURS[trace.legendgroup]
        rows = {r["id"] for r in ACTIONS if r["RAG"] == trace.legendgroup}
        assert {int(label.split()[0][1:]) for label in trace.y} == rows
    # legend in RAG order
    groups = [t.legendgroup for t in bars(fig)]
    assert groups == sorted(groups, key=RAG_ORDER.__getitem__)


def _bar_for(fig: go.Figure, action_id: int) -> tuple[datetime, datetime]:
    for trace in bars(fig):
        for label, base, width in zip(trace.y, trace.base, trace.x):
            if label.startswith(f"#{action_id} "):
                start = datetime.fromisoformat(str(base))
                return start, start + timedelta(milliseconds=float(width))
    raise AssertionError(f"no bar for action {action_id}")


def test_gantt_bar_runs_from_start_or_created_or_30_days_before_due_to_due() -> None:
    fig = gantt(ACTIONS, MILESTONES, TODAY)
    assert _bar_for(fig, 4) == (datetime.combine(d(-7), datetime.min.time()), datetime.combine(d(20), datetime.min.time()))
    assert _bar_for(fig, 3) == (datetime(2026, 9, 1), datetime.combine(d(40), datetime.min.time()))
    assert _bar_for(fig, 2) == (datetime.combine(d(5 - 30), datetime.min.time()), datetime.combine(d(5), datetime.min.time()))


def test_gantt_keeps_the_given_order_top_down() -> None:
    fig = gantt(ACTIONS, [], TODAY)
    order = list(fig.layout.yaxis.categoryarray)
    assert [label.split()[0] for label in order] == [f"#{a['id']}" for a in ACTIONS]
    assert fig.layout.yaxis.autorange == "reversed"


def test_gantt_milestones_are_diamonds_on_their_actions_row() -> None:
    fig = gantt(ACTIONS, MILESTONES, TODAY)
    scatters = {t.name: t for t in fig.data if t.type == "scatter"}
    done, open_ = scatters["Milestone done"], scatters["Milestone open"]
    assert done.marker.symbol == "diamond" and open_.marker.symbol == "diamond-open"
    assert [y.split()[0] for y in done.y] == ["#1"]
    assert [y.split()[0] for y in open_.y] == ["#3", "#3"]  # the milestone of action 99 is not drawn
    assert list(open_.x) == [d(10), d(-2)]
    assert "overdue" in open_.text[1] and "overdue" not in open_.text[0]


def test_gantt_today_line() -> None:
    shape = today_shape(gantt(ACTIONS, MILESTONES, TODAY))
    assert shape.type == "line" and shape.x0 == shape.x1 == TODAY.isoformat()
    assert (shape.yref, shape.y0, shape.y1) == ("paper", 0, 1)


def test_gantt_short_or_backwards_spans_still_show_a_bar() -> None:
    fig = gantt([action(1, "green", d(3), start=d(9))], [], TODAY)
    start, end = _bar_for(fig, 1)
    assert end.date() == d(3) and start < end


def test_gantt_empty_gives_an_annotation() -> None:
    for fig in (gantt([], [], TODAY), gantt([], MILESTONES, TODAY)):
        assert NO_ACTIONS in annotations(fig)
        assert not bars(fig)


def test_gantt_accepts_iso_strings_and_unicode_titles() -> None:
    fig = gantt([action(1, "amber", "2026-12-01", Action="Café – £5 ’test’ 🚓")], [], TODAY)
    assert len(bars(fig)[0].y) == 1 and "Café" in bars(fig)[0].y[0]


# --- milestones over time -----------------------------------------------------------------------


def test_milestones_over_time_cumulative_by_week() -> None:
    ms = [
        {"action_id": 1, "title": "a", "due_on": date(2026, 11, 10), "completed_on": date(2026, 11, 9)},   # week of 9 Nov
        {"action_id": 1, "title": "b", "due_on": date(2026, 11, 15), "completed_on": date(2026, 11, 24)},  # Sunday, week of 9 Nov
        {"action_id": 2, "title": "c", "due_on": date(2026, 11, 16), "completed_on": None},                # week of 16 Nov
        {"action_id": 2, "title": "d", "due_on": date(2026, 12, 3), "completed_on": None},                 # week of 30 Nov
    ]
    fig = milestones_over_time(ms, TODAY)
    assert [t.type for t in fig.data] == ["scatter", "scatter"]
    due, done = fig.data
    assert (due.name, done.name) == ("Due", "Completed")
    assert list(due.x) == [date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23), date(2026, 11, 30)]
    assert list(due.x) == list(done.x)
    assert list(due.y) == [2, 3, 3, 4]
    assert list(done.y) == [1, 1, 2, 2]
    assert done.line.color == RAG_COLOURS["green"]
    assert today_shape(fig).x0 == TODAY.isoformat()


def test_milestones_over_time_extends_to_today() -> None:
    fig = milestones_over_time([{"action_id": 1, "title": "a", "due_on": date(2026, 12, 14), "completed_on": None}], TODAY)
    assert fig.data[0].x[0] == date(2026, 11, 23) and fig.data[0].x[-1] == date(2026, 12, 14)
    assert list(fig.data[0].y) == [0, 0, 0, 1]


def test_milestones_over_time_empty() -> None:
    fig = milestones_over_time([], TODAY)
    assert NO_MILESTONES in annotations(fig) and not fig.data


# --- actions by ---------------------------------------------------------------------------------


def test_actions_by_strand_stacks_by_rag_in_order() -> None:
    fig = actions_by(ACTIONS, "Strand")
    assert fig.layout.barmode == "stack"
    traces = bars(fig)
    assert [t.name for t in traces] == ["Red", "Amber", "Green", "Complete"]
    assert [t.marker.color for t in traces] == [RAG_COLOURS[r] for r in ("red", "amber", "green", "complete")]
    assert list(traces[0].x) == ["Pursue", "Prevent", "Protect"]  # the 4Ps' order, absent ones left out
    counts = {t.name: dict(zip(t.x, t.y)) for t in traces}
    assert counts["Red"] == {"Pursue": 0, "Prevent": 2, "Protect": 0}
    assert counts["Green"] == {"Pursue": 1, "Prevent": 0, "Protect": 1}
    assert counts["Complete"]["Prevent"] == 1
    assert sum(sum(t.y) for t in traces) == len(ACTIONS)


def test_actions_by_agency_busiest_first() -> None:
    fig = actions_by(ACTIONS, "Agency")
    assert list(bars(fig)[0].x) == ["TS", "POL", "LIC"]
    assert sum(sum(t.y) for t in bars(fig)) == len(ACTIONS)


def test_actions_by_missing_values_are_counted_as_none() -> None:
    fig = actions_by([action(1, "red", d(1), Agency=""), action(2, "red", d(1), Agency=None)], "Agency")
    assert list(bars(fig)[0].x) == ["(none)"] and list(bars(fig)[0].y) == [2]


def test_actions_by_rag_is_a_simple_bar() -> None:
    fig = actions_by(ACTIONS, "RAG")
    (trace,) = fig.data
    assert trace.type == "bar"
    assert list(trace.x) == ["Red", "Amber", "Green", "Complete"]
    assert list(trace.y) == [2, 1, 2, 1]
    assert list(trace.marker.color) == [RAG_COLOURS[r] for r in ("red", "amber", "green", "complete")]


@pytest.mark.parametrize("dimension", ["Strand", "Agency", "RAG"])
def test_actions_by_empty(dimension: str) -> None:
    fig = actions_by([], dimension)
    assert NO_ACTIONS in annotations(fig) and not fig.data


NASTY = "<a href='http://evil.example/'>click</a><img src=x>"


def test_user_text_in_charts_shows_as_typed_not_as_html() -> None:
    """Plotly renders a subset of HTML (links, styles) in labels and hover text: user text is escaped."""
    actions = [{"id": 1, "Action": NASTY, "Due": date(2027, 1, 1), "RAG": "red", "Owner": NASTY, "Agency": "TS",
                "Status": "in progress"}]
    fig = gantt(actions, [{"action_id": 1, "title": NASTY, "due_on": date(2026, 12, 20)}], date(2026, 12, 4))
    text = fig.to_json().replace("\\u002f", "/")
    assert "<a href" not in text and "<img" not in text
    assert "&lt;a href='http://evil.example/'&gt;click&lt;/a&gt;" in text
    by_agency = actions_by([{**actions[0], "Agency": NASTY}], "Agency").to_json()
    assert "<a href" not in by_agency and "&lt;a href" in by_agency
