"""The refusal thresholds, tested at their boundaries."""

import pytest

from bot.answer import (
    MIN_COVERAGE,
    MIN_COVERAGE_WEAK,
    MIN_DENSE_ALONE,
    MIN_DENSE_FLOOR,
    MIN_DENSE_STRONG,
    supported,
)

pytestmark = pytest.mark.unit
EPS = 1e-6


def test_nothing_below_the_dense_floor_is_answered() -> None:
    assert not supported(MIN_DENSE_FLOOR - EPS, 1.0)
    assert supported(MIN_DENSE_FLOOR, 1.0)


def test_word_coverage_boundary() -> None:
    assert supported(MIN_DENSE_FLOOR, MIN_COVERAGE)
    assert not supported(MIN_DENSE_FLOOR, MIN_COVERAGE - EPS)


def test_strong_dense_needs_some_words() -> None:
    assert supported(MIN_DENSE_STRONG, MIN_COVERAGE_WEAK)
    assert not supported(MIN_DENSE_STRONG, MIN_COVERAGE_WEAK - EPS)
    assert not supported(MIN_DENSE_STRONG - EPS, MIN_COVERAGE - EPS)


def test_dense_alone() -> None:
    assert supported(MIN_DENSE_ALONE, 0.0)
    assert not supported(MIN_DENSE_ALONE - EPS, 0.0)
