"""Datasets and imports: my agency's exports, their column mapping, risk scale, sharing limit and history."""
from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from core.errors import HubError
from core.importing.mapping import FIELD_LABELS, FIELDS, MULTI, clean_columns, used_columns
from core.importing.risk import BANDS, is_numeric, suggest_risk_scale
from core.importing.validate import report_csv, report_frame
from core.services import datasets
from core.services.datasets import MODE_HELP, MODES, SHARING_HELP
from ui.context import context, marking, user_errors
from ui.text import escape_md

ctx = context()
marking(ctx.partnership, sensitive=True)
st.title(f"Datasets and imports · {escape_md(ctx.actor.agency_name)}")
st.caption("An import shows what it will do before it does it: new references are added and changed ones updated; "
           "references missing from the file stop being current only if you say the file is the whole dataset. "
           "The records are matched into businesses again, and any import can be undone from the import history.")

with ctx.store.read() as s:
    mine = datasets.datasets(s, actor=ctx.actor)

with st.expander("New dataset", expanded=not mine), st.form("ds_new", clear_on_submit=True):
    name = st.text_input("Name", placeholder="e.g. Food hygiene register")
    description = st.text_area("What it holds", height=68)
    sharing = st.radio("Partners may see", list(SHARING_HELP), captions=list(SHARING_HELP.values()), key="ds_new_sharing")
    if st.form_submit_button("Create dataset"):
        with user_errors(), ctx.store.uow() as uow:
            new_id = datasets.create_dataset(uow, actor=ctx.actor, name=name, description=description, sharing=sharing)
            st.session_state["ds_open"] = new_id
            st.rerun()

if not mine:
    st.info("Your agency has no datasets yet: create one above, then upload its export.")
    st.stop()

overview = pd.DataFrame([{"Dataset": d["name"], "Records": d["records"], "Last import": d["last_imported_at"],
                          "Days since": d["days_since_import"], "Stale after (days)": d["stale_after_days"],
                          "Freshness": "STALE: import a new export" if d["stale"] else "fresh",
                          "Partners may see": d["sharing"]} for d in mine])
st.dataframe(overview, hide_index=True, width="stretch",
             column_config={"Last import": st.column_config.DatetimeColumn(format="D MMM YYYY HH:mm")})

by_id = {d["id"]: d for d in mine}
if st.session_state.get("ds_open") in by_id:
    # Open the dataset just created: left on another one, the next upload would replace that one's records.
    st.session_state["ds_pick"] = st.session_state.pop("ds_open")
did = st.selectbox("Dataset", list(by_id), format_func=lambda i: by_id[i]["name"], key="ds_pick")
ds = by_id[did]
if ds["description"]:
    st.caption(escape_md(ds["description"], multiline=True))

def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _read(upload) -> datasets.Preview | None:  # noqa: ANN001
    """The uploaded file, read once (in the upload sandbox) and kept while it is the one open: every widget
    below reruns the page, and a file is not parsed again for each click."""
    data = upload.getvalue()
    sig = (upload.name, len(data), hashlib.sha256(data).hexdigest())
    kept = st.session_state.get("ds_read")
    if not kept or kept["sig"] != sig:
        kept = {"sig": sig, "preview": None, "error": None}
        try:
            kept["preview"] = datasets.preview(data, upload.name)
        except HubError as exc:
            kept["error"] = str(exc)
        st.session_state["ds_read"] = kept
    if kept["error"]:
        st.error(escape_md(kept["error"]), icon=":material/warning:")
    return kept["preview"]


