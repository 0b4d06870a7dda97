"""The refusal thresholds, tested at their boundaries for both kinds of material."""

import pytest

from kepu.answering.extractive import PLAN_THRESHOLDS, SCIENCE_THRESHOLDS, Thresholds, supported

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


def _retrieval(own_dense: float, best_dense: float, coverage: float):  # type: ignore[no-untyped-def]
    from kepu.answering.retrieve import Retrieval
    from kepu.kb.types import Chunk, SearchHit

    chunk = Chunk("a#0", "a", "标题", "science", "正文", context="", content_hash="x")
    hit = SearchHit(rank=1, score=1.0, chunk=chunk, dense_rank=2, dense_score=own_dense)
    return Retrieval([hit], ["词"], coverage, best_dense)


def test_a_quote_sharing_no_word_needs_its_own_dense_strength() -> None:
    from kepu.answering.extractive import quote_supported

    t = SCIENCE_THRESHOLDS
    # another passage is very close in meaning, but the one to be quoted shares no word and is not
    assert not quote_supported(_retrieval(t.alone - EPS, t.alone + 0.05, 0.0))
    assert quote_supported(_retrieval(t.alone, t.alone + 0.05, 0.0))
    # with some words shared, the usual rules apply to the best dense score
    assert quote_supported(_retrieval(t.floor, t.alone, 0.01))
