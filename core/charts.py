"""Plotly figures for actions against milestones. Pure functions: rows in, a figure out.

Action rows are the dicts `core.services.actions.list_actions` returns (id, RAG, Action, Owner,
Agency, Due, Status, Strand, ...); milestone rows have action_id, title, due_on, completed_on.
Colours always come from `core.rag.RAG_COLOURS`, in `core.rag.RAG_ORDER`.
"""
from __future__ import annotations

import html
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.domain import Strand
from core.rag import RAG_COLOURS, RAG_LABELS, RAG_ORDER

DEFAULT_SPAN_DAYS = 30
TODAY_COLOUR = "#1565c0"
DUE_COLOUR = "#455a64"
NO_ACTIONS = "No actions to show"
NO_MILESTONES = "No milestones to show"


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _empty(message: str, title: str = "") -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                       font={"size": 15, "color": "#616161"})
    fig.update_layout(title=title or None, xaxis={"visible": False}, yaxis={"visible": False},
                      height=260, margin={"l": 20, "r": 20, "t": 50 if title else 20, "b": 20})
    return fig


def _today_line(fig: go.Figure, today: date) -> None:
    """A dashed vertical line at today (a shape named "today", x0 == x1 == today's ISO date)."""
    x = today.isoformat()
    fig.add_shape(type="line", name="today", x0=x, x1=x, xref="x", y0=0, y1=1, yref="paper",
                  line={"color": TODAY_COLOUR, "width": 2, "dash": "dash"})
    fig.add_annotation(x=x, xref="x", y=1, yref="paper", yanchor="bottom", text="Today", showarrow=False,
                       font={"color": TODAY_COLOUR, "size": 12})


def _rag(row: dict[str, Any]) -> str:
    rag = str(row.get("RAG") or "").lower()
    return rag if rag in RAG_ORDER else "complete" if rag in ("cancelled", "done") else "green"


def plain(value: Any) -> str:
    """User text for a chart: Plotly renders a subset of HTML in labels and hover text (links, styles), so it is
    escaped to show as typed."""
    return html.escape(str(value), quote=False)


def _row_label(row: dict[str, Any]) -> str:
    title = " ".join(str(row.get("Action") or "").split()) or "(untitled)"
    if len(title) > 48:
        title = title[:47] + "…"
    return plain(f"#{row.get('id')} {title}")


def _start(row: dict[str, Any], due: date) -> date:
    for key in ("start", "created"):
        if (start := _as_date(row.get(key))) is not None:
            break
    else:
        start = due - timedelta(days=DEFAULT_SPAN_DAYS)
    # a bar needs a length: an action created on or after its due date still shows as one day
    return min(start, due - timedelta(days=1))