def _import_panel(upload, round_: int) -> None:  # noqa: ANN001
    """Preview, map, check, see what the import will do, choose the mode, import."""
    data = upload.getvalue()
    pv = _read(upload)
    if pv is None:
        return
    st.markdown(f"**{escape_md(upload.name)}**: {escape_md(pv.table.describe())}. The first rows:")
    st.dataframe(pv.head, hide_index=True, width="stretch")

    columns = list(pv.table.frame.columns)
    saved = clean_columns(ds["column_mapping"]) if ds["column_mapping"] else None
    fits = saved is not None and all(c in columns for c in used_columns(saved))
    start = saved if fits else pv.suggestion
    st.subheader("Which column holds what")
    st.caption("Filled in from this dataset's last import." if fits else
               "Suggested from the column names and what the columns hold: check it.")
    sig = f"{did}_{upload.name}_{len(data)}"
    mapping: dict = {}
    left, right = st.columns(2)
    for i, field in enumerate((*FIELDS, "extra")):
        box = left if i % 2 == 0 else right
        if field in MULTI:
            mapping[field] = box.multiselect(FIELD_LABELS[field], columns, default=[c for c in start[field] if c in columns],
                                             key=f"ds_map_{field}_{sig}", select_all=False)
        else:
            options = [None, *columns]
            mapping[field] = box.selectbox(FIELD_LABELS[field], options, index=options.index(start[field]) if start[field] in options else 0,
                                           format_func=lambda c: "(none)" if c is None else c, key=f"ds_map_{field}_{sig}")

    plan = None
    with user_errors(), ctx.store.read() as s:
        plan = datasets.plan_import(s, actor=ctx.actor, dataset_id=did, table=pv.table, mapping=mapping)
    if plan is None:
        return
    checked = plan.checked
    c1, c2, c3 = st.columns(3)
    c1.metric("Rows ready", f"{len(checked.rows):,}")
    c2.metric("Errors (block the import)", f"{len(checked.errors):,}")
    c3.metric("Warnings", f"{len(checked.warnings):,}")
    if checked.issues:
        report = report_frame(checked.issues)
        st.dataframe(report, hide_index=True, width="stretch", height=min(400, 38 + 35 * len(report)))
        st.download_button("Download the validation report (CSV)", report_csv(checked.issues, upload.name),
                           file_name=f"{upload.name.rsplit('.', 1)[0]}_validation.csv", mime="text/csv")
    if checked.errors:
        st.error("Correct the errors in the file (or choose other columns) and upload it again. Nothing has been imported.")
        return

    st.subheader("What this import will do")
    mode_key = f"ds_mode_{sig}"
    chosen = st.session_state.get(mode_key) if plan.needs_choice else "replace"
    fate = ("they stay as they are" if chosen == "upsert" else "they will stop being current" if chosen == "replace"
            else "they will stop being current if this file is the whole dataset")
    st.markdown(f"**{plan.new:,} new, {plan.changed:,} changed, {plan.absent:,} no longer in this file** ({fate}); "
                f"{plan.unchanged:,} unchanged. The dataset has {plan.current:,} current records.")
    for label, count, rows in (("New", plan.new, plan.new_sample), ("Changed", plan.changed, plan.changed_sample),
                               ("No longer in this file", plan.absent, plan.absent_sample)):
        if rows:
            which = "all" if len(rows) == count else f"the first {len(rows)} of {count:,}"
            with st.expander(f"{label}: {which}"):
                st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if plan.warning:
        st.warning(escape_md(plan.warning))
    if plan.busy:
        st.info(escape_md(plan.busy))
    mode = "replace"
    if plan.needs_choice:
        modes = list(MODES)
        mode = st.radio(f"{plan.absent:,} of the dataset's current records are not in this file. This file is:", modes,
                        index=None, format_func=lambda m: MODES[m], captions=[MODE_HELP[m] for m in modes], key=mode_key)
    if st.button(f"Import {len(checked.rows):,} rows into {escape_md(ds['name'])}", type="primary", key="ds_import",
                 disabled=mode is None or plan.busy is not None,
                 help="Choose what this file is first." if mode is None else None):
        with user_errors(), st.status("Importing…", expanded=True) as status:
            bar = st.progress(0.0, text="Starting")
            with ctx.store.uow() as unit:
                result = datasets.import_file(unit, actor=ctx.actor, dataset_id=did, data=data, filename=upload.name,
                                              mapping=mapping, mode=mode,
                                              expected_version=plan.version, table=pv.table,
                                              progress=lambda f, m: bar.progress(min(1.0, f), text=escape_md(m)))
            status.update(label="Imported", state="complete")
            st.session_state["ds_result"] = {"file": upload.name, "rows": result.rows, "added": result.added,
                                             "changed": result.changed, "removed": result.removed, "kept": result.kept,
                                             "mode": result.mode, "matched": result.records_matched,
                                             "businesses": result.businesses, "seconds": result.seconds}
            st.session_state["ds_upload_round"] = round_ + 1
            st.session_state.pop("ds_read", None)
            st.rerun()


