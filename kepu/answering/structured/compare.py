"""Questions comparing two years' plans: 2021年比2020年多了哪些工作, 教育部两年的分工有什么变化."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kepu.answering import compose
from kepu.answering.answer import Answer
from kepu.answering.compose import plan_label, short
from kepu.answering.structured.base import Question
from kepu.kb.types import PlanDoc, PlanItem

if TYPE_CHECKING:
    from kepu.answering.bot import Bot


def compare(bot: Bot, question: Question) -> Answer:
    r = question.route
    old, new = r.plans[0], r.plans[-1]
    if r.units:
        one = r.units[0]

        def pick(p: PlanDoc) -> list[PlanItem]:
            return [it for it in p.items if one.name in it.units]

        subject = f"{one.public()}负责的条目"
    else:

        def pick(p: PlanDoc) -> list[PlanItem]:
            return list(p.items)

        subject = "全部条目"
    before, after = pick(old), pick(new)
    kept, added, dropped = compare_items(before, after)
    text = compare_text(old, new, subject, kept, added, dropped)
    cites = [compose.item_citation(old, it) for it in before] + [
        compose.item_citation(new, it) for it in after
    ]
    return Answer(question.raw, text, "structured", cites, route="compare")


# --- text ---------------------------------------------------------------------------------------


# Two items are "the same work" across years when their texts share at least this much
# (difflib ratio); measured on the 2020/2021 test plans, where reworded items score 0.5-0.9.
SAME_ITEM_RATIO = 0.45


def compare_items(
    before: list[PlanItem], after: list[PlanItem]
) -> tuple[list[tuple[PlanItem, PlanItem]], list[PlanItem], list[PlanItem]]:
    """Pairs that stayed (best match above SAME_ITEM_RATIO), items added, items dropped."""
    import difflib

    kept: list[tuple[PlanItem, PlanItem]] = []
    unmatched = list(after)
    dropped: list[PlanItem] = []
    for old in before:
        scored = [(difflib.SequenceMatcher(None, old.body, new.body).ratio(), new) for new in unmatched]
        best = max(scored, key=lambda s: s[0], default=None)
        if best and best[0] >= SAME_ITEM_RATIO:
            kept.append((old, best[1]))
            unmatched.remove(best[1])
        else:
            dropped.append(old)
    return kept, unmatched, dropped


def compare_text(
    old: PlanDoc,
    new: PlanDoc,
    subject: str,
    kept: list[tuple[PlanItem, PlanItem]],
    added: list[PlanItem],
    dropped: list[PlanItem],
) -> str:
    lines = [f"{plan_label(old)}与{plan_label(new)}中{subject}的对比："]
    lines.append(f"新增（{new.year}年有、{old.year}年没有）{len(added)}条：")
    lines += [f"  {new.year}年第{it.number}条：{short(it.body)}" for it in added] or ["  无"]
    lines.append(f"不再列出（{old.year}年有、{new.year}年没有）{len(dropped)}条：")
    lines += [f"  {old.year}年第{it.number}条：{short(it.body)}" for it in dropped] or ["  无"]
    lines.append(f"延续{len(kept)}条：")
    lines += [
        f"  {old.year}年第{a.number}条 → {new.year}年第{b.number}条：{short(b.body)}" for a, b in kept
    ] or ["  无"]
    return "\n".join(lines)
