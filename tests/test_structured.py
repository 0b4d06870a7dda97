"""Structured answers are dispatched by route kind through one table (kepu/answering/structured)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kepu.answering import structured
from kepu.answering.answer import Answer
from kepu.answering.route import KINDS
from kepu.answering.structured.base import Question
from tests.conftest import use_fake_embedder

use_fake_embedder(globals())
pytestmark = pytest.mark.unit

ROUTE_SOURCE = Path(structured.__file__).parents[1] / "route.py"


def test_every_kind_route_decides_has_one_handler() -> None:
    decided = set(re.findall(r'Route\(\s*"([a-z_]+)"', ROUTE_SOURCE.read_text(encoding="utf-8")))
    assert decided == set(KINDS), decided ^ set(KINDS)
    assert set(structured.HANDLERS) == set(KINDS) - {"free"}


def test_the_table_is_what_answers(bot, monkeypatch) -> None:
    # a kind's answer comes from its row: replacing the row replaces the answer
    before = bot.answer("工作要点是哪个单位印发的？")
    assert before.route == "doc" and before.mode == "structured"

    def doc(b, question: Question) -> Answer:
        return Answer(question.raw, f"《{question.plan.title}》", "structured", [], route="doc")

    monkeypatch.setattr(bot, "answers", None)
    monkeypatch.setitem(structured.HANDLERS, "doc", doc)
    after = bot.answer("工作要点是哪个单位印发的？")
    assert after.answer.startswith("《") and after.answer != before.answer and after.citations == []
