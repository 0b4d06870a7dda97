"""Indexes that one process builds once and every KnowledgeBase over the same content reuses.

Building the jieba tokenizer (its dictionary and the part-of-speech table) and the BM25 index over
every passage costs about 1.5 s of CPU. A serving process pays that again on every hot reload, and
the CLI, the eval and the test suite open the same index many times; neither object changes after it
is built, so a reload whose words and passages are unchanged gets the same objects back. Each memo
keeps the few most recent entries only (a reload after an ingest replaces the lexical index)."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from kepu.kb.lexical import LexicalIndex
    from kepu.text import Tokenizer

K = TypeVar("K")
V = TypeVar("V")

# A server holds the current version and, for a moment during a switch, the next one; a third slot
# covers a second plan set or an eval run next to the server in the same process.
KEEP_ENTRIES = 3


class _Memo(Generic[K, V]):
    """A small LRU whose values are built under a lock, so two threads opening at once build once."""

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, build: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            value = build()
            self._items[key] = value
            while len(self._items) > self._keep:
                self._items.popitem(last=False)
            return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_tokenizers: _Memo[tuple[str, ...], Tokenizer] = _Memo(KEEP_ENTRIES)
_lexicals: _Memo[tuple[tuple[str, ...], bool, str], LexicalIndex] = _Memo(KEEP_ENTRIES)


def _words_key(user_words: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({w.strip() for w in user_words if w.strip()}))


def tokenizer(cache_dir: Path, user_words: Iterable[str]) -> Tokenizer:
    """The tokenizer with these user words (the cache directory only speeds up jieba's first build)."""
    from kepu.text import Tokenizer

    words = _words_key(user_words)
    return _tokenizers.get(words, lambda: Tokenizer(cache_dir, words))


def lexical(tok: Tokenizer, user_words: Iterable[str], pairs: bool, passages: list[str]) -> LexicalIndex:
    """The BM25 index of these passages as ``tok`` analyses them (with character pairs when ``pairs``)."""
    from kepu.kb.lexical import LexicalIndex

    digest = hashlib.sha256("\x00".join(passages).encode("utf-8")).hexdigest()
    analyse = tok.index_tokens if pairs else tok.tokens
    key = (_words_key(user_words), pairs, digest)
    return _lexicals.get(key, lambda: LexicalIndex([analyse(p) for p in passages]))


def forget() -> None:
    """Drop every memoised index (tests that measure a cold open)."""
    _tokenizers.clear()
    _lexicals.clear()
