"""The action editor shared by the Actions, My actions and live meeting screens."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from core.domain import TIERS, ActionStatus
from core.errors import HubError
from core.services import actions
from core.services.actions import EditConflict
from ui.context import Context, user_errors
from ui.rag import rag_badge
from ui.text import escape_md

STATUSES = [s.value for s in ActionStatus]


def action_editor(ctx: Context, action_id: int, *, key: str, people: dict[int, str]) -> None:
    """Detail, quick update (with the version check), milestones and history of one action."""
    try:
        with ctx.store.read() as s:
            d = actions.action_detail(s, actor=ctx.actor, action_id=action_id)
    except HubError as exc:
        st.error(escape_md(exc))
        return
    a = d["action"]
    st.markdown(f"### {escape_md(a['title'])}")
    st.markdown(f"{rag_badge(d['rag'])} · due {a['due_on']:%d %b %Y} · {escape_md(a['status'])} · "
                f"{escape_md(a['strand'])} · tier {a['tier']:d} ({escape_md(TIERS[a['tier']].lower())}) · "
                f"owner {escape_md(people.get(a['owner_id'], 'none'))} · version {a['version']:d}")
    if a["description"]:
        st.caption(escape_md(a["description"], multiline=True))
    if d["links"]:
        st.caption("Linked to: " + escape_md(" · ".join(d["links"])))

    pending_key = f"{key}_pending_{action_id}"
    if d["can_edit"]:
        pending = st.session_state.get(pending_key)
        if pending:
            conflict_text, changes, note, version = pending
            st.warning(escape_md(conflict_text), icon=":material/sync_problem:")
            c1, c2 = st.columns(2)
            if c1.button("Apply my change on top", key=f"{key}_reapply_{action_id}"):
                with user_errors(), ctx.store.uow() as uow:
                    actions.update_action(uow, actor=ctx.actor, action_id=action_id, base_version=version,
                                          changes=changes, note=note)
                    st.session_state.pop(pending_key, None)
                    st.rerun()
            if c2.button("Discard my change", key=f"{key}_discard_{action_id}"):
                st.session_state.pop(pending_key, None)
                st.rerun()
        # Each form is keyed by the version it shows. If the action moved on between the run that
        # showed the form and the run that received its submission, the old form is no longer
        # rendered, so its submission is picked up here and sent with the version it was based on:
        # the service then reports the conflict instead of the change being silently dropped.
        seen_key = f"{key}_seen_{action_id}"
        seen = st.session_state.get(seen_key)
        if seen and seen[0] != a["version"]:
            old = f"{key}_{action_id}_v{seen[0]}"
            if st.session_state.get(f"{old}_save"):
                _submit(ctx, action_id, seen[0], seen[1], st.session_state.get(f"{old}_status"),
                        st.session_state.get(f"{old}_due"), st.session_state.get(f"{old}_note", ""), pending_key)
        base = {k: a[k] for k in ("status", "due_on", "owner_id", "title", "priority", "tier")}
        st.session_state[seen_key] = (a["version"], base)
        prefix = f"{key}_{action_id}_v{a['version']}"
        with st.form(f"{prefix}_form"):
            st.markdown("**Quick update**")
            c1, c2 = st.columns(2)
            status = c1.selectbox("Status", STATUSES, index=STATUSES.index(a["status"]), key=f"{prefix}_status")
            due_on = c2.date_input("Due", value=a["due_on"], format="DD/MM/YYYY", key=f"{prefix}_due")
            note = st.text_area("Progress note", placeholder="What has happened since the last update?", key=f"{prefix}_note")
            if st.form_submit_button("Save update", type="primary", key=f"{prefix}_save"):
                _submit(ctx, action_id, a["version"], base, status, due_on, note, pending_key)

    st.markdown("**Milestones**")
    if d["milestones"]:
        for m in d["milestones"]:
            late = m["completed_on"] is None and m["due_on"] < date.today()
            label = (f"{escape_md(m['title'])} · due {m['due_on']:%d %b %Y}" + (" · **overdue**" if late else "")
                     + (f" · {escape_md(m['owner'])}" if m["owner"] else ""))
            done = st.checkbox(label, value=m["completed_on"] is not None, key=f"{key}_ms_{m['id']}", disabled=not d["can_edit"])
            if done != (m["completed_on"] is not None):
                with user_errors(), ctx.store.uow() as uow:
                    actions.set_milestone_done(uow, actor=ctx.actor, milestone_id=m["id"], done=done)
                    st.rerun()
    else:
        st.caption("No milestones yet.")
    if d["can_edit"]:
        with st.form(f"{key}_ms_new_{action_id}", clear_on_submit=True):
            c1, c2 = st.columns([3, 1])
            title = c1.text_input("New milestone")
            due = c2.date_input("Milestone due", value=None, format="DD/MM/YYYY")
            if st.form_submit_button("Add milestone"):
                with user_errors(), ctx.store.uow() as uow:
                    actions.add_milestone(uow, actor=ctx.actor, action_id=action_id, title=title, due_on=due)
                    st.rerun()
    with st.expander(f"History ({len(d['updates'])} updates)"):
        if d["updates"]:
            hist = pd.DataFrame(d["updates"])
            hist["changes"] = hist["changes"].map(lambda c: "; ".join(f"{k}: {o} → {n}" for k, (o, n) in (c or {}).items()))
            st.dataframe(hist, hide_index=True, width="stretch",
                         column_config={"at": st.column_config.DatetimeColumn("When", format="D MMM YYYY, HH:mm"),
                                        "by": "By", "note": "Note", "changes": "Changed"})


def _submit(ctx: Context, action_id: int, version: int, base: dict, status: str | None, due_on: date | None,
            note: str, pending_key: str) -> None:
    """Save what the person changed relative to what they saw; on a conflict keep it for reapplying."""
    changes = {k: v for k, v in {"status": status, "due_on": due_on}.items() if v is not None and v != base[k]}
    try:
        with ctx.store.uow() as uow:
            actions.update_action(uow, actor=ctx.actor, action_id=action_id, base_version=version, base=base,
                                  changes=changes, note=note)
        st.toast("Saved.")
        st.rerun()
    except EditConflict as exc:
        st.session_state[pending_key] = (str(exc), changes, note, exc.current_version)
        st.rerun()
    except HubError as exc:
        st.error(escape_md(exc))
