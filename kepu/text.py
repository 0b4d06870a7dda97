"""Query normalisation and Chinese tokenisation."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

_CN_DIGITS = "零〇一二两三四五六七八九十百"
# 第二十六条 / 第26项 / 第 9 点 / 26条 -> 第26条 (Chinese numerals only after 第: "一条", "哪一条" are not refs)
_ITEM_REF_RE = re.compile(
    rf"第\s*([{_CN_DIGITS}]+|-?\d+)\s*(条|项|点|款)|(?<![\d.\-])(\d{{1,3}})\s*(条|项)(?!件)"
)
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# A question asking what to do ("咋整" reads "怎么整" once the language layer has run): the emergency
# pairs answer it (kepu/answering/faq.py), and an article's steps are preferred for it (kepu/answering/compose.py).
HOW_TO_RE = re.compile(
    r"(怎么|咋|如何|怎样|该咋)(办|整|弄|搞|救|施救|处理|急救|抢救|做|进行)|做(些|点)?(啥|什么)|有(什么|啥)好?(办法|法子)"
)
# The units an amount is counted in (次, 分钟, 厘米 …), asked for or stated.
_AMOUNT_UNITS = "次|下|回|遍|分钟|秒|小时|天|周|个月|年|岁|片|粒|克|斤|度|厘米|米|毫升"
# 几 that asks how many: not 哪几/第几 (which one) nor 好几/十几 (several, a dozen or so), which say it.
ASKS_HOW_MANY = "(?<![哪第好十])几"
# A question that asks for an amount: how much, how long, how many times ("一分钟要按多少下", "泡多久"),
# how many people or things ("每个乡镇配几个科普员"; "哪几个部门" asks which, "好几个" says several).
ASKS_AMOUNT_RE = re.compile(
    rf"多少|多久|多长|多大|多深|多高|多重|多远|{ASKS_HOW_MANY}({_AMOUNT_UNITS}|个|名|位)"
)
# A sentence that states one: a figure with its unit ("每分钟按压100到120次", "浸泡10分钟左右").
STATES_AMOUNT_RE = re.compile(rf"[0-9０-９]+|[一二两三四五六七八九十百半]+({_AMOUNT_UNITS})")
_PUNCT_RE = re.compile(r"[\s\W_]+", re.UNICODE)
_CJK_RUN_RE = re.compile(r"[\u4e00-\u9fff]{2,}")

STOPWORDS_FILE = Path(__file__).with_name("stopwords.txt")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Words that carry no topic: question words, particles, colloquial fillers, time words."""
    text = STOPWORDS_FILE.read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split())


log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def _cn_to_int(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    import cn2an  # imported on first use: it costs ~0.2 s, and most questions have no Chinese numeral

    try:
        return int(cn2an.cn2an(text.replace("〇", "零").replace("两", "二"), "smart"))
    except (ValueError, KeyError):
        return None


def normalize(question: str) -> str:
    """Traditional -> Simplified, full-width -> half-width, Chinese item numerals -> 第N条."""
    # lone surrogates (half a character, e.g. from a broken client) cannot be converted: dropped
    text = unicodedata.normalize("NFKC", _SURROGATE_RE.sub("", question)).replace("\u2212", "-")
    text = _t2s().convert(text)
    text = re.sub(r"\s+", " ", text).strip()

    def _item(m: re.Match[str]) -> str:
        n = _cn_to_int(m.group(1) or m.group(3))
        return f"第{n}条" if n is not None else m.group(0)

    return _ITEM_REF_RE.sub(_item, text)


def item_refs(normalized: str) -> list[int]:
    """Item numbers referenced in a normalised question, in order, without duplicates."""
    seen: list[int] = []
    for m in re.finditer(r"第(-?\d+)条", normalized):  # 第-1条 is no item: answered as missing
        n = int(m.group(1))
        if n not in seen:
            seen.append(n)
    return seen


def strip_punct(text: str) -> str:
    return _PUNCT_RE.sub("", text)


class Tokenizer:
    """jieba with a user dictionary (units, aliases, named programmes); cache kept in the data dir."""

    def __init__(self, cache_dir: Path | None = None, user_words: Iterable[str] = ()) -> None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
            self._jieba.tmp_dir = str(cache_dir)
        self._jieba.initialize()
        for word in sorted(set(user_words)):
            if word.strip():
                self._jieba.add_word(word.strip(), freq=2000, tag="nz")  # a proper name
        self._known = lru_cache(maxsize=50_000)(lambda text: tuple(self.tokens(text)))
        self._pos: Any = None  # jieba.posseg, built on first use

    def tokens(self, text: str) -> list[str]:
        """Search-mode tokens for BM25, without stopwords and punctuation, lower-cased."""
        out = []
        for tok in self._jieba.cut_for_search(text):
            tok = tok.strip().lower()
            if not tok or tok in stopwords() or not strip_punct(tok):
                continue
            if len(tok) == 1 and tok.isascii():  # "1", "a": noise, not topics
                continue
            out.append(tok)
        return out

    def known_tokens(self, text: str) -> list[str]:
        """``tokens`` for knowledge-base text (sentences, passages), memoised: the same sentences are
        tokenised again for every question that quotes them."""
        return list(self._known(text))

    def index_tokens(self, text: str) -> list[str]:
        """What BM25 indexes and queries: the search-mode words plus character pairs of Chinese runs,
        so that a word jieba segments differently in the question and the text still matches."""
        pairs = [f"_{run[i : i + 2]}" for run in _CJK_RUN_RE.findall(text) for i in range(len(run) - 1)]
        return self.tokens(text) + [p for p in pairs if p[1:] not in stopwords()]

    def tagged(self, text: str, hmm: bool = True) -> list[tuple[str, str]]:
        """(word, part of speech) pairs (jieba.posseg over the same dictionary), punctuation dropped.
        ``hmm`` False skips jieba's guessing of words it does not list (its slowest part): enough when
        only dictionary words are wanted."""
        if self._pos is None:
            import jieba.posseg

            self._pos = jieba.posseg.POSTokenizer(self._jieba)
        return [(p.word, p.flag) for p in self._pos.cut(text, HMM=hmm) if strip_punct(p.word)]

    def pos_of(self, word: str) -> str | None:
        """The part of speech the dictionary gives a word (None for a word it does not list)."""
        if self._pos is None:
            self.tagged("")
        tag: str | None = self._pos.word_tag_tab.get(word)
        return tag

    def in_dictionary(self, word: str) -> bool:
        """Whether jieba knows the word (its dictionary or ours), rather than guessed it (HMM)."""
        return bool(self._jieba.FREQ.get(word))

    def words(self, text: str) -> list[str]:
        """Plain segmentation (no search-mode sub-words), punctuation dropped."""
        return [w for w in self._jieba.cut(text) if strip_punct(w)]


# A numbered step as articles write it: "1. …", "2、…", "3．…".
STEP_NUMBER_RE = re.compile(r"^\s*(\d{1,2})[.、．]\s*")
