"""Grading schemes: complete gradings only, and what each handling code lets partners see."""
from __future__ import annotations

import pytest

from core import grading
from core.errors import ValidationError

VISIBILITY = [
    ("5x5x5", "1", "full"), ("5x5x5", "2", "full"), ("5x5x5", "3", "full"),
    ("5x5x5", "4", "originator"), ("5x5x5", "5", "summary"),
    ("3x5x2", "P", "full"), ("3x5x2", "C", "summary"), ("3x5x2", "p", "full"),
]


@pytest.mark.parametrize(("scheme", "code", "expected"), VISIBILITY)
def test_handling_code_decides_what_partners_see(scheme: str, code: str, expected: str) -> None:
    assert grading.visibility(scheme, code) == expected


@pytest.mark.parametrize(("scheme", "grades", "message"), [
    ("5x5x5", (None, "2", "1"), "choose the source evaluation"),
    ("5x5x5", ("B", "", " "), "intelligence evaluation, the handling code"),
    ("5x5x5", ("F", "2", "1"), "Source evaluation .* 'F' is not a grade"),
    ("5x5x5", ("B", "6", "1"), "Intelligence evaluation"),
    ("3x5x2", ("A", "A", "P"), "Source evaluation"),  # 3x5x2 sources are 1-3
    ("3x5x2", ("1", "A", "2"), "Handling code .* choose one of P, C"),
    ("4x4x4", ("A", "1", "1"), "Grading scheme"),
])
def test_incomplete_or_wrong_gradings_are_refused(scheme: str, grades: tuple, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        grading.validate(scheme, *grades)


def test_valid_gradings_are_normalised() -> None:
    assert grading.validate("5x5x5", "b", "2", "1") == ("B", "2", "1")
    assert grading.validate("3x5x2", "2", "c", "p") == ("2", "C", "P")
    assert grading.label("5x5x5", "B", "2", "1") == "B2 handling 1 (5x5x5)"


def test_every_grade_has_a_meaning_and_every_handling_code_a_visibility() -> None:
    for sc in grading.SCHEMES.values():
        assert all(sc.source.values()) and all(sc.intelligence.values())
        assert set(sc.handling) == set(sc.visibility)
