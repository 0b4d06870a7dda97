"""Questions about units: 教育部负责哪些工作, 牵头的, 几条, 单独负责的, 谁负责得最多, 不在名单上的单位."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from kepu.answering import compose
from kepu.answering.answer import Answer
from kepu.answering.compose import plan_label, short, unit_list
from kepu.answering.structured.base import Question, refusal, scope_items, scope_title, structured, whole_plan
from kepu.kb.plan_index import PlanIndex
from kepu.kb.types import ALL_MEMBERS, PlanDoc, PlanItem
from kepu.kb.units import Unit

if TYPE_CHECKING:
    from kepu.answering.bot import Bot


def unit(bot: Bot, question: Question) -> Answer:
    """The items of one or more units (route kinds unit and unit_count), or of units together."""
    r, plan, index = question.route, question.plan, bot.index
    blocks: list[str] = []
    cited: list[PlanItem] = []
    if r.together and len(r.units) > 1:
        names = [u.name for u in r.units]
        both = [it for it in plan.items if all(n in it.units for n in names)]
        label = "、".join(u.public() for u in r.units)
        lines = []
        if both:
            lines.append(f"{label}在{plan_label(plan)}中共同列为负责单位的共{len(both)}条：")
            lines += [f"  第{it.number}条：{short(it.body)}" for it in both]
        else:
            lines.append(f"{plan_label(plan)}中没有同时列出{label}的条目。")
        members = compose.members_only(list(plan.items))
        if members:
            refs = "、".join(str(i.number) for i in members)
            lines.append(f"另有{len(members)}条由各成员单位共同负责：第{refs}条。")
        blocks.append("\n".join(lines))  # one block: no blank line between the items
        cited = both + members
    else:
        scope = {it.number for it in scope_items(plan, r)} if (r.section or r.part) else None
        if scope is not None:
            blocks.append(f"（范围：{scope_title(plan, r)}）")
        for one in r.units:
            ui = index.items_for_unit(plan, one)
            named, members = list(ui.items), list(ui.all_member_items)
            if scope is not None:
                named = [it for it in named if it.number in scope]
                members = [it for it in members if it.number in scope]
            if r.kind == "unit_count":
                blocks.append(unit_count_text(plan, one, named, members))
            elif r.lead:  # the items it leads and takes part in; the all-member ones are not listed
                blocks.append(unit_lead_text(plan, one, named, index))
                members = []
            else:
                blocks.append(unit_items_text(plan, one, named, members, index))
            cited += [it for it in named + members if it not in cited]
    cited.sort(key=lambda it: it.number)
    return structured(question.raw, r.kind, "\n\n".join(blocks), plan, cited)


def unit_alone(bot: Bot, question: Question) -> Answer:
    plan, one = question.plan, question.route.units[0]
    alone = [it for it in plan.items if it.units == (one.name,)]
    return structured(question.raw, "unit_alone", unit_alone_text(plan, one, alone), plan, alone)


def unit_absent(bot: Bot, question: Question) -> Answer:
    plan, one = question.plan, question.route.units[0]
    near = bot.index.near_units(plan, one.name)
    return refusal(question.raw, "unit_absent", unit_absent_text(plan, one, near))


def ranking(bot: Bot, question: Question) -> Answer:
    plan = question.plan
    return whole_plan(question.raw, "ranking", ranking_text(plan, unit_counts(plan)), plan)


def unit_total(bot: Bot, question: Question) -> Answer:
    plan = question.plan
    return whole_plan(question.raw, "unit_total", unit_total_text(plan, unit_counts(plan)), plan)


def unit_counts(plan: PlanDoc) -> list[tuple[str, int]]:
    """(unit, items it is listed on), most first; ties in the order the plan first lists them."""
    counts: dict[str, int] = {}
    for item in plan.items:
        for name in item.units:
            if name != ALL_MEMBERS:
                counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], list(counts).index(kv[0])))


# --- text ---------------------------------------------------------------------------------------


def group_by_part(items: Iterable[PlanItem]) -> list[tuple[str, list[PlanItem]]]:
    groups: dict[str, list[PlanItem]] = {}
    for item in items:
        groups.setdefault(item.part or "（未分部分）", []).append(item)
    return list(groups.items())


LEAD_NOTE = "（牵头、参与按工作要点的列名顺序认定：每条列出的第一个单位牵头，其余单位参与。）"


def role_note(item: PlanItem, unit: Unit, index: PlanIndex) -> str:
    """How ``unit`` takes part in ``item``, in brackets: 单独负责, 牵头 with who takes part, or 参与 with who
    leads (the first unit listed) and who else takes part."""
    role = item.role(unit.name)
    if role == "单独负责":
        return "（单独负责）"
    others = [u for u in item.units if u != unit.name]
    if role == "牵头":
        return f"（牵头；参与：{unit_list(others, index)}）"
    lead = unit_list([others[0]], index)
    rest = others[1:]
    return f"（参与；牵头：{lead}" + (f"；其他参与：{unit_list(rest, index)}）" if rest else "）")


def unit_items_text(
    plan: PlanDoc, unit: Unit, named: list[PlanItem], members: list[PlanItem], index: PlanIndex
) -> str:
    lines = [f"{unit.public()}在{plan_label(plan)}中列为负责单位的共{len(named)}条：" if named else ""]
    if not named:
        lines = [f"{plan_label(plan)}中没有单独列出{unit.public()}负责的条目。"]
    for part, items in group_by_part(named):
        lines.append(part)
        for item in items:
            lines.append(f"  第{item.number}条：{short(item.body)}{role_note(item, unit, index)}")
    if members:
        refs = "、".join(str(i.number) for i in members)
        lines.append(f"另有{len(members)}条由各成员单位共同负责（含{unit.public()}）：第{refs}条。")
    if any(len(it.units) > 1 for it in named):
        lines.append(LEAD_NOTE)
    return "\n".join(lines)


def unit_lead_text(plan: PlanDoc, unit: Unit, named: list[PlanItem], index: PlanIndex) -> str:
    """ "X牵头的工作有哪些": the items X leads (listed first, or alone), then the ones it only takes part in."""
    leads = [it for it in named if it.role(unit.name) in ("牵头", "单独负责")]
    joins = [it for it in named if it.role(unit.name) == "参与"]
    if leads:
        lines = [f"{unit.public()}在{plan_label(plan)}中牵头的共{len(leads)}条：", LEAD_NOTE]
        lines += [f"  第{it.number}条：{short(it.body)}{role_note(it, unit, index)}" for it in leads]
    else:
        lines = [f"{plan_label(plan)}中没有由{unit.public()}牵头的条目。", LEAD_NOTE]
    if joins:
        refs = "、".join(str(it.number) for it in joins)
        lines.append(f"{unit.public()}参与（不牵头）的共{len(joins)}条：第{refs}条。")
    return "\n".join(lines)


def unit_count_text(plan: PlanDoc, unit: Unit, named: list[PlanItem], members: list[PlanItem]) -> str:
    refs = "、".join(str(i.number) for i in named)
    text = f"{unit.public()}在{plan_label(plan)}中列为负责单位的共{len(named)}条"
    text += f"：第{refs}条。" if named else "。"
    if members:
        text += (
            f"另有{len(members)}条由各成员单位共同负责（第{'、'.join(str(i.number) for i in members)}条）。"
        )
    return text


def unit_alone_text(plan: PlanDoc, unit: Unit, items: list[PlanItem]) -> str:
    if not items:
        return f"{plan_label(plan)}中没有由{unit.public()}单独负责的条目；它参与的条目都有其他单位共同负责。"
    lines = [f"{plan_label(plan)}中由{unit.public()}单独负责的共{len(items)}条："]
    lines += [f"  第{it.number}条：{short(it.body)}" for it in items]
    return "\n".join(lines)


def unit_absent_text(plan: PlanDoc, unit: Unit, near: list[Unit]) -> str:
    """A unit units.yaml knows that this plan does not list."""
    text = f"{unit.public()}不是{plan_label(plan)}列出的负责单位，工作要点中没有写到它负责的工作。"
    if near:
        names = "、".join(u.public() for u in near)
        text += f"名称相近的负责单位有：{names}，可以问“{near[0].public()}负责哪些工作？”。"
    return text


def ranking_text(plan: PlanDoc, counts: list[tuple[str, int]]) -> str:
    top = counts[0][1] if counts else 0
    lines = [f"{plan_label(plan)}中列名负责的条目数（不含由各成员单位共同负责的条目）："]
    lines += [f"  {name}：{n}条" for name, n in counts]
    leaders = "、".join(name for name, n in counts if n == top)
    lines.insert(1, f"负责条目最多的是{leaders}（{top}条）。")
    return "\n".join(lines)


def unit_total_text(plan: PlanDoc, counts: list[tuple[str, int]]) -> str:
    names = "、".join(name for name, _n in counts)
    return f"{plan_label(plan)}各条目共列出{len(counts)}个负责单位（另有条目由各成员单位共同负责）：{names}。"
