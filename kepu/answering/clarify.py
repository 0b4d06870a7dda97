"""One-word questions too broad to answer ("科普", "健康"): a short clarifying reply with a few questions to
tap instead of whichever passage happens to rank first.

A word is broad when the library uses it in many places (distinct plan items and articles). Measured on
the shipped library (2026-12-06, /tmp/df.py over the e5 index): broad words 科学 48, 孩子 38, 安全 34,
健康 28, 科普 24, 老人 19, 喝酒 17 places; topic words people type alone 癌症 13, 食品 12, 高血压 11,
疫苗 8, 急救 7, 中暑 2, 狂犬病 1. The line sits between them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from kepu.kb.types import Chunk, SearchHit
from kepu.text import strip_punct

BROAD_MIN_PLACES = 15  # a word found in at least this many items/articles is too broad to answer alone
MAX_CHOICES = 3
CHOICE_HITS = 20  # hits searched for choices: the best few often come from one article
MAX_SECTION_CHARS = 14  # a longer plan section title makes a poor button
# the question is one word, maybe with a generic tail (健康知识, 科普方面的) and a particle
_ONE_WORD_RE = re.compile(
    r"^(?P<word>[\u4e00-\u9fff]{2,4}?)(?:知识|问题|常识|方面的?|相关的?|内容|资料|信息|的事)?[吗呢啊吧呀嘛]?$"
)


def broad_word(question: str, chunks: Iterable[Chunk]) -> str | None:
    """The word of a one-word question that the library uses in at least BROAD_MIN_PLACES places."""
    m = _ONE_WORD_RE.match(strip_punct(question))
    if m is None:
        return None
    word = m.group("word")
    places = {(c.source_id, c.item) for c in chunks if word in c.title or word in c.text}
    return word if len(places) >= BROAD_MIN_PLACES else None


def choices(hits: Iterable[SearchHit], limit: int = MAX_CHOICES) -> list[str]:
    """Questions to tap, one per source retrieval found for the word: an article's title as a question,
    or a plan section's "有哪些工作"."""
    out: list[str] = []
    for hit in hits:
        c = hit.chunk
        section = re.sub(r"^[（(]?[一二三四五六七八九十]+[)）、]?", "", c.section or "")
        if c.kind == "science":
            ask = c.title  # an article's title, as written, asks for that article
        elif c.kind == "plan" and section and len(section) <= MAX_SECTION_CHARS:
            ask = f"“{section}”有哪些工作？"
        else:
            continue
        if ask not in out:
            out.append(ask)
        if len(out) == limit:
            break
    return out


def clarify_text(word: str) -> str:
    return f"“{word}”涉及的内容比较多，你想了解哪一方面？可以点下面的问题，也可以把问题说得具体一些。"
