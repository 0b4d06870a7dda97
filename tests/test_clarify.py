"""Vague one-word questions (issue 17): a clarifying reply with questions to tap, not an arbitrary passage."""

from __future__ import annotations

import pytest

from kepu.answering import clarify
from kepu.answering.answer import Answer
from kepu.channels.wechat.format import phone_text
from kepu.kb.types import Chunk, SearchHit


def _chunks(word: str, places: int) -> list[Chunk]:
    """``places`` articles that use ``word``, plus two chunks of one of them (one place, not two)."""
    out = [Chunk(f"a{i}-0", f"a{i}", f"文章{i}", "science", f"这里讲{word}的事。", "") for i in range(places)]
    return out + [Chunk("a0-1", "a0", "文章0", "science", f"还讲{word}。", "")]


def test_a_word_is_broad_from_the_number_of_places_that_use_it() -> None:
    n = clarify.BROAD_MIN_PLACES
    assert clarify.broad_word("健康", _chunks("健康", n)) == "健康"
    assert clarify.broad_word("健康", _chunks("健康", n - 1)) is None  # the boundary
    assert clarify.broad_word("健康知识", _chunks("健康", n)) == "健康"  # a generic tail
    assert clarify.broad_word("健康吗？", _chunks("健康", n)) == "健康"
    for question in ("健康饮食怎么吃", "吃什么健康", "健康码在哪里申请"):  # asks something
        assert clarify.broad_word(question, _chunks("健康", n)) is None


def test_choices_are_distinct_sources_as_questions() -> None:
    article = Chunk("x-0", "x", "老年人防跌倒", "science", "……", "")
    again = Chunk("x-1", "x", "老年人防跌倒", "science", "……", "")
    section = Chunk(
        "p-30", "plan", "工作要点", "plan", "……", "", item=30, section="（三）实施社区科普益民工程"
    )
    long = Chunk(
        "p-1",
        "plan",
        "工作要点",
        "plan",
        "……",
        "",
        item=1,
        section="一、以习近平新时代中国特色社会主义思想为统领",
    )
    hits = [SearchHit(i + 1, 0.9, c) for i, c in enumerate([article, again, long, section])]
    assert clarify.choices(hits) == ["老年人防跌倒", "“实施社区科普益民工程”有哪些工作？"]


def test_wechat_shows_choices_as_links_to_tap() -> None:
    ans = Answer(
        "健康", clarify.clarify_text("健康"), "refusal", [], route="clarify", choices=["老年人防跌倒"]
    )
    text = phone_text(ans)
    assert '· <a href="weixin://bizmsgmenu?msgmenucontent=老年人防跌倒&msgmenuid=1">老年人防跌倒</a>' in text


@pytest.mark.parametrize("word", ["科普", "健康", "安全知识"])
def test_broad_words_get_choices_that_are_answered(e5_bot, word: str) -> None:
    ans = e5_bot.answer(word)
    assert ans.route == "clarify" and not ans.citations
    assert 2 <= len(ans.choices) <= clarify.MAX_CHOICES
    for choice in ans.choices:
        tapped = e5_bot.answer(choice)
        assert tapped.mode != "refusal" and tapped.citations, (choice, tapped.answer)


@pytest.mark.parametrize("word", ["高血压", "中暑", "狂犬病"])
def test_topic_words_are_answered(e5_bot, word: str) -> None:
    ans = e5_bot.answer(word)
    assert ans.route != "clarify" and ans.citations and word in ans.citations[0].title + ans.citations[0].text
