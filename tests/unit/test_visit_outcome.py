"""One agency's visit outcome: validation, the stored form and the one-line summary."""
from __future__ import annotations

import pytest

from core.errors import ValidationError
from core.visits.outcome import form_values, has_findings, summarise, validate
from core.visits.followup import DEFAULT_RATES, PROSECUTION_SHARE, estimate


@pytest.mark.parametrize(("data", "message"), [
    ({"arrests": -1}, "Arrests: cannot be negative"),
    ({"seizures": 1.5}, "Seizures: enter a whole number"),
    ({"penalties": True}, "Civil penalties: enter a whole number"),
    ({"referrals": "two"}, "Referrals made: enter a whole number"),
    ({"closure_notices": 5000}, "more than 999"),
    ({"warrants": 1}, "Unknown outcome field"),
    ({"follow_up": True}, "say what follow-up is needed"),
    ({"advice": "yes"}, "Advice: answer yes or no"),
], ids=["negative", "fraction", "bool as count", "words", "too many", "unknown category", "follow-up without note", "advice not bool"])
def test_invalid_outcomes_are_refused_with_the_field_named(data: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        validate(data)


def test_stored_form_keeps_the_keys_meetings_and_the_demo_read() -> None:
    out = validate({"improvement_notices": 1, "prohibition_notices": "2", "arrests": 1, "advice": True,
                    "follow_up": True, "follow_up_note": "  Revisit   in 28 days ", "notes": "Rear door blocked."})
    assert out["result"] == ["notices", "arrests", "advice"]
    assert out["notices"] == 3 and out["prohibition_notices"] == 2 and out["seizures"] == 0
    assert out["follow_up_note"] == "Revisit in 28 days"
    assert validate({})["result"] == ["nothing found"]
    assert validate({"follow_up_note": "ignored"})["follow_up_note"] == "", "a note only goes with follow-up"


def test_summary_sums_agencies_and_reads_old_outcomes() -> None:
    old = {"result": ["notices"], "notices": 2, "seizures": 0, "arrests": 0, "penalties": 0, "referrals": 0, "notes": ""}
    assert summarise([old, validate({"arrests": 1})]) == "2 notices, 1 arrest"
    assert summarise([validate({"penalties": 1, "referrals": 3})]) == "1 civil penalty, 3 referrals"
    assert summarise([validate({}), None]) == "nothing found"
    assert summarise([validate({"advice": True})]) == "advice given"
    assert summarise([None]) == "no outcome recorded"
    assert has_findings(old) and not has_findings(validate({"advice": True}))


def test_form_values_of_an_old_outcome_keep_its_notices() -> None:
    old = {"result": ["nothing found"], "notices": 3, "notes": "Compliant."}
    values = form_values(old)
    assert values["improvement_notices"] == 3 and values["notes"] == "Compliant."
    assert validate(values)["notices"] == 3


def test_follow_up_uses_defaults_without_history() -> None:
    [police] = estimate({"Police": 10}, {"Police": "police"})
    rate = DEFAULT_RATES["police"]
    assert (police.notices, police.interviews) == (round(10 * rate.notices, 1), round(10 * rate.interviews, 1))
    assert police.prosecutions == round(10 * rate.interviews * PROSECUTION_SHARE, 1)
    assert police.basis == "default for police"
    [other] = estimate({"Someone": 2}, {})
    assert other.basis == "default"


def test_follow_up_learns_from_the_agency_then_its_kind() -> None:
    found = validate({"improvement_notices": 2, "seizures": 1, "arrests": 1})
    history = [("TS", "council", found)] * 5 + [("FS", "council", validate({}))] * 3 + [("TS", "council", None)]
    rows = {f.agency: f for f in estimate({"TS": 3, "FS": 4, "HMRC": 1}, {"TS": "council", "FS": "council", "HMRC": "national"},
                                          history)}
    assert (rows["TS"].notices, rows["TS"].interviews, rows["TS"].prosecutions) == (6.0, 6.0, 1.5)
    assert rows["TS"].basis == "its history (5 recorded outcomes)"
    # FS has 3 outcomes (under the minimum): it borrows the council rate of 8 outcomes: 10 notices / 8.
    assert rows["FS"].notices == round(4 * 10 / 8, 1) and rows["FS"].basis.startswith("history of council agencies (8")
    assert rows["HMRC"].basis == "default for national agencies"
    ordered = estimate({"TS": 3, "FS": 4}, {"TS": "council", "FS": "council"}, history)
    assert [f.agency for f in ordered] == ["TS", "FS"], "largest load first"
