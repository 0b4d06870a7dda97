"""Material added later with `kepu ingest path/to/folder` is found as well as the shipped library.

tests/fixtures/unseen_science/ was written apart from everything retrieval was tuned on (articles and
paraphrased questions by a helper who saw neither the code nor the shipped eval sets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kepu.evaluation.questions import load_questions, run_eval
from kepu.ingest.pipeline import ingest
from kepu.service.startup import load_bot

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "unseen_science"

# Measured with this test's own run (see the closing note of the science issue): recall@1 0.89 and
# recall@5 1.0 on the unseen material against 0.92 / 1.0 for the shipped starter questions. With the 62
# rumor checks of issue 15 in the library: 0.83 / 1.0 (the burns article now outranks the frostbite
# fixture for "手指头冻僵了…用多热的水泡", rank 3).
MIN_RECALL_AT_1 = 0.8
MIN_RECALL_AT_5 = 0.9
# Of the 18 unseen paraphrases, at most this many refused or answered from the wrong article (see below).
MAX_UNSEEN_MISSED = 6


def test_new_folder_is_answered_from_paraphrases(fresh_settings, embedder) -> None:
    ingest(fresh_settings, embedder)
    report = ingest(fresh_settings, embedder, [FIXTURE])
    assert report.ok and {r.source_id for r in report.by_status("added")} == {
        p.stem for p in FIXTURE.glob("*.md")
    }
    bot = load_bot(fresh_settings, embedder)
    unseen = run_eval(bot, load_questions([FIXTURE.parent / "unseen_science_questions.yaml"]))
    shipped = run_eval(bot, load_questions([ROOT / "eval" / "questions_science.yaml"]))
    assert unseen["retrieval"]["recall@1"] >= MIN_RECALL_AT_1, unseen["failures"]
    assert unseen["retrieval"]["recall@5"] >= MIN_RECALL_AT_5, unseen["failures"]
    assert unseen["retrieval"]["recall@1"] >= shipped["retrieval"]["recall@1"] - 0.15
    # A paraphrase is missed when it is refused or answered from the wrong article: a wrong answer
    # counts as much as a refusal (it used not to count at all). Measured 2026-12-06: 5 of 18 both
    # before and after the anchor rule counted dictionary nouns (3 refused and 2 wrong sources before,
    # 4 refused and 1 wrong after: 一坐大巴就想吐头昏眼花 was answered from the pesticide article); 6 once
    # the topic test holds for how-to questions too (kepu/answering/extractive.py GATE_TOPIC_CLAIMS_ONLY): "俺爹天天吃
    # 抗凝的药鼻子又出血了要不要上医院" is refused, its first concept 抗凝 being in no nosebleed article —
    # the price of a blind-set precision gain of 0.888 -> 0.914 (eval/heldout_hard3.yaml).
    assert len(unseen["failures"]) <= MAX_UNSEEN_MISSED, unseen["failures"]
