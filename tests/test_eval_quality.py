"""The question sets in eval/ as a regression guard on answer quality (not on speed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluate import load_questions, run_eval

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVAL = Path(__file__).resolve().parent.parent / "eval"


@pytest.fixture(scope="module")
def result(bot):
    return run_eval(bot, load_questions(sorted(EVAL.glob("questions_*.yaml"))))


def test_question_set_is_large_and_varied(result) -> None:
    assert result["questions"] >= 120
    assert {"unit", "item_units", "section", "count", "doc_fact", "free", "out_of_scope", "science"} <= set(
        result["per_type"]
    )


def test_structured_answers_are_exact(result) -> None:
    for kind in ("unit", "item_units", "item_text", "programme_units"):
        assert result["per_type"][kind]["accuracy"] >= 0.98, (kind, result["failures"])


def test_nothing_out_of_scope_is_answered(result) -> None:
    assert result["per_type"]["out_of_scope"]["accuracy"] == 1.0, result["failures"]


def test_overall_accuracy(result) -> None:
    assert result["accuracy"] >= 0.92, result["failures"]
    assert result["in_scope_refused"] <= 0.05 * result["in_scope"]
