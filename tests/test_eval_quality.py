"""The question sets in eval/ as a regression guard on answer quality (not on speed).

The floors below were set from measurement (`kepu eval`, see the closing notes) a little under the
measured values, so that a real regression fails CI while run-to-run noise does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from kepu.evaluation.questions import load_questions, run_eval

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVAL = Path(__file__).resolve().parent.parent / "eval"


@pytest.fixture(scope="module")
def result(bot):
    return run_eval(bot, load_questions(sorted(EVAL.glob("questions_*.yaml"))))


@pytest.fixture(scope="module")
def heldout(bot):
    return run_eval(bot, load_questions([EVAL / "heldout.yaml"]))


def test_question_sets_are_large_and_varied(result) -> None:
    assert result["questions"] >= 400
    science_and_rumor = sum(result["per_type"][t]["n"] for t in ("science", "rumor", "science_uncovered"))
    assert science_and_rumor >= 200
    assert {
        "unit",
        "item_units",
        "section",
        "count",
        "doc_fact",
        "free",
        "out_of_scope",
        "science",
        "rumor",
    } <= set(result["per_type"])


def test_structured_answers_are_exact(result, heldout) -> None:
    for kind in ("unit", "item_units", "item_text", "programme_units"):
        assert result["per_type"][kind]["accuracy"] >= 0.98, (kind, result["failures"])
    assert result["unit_exact_match"] == 1.0
    assert heldout["unit_exact_match"] == 1.0


def test_retrieval_quality(result, heldout) -> None:
    assert result["retrieval"]["recall@1"] >= 0.90  # measured 0.927
    assert result["retrieval"]["recall@5"] >= 0.97  # measured 0.989
    assert result["retrieval"]["mrr"] >= 0.93  # measured 0.949
    assert heldout["retrieval"]["recall@1"] >= 0.87  # measured 0.918


def test_refusals(result) -> None:
    assert result["per_type"]["out_of_scope"]["accuracy"] >= 0.95, result["failures"]
    # The answerability gate refuses some in-scope questions it cannot check (people's words the
    # articles do not use): measured 0.800-0.815 with it (0.871 before), guarded by in-scope recall in
    # tests/test_trust_quality.py; this floor catches a collapse.
    assert result["refusal"]["precision"] >= 0.78
    assert result["refusal"]["recall"] >= 0.85  # measured 0.883
    assert result["in_scope_refused"] <= 0.03 * result["in_scope"]


def test_rumor_verdicts(result) -> None:
    # A verdict now needs the question to restate a claim the check declares (kepu/answering/claims.py); a few
    # wordings of eval/questions_rumor.yaml get the check quoted without its verdict. Measured 0.871
    # (0.935 before verdicts were tied to claims, which also gave 77 wrong verdicts on hard negatives).
    assert result["rumor_verdict_accuracy"] >= 0.85


def test_overall_accuracy(result, heldout) -> None:
    assert result["accuracy"] >= 0.91, result["failures"]  # measured 0.936
    assert heldout["accuracy"] >= 0.91, heldout["failures"]  # measured 0.946
