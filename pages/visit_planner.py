"""Plan a joint visit: what we expect to find, which agencies' powers cover it, who leads, when, who goes."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pandas as pd
import streamlit as st

from core.errors import NotFound
from core.services import visits
from core.services.catalogue import issue_types
from core.services.visits import APPROACHES, MIXED_WARNING, TeamMember, VisitPlan
from core.visits.recommend import PREMISES_KINDS
from ui.context import context, marking, user_errors
from ui.text import escape_md

ctx = context()
marking(ctx.partnership, sensitive=True)
st.title("Plan a visit")
st.caption("Only the agencies with the most relevant powers attend: fewer officers, the whole of the "
           "non-compliance dealt with in one go. The recommendation is a starting point; change anything.")


def _param(name: str) -> int | None:
    value = st.query_params.get(name)
    return int(value) if value and str(value).isdigit() else None


business_id, visit_id = _param("business"), _param("visit")
existing = None
info: dict = {"premises": "", "kind": "other", "issues": [], "agencies": {}, "business_id": None}
with user_errors(), ctx.store.read() as s:
    names = visits.agency_names(s, actor=ctx.actor)
    if visit_id is not None:
        existing = visits.visit_detail(s, actor=ctx.actor, visit_id=visit_id)
        business_id = existing["business_id"]
    if business_id is not None and existing is None:
        info = visits.interest(s, actor=ctx.actor, business_id=business_id)
    elif business_id is not None:
        try:  # a visit is on the shared calendar even when its business is known only to one agency
            info = visits.interest(s, actor=ctx.actor, business_id=business_id)
        except NotFound:
            info["business_id"] = business_id
    if visit_id is not None:
        info["issues"] = info["issues"] + visits.visit_referral_issues(s, actor=ctx.actor, visit_id=visit_id)
if visit_id is not None and existing is None or business_id is not None and info["business_id"] is None:
    st.stop()  # the error above says why

key = f"plan_{visit_id or 'new'}_{business_id or 'typed'}"
# Expected issues and premises kind saved with an earlier plan ("Expected: a, b (kind).")
saved_issues: list[str] = []
saved_kind = info["kind"]
if existing and existing["reasons"] and str(existing["reasons"][0]).startswith("Expected: "):
    head = str(existing["reasons"][0])[len("Expected: "):].rstrip(".")
    listed, _, kind_part = head.rpartition(" (")
    saved_issues = [] if listed == "not stated" else [i.strip() for i in listed.split(",") if i.strip()]
    saved_kind = kind_part.rstrip(")") if kind_part.rstrip(")") in PREMISES_KINDS else saved_kind

just_saved = st.session_state.get("plan_saved") == visit_id and existing
if just_saved:
    st.session_state.pop("plan_saved")
    st.success(f"Visit {visit_id:d} saved ({escape_md(existing['status'])}). "
               + ("Propose it from the visit's page: each agency then confirms or declines its part."
                  if existing["status"] == "draft" else "Each agency confirms or declines its part on the visit's page."))
    st.page_link("pages/visits.py", label=f"Open visit {visit_id:d}", query_params={"visit": visit_id})

# --- the premises -----------------------------------------------------------------------------
if existing:
    st.subheader(f"Visit {existing['id']:d}: {escape_md(existing['premises'])}")
    st.caption(f"Status {escape_md(existing['status'])} · version {existing['version']:d}")
    if not just_saved:  # (just saved: the link is in the message above)
        st.page_link("pages/visits.py", label="Open its visit page: answers, briefing, outcomes", icon=":material/event:",
                     query_params={"visit": visit_id})
    premises = existing["premises"]
elif business_id is not None:
    st.subheader(escape_md(info["premises"]))
    premises = info["premises"]
else:
    premises = st.text_input("Premises: name and address", key=f"{key}_premises",
                             help="Or open the planner from a business on the risk list, or from a tasked referral.")

with ctx.store.read() as s:
    markers = visits.markers_for(s, actor=ctx.actor, business_id=business_id, premises_text=premises)
for m in markers:
    st.error(f"**Officer safety: {escape_md(m['category'].upper())}** · {escape_md(m['subject'])}: "
             f"{escape_md(m['details'])} ({escape_md(m['agency'])})", icon=":material/report:")

if info["agencies"]:
    st.markdown("**Agencies holding records on it:** " + escape_md("; ".join(f"{a} ({why})" for a, why in info["agencies"].items())))
if info.get("site"):
    st.markdown("**Also at the same building** (a joint visit sees the whole site; their agencies' issues are suggested below):")
    st.dataframe(pd.DataFrame(info["site"])[["premises", "agencies"]], hide_index=True,
                 column_config={"premises": "Premises", "agencies": "Agencies holding records on it"})

# --- what we expect to find and the recommendation -------------------------------------------
suggested = {i["issue"]: i["why"] for i in info["issues"]}
with ctx.store.read() as s:
    vocabulary = issue_types(s, actor=ctx.actor)
c1, c2 = st.columns([3, 1])
issues = c1.multiselect("What do you expect to find?", sorted(set(vocabulary) | set(suggested) | set(saved_issues)),
                        default=saved_issues or list(suggested)[:6], key=f"{key}_issues", select_all=False)
kind = c2.selectbox("Premises kind", PREMISES_KINDS, index=PREMISES_KINDS.index(saved_kind), key=f"{key}_kind",
                    help="Entry powers depend on it: licensed premises, food business, HMO or other residential, other.")
if suggested:
    with st.expander(f"Why these issues ({len(suggested)} suggested)"):
        st.dataframe(pd.DataFrame([{"Issue": k, "Because": v} for k, v in suggested.items()]), hide_index=True, width="stretch")

with user_errors(), ctx.store.read() as s:
    rec = visits.recommend_team(s, actor=ctx.actor, issues=issues, kind=kind)
with st.container(border=True):
    st.markdown("#### Recommendation")
    if rec.team:
        st.markdown(f"**Team:** {escape_md(', '.join(names.get(a, str(a)) for a in rec.team))} · "
                    f"**Lead:** {escape_md(names.get(rec.lead_id, ''))}")
        st.markdown(f"**Entry route:** {escape_md(rec.entry_route, multiline=True)}")
    for reason in rec.reasons:
        st.markdown(f"- {escape_md(reason)}")
    if rec.uncovered:
        st.warning(f"Nobody covers: {escape_md(', '.join(rec.uncovered))}.")

# --- the plan ---------------------------------------------------------------------------------
st.markdown("#### The plan")
plan0 = existing["plan"] if existing else None
default_team = [m.agency_id for m in plan0.team] if plan0 else list(rec.team)
team_ids = st.multiselect("Attending agencies", list(names), default=[a for a in default_team if a in names],
                          format_func=lambda i: names[i], key=f"{key}_team", select_all=False)
lead_options = team_ids or list(rec.team)
lead_default = plan0.lead_agency_id if plan0 else rec.lead_id
lead = st.selectbox("Lead agency", lead_options, format_func=lambda i: names.get(i, str(i)), key=f"{key}_lead",
                    index=lead_options.index(lead_default) if lead_default in lead_options else 0) if lead_options else None

start0 = plan0.starts_at if plan0 else datetime.combine(datetime.now(timezone.utc).date() + timedelta(days=7), time(10), timezone.utc)
end0 = plan0.ends_at if plan0 else start0 + timedelta(hours=2)
d1, d2, d3 = st.columns(3)
day = d1.date_input("Date", start0.date(), key=f"{key}_day")
t_from = d2.time_input("From", start0.time(), key=f"{key}_from")
t_to = d3.time_input("To", end0.time(), key=f"{key}_to")
starts_at = datetime.combine(day, t_from, timezone.utc)
ends_at = datetime.combine(day, t_to, timezone.utc)

old = {m.agency_id: m for m in plan0.team} if plan0 else {}
parts = pd.DataFrame([{"agency_id": a, "Agency": names.get(a, ""), "Officers": old[a].officers if a in old else rec.officers.get(a, 1),
                       "Objectives": old[a].objectives if a in old else ""} for a in team_ids],
                     columns=["agency_id", "Agency", "Officers", "Objectives"])
parts = st.data_editor(parts, hide_index=True, width="stretch", key=f"{key}_parts_{'-'.join(map(str, team_ids))}",
                       column_config={"agency_id": None, "Agency": st.column_config.TextColumn(disabled=True),
                                      "Officers": st.column_config.NumberColumn(min_value=1, max_value=30, step=1),
                                      "Objectives": st.column_config.TextColumn(width="large")})
if len(parts):
    st.caption(f"{int(parts['Officers'].fillna(1).sum())} officers in all. Too many officers overwhelm a small business.")

approach = st.radio("Approach", APPROACHES, horizontal=True, key=f"{key}_approach",
                    index=APPROACHES.index(plan0.approach) if plan0 and plan0.approach in APPROACHES else 0)
if approach == "mixed":
    st.warning(MIXED_WARNING)
lead_warning = ""
if plan0 and plan0.entry_route and lead == plan0.lead_agency_id:
    entry_default = plan0.entry_route
elif lead == rec.lead_id and set(team_ids) == set(rec.team):
    entry_default = rec.entry_route
elif lead is not None:
    with ctx.store.read() as s:
        entry_default, lead_warning = visits.entry_route_for(s, actor=ctx.actor, lead_id=lead, kind=kind,
                                                             team_ids=team_ids)
else:
    entry_default = ""
if lead_warning:
    st.warning(escape_md(lead_warning))
if lead is not None:
    with ctx.store.read() as s:
        notice = visits.notice_warning_for(s, actor=ctx.actor, lead_id=lead, kind=kind, starts_at=starts_at)
    if notice:
        st.warning(escape_md(notice))
entry = st.text_area("Entry route (how the team gets in lawfully)", entry_default,
                     key=f"{key}_entry_{lead}_{'-'.join(map(str, sorted(team_ids)))}")
briefing = st.text_area("Briefing notes", plan0.briefing if plan0 else "", key=f"{key}_briefing")
with ctx.store.read() as s:
    people = visits.officers_for(s, actor=ctx.actor, agency_ids=team_ids)
labels = {p["id"]: p["label"] for p in people}
named = st.multiselect("Named officers", list(labels), default=[i for i in (plan0.officer_ids if plan0 else []) if i in labels],
                       format_func=lambda i: labels[i], key=f"{key}_named", select_all=False)

plan = VisitPlan(starts_at, ends_at, [TeamMember(int(r.agency_id), int(r.Officers) if r.Officers == r.Officers else 1,
                                                 str(r.Objectives or "") if r.Objectives == r.Objectives else "")
                                      for r in parts.itertuples()],
                 lead, business_id, premises, entry, approach, briefing, named, issues, kind)

departs = bool(rec.team) and (set(team_ids) != set(rec.team) or lead != rec.lead_id)
override_reason = st.text_input("Why you changed the recommendation (recorded with the plan)", key=f"{key}_override") if departs else ""

# Deconfliction: shown before saving.
clashes = []
if ends_at > starts_at and premises:
    with ctx.store.read() as s:
        clashes = visits.clashes(s, actor=ctx.actor, plan=plan, visit_id=visit_id)
clash_reason = ""
if clashes:
    st.warning(f"**{len(clashes)} possible {'clash' if len(clashes) == 1 else 'clashes'}** with other visits "
               f"(within {ctx.partnership.deconfliction_days:d} days, or the same officers at the same time):", icon=":material/warning:")
    for c in clashes:
        st.markdown(f"- **{escape_md(c.kind)}**: {escape_md(c.message)}")
        if c.visit_id:  # a page link keeps the session (a plain link reloaded the app and could land on Home)
            st.page_link("pages/visits.py", label=f"Open visit {c.visit_id:d}", query_params={"visit": c.visit_id})
    st.caption("Resolve it: move the date above, join the other visit, or proceed with a reason.")
    join = sorted({c.visit_id for c in clashes if c.visit_id and c.kind != "officer double-booked"})
    if join and team_ids:
        about = {c.visit_id: c.message for c in reversed(clashes) if c.visit_id}
        target = st.selectbox("Join this visit instead (adds your agencies to it)", join, key=f"{key}_join",
                              format_func=lambda i: f"Visit {i}: {about.get(i, '')}")
        if st.button("Join the other visit", key=f"{key}_join_btn"):
            with user_errors(), ctx.store.uow() as uow:
                tid = visits.merge_into(uow, actor=ctx.actor, target_id=target, team=plan.team, officer_ids=named,
                                        from_visit_id=visit_id)
                st.success(f"Your agencies were added to visit {tid:d}; they now need to confirm there.")
                st.page_link("pages/visits.py", label=f"Open visit {tid:d}", query_params={"visit": tid})
                st.stop()
    clash_reason = st.text_input("Reason to proceed despite the clash (recorded)", key=f"{key}_clash")

if st.button("Save plan" if existing else "Save as draft", type="primary", key=f"{key}_save"):
    with user_errors(), ctx.store.uow() as uow:
        vid = visits.plan_visit(uow, actor=ctx.actor, plan=plan, recommendation=rec if rec.team else None,
                                override_reason=override_reason, clash_reason=clash_reason, visit_id=visit_id,
                                base_version=existing["version"] if existing else None)
        # Reopen the saved visit here, so a second click changes it instead of planning a duplicate.
        st.session_state["plan_saved"] = vid
        st.query_params.from_dict({"visit": str(vid)})
        st.rerun()
