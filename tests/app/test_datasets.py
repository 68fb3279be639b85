"""The Datasets and imports page: an analyst uploads an export through the real widget and imports it."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import shown

HEADER = "Intel Ref,Business,Address,Postcode,Threat,Last Intel\n"
GOOD = HEADER + "IWI-900001,Quick Wash,1 Mill Lane,KM1 1AA,5,02/01/2025\nIWI-900002,Nail Bar,3 High St,km12bb,2,2025-01-03\n"
BAD = HEADER + "IWI-900001,Quick Wash,1 Mill Lane,KM1 1AA,5,someday\n,Nail Bar,3 High St,KM1 2BB,2,\n"


def _open(opener: Callable[..., AppTest]) -> AppTest:
    at = opener("analyst")
    at.switch_page("pages/datasets.py").run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    return "\n".join(shown(x.value) for x in [*at.markdown, *at.success, *at.error, *at.warning, *at.caption, *at.title])


def test_analyst_uploads_checks_and_imports_a_file(private_app: Callable[..., AppTest]) -> None:
    at = _open(private_app)
    assert "Datasets and imports · Immigration Enforcement" in _texts(at)
    at.file_uploader[0].upload("iwi_2025-01.csv", GOOD.encode(), "text/csv").run()
    assert not at.exception, at.exception
    assert "2 rows, 6 columns (UTF-8, comma-separated)" in _texts(at)
    chosen = {b.label.split(" (")[0]: b.value for b in at.selectbox if b.key and b.key.startswith("ds_map_")}
    assert (chosen["Reference"], chosen["Postcode"], chosen["Risk value"]) == ("Intel Ref", "Postcode", "Threat")
    assert [m.value for m in at.metric][:2] == ["2", "0"]
    # Two rows into a dataset of hundreds: what it would do, a warning, and a choice before anything happens.
    assert re.search(r"2 new, 0 changed, [\d,]+ no longer in this file", _texts(at)), _texts(at)
    assert any("If it is a partial export" in shown(w.value) for w in at.warning)
    assert at.button(key="ds_import").disabled
    mode = next(r for r in at.radio if r.key and r.key.startswith("ds_mode_"))
    assert mode.value is None and mode.options == ["This file is the whole dataset", "Add and update only"]
    mode.set_value("upsert").run()
    assert not at.button(key="ds_import").disabled
    at.button(key="ds_import").click().run()
    assert not at.exception, at.exception
    assert "Imported iwi_2025-01.csv: 2 rows; 2 added, 0 changed, 0 removed." in _texts(at)
    history = at.dataframe[-1].value
    assert history.iloc[0]["File"] == "iwi_2025-01.csv" and history.iloc[0]["Rows"] == 2
    assert history.iloc[0]["Mode"] == "add and update only"
    at.button(key="ds_undo").click().run()
    assert not at.exception, at.exception
    assert any(shown(x.value).startswith("Undone: the import of iwi_2025-01.csv. Put back as before: 0 records; no "
                                         "longer current: 2 records.") for x in at.success), [x.value for x in at.success]
    assert at.dataframe[-1].value.iloc[0]["Undone"] != ""


def test_a_bad_file_shows_the_report_and_cannot_be_imported(private_app: Callable[..., AppTest]) -> None:
    at = _open(private_app)
    at.file_uploader[0].upload("bad.csv", BAD.encode(), "text/csv").run()
    assert not at.exception, at.exception
    report = at.dataframe[2].value
    assert list(report["Row"]) == [2, 3] and set(report["Severity"]) == {"error"}
    assert "Nothing has been imported" in _texts(at)
    assert not [b for b in at.button if b.key == "ds_import"]


def test_an_unreadable_file_gives_a_message_not_a_traceback(private_app: Callable[..., AppTest]) -> None:
    at = _open(private_app)
    at.file_uploader[0].upload("x.xlsx", b"PK\x03\x04 not a workbook", "application/octet-stream").run()
    assert not at.exception, at.exception
    assert any("not a readable .xlsx workbook" in shown(e.value) for e in at.error)


@pytest.mark.parametrize("role", ["officer", "chair", "admin"])
def test_only_analysts_have_the_page(open_app: Callable[..., AppTest], role: str) -> None:
    at = open_app(role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/datasets.py").run()


def test_analyst_saves_a_suggested_risk_scale_and_a_sharing_limit(private_app: Callable[..., AppTest]) -> None:
    at = _open(private_app)
    did = at.selectbox(key="ds_pick").value
    at.button(key=f"ds_suggest_{did}").click().run()
    assert not at.exception, at.exception
    at.button(key=f"ds_scale_save_{did}").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Saved. ") for s in at.success), [s.value for s in at.success]
    at.radio(key=f"ds_sharing_{did}").set_value("interest-only")
    at.button(key=f"ds_sharing_save_{did}").click().run()
    assert not at.exception, at.exception
    assert at.radio(key=f"ds_sharing_{did}").value == "interest-only"
    assert any(shown(s.value).startswith("Saved: Partners see only that your agency has an interest") for s in at.success)
    assert list(at.dataframe[0].value["Partners may see"]) == ["interest-only"]


def test_a_new_empty_dataset_opens_with_an_empty_risk_scale(private_app: Callable[..., AppTest]) -> None:
    """A dataset just created has no values: its risk scale editor must still render (it raised before)."""
    at = _open(private_app)
    name_box = next(t for t in at.text_input if t.label == "Name")
    name_box.input("Insolvency watch list")
    next(b for b in at.button if b.label == "Create dataset").click().run()
    assert not at.exception, at.exception
    # The new dataset is the one open: left on the agency's other dataset, an upload would replace that one.
    pick = at.selectbox(key="ds_pick")
    assert pick.options[pick.index] == "Insolvency watch list", (pick.options, pick.index)
    did = at.selectbox(key="ds_pick").value
    assert at.data_editor(key=f"ds_scale_editor_{did}").value.empty
    at.button(key=f"ds_scale_save_{did}").click().run()
    assert not at.exception, at.exception
    assert any(s.value == "Saved. 0 record(s) changed band." for s in at.success), [s.value for s in at.success]
