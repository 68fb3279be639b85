"""Match review: the pairs the matcher was unsure about, one at a time, side by side; split and merge."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.services import review
from ui.context import context, marking, user_errors
from ui.pickers import business_picker
from ui.text import escape_md

ctx = context()
marking(ctx.partnership, sensitive=True)
st.title("Match review")
st.caption("Pairs of records the matcher was unsure about, for your agency. Decide each one: your decision is kept "
           "and every later matching run respects it. Keys: **M** match, **N** not a match, **U** unsure.")

FIELD_LABELS = {"trading_name": "Trading name", "company_name": "Company name", "address": "Address",
                "postcode": "Postcode", "phone": "Phone", "contact": "Contact", "sector": "Sector",
                "risk_value": "Risk value", "last_contact": "Last contact"}
AGREEMENT_FOR = {"trading_name": "name", "company_name": "name", "address": "address", "postcode": "postcode",
                 "phone": "phone", "contact": "contact"}

with user_errors():
    with ctx.store.read() as unit:
        pairs, waiting = review.queue(unit, actor=ctx.actor, limit=1)
    with ctx.store.read() as unit:
        pending = review.pending_decisions(unit, actor=ctx.actor)
    top1, top2 = st.columns([3, 2])
    top1.metric("Pairs waiting for your agency", f"{waiting:,}")
    if pending:
        if top2.button(f"Apply {pending:d} decision{'s' if pending != 1 else ''} now", type="primary",
                       help="Runs the matching again so your decisions show on the risk list (imports do this too)."):
            with st.status("Matching again with your decisions…") as status:
                with ctx.store.uow() as unit:
                    summary = review.apply_decisions(unit, actor=ctx.actor,
                                                     progress=lambda f, m: status.update(label=escape_md(m)))
            # Run again so the page no longer offers to apply decisions that have just been applied.
            st.session_state["rv_applied"] = (f"Done: {summary.records:,} records in {summary.businesses:,} businesses; "
                                              f"{summary.review_pairs:,} pairs to review.")
            st.rerun()
    if applied := st.session_state.pop("rv_applied", None):
        st.success(escape_md(applied))

    if not pairs:
        st.success("Nothing to review for your agency.")
    else:
        pair = pairs[0]
        st.subheader("Same business?")
        st.markdown(f"**{escape_md(pair.likely)}.** {escape_md(pair.in_words)}.")
        rows = []
        for f, label in FIELD_LABELS.items():
            agree = pair.fields.get(AGREEMENT_FOR.get(f, ""), {})
            rows.append({"Field": label, f"{pair.a['agency']} {pair.a['reference']}": str(pair.a.get(f) or ""),
                         f"{pair.b['agency']} {pair.b['reference']}": str(pair.b.get(f) or ""),
                         "Agreement": f"{agree.get('level', '')} ({agree.get('similarity', '')})" if agree else ""})
        if "number" in pair.fields:
            n = pair.fields["number"]
            rows.append({"Field": "House number (from the address)", "Agreement": f"{n.get('level', '')} ({n.get('similarity', '')})"})
        st.dataframe(pd.DataFrame(rows).fillna(""), hide_index=True, width="stretch")  # an empty cell, never "None"
        b1, b2, b3, _ = st.columns([1, 1, 1, 3])
        choice = None
        if b1.button("Match", type="primary", shortcut="m", key="rv_match"):
            choice = "match"
        if b2.button("Not a match", shortcut="n", key="rv_no"):
            choice = "no match"
        if b3.button("Unsure", shortcut="u", key="rv_unsure"):
            choice = "unsure"
        if choice:
            with ctx.store.uow() as unit:
                review.decide(unit, actor=ctx.actor, review_id=pair.id, decision=choice)
            st.toast(f"Recorded: {choice}")
            st.rerun()

with user_errors():
    with ctx.store.read() as unit:
        groups = review.patterns(unit, actor=ctx.actor)
if groups:
    st.subheader("Decide a pattern at once")
    st.caption("Pairs between the same two agencies whose fields agree the same way. Look at an example; if the "
               "answer is the same for all of them, decide them in one go (each is kept and audited as a decision).")
    labels = {g.key: f"{g.pairs:,} pairs · {g.label} ({g.mean_score}% likely on average)" for g in groups}
    picked = st.selectbox("Pattern", list(labels), format_func=labels.__getitem__, key="rv_pattern")
    group = next(g for g in groups if g.key == picked)
    st.caption(escape_md(f"On average {group.likely}."))
    ex = group.example
    st.dataframe([{"Field": label, f"{ex.a['agency']} {ex.a['reference']}": str(ex.a.get(f) or ""),
                   f"{ex.b['agency']} {ex.b['reference']}": str(ex.b.get(f) or "")}
                  for f, label in FIELD_LABELS.items()], hide_index=True, width="stretch")
    p1, p2, _ = st.columns([2, 2, 3])
    verdict = None
    if p1.button(f"All {group.pairs:,} are matches", key="rv_pattern_match"):
        verdict = "match"
    if p2.button(f"None of the {group.pairs:,} is a match", key="rv_pattern_no"):
        verdict = "no match"
    if verdict:
        with user_errors():
            with ctx.store.uow() as unit:
                n = review.decide_pattern(unit, actor=ctx.actor, key=group.key, decision=verdict, expected=group.pairs)
            st.session_state["rv_applied"] = f"Recorded {verdict} for {n:,} pairs. Apply the decisions to see the list change."
            st.rerun()

with st.expander("Split or merge businesses"):
    st.caption("Split: take records out of a business when the matcher joined two different businesses. "
               "Merge: join two businesses that are one. Both are kept as decisions and audited.")
    s1, s2 = st.columns(2)
    with s1:
        st.markdown("**Split**")
        business = business_picker(ctx, "Business to split", key="sp")
        if business is not None:
            with ctx.store.read() as unit, user_errors():
                held = {(r["dataset_id"], r["reference"]): r["label"] for r in review.records_of(unit, actor=ctx.actor,
                                                                                                  business_id=business)}
            moving = st.multiselect("Records to take out of it", list(held), format_func=held.get, select_all=False,
                                    key="sp_records")
            if st.button("Split", disabled=not moving):
                with user_errors():
                    with ctx.store.uow() as unit:
                        summary = review.split(unit, actor=ctx.actor, business_id=business, references=moving)
                    st.success(f"Split. {summary.businesses:,} businesses after matching again.")
    with s2:
        st.markdown("**Merge**")
        first = business_picker(ctx, "Business", key="mg_a")
        second = business_picker(ctx, "is the same business as", key="mg_b")
        if st.button("Merge", disabled=first is None or second is None):
            with user_errors():
                with ctx.store.uow() as unit:
                    summary = review.merge(unit, actor=ctx.actor, business_id=int(first), other_id=int(second))
                st.success(f"Merged. {summary.businesses:,} businesses after matching again.")