def gantt(actions: list[dict[str, Any]], milestones: list[dict[str, Any]], today: date) -> go.Figure:
    """Actions as bars from start to due, coloured by RAG; milestones as diamonds on their row.

    The first action is at the top (list_actions' order: worst RAG first). Completed milestones
    are filled diamonds, open ones hollow; a dashed line marks today.
    """
    rows = []
    for a in actions:
        due = _as_date(a.get("Due"))
        if due is None:
            continue
        rows.append({
            "id": a.get("id"), "Row": _row_label(a), "Action": plain(a.get("Action", "")), "Start": _start(a, due),
            "Due": due, "RAG": _rag(a), "Owner": plain(a.get("Owner") or "Unassigned"), "Agency": plain(a.get("Agency", "")),
            "Status": plain(a.get("Status", "")),
        })
    if not rows:
        return _empty(NO_ACTIONS)
    order = [r["Row"] for r in rows]
    present = {r["RAG"] for r in rows}
    frame = pd.DataFrame(rows)
    frame["Start"] = pd.to_datetime(frame["Start"])
    frame["Due"] = pd.to_datetime(frame["Due"])
    fig = px.timeline(
        frame, x_start="Start", x_end="Due", y="Row", color="RAG",
        color_discrete_map=RAG_COLOURS,
        category_orders={"RAG": [r for r in RAG_ORDER if r in present], "Row": order},
        hover_name="Action",
        hover_data={"Row": False, "RAG": True, "Owner": True, "Agency": True, "Status": True,
                    "Start": "|%d %b %Y", "Due": "|%d %b %Y"},
        labels={"Row": "", "RAG": "RAG"},
    )
    for trace in fig.data:
        trace.name = RAG_LABELS.get(trace.name, trace.name)

    by_id = {r["id"]: r["Row"] for r in rows}
    done_x, done_y, done_text, open_x, open_y, open_text = [], [], [], [], [], []
    for ms in milestones:
        row = by_id.get(ms.get("action_id"))
        due = _as_date(ms.get("due_on"))
        if row is None or due is None:
            continue
        completed = _as_date(ms.get("completed_on"))
        title = plain(ms.get("title") or "Milestone")
        if completed is not None:
            done_x.append(due)
            done_y.append(row)
            done_text.append(f"{title}<br>due {due:%d %b %Y}, done {completed:%d %b %Y}")
        else:
            late = " (overdue)" if due < today else ""
            open_x.append(due)
            open_y.append(row)
            open_text.append(f"{title}<br>due {due:%d %b %Y}{late}")
    marker = {"size": 12, "color": "#212121", "line": {"color": "#212121", "width": 2}}
    if done_x:
        fig.add_trace(go.Scatter(x=done_x, y=done_y, mode="markers", name="Milestone done", text=done_text,
                                 hovertemplate="%{text}<extra></extra>", marker={**marker, "symbol": "diamond"}))
    if open_x:
        fig.add_trace(go.Scatter(x=open_x, y=open_y, mode="markers", name="Milestone open", text=open_text,
                                 hovertemplate="%{text}<extra></extra>",
                                 marker={**marker, "symbol": "diamond-open", "color": "#212121"}))
    _today_line(fig, today)
    fig.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed", title=None)
    fig.update_xaxes(type="date", title=None)
    fig.update_layout(height=max(260, 30 * len(rows) + 140), legend_title_text="",
                      legend={"orientation": "h", "y": -0.08 if len(rows) > 3 else -0.25},
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, bargap=0.35)
    return fig


def _week(d: date) -> date:
    return d - timedelta(days=d.weekday())