upload_tab, scale_tab, sharing_tab, history_tab = st.tabs(["Import a file", "Risk scale", "Sharing and freshness", "Import history"])

# --- import ----------------------------------------------------------------------------------
with upload_tab:
    done = st.session_state.pop("ds_result", None)
    if done:
        kept = (f" Kept as they were (add and update only): {_n(done['kept'], 'record')} not in the file."
                if done["mode"] == "upsert" and done["kept"] else "")
        st.success(f"Imported {escape_md(done['file'])}: {done['rows']:,} rows; {done['added']:,} added, {done['changed']:,} changed, "
                   f"{done['removed']:,} removed.{escape_md(kept)} {done['matched']:,} of this dataset's records now share a business "
                   f"with another agency ({done['businesses']:,} businesses in all). Took {done['seconds']:.1f} s. "
                   "If it is not what you meant, undo it from the import history.")
    round_ = st.session_state.setdefault("ds_upload_round", 0)
    upload = st.file_uploader("Upload the export (CSV or Excel .xlsx)", type=["csv", "xlsx"], key=f"ds_upload_{did}_{round_}",
                              help="UTF-8, UTF-8 with BOM or Windows-1252 (not a mix); comma, semicolon, tab or pipe "
                                   "separated; up to 50 MB, 500,000 rows and 500 columns. The first row must name the "
                                   "columns.")
    if upload is not None:
        _import_panel(upload, round_)
    else:
        st.session_state.pop("ds_read", None)  # the file read for the last upload: not kept once it is gone

# --- risk scale ------------------------------------------------------------------------------
with scale_tab:
    with ctx.store.read() as s:
        seen = datasets.risk_values(s, actor=ctx.actor, dataset_id=did)
    scale = ds["risk_scale"]
    st.caption("How your agency's own risk values map to the partnership's common band (high, medium, low). "
               "Saving re-bands the dataset's current records.")
    numeric = st.toggle("A numeric score with thresholds", value=is_numeric(scale), key=f"ds_numeric_{did}")
    if numeric:
        n1, n2 = st.columns(2)
        high_from = n1.number_input("High from (score at or above)", value=float(scale.get("high_from", 70)) if is_numeric(scale) else 70.0,
                                    key=f"ds_high_{did}")
        medium_from = n2.number_input("Medium from (score at or above)", value=float(scale.get("medium_from", 40)) if is_numeric(scale) else 40.0,
                                      key=f"ds_medium_{did}")
        new_scale: dict = {"type": "numeric", "high_from": high_from, "medium_from": medium_from}
    else:
        seed_key = f"ds_scale_seed_{did}"
        if st.button("Suggest bands from the values in the data", key=f"ds_suggest_{did}"):
            suggestion = suggest_risk_scale(seen, ds["column_mapping"].get("risk") or "")
            st.session_state[seed_key] = {} if is_numeric(suggestion) else suggestion
            st.session_state.pop(f"ds_scale_editor_{did}", None)
        current = st.session_state.get(seed_key) or ({} if is_numeric(scale) else scale)
        values = list(dict.fromkeys([*current, *seen]))
        # Typed, so that a dataset with no values yet (just created) gives an editable empty table.
        frame = pd.DataFrame({"Value": pd.Series(values, dtype="string"),
                              "Band": pd.Series([current.get(v) for v in values], dtype="string"),
                              "Records": pd.Series([seen.get(v, 0) for v in values], dtype="int64")})
        edited = st.data_editor(frame, hide_index=True, num_rows="dynamic", width="stretch", key=f"ds_scale_editor_{did}",
                                column_config={"Value": st.column_config.TextColumn("Your agency's value", required=True),
                                               "Band": st.column_config.SelectboxColumn("Common band", options=list(BANDS)),
                                               "Records": st.column_config.NumberColumn("Records now", disabled=True)})
        new_scale = {str(v).strip(): str(b) for v, b in zip(edited["Value"], edited["Band"], strict=True)
                     if pd.notna(v) and str(v).strip() and pd.notna(b) and str(b)}
        unbanded = [v for v in seen if v not in new_scale]
        if unbanded:
            st.warning(f"{len(unbanded)} value(s) in the data have no band yet: {escape_md(', '.join(unbanded[:10]))}")
    if st.button("Save the risk scale", key=f"ds_scale_save_{did}"):
        with user_errors(), ctx.store.uow() as uow:
            n = datasets.set_risk_scale(uow, actor=ctx.actor, dataset_id=did, scale=new_scale)
            st.session_state.pop(f"ds_scale_seed_{did}", None)
            st.success(f"Saved. {n:,} record(s) changed band.")

