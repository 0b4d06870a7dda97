"""The refusal thresholds, tested at their boundaries for both kinds of material."""

import pytest

from bot.answer import PLAN_THRESHOLDS, SCIENCE_THRESHOLDS, Thresholds, supported

pytestmark = pytest.mark.unit
EPS = 1e-6
BOTH = pytest.mark.parametrize("t", [PLAN_THRESHOLDS, SCIENCE_THRESHOLDS], ids=["plan", "science"])


@BOTH
def test_nothing_below_the_dense_floor_is_answered(t: Thresholds) -> None:
    assert not supported(t.floor - EPS, 1.0, t)
    assert supported(t.floor, 1.0, t)


@BOTH
def test_word_coverage_boundary(t: Thresholds) -> None:
    below_strong = min(t.strong, t.alone) - EPS
    assert supported(max(t.floor, below_strong), t.coverage, t)
    assert not supported(max(t.floor, below_strong), t.coverage - EPS, t)


@BOTH
def test_strong_dense_needs_its_share_of_words(t: Thresholds) -> None:
    assert supported(t.strong, t.weak, t)
    if t.weak > 0:
        assert not supported(t.strong, t.weak - EPS, t)
    assert not supported(t.strong - EPS, min(t.weak, t.coverage) - EPS, t)


@BOTH
def test_dense_alone(t: Thresholds) -> None:
    assert supported(t.alone, 0.0, t)


def test_science_is_stricter_than_plan() -> None:
    assert SCIENCE_THRESHOLDS.coverage >= PLAN_THRESHOLDS.coverage
    assert SCIENCE_THRESHOLDS.strong >= PLAN_THRESHOLDS.strong
    # a loosely related question that would be answered from the plan is refused from science material
    assert supported(0.865, 0.3, PLAN_THRESHOLDS)
    assert not supported(0.865, 0.3, SCIENCE_THRESHOLDS)
