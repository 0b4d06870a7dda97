"""What a handler of a structured answer gets (the Question) and gives (an Answer citing plan items)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kepu.answering import compose
from kepu.answering.answer import Answer
from kepu.answering.route import Route
from kepu.kb.types import PlanDoc, PlanItem

if TYPE_CHECKING:
    from kepu.answering.bot import Bot

# Words that name the plan itself ("工作" of 工作要点): never the subject of a question about its work.
PLAN_WORDS = frozenset({"工作", "要点", "工作要点", "文件", "计划"})


@dataclass(frozen=True)
class Question:
    raw: str  # as asked: the Answer's question
    q: str  # normalised, in the library's words (Bot.people)
    route: Route
    plan: PlanDoc  # the plan it is about


Handler = Callable[["Bot", Question], Answer]


def structured(raw: str, route_name: str, text: str, plan: PlanDoc, items: list[PlanItem]) -> Answer:
    """An exact answer citing each item it lists."""
    cites = [compose.item_citation(plan, it) for it in items]
    return Answer(raw, text, "structured", cites, route=route_name)


def whole_plan(raw: str, route_name: str, text: str, plan: PlanDoc) -> Answer:
    """An exact answer about the whole plan: it cites the document, not every item."""
    return Answer(raw, text, "structured", [compose.doc_citation(plan, text)], route=route_name)


def refusal(raw: str, route_name: str, text: str) -> Answer:
    return Answer(raw, text, "refusal", [], route=route_name)


def scope_title(plan: PlanDoc, r: Route) -> str:
    """The title of the section or part a question is limited to."""
    return r.section.title if r.section else next(p.title for p in plan.parts if p.number == r.part)


def items_numbered(plan: PlanDoc, numbers: Iterable[int]) -> list[PlanItem]:
    """The items of ``plan`` with these numbers, in their order; numbers it lacks are left out."""
    return [it for n in numbers if (it := plan.item(n)) is not None]


def scope_items(plan: PlanDoc, r: Route) -> list[PlanItem]:
    """The items of the section or part a question is limited to."""
    numbers = r.section.items if r.section else next(p.items for p in plan.parts if p.number == r.part)
    return items_numbered(plan, numbers)