# --- sharing and freshness -------------------------------------------------------------------
with sharing_tab:
    sharing_choices = list(SHARING_HELP)
    choice = st.radio("What partners may see of this dataset", sharing_choices, index=sharing_choices.index(ds["sharing"]),
                      captions=[SHARING_HELP[o] for o in sharing_choices], key=f"ds_sharing_{did}")
    days = st.number_input("Show the dataset as stale after this many days without an import", min_value=1, max_value=3650,
                           value=int(ds["stale_after_days"]), step=1, key=f"ds_days_{did}")
    if st.button("Save sharing and freshness", key=f"ds_sharing_save_{did}"):
        with user_errors(), ctx.store.uow() as uow:
            datasets.set_limits(uow, actor=ctx.actor, dataset_id=did, sharing=choice, stale_after_days=int(days))
            st.session_state["ds_sharing_saved"] = f"Saved: {SHARING_HELP[choice]} Stale after {int(days)} days."
            st.rerun()
    if saved := st.session_state.pop("ds_sharing_saved", None):
        st.success(escape_md(saved))

# --- history ---------------------------------------------------------------------------------
with history_tab:
    if undone := st.session_state.pop("ds_undone", None):
        st.success(escape_md(undone))
    with ctx.store.read() as s:
        hist = datasets.history(s, actor=ctx.actor, dataset_id=did)
    if not hist:
        st.info("No imports yet.")
    else:
        def _undone(h: dict) -> str:
            return f"{h['undone_at']:%d %b %Y %H:%M} by {h['undone_by']}" if h["undone"] else ""

        st.dataframe(pd.DataFrame([{"When": h["imported_at"], "By": h["by"], "File": h["filename"],
                                    "Mode": "whole dataset" if h["mode"] == "replace" else "add and update only",
                                    "Rows": h["rows"], "Added": h["added"], "Changed": h["changed"], "Removed": h["removed"],
                                    "Warnings": h["warnings"], "Undone": _undone(h)} for h in hist]),
                     hide_index=True, width="stretch", column_config={"When": st.column_config.DatetimeColumn(format="D MMM YYYY HH:mm")})
        latest = hist[0]["report"]
        if any(latest.get(k) for k in ("added_refs", "changed_refs", "removed_refs")):
            with st.expander("Which references the latest import added, changed and removed"):
                for key, label in (("added_refs", "Added"), ("changed_refs", "Changed"), ("removed_refs", "Removed")):
                    if latest.get(key):
                        st.markdown(f"**{label}:** " + escape_md(", ".join(latest[key])))
        last = next((h for h in hist if h["can_undo"]), None)
        if last is not None:
            st.subheader("Undo an import")
            st.markdown(f"Undoing the import of **{escape_md(last['filename'])}** ({last['imported_at']:%d %b %Y %H:%M} UTC, by "
                        f"{escape_md(last['by'])}) puts the dataset back as it was before it: the {last['changed']:,} changed records "
                        f"get their values back, the {last['removed']:,} that stopped being current are current again, "
                        f"and the {last['added']:,} it added stop being current. The records are matched again. Imports "
                        "are undone newest first; the undone import stays in this history.")
            if st.button(f"Undo the import of {escape_md(last['filename'])}", key="ds_undo"):
                with user_errors(), st.spinner("Undoing the import and matching the records again…"):
                    with ctx.store.uow() as unit:
                        res = datasets.undo_import(unit, actor=ctx.actor, dataset_id=did, import_id=last["id"])
                    st.session_state["ds_undone"] = (f"Undone: the import of {res.filename}. Put back as before: "
                                                     f"{_n(res.restored, 'record')}; no longer current: "
                                                     f"{_n(res.retired, 'record')}. Took {res.seconds:.1f} s.")
                    st.rerun()
