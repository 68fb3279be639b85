"""The matcher's score beside the partnership's own decisions in its band."""
from __future__ import annotations

import pytest

from core.matching.calibration import MIN_DECIDED, band_of, decided_bands, in_words


@pytest.mark.parametrize(("score", "band"), [(0, (0, 40)), (39.9, (0, 40)), (40, (40, 55)), (69, (55, 70)),
                                             (84.9, (70, 85)), (85, (85, 101)), (100, (85, 101))])
def test_bands(score: float, band: tuple[int, int]) -> None:
    assert band_of(score) == band


def test_unsure_and_unscored_decisions_say_nothing() -> None:
    bands = decided_bands([(60, "match"), (61, "no match"), (62, "unsure"), (None, "match"), (90, "match")])
    assert (bands[(55, 70)].same, bands[(55, 70)].decided) == (1, 2)
    assert bands[(85, 101)].decided == 1 and bands[(40, 55)].decided == 0


def test_the_partnerships_answer_is_shown_once_enough_pairs_are_decided() -> None:
    few = decided_bands([(60, "match")] * (MIN_DECIDED - 1))
    assert in_words(64, few) == "64% likely, says the matcher"
    many = decided_bands([(60, "match")] * 7 + [(58, "no match")] * 12 + [(75, "match")] * 30)
    assert in_words(64, many) == ("64% likely, says the matcher; the partnership's analysts found 7 of 19 pairs "
                                  "scored 55-69 to be one business")
    assert in_words(99.7, many) == "99% likely, says the matcher"   # never "100%": no score is certainty