def milestones_over_time(milestones: list[dict[str, Any]], today: date) -> go.Figure:
    """Cumulative milestones due and completed, week by week (weeks start on Monday).

    A week's point counts everything due (completed) on or before that week's Sunday.
    """
    due = [d for d in (_as_date(m.get("due_on")) for m in milestones) if d is not None]
    done = [d for d in (_as_date(m.get("completed_on")) for m in milestones) if d is not None]
    if not due and not done:
        return _empty(NO_MILESTONES)
    first, last = _week(min(due + done + [today])), _week(max(due + done + [today]))
    weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    due_by_week, done_by_week = Counter(_week(d) for d in due), Counter(_week(d) for d in done)
    cum_due, cum_done, n_due, n_done = [], [], 0, 0
    for w in weeks:
        n_due += due_by_week[w]
        n_done += done_by_week[w]
        cum_due.append(n_due)
        cum_done.append(n_done)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=weeks, y=cum_due, mode="lines+markers", name="Due", line={"color": DUE_COLOUR, "shape": "hv"},
                             hovertemplate="Week of %{x|%d %b %Y}<br>%{y} due by then<extra></extra>"))
    fig.add_trace(go.Scatter(x=weeks, y=cum_done, mode="lines+markers", name="Completed",
                             line={"color": RAG_COLOURS["green"], "shape": "hv"},
                             hovertemplate="Week of %{x|%d %b %Y}<br>%{y} completed by then<extra></extra>"))
    _today_line(fig, today)
    fig.update_xaxes(type="date", title="Week starting")
    fig.update_yaxes(title="Milestones (cumulative)", rangemode="tozero")
    fig.update_layout(height=360, legend={"orientation": "h", "y": 1.12}, hovermode="x unified",
                      margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def actions_by(actions: list[dict[str, Any]], dimension: str) -> go.Figure:
    """Counts of actions by `dimension` ("Strand", "Agency", ...) stacked by RAG; "RAG" gives one bar per RAG."""
    if not actions:
        return _empty(NO_ACTIONS)
    if dimension == "RAG":
        counts = Counter(_rag(a) for a in actions)
        rags = [r for r in RAG_ORDER if counts[r]]
        fig = px.bar(x=[RAG_LABELS[r] for r in rags], y=[counts[r] for r in rags],
                     labels={"x": "RAG", "y": "Actions"}, text=[counts[r] for r in rags])
        fig.update_traces(marker_color=[RAG_COLOURS[r] for r in rags], name="Actions",
                          hovertemplate="%{x}: %{y}<extra></extra>")
        fig.update_layout(height=320, showlegend=False, margin={"l": 10, "r": 10, "t": 30, "b": 10})
        return fig
    values = [plain(str(a.get(dimension) or "").strip() or "(none)") for a in actions]
    totals = Counter(values)
    if dimension == "Strand":
        known = [s.value for s in Strand]
        categories = [s for s in known if s in totals] + sorted(v for v in totals if v not in known)
    else:
        categories = sorted(totals, key=lambda v: (-totals[v], v.lower()))
    pairs = Counter(zip(values, (_rag(a) for a in actions)))
    fig = go.Figure()
    for rag in RAG_ORDER:
        ys = [pairs[(c, rag)] for c in categories]
        if any(ys):
            fig.add_trace(go.Bar(x=categories, y=ys, name=RAG_LABELS[rag], marker_color=RAG_COLOURS[rag],
                                 hovertemplate=f"%{{x}}: %{{y}} {RAG_LABELS[rag].lower()}<extra></extra>"))
    fig.update_layout(barmode="stack", height=360, legend_title_text="", xaxis_title=dimension,
                      yaxis_title="Actions", legend={"orientation": "h", "y": 1.12},
                      margin={"l": 10, "r": 10, "t": 40, "b": 10})
    fig.update_xaxes(categoryorder="array", categoryarray=categories)
    return fig


# --- the shared risk list ------------------------------------------------------------------------


def businesses_by_agency_count(rows: pd.DataFrame) -> go.Figure:
    """How many businesses are held by 1, 2, 3 ... agencies (the partnership's overlap at a glance)."""
    title = "Businesses by number of agencies holding them"
    if rows.empty:
        return _empty("No businesses on the list yet.", title)
    counts = rows["n_agencies"].value_counts().sort_index()
    fig = px.bar(x=[str(n) for n in counts.index], y=counts.values, text=counts.values,
                 labels={"x": "Agencies holding the business", "y": "Businesses"}, title=title)
    fig.update_traces(marker_color="#1b3a5c", hovertemplate="%{y} businesses held by %{x}<extra></extra>")
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def overlap_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """Businesses held by both agencies of each pair (the diagonal: held by that agency at all)."""
    title = "Overlaps: businesses held by both agencies"
    if matrix.empty:
        return _empty("No businesses on the list yet.", title)
    fig = px.imshow(matrix.values, x=list(matrix.columns), y=list(matrix.index), text_auto=True,
                    color_continuous_scale="Blues", labels={"color": "Businesses"}, title=title, aspect="auto")
    fig.update_traces(hovertemplate="%{y} and %{x}: %{z} businesses<extra></extra>")
    fig.update_layout(height=460, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig


def stale_datasets(freshness: pd.DataFrame) -> go.Figure:
    """Days since each dataset was imported, against its staleness limit (stale ones in red)."""
    title = "Data freshness: days since each dataset's last import"
    if freshness.empty:
        return _empty("No datasets yet.", title)
    data = freshness.assign(label=(freshness["agency"] + " · " + freshness["dataset"]).map(plain),
                            days=freshness["age_days"].fillna(-1).astype(int),
                            state=freshness["stale"].map({True: "stale", False: "fresh"}))
    data = data.sort_values("days", ascending=True)
    fig = px.bar(data, x="days", y="label", orientation="h", color="state", title=title,
                 color_discrete_map={"stale": "#c62828", "fresh": "#2e7d32"}, text="days",
                 labels={"days": "Days since last import", "label": "", "state": ""},
                 hover_data={"stale_after_days": True})
    fig.update_layout(height=max(260, 32 * len(data) + 80), margin={"l": 10, "r": 10, "t": 50, "b": 10})
    return fig
