"""The answer cache: repeated questions are served from it, keyed by index version, and answers that
should be recomputed (degraded, or a model call that failed) are never kept."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kepu.answering.answer import Answer, Citation
from kepu.answering.bot import Bot
from kepu.state.local import LocalAnswerCache
from kepu.text import normalize
from tests.conftest import use_fake_embedder

pytestmark = pytest.mark.unit
use_fake_embedder(globals())  # cache keys and round trips: no model needed

Q = "第32条由哪个单位负责？"


def test_a_repeated_question_is_served_from_the_cache(bot, embedder, kb_settings) -> None:
    cache = LocalAnswerCache(16, 60)
    cached_bot = Bot(bot.kb, embedder, kb_settings, answers=cache)
    first = cached_bot.answer(Q)
    key = cached_bot._cache_key(normalize(Q), False)
    stored = cache.get(key)
    assert stored is not None and stored["answer"] == first.answer
    cache.put(key, {**stored, "answer": "来自缓存"})  # mark it: the next answer must come from here
    again = cached_bot.answer("第三十二条由哪个单位负责?")  # another wording, same normalised question
    assert again.answer == "来自缓存"
    assert again.question == "第三十二条由哪个单位负责?"  # the asker's own words are kept

    other_version = bot.kb.with_manifest(replace(bot.kb.manifest, version="v-next"))
    assert Bot(other_version, embedder, kb_settings, answers=cache).answer(Q).answer == first.answer


def test_the_cache_round_trip_keeps_citations_and_passages(bot) -> None:
    answer = bot.answer("被狗咬了怎么办")
    back = Answer.from_cache(answer.to_cache())
    assert back.citations == answer.citations and back.passages == answer.passages
    assert back.health == answer.health and back.mode == answer.mode


def test_what_is_not_cached() -> None:
    cite = Citation("doc", "标题", "science", None, None, [], "原文")
    extractive = Answer("问", "答", "extractive", [cite], passages=[cite])
    assert Bot._cacheable(extractive, use_llm=False)
    assert not Bot._cacheable(extractive, use_llm=True)  # the model failed or timed out: try it again
    assert Bot._cacheable(replace(extractive, mode="generative"), use_llm=True)
    assert Bot._cacheable(Answer("问", "答", "structured", [cite]), use_llm=True)  # never sent to a model
    assert not Bot._cacheable(replace(extractive, degraded=True), use_llm=False)
    assert not Bot._cacheable(Answer("问", "降级", "refusal", route="degraded"), use_llm=False)


def test_the_cache_round_trip_keeps_choices_and_the_review_flag() -> None:
    """A clarifying reply served again from the cache still has its questions to tap, and an answer let
    through on a thin margin is still flagged for staff (both were dropped by from_cache)."""
    ans = Answer(
        "健康",
        "“健康”涉及的内容比较多……",
        "refusal",
        route="clarify",
        choices=["老年人防跌倒", "中暑了怎么办"],
        review="出处没有讲到：流敢（按相近程度放行）",
    )
    back = Answer.from_cache(ans.to_cache())
    assert back.choices == ["老年人防跌倒", "中暑了怎么办"] and back.review == ans.review
    assert "review" not in back.to_dict()


def test_an_answer_is_a_value() -> None:
    # built whole and changed with dataclasses.replace: a cached or shared answer cannot be altered
    import dataclasses

    ans = Answer("问", "答", "structured", route="doc")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ans.answer = "别的"  # type: ignore[misc]
    assert dataclasses.replace(ans, answer="别的").answer == "别的" and ans.answer == "答"
