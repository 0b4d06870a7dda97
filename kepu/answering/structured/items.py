"""Questions about items, sections and the document: 第N条, 提到X的条目, 第二部分有几条, 谁印发的."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kepu.answering import compose
from kepu.answering.answer import Answer
from kepu.answering.compose import plan_label, responsible_line, short, unit_list
from kepu.answering.structured.base import (
    Question,
    items_numbered,
    refusal,
    scope_items,
    scope_title,
    structured,
    whole_plan,
)
from kepu.answering.structured.units import LEAD_NOTE
from kepu.kb.plan_index import PlanIndex
from kepu.kb.types import PlanDoc, PlanItem

if TYPE_CHECKING:
    from kepu.answering.bot import Bot


def item(bot: Bot, question: Question) -> Answer:
    r, plan = question.route, question.plan
    found = items_numbered(plan, r.items)
    if not found:
        return refusal(question.raw, "item_missing", missing_items_answer(plan, r.items))
    if r.lead:
        return structured(question.raw, "item", item_lead_text(plan, found, bot.index), plan, found)
    text = item_answer(plan, found, bot.index, r.asks_who)
    return structured(question.raw, "item", text, plan, found)


def mentions(bot: Bot, question: Question) -> Answer:
    r, plan = question.route, question.plan
    found = items_numbered(plan, r.items)
    text = mentions_text(plan, r.keyword or "", found, bot.index, counting=r.asks_who)
    return structured(question.raw, "mentions", text, plan, found)


def members(bot: Bot, question: Question) -> Answer:
    plan = question.plan
    shared = compose.members_only(list(plan.items))
    return structured(question.raw, "members", members_text(plan, shared), plan, shared)


def count(bot: Bot, question: Question) -> Answer:
    r, plan = question.route, question.plan
    text = count_text(plan, r.part, r.section.title if r.section else None)
    if r.section is None and r.part is None:  # the whole plan: cite the document, not 42 items
        return whole_plan(question.raw, "count", text, plan)
    return structured(question.raw, "count", text, plan, scope_items(plan, question.route))


def section(bot: Bot, question: Question) -> Answer:
    r, plan = question.route, question.plan
    found = scope_items(plan, r)
    text = section_text(plan, scope_title(plan, r), found, bot.index)
    return structured(question.raw, "section", text, plan, found)


def doc(bot: Bot, question: Question) -> Answer:
    return whole_plan(question.raw, "doc", doc_facts_text(question.plan), question.plan)


def year_missing(bot: Bot, question: Question) -> Answer:
    years = "、".join(str(y) for y in sorted(bot.index.years()))
    text = f"知识库中没有{question.route.year}年的工作要点，目前只收录了{years}年的。{compose.HELP_TEXT}"
    return refusal(question.raw, "year_missing", text)


# --- text ---------------------------------------------------------------------------------------


def item_answer(plan: PlanDoc, items: list[PlanItem], index: PlanIndex, asks_who: bool) -> str:
    lines = []
    for item in items:
        who = responsible_line(item, index)
        count = "" if item.all_members else f"（共{len(item.units)}个）"
        if asks_who:
            lines.append(f"{plan_label(plan)}第{item.number}条的负责单位{count}：{who}。")
            lines.append(f"该条内容：{item.body}")
        else:
            where = " ".join(h for h in (item.part, item.section) if h)
            lines.append(f"{plan_label(plan)}第{item.number}条（{where}）：{item.body}")
            lines.append(f"负责单位{count}：{who}。")
    return "\n".join(lines)


def missing_items_answer(plan: PlanDoc, numbers: list[int]) -> str:
    first, last = plan.items[0].number, plan.items[-1].number
    refs = "、".join(f"第{n}条" for n in numbers)
    return (
        f"{plan_label(plan)}共{len(plan.items)}条（第{first}—{last}条），没有{refs}。请确认条目编号后再问。"
    )


def item_lead_text(plan: PlanDoc, items: list[PlanItem], index: PlanIndex) -> str:
    """ "第N条由谁牵头": the first unit listed, and who takes part."""
    lines = []
    for item in items:
        if item.all_members:
            lines.append(f"{plan_label(plan)}第{item.number}条由各成员单位共同负责，没有列出牵头单位。")
        elif len(item.units) == 1:
            lines.append(f"{plan_label(plan)}第{item.number}条由{unit_list(item.units, index)}单独负责。")
        else:
            lines.append(
                f"{plan_label(plan)}第{item.number}条由{unit_list(item.units[:1], index)}牵头，"
                f"参与单位：{unit_list(item.units[1:], index)}。"
            )
        lines.append(f"该条内容：{item.body}")
    if any(len(it.units) > 1 and not it.all_members for it in items):
        lines.append(LEAD_NOTE)
    return "\n".join(lines)


def mentions_text(
    plan: PlanDoc, keyword: str, items: list[PlanItem], index: PlanIndex, counting: bool
) -> str:
    refs = "、".join(str(it.number) for it in items)
    lines = [
        f"{plan_label(plan)}中提到“{keyword}”的共{len(items)}条" + (f"：第{refs}条。" if counting else "：")
    ]
    if not counting:
        lines += [
            f"  第{it.number}条：{short(it.body)}（负责：{responsible_line(it, index)}）" for it in items
        ]
    return "\n".join(lines)


def members_text(plan: PlanDoc, items: list[PlanItem]) -> str:
    lines = [f"{plan_label(plan)}中由各成员单位共同负责的共{len(items)}条："]
    lines += [f"  第{it.number}条：{short(it.body)}" for it in items]
    return "\n".join(lines)


def section_text(plan: PlanDoc, title: str, items: list[PlanItem], index: PlanIndex) -> str:
    refs = f"第{items[0].number}—{items[-1].number}条" if len(items) > 1 else f"第{items[0].number}条"
    lines = [f"{plan_label(plan)}“{title}”共{len(items)}条（{refs}）："]
    for item in items:
        lines.append(f"  第{item.number}条：{short(item.body)}（负责：{responsible_line(item, index)}）")
    return "\n".join(lines)


def count_text(plan: PlanDoc, part_no: int | None, section_title: str | None) -> str:
    n_sections = sum(len(p.sections) for p in plan.parts)
    if section_title is not None:
        sec = next(s for p in plan.parts for s in p.sections if s.title == section_title)
        return (
            f"{plan_label(plan)}“{sec.title}”共{len(sec.items)}条（第{'、'.join(map(str, sec.items))}条）。"
        )
    if part_no is not None:
        part = next(p for p in plan.parts if p.number == part_no)
        text = f"{plan_label(plan)}第{part.number}部分“{part.title}”共{len(part.items)}条"
        if part.sections:
            text += f"，分{len(part.sections)}个小节：" + "；".join(
                f"{s.title}（{len(s.items)}条）" for s in part.sections
            )
        else:
            text += "，不分小节"
        return text + "。"
    parts = "；".join(f"{p.title}（{len(p.items)}条）" for p in plan.parts)
    return (
        f"{plan_label(plan)}共{len(plan.items)}条，分{len(plan.parts)}个部分、{n_sections}个小节：{parts}。"
    )


def doc_facts_text(plan: PlanDoc) -> str:
    lines = [f"文件标题：{plan_label(plan)}"]
    if plan.issuer:
        lines.append(f"印发单位：{plan.issuer}" + (f"，文号：{plan.doc_number}" if plan.doc_number else ""))
    elif plan.doc_number:
        lines.append(f"文号：{plan.doc_number}")
    if plan.forwarder:
        lines.append(
            f"转发单位：{plan.forwarder}" + (f"，转发日期：{plan.forward_date}" if plan.forward_date else "")
        )
    if plan.forward_title:
        lines.append(f"转发通知标题：{plan.forward_title}")
    if plan.recipients:
        lines.append(f"主送：{plan.recipients}")
    request = re.search(r"请[^。；]*[。；]?", plan.notice or "")
    if request:
        lines.append(f"转发要求：{request.group(0).strip()}")
    n_sections = sum(len(p.sections) for p in plan.parts)
    lines.append(f"内容：共{len(plan.parts)}个部分、{n_sections}个小节、{len(plan.items)}条工作要点。")
    return "\n".join(lines)
