"""The per-process reuse of the tokenizer and the BM25 index (kepu/kb/reuse.py): the same words and
passages give the same objects back, anything else builds anew, and only the few latest are kept."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kepu.kb import reuse
from kepu.kb.reuse import KEEP_ENTRIES, _Memo

pytestmark = pytest.mark.unit

PASSAGES = ["科学辟谣平台由中国科协建设。", "心脏骤停时应立即拨打120并开始心肺复苏。"]


@pytest.fixture(autouse=True)
def _cold() -> Iterator[None]:
    reuse.forget()
    yield
    reuse.forget()


def test_the_same_words_give_the_same_tokenizer(tmp_path: Path) -> None:
    first = reuse.tokenizer(tmp_path, ["中国科协", "科学辟谣平台"])
    assert reuse.tokenizer(tmp_path / "other", [" 科学辟谣平台", "中国科协", "中国科协"]) is first
    other = reuse.tokenizer(tmp_path, ["中国科协"])
    assert other is not first
    assert "科学辟谣平台" in first.words("打造科学辟谣平台")  # the user word is in the one built


def test_a_lexical_index_is_reused_only_for_the_same_content(tmp_path: Path) -> None:
    tok = reuse.tokenizer(tmp_path, ["中国科协"])
    index = reuse.lexical(tok, ["中国科协"], True, PASSAGES)
    assert reuse.lexical(tok, ["中国科协"], True, list(PASSAGES)) is index
    assert reuse.lexical(tok, ["中国科协"], False, PASSAGES) is not index  # analysed without pairs
    assert reuse.lexical(tok, ["中国科协"], True, [*PASSAGES, "新的一段。"]) is not index
    assert reuse.lexical(tok, ["中国科协"], True, PASSAGES[::-1]) is not index  # order is the row order
    assert index.search(tok.index_tokens("心肺复苏"), 1)[0][0] == 1


def test_only_the_latest_entries_are_kept() -> None:
    memo: _Memo[int, object] = _Memo(KEEP_ENTRIES)
    built: list[int] = []

    def build(n: int) -> object:
        built.append(n)
        return object()

    for n in range(KEEP_ENTRIES + 1):
        memo.get(n, lambda n=n: build(n))
    memo.get(KEEP_ENTRIES, lambda: build(-1))  # the newest is still there
    memo.get(0, lambda: build(0))  # the oldest was dropped: built again
    assert built == [*range(KEEP_ENTRIES + 1), 0]


def test_two_threads_opening_at_once_build_once() -> None:
    memo: _Memo[str, object] = _Memo(KEEP_ENTRIES)
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow_build() -> object:
        calls.append(1)
        started.set()
        release.wait(timeout=30)
        return object()

    results: list[object] = []
    first = threading.Thread(target=lambda: results.append(memo.get("k", slow_build)))
    first.start()
    assert started.wait(timeout=30)
    second = threading.Thread(target=lambda: results.append(memo.get("k", slow_build)))
    second.start()
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert len(calls) == 1 and len(results) == 2 and results[0] is results[1]
