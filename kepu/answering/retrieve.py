"""Hybrid retrieval: BM25 over jieba tokens and dense e5 vectors in Chroma, fused by weighted RRF."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

import numpy as np

from kepu.config import Settings
from kepu.errors import EmbedderUnavailableError, StoreUnavailableError
from kepu.kb.base import KnowledgeBase
from kepu.kb.embedders import Embedder
from kepu.kb.types import SearchHit

log = logging.getLogger(__name__)

# A lexical hit is taken without the dense step (which costs ~10 ms of CPU) only when it covers this
# share of the question's words (IDF-weighted) and beats the runner-up's BM25 score by this factor.
# Measured with `kepu eval` on every eval set: the same answers as always running the dense step.
LEXICAL_SURE_COVERAGE = 0.5
LEXICAL_SURE_MARGIN = 1.2
# Science hits (health advice) need nearly all of the words, and at least this many distinct words.
LEXICAL_SURE_SCIENCE = 0.8
LEXICAL_SURE_SCIENCE_WORDS = 3


# Characters of a question the dense model reads: e5 costs about 1 ms a character (25 ms at 20, 91 ms at
# 100, 625 ms at 500; bench/bench_hostile.py), and the longest question of every eval set is 46
# characters. A 500-character question thus costs about what a 100-character one does.
QUERY_EMBED_CHARS = 100

# A question at least this long found word for word in a passage (staff often type a phrase of the plan:
# "农村学校科技辅导员培训") ranks that passage first, whatever the fusion says. Shorter strings (发烧, 科普
# 活动) occur in too many passages to single one out. 8 characters: the shortest plan phrase of the
# classic set that a rank change (adding 48 rumor checks changed the BM25 IDF) put behind another item.
VERBATIM_MIN_CHARS = 8


@dataclass
class Retrieval:
    hits: list[SearchHit]
    query_tokens: list[str]
    coverage: float  # IDF-weighted share of the query's content tokens found in the best hit (0..1)
    top_dense: float | None  # cosine similarity of the best dense match; None when not computed
    degraded: bool = False  # the dense store or the query embedder could not be reached: lexical only


class Retriever:
    def __init__(self, kb: KnowledgeBase, embedder: Embedder, settings: Settings) -> None:
        if settings.top_k <= 0:
            raise ValueError(f"top_k must be > 0, got {settings.top_k}")
        self.kb = kb
        self.embedder = embedder
        self.settings = settings
        self._pos = {c.chunk_id: i for i, c in enumerate(kb.chunks)}
        # Hot questions repeat (a WeChat account gets the same question many times): their query
        # vectors are kept, keyed by the normalised question text.
        self._embed_query = (
            lru_cache(maxsize=settings.query_cache_size)(embedder.embed_query)
            if settings.query_cache_size
            else embedder.embed_query
        )

    def query_vector(self, question: str) -> np.ndarray:
        """The question's vector (its first QUERY_EMBED_CHARS characters), kept for hot questions."""
        return self._embed_query(question[:QUERY_EMBED_CHARS])  # type: ignore[no-any-return]

    @cached_property
    def _chunk_words(self) -> list[set[str]]:
        """Each chunk's words, for coverage: built on the first free question, not at start-up."""
        return [set(self.kb.tokenizer.tokens(c.passage())) for c in self.kb.chunks]

    def query_tokens(self, question: str) -> list[str]:
        tokens = self.kb.tokenizer.tokens(question)
        # A unit typed under an alias (卫健委) also searches under the name the plan uses (卫生健康委).
        for unit in self.kb.plan_index.units.find(question):
            if unit.name not in question:
                tokens.extend(self.kb.tokenizer.tokens(unit.name))
        return list(dict.fromkeys(tokens))

    def lexical_query(self, question: str, words: list[str]) -> list[str]:
        """Words plus, when the index has them, the question's character pairs."""
        if not self.settings.lexical_pairs:
            return words
        pairs = [t for t in self.kb.tokenizer.index_tokens(question) if t.startswith("_")]
        return words + list(dict.fromkeys(pairs))

    def lexical_sure(self, question: str) -> SearchHit | None:
        """The best lexical hit when it is clearly the one (no embedding needed), else None."""
        r = self._lexical_only(question, self.query_tokens(question), 1)
        return r.hits[0] if r is not None else None

    def _lexical_only(self, question: str, tokens: list[str], k: int) -> Retrieval | None:
        """A lexical-only result when its best hit is clearly the one, else None.

        Clear means: the best hit holds at least LEXICAL_SURE_COVERAGE of the question's words
        (IDF-weighted) and its BM25 score is at least LEXICAL_SURE_MARGIN times the runner-up's.
        """
        top = self.kb.lexical.search(self.lexical_query(question, tokens), max(k, 2))
        if not top or (len(top) > 1 and top[0][1] < LEXICAL_SURE_MARGIN * top[1][1]):
            return None
        coverage = self._coverage(tokens, top[0][0])
        # health advice is taken on words alone only when nearly all of the question's words are there
        if self.kb.chunks[top[0][0]].kind == "plan":
            needed = LEXICAL_SURE_COVERAGE
        elif len(set(tokens)) < LEXICAL_SURE_SCIENCE_WORDS:
            return None  # one or two words ("牙疼") can match an article that is about something else
        else:
            needed = LEXICAL_SURE_SCIENCE
        if coverage < needed:
            return None
        hits = [
            SearchHit(rank=i + 1, score=score, chunk=self.kb.chunks[pos], lexical_rank=i + 1)
            for i, (pos, score) in enumerate(top[:k])
        ]
        return Retrieval(hits, tokens, coverage, None)

    def _verbatim(self, question: str, pos: int) -> bool:
        """Whether the passage holds the whole (long enough) question word for word."""
        return len(question) >= VERBATIM_MIN_CHARS and question in self.kb.chunks[pos].text

    def _coverage(self, tokens: list[str], pos: int) -> float:
        content = set(tokens)
        if not content:
            return 0.0
        words = self._chunk_words[pos]
        weights = {t: self.kb.lexical.idf(t) for t in content}
        # math.fsum: the same share whatever order the set gives (str hashing differs between processes)
        return math.fsum(w for t, w in weights.items() if t in words) / math.fsum(weights.values())

    def search(
        self, question: str, k: int | None = None, *, fast: bool = False, expand: tuple[str, ...] = ()
    ) -> Retrieval:
        """Hybrid search. With ``fast``, a clear lexical winner is returned without the dense step."""
        if k is None:
            k = self.settings.top_k
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        s = self.settings
        # ``expand``: the library's words for the question's colloquial ones (kepu/language.py). They join
        # the lexical query only: the question's vector is the question's own words.
        lexical_text = f"{question} {' '.join(expand)}" if expand else question
        tokens = self.query_tokens(lexical_text)
        if fast and (quick := self._lexical_only(lexical_text, tokens, k)) is not None:
            return quick
        lexical = self.kb.lexical.search(self.lexical_query(lexical_text, tokens), s.candidates)
        try:
            dense = self.kb.store.search(self.query_vector(question), s.candidates)
        except (StoreUnavailableError, EmbedderUnavailableError) as exc:
            # The Chroma server or the embeddings endpoint is away: a clear lexical winner is still an
            # answer, anything less is not (the answer says the service is degraded rather than guess).
            log.warning(
                "dense search unavailable, lexical only",
                extra={
                    "error": str(exc),
                    "dependency": "embedder" if isinstance(exc, EmbedderUnavailableError) else "chroma",
                },
            )
            quick = self._lexical_only(lexical_text, tokens, k)
            if quick is not None:
                return replace(quick, degraded=True)
            return Retrieval([], tokens, 0.0, None, degraded=True)

        fused: dict[int, float] = {}
        lex_rank: dict[int, int] = {}
        dense_rank: dict[int, int] = {}
        dense_score: dict[int, float] = {}
        for rank, (pos, _score) in enumerate(lexical, start=1):
            lex_rank[pos] = rank
            fused[pos] = fused.get(pos, 0.0) + s.lexical_weight / (s.rrf_k + rank)
        for rank, (chunk_id, sim) in enumerate(dense, start=1):
            at = self._pos.get(chunk_id)
            if at is None:
                continue
            dense_rank[at] = rank
            dense_score[at] = sim
            fused[at] = fused.get(at, 0.0) + s.dense_weight / (s.rrf_k + rank)
        order = sorted(fused, key=lambda p: (not self._verbatim(question, p), -fused[p], p))[:k]
        hits = [
            SearchHit(
                rank=i + 1,
                score=fused[p],
                chunk=self.kb.chunks[p],
                lexical_rank=lex_rank.get(p),
                dense_rank=dense_rank.get(p),
                dense_score=dense_score.get(p),
            )
            for i, p in enumerate(order)
        ]
        coverage = self._coverage(tokens, order[0]) if order else 0.0
        return Retrieval(hits, tokens, coverage, dense[0][1] if dense else 0.0)
