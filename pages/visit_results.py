"""Visit results: what joint visits achieved, by month and by agency (counts, never intelligence)."""
from __future__ import annotations

from datetime import date, timedelta

import plotly.express as px
import streamlit as st

from core.services import outcomes
from ui import visit_downloads
from ui.context import context, marking, user_errors
from ui.text import escape_md

ctx = context()
marking(ctx.partnership)
st.title("Visit results")
st.caption("What the partnership's joint visits achieved: outcomes each agency recorded, and how many officers went.")
left, right = st.columns(2)
since = left.date_input("From", value=date.today() - timedelta(days=365), format="DD/MM/YYYY")
until = right.date_input("To", value=date.today() + timedelta(days=60), format="DD/MM/YYYY")

res = None
with ctx.store.read() as s, user_errors():
    res = outcomes.results(s, actor=ctx.actor, since=since, until=until)
if res is None:
    st.stop()
c1, c2, c3, c4 = st.columns(4)
c1.metric("Visits done", int(res.done))
c2.metric("Found by 2+ agencies", f"{res.multi_agency_share:.0%}",
          help=f"{escape_md(res.multi_agency_findings)} of {escape_md(res.done)} done visits: the case for going together.")
deployed = res.officers["Officers deployed"]
c3.metric("Officers per visit (mean)", f"{deployed.mean():.1f}" if len(deployed) else "–")
c4.metric("Arrests / notices", f"{int(res.by_agency['Arrests'].sum())} / {int(res.by_agency['Notices'].sum())}")

if res.per_month.empty:
    st.info("No visits in this period.")
else:
    per_month = px.bar(res.per_month, x="Month", y="Visits", color="Status", title="Visits per month")
    # One labelled tick per month: plotly's automatic date ticks fell between the bars ("Nov 29" under December).
    per_month.update_xaxes(dtick="M1", tickformat="%b %Y", ticklabelmode="instant", title=None)
    st.plotly_chart(per_month, width="stretch")
if res.done:
    counts = res.by_agency.melt(id_vars="Agency", value_vars=["Notices", "Seizures", "Arrests", "Civil penalties", "Referrals"],
                                var_name="Outcome", value_name="Count")
    left, right = st.columns(2)
    left.plotly_chart(px.bar(counts, x="Count", y="Agency", color="Outcome", orientation="h", title="Outcomes by agency"),
                      width="stretch")
    right.plotly_chart(px.histogram(res.officers, x="Officers deployed", title="Officers deployed per visit"),
                       width="stretch")
    share = res.findings["Agencies with findings"].value_counts().sort_index().rename_axis("Agencies with findings")
    by_findings = px.bar(share.reset_index(name="Visits"), x="Agencies with findings", y="Visits",
                         title="Done visits by the number of agencies that found something")
    st.plotly_chart(by_findings.update_xaxes(dtick=1), width="stretch")  # whole agencies, no 0.5 ticks
    st.subheader("By agency")
    st.dataframe(res.by_agency, hide_index=True, width="stretch")
else:
    st.info("No done visits in this period yet: results appear once agencies record outcomes.")

st.subheader("Calendars")
st.caption("Add your agency's joint visits to Outlook or Google Calendar: premises, times, team and lead only.")
visit_downloads.my_calendars(ctx)
