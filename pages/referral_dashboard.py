"""Referral dashboard: flows between agencies, feedback given, usefulness, outcomes (counts, never content)."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import plotly.express as px
import streamlit as st

from core.charts import plain
from core.services import referrals
from ui.context import context, marking
from ui.text import escape_md

ctx = context()
marking(ctx.partnership)
st.title("Referrals and feedback")
since = st.date_input("Since", value=date.today() - timedelta(days=365), format="DD/MM/YYYY")
with ctx.store.read() as s:
    d = referrals.dashboard(s, actor=ctx.actor, since=since)
st.caption(f"Counts for {escape_md(d['scope'])}. Content is never shown here.")
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric("Referrals", int(d["sent"]))
c2.metric("Answered", f"{d['answered_share']:.0%}")
c3.metric("Median days to feedback", "–" if d["median_days_to_feedback"] is None else f"{d['median_days_to_feedback']:.1f}")
c4.metric("Rated useful (4-5)", f"{d['useful_share']:.0%}")
c5.metric("Feedback overdue", int(d["overdue"]))
if not d["sent"]:
    st.info("No referrals in this period.")
    st.stop()
left, right = st.columns(2)
pairs = pd.DataFrame(d["pairs"])
left.plotly_chart(px.density_heatmap(pairs, x="To", y="From", z="Referrals", histfunc="sum", text_auto=True,
                                     title="Referrals sent, by agency pair"), width="stretch")
months = pd.DataFrame({"Month": list(d["by_month"]), "Referrals": list(d["by_month"].values())})
right.plotly_chart(px.bar(months, x="Month", y="Referrals", title="Referrals by month"), width="stretch")
left, right = st.columns(2)
if d["outcomes"]:
    out = pd.DataFrame({"Outcome": list(d["outcomes"]), "Referrals": list(d["outcomes"].values())})
    left.plotly_chart(px.bar(out, x="Referrals", y="Outcome", orientation="h", title="What happened"), width="stretch")
if d["indicators"]:
    ind = pd.DataFrame(d["indicators"], columns=["Indicator", "Reports"])
    ind["Indicator"] = ind["Indicator"].map(plain)  # agencies word their indicators; Plotly reads HTML in labels
    right.plotly_chart(px.bar(ind, x="Reports", y="Indicator", orientation="h", title="Indicators most reported"), width="stretch")
