"""What the staff pages and the readiness probe read of the knowledge being served, through one seam
(the public channels ask through kepu/service/asking.py): the plans, the manifest, the approved Q&A
pairs, the material nearest to a question, a question's vector (grouping unanswered questions), a draft
pair tried out, and a probe that the index answers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kepu.answering.answer import Answer
from kepu.answering.bot import Bot
from kepu.answering.structured.units import unit_absent_text
from kepu.kb.plan_index import PlanIndex
from kepu.kb.types import FaqPair, Kind, PlanDoc
from kepu.kb.units import Unit
from kepu.kb.versions import Manifest
from kepu.service.holder import BotHolder
from kepu.text import Tokenizer

# The passages looked at for the material nearest to a question (the first is shown).
NEAREST_HITS = 3


@dataclass(frozen=True)
class Nearest:
    """The closest material retrieval finds for a question, and the question's words the library
    never uses (then the fix is new material; otherwise maybe a similar question or a synonym)."""

    kind: Kind | None  # None: nothing found
    title: str
    item: int | None
    dense_score: float | None
    unknown: list[str]


def unit_absent(index: PlanIndex, plan: PlanDoc, unit: Unit) -> tuple[str, list[Unit]]:
    """What the bot says of a unit units.yaml knows that ``plan`` does not list (the responsibility
    browser's 404 says the same), and the listed units with names close to it."""
    near = index.near_units(plan, unit.name)
    return unit_absent_text(plan, unit, near), near


class Library:
    def __init__(self, holder: BotHolder) -> None:
        self.holder = holder

    @property
    def bot(self) -> Bot:
        return self.holder.bot  # raises IndexNotReadyError until an index is loaded

    @property
    def plans(self) -> PlanIndex:
        """The plans being served: items, units, sections (the responsibility browser and exports)."""
        return self.bot.index  # type: ignore[no-any-return]

    @property
    def manifest(self) -> Manifest:
        """What the index being served holds and what it left out (/api/sources, the dashboard)."""
        return self.bot.kb.manifest

    @property
    def pairs(self) -> list[FaqPair]:
        """The approved Q&A pairs being served."""
        return list(self.bot.faq.pairs)

    @property
    def tokenizer(self) -> Tokenizer:
        """The served index's tokenizer (the insights recorder keeps the words of a question)."""
        return self.bot.kb.tokenizer

    def probe(self) -> tuple[str, int]:
        """Search once on the index being served: its version and number of chunks, or whatever keeps it
        from answering (readiness). One Bot throughout: an index switch cannot mix two versions."""
        bot = self.bot
        bot.retriever.search("科普", 1)
        return bot.kb.version, len(bot.kb.chunks)

    def question_vector(self, text: str) -> np.ndarray:
        """The query vector of a question (the retriever's cache: a question asked lately is in it)."""
        return self.bot.retriever.query_vector(text)

    def nearest(self, question: str) -> Nearest:
        bot = self.bot
        q = bot.people(question)
        hits = bot.retriever.search(q, NEAREST_HITS).hits
        unknown = [c.word for c in bot.concepts(q) if not c.weak and not any(bot.known(a) for a in c.aliases)]
        if not hits:
            return Nearest(None, "", None, None, unknown)
        c = hits[0].chunk
        return Nearest(c.kind, c.title, c.item, hits[0].dense_score, unknown)

    def trial(self, question: str, pairs: list[FaqPair]) -> tuple[Answer, Answer]:
        """How ``question`` is answered now, and how it would be with ``pairs`` as the Q&A pairs (试一试:
        the serving bot is not changed)."""
        bot = self.bot
        return bot.answer(question), bot.trial(pairs).answer(question)
