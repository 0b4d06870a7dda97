"""Decide what kind of question this is, from the normalised text and the plan index alone."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kepu.kb.plan_index import PlanChoice, PlanIndex, title_cores
from kepu.kb.types import ALL_MEMBERS, PlanDoc, PlanSection
from kepu.kb.units import Unit
from kepu.text import item_refs, strip_punct

# Asking who is responsible, or what someone is responsible for.
RESPONSIBILITY_RE = re.compile(
    r"负责|牵头|承担|分工|职责|任务|工作|哪些单位|哪个单位|哪些部门|哪个部门|什么单位|什么部门|谁|主管|参与|涉及|管哪|管什么|管啥|管不管|管没管|干什么|做什么|干啥|干嘛|做啥|要做|要干|哪几条|哪些条|有哪些|有什么|哪些事|什么事|啥事|职能|分到|安排|搞|啥子|有活|活儿|事情|事儿|角色|作用|出力|责任|干些|做些"
)
WHO_RE = re.compile(r"谁|哪些单位|哪个单位|哪些部门|哪个部门|什么单位|什么部门|哪家|负责单位|牵头|由哪|主管")
# Counting the plan's own things (items, parts, sections, units), not prices or blood pressure.
COUNT_RE = re.compile(
    r"(多少|(?<!哪)几)\s*(个|家|大)?\s*(条|项|部分|小节|节|单位|部门|工程|行动|板块|方面)|(多少|(?<!哪)几)\s*个?[^，。？?]{0,4}(单位|部门)|条目(数|数量)|总数|一共.{0,4}(条|项)"
)
# Asking which unit leads (牵头): the first unit an item lists.
LEAD_RE = re.compile(r"牵头|带头|领头|挑头|打头|主导|主责|主办")
# "公安局管科普不": a yes/no question about what a unit the plan does not list takes part in.
ABSENT_DUTY_RE = re.compile(r"管|负责|参与|参加|牵头|承担")
TOGETHER_RE = re.compile(r"共同|一起|都负责|同时|联合|一块|都参与|都有")
SECTION_WORD_RE = re.compile(r"部分|板块|章节|小节|一节|大项|行动|工程|那块|这块|那一块|这一块")
LIST_RE = re.compile(
    r"有哪些|包括|包含|内容|讲了|讲的|讲什么|说了|哪几条|哪些条|什么工作|哪些工作|有什么|是什么|都有"
)
DOC_FACT_RE = re.compile(
    r"发布|发的|编号|日期|哪天|什么时候|何时|哪一年|标题|名称|叫什么|全称|主送|发给|谁写"
)
# "文件里有没有说要定期发布科学谣言榜" asks what the plan's items say, not about the document itself.
CONTENT_ASK_RE = re.compile(r"有没有(说|提|讲|写|要求)|是否(说|提|讲|写|要求)|有没有.{0,6}(要求|安排|部署)")
ALONE_RE = re.compile(r"单独|独立|独自|只有|仅由|只由|单一")
RANKING_RE = re.compile(r"最多|最少|排名|排行|前几|哪个.{0,4}多")
UNIT_WORD_RE = re.compile(r"单位|部门|部委|机构")
STRONG_DOC_RE = re.compile(
    r"转发|印发|文号|发文|落款|主送|发给|字号|发布单位|哪个单位发|谁发|谁印发|谁制定|谁出台|哪个单位出台"
)
DOC_WORD_RE = re.compile(r"这个文件|这份文件|本文件|该文件|文件|工作要点|这个要点|通知|原文")
PLAN_WORD_RE = re.compile(r"工作要点|要点|计划|方案|纲要|规划|文件|通知")
# "哪些条目提到了留守儿童" / "涉及防灾减灾的有哪几条" / "科普中国e站是哪一条": every item that mentions X.
_MENTION_VERB = r"(?:提到|提及|涉及|关于|说到|讲到|包含|包括|有关|跟|和)"
MENTION_RES = (
    re.compile(
        rf"(?:哪些|哪几|几)(?:条|条目|项|内容|工作)?(?:里|中)?{_MENTION_VERB}了?(.{{2,20}}?)(?:的(?:内容|工作|事)?)?(?:有关|相关)?[?？。!！]*$"
    ),
    re.compile(
        rf"{_MENTION_VERB}了?(.{{2,20}}?)(?:有关|相关)?的(?:条目|内容|工作)?(?:有|是|共)?(?:哪些|哪几|多少|几)(?:条|项|个)?"
    ),
    re.compile(r"^(.{2,20}?)(?:是|在)(?:哪一条|哪条|第几条|哪几条)"),
)
DOC_NUMBER_RE = re.compile(r"[\u4e00-\u9fa5]{2,}[〔\[［【(（]\d{4}[〕\]］】)）]\d+号")
OVERVIEW_RE = re.compile(r"主要内容|讲了什么|讲的什么|讲了啥|有哪些内容|总体|概括|大概内容|框架|结构")
COMPARE_RE = re.compile(r"变化|区别|不同|对比|比较|相比|异同|差别|有啥变|哪些变")


# What route() can decide. Every kind but "free" has its handler in kepu/answering/structured (HANDLERS);
# a free question goes through retrieval and the answerability gate (Bot._free).
KINDS = (
    "item", "mentions", "members", "count", "section", "doc", "year_missing",
    "unit", "unit_count", "unit_alone", "unit_absent", "ranking", "unit_total",
    "compare", "responsibility", "free",
)  # fmt: skip


@dataclass
class Route:
    kind: str  # one of KINDS
    plan: PlanDoc | None
    items: list[int] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    section: PlanSection | None = None
    part: int | None = None
    programmes: list[str] = field(default_factory=list)
    asks_who: bool = False
    together: bool = False
    year: int | None = None
    plans: list[PlanDoc] = field(default_factory=list)  # compare: the plans named, oldest first
    keyword: str | None = None  # mentions: the words the listed items contain
    explicit: bool = False  # the question named its plan (year, region, issuer)
    lead: bool = False  # asks which unit leads (牵头), or what a unit leads


def _mentioned(q: str, plan: PlanDoc) -> tuple[str, list[int]] | None:
    """The keyword and the items whose text contains it, for "which items mention X" questions."""
    for pattern in MENTION_RES:
        m = pattern.search(q)
        if not m:
            continue
        keyword = re.sub(r"^(工作要点|要点|文件)(里|中)?|[“”\"'「」《》]", "", m.group(1)).strip("的了 ")
        if len(keyword) < 2:
            continue
        numbers = [it.number for it in plan.items if keyword in it.body]
        if numbers:
            return keyword, numbers
    return None


def _without_units(q: str, units: list[Unit]) -> str:
    """The question with every name of the units removed (what it asks of them)."""
    for unit in units:
        for name in unit.names():
            q = q.replace(name, "")
    return q


def _only_lists(q: str, section: PlanSection | None, part: int | None, plan: PlanDoc) -> bool:
    """True when the question is just a title (or its core) plus a request to list: "青少年有哪些工作"."""
    if not LIST_RE.search(q):
        return False
    title = section.title if section else next(p.title for p in plan.parts if p.number == part)
    rest = q
    for core in sorted([*title_cores(title), title], key=len, reverse=True):
        rest = rest.replace(core, "")
    rest = LIST_RE.sub("", rest)
    rest = re.sub(r"哪几条|哪些|什么|工作|条目|内容|呢|吗|啊|的|了|[?？!！。，,\s]", "", rest)
    return len(rest) <= 2


def route(question: str, index: PlanIndex) -> Route:
    choice = index.select(question)
    result = _route(question, index, choice)
    result.explicit = result.explicit or choice.explicit
    return result


def _route(question: str, index: PlanIndex, choice: PlanChoice) -> Route:
    plan = choice.plan
    if plan is None:
        return Route("free", None)
    q = question
    # A plan year the knowledge base does not hold: say so instead of answering from another year.
    if choice.missing_years and (PLAN_WORD_RE.search(q) or COMPARE_RE.search(q)):
        return Route("year_missing", plan, year=choice.missing_years[0])
    if len(choice.plans) >= 2 and COMPARE_RE.search(q):
        units = [u for p in choice.plans for u in index.directory(p).find(q)]
        return Route(
            "compare", plan, units=list(dict.fromkeys(units)), plans=list(choice.plans), explicit=True
        )

    programmes = index.programmes_in(q)
    refs = item_refs(q)
    if (STRONG_DOC_RE.search(q) or DOC_NUMBER_RE.search(q)) and not programmes and not refs:
        return Route("doc", plan)
    items = [n for n in refs if plan.item(n) is not None]
    bad_items = [n for n in refs if plan.item(n) is None]
    asks_who = bool(WHO_RE.search(q))
    lead = bool(LEAD_RE.search(q))
    if items:
        return Route("item", plan, items=items, asks_who=asks_who, lead=lead)
    if bad_items:
        return Route("item", plan, items=bad_items, asks_who=asks_who, lead=lead)

    mention = _mentioned(q, plan)
    if mention is not None:
        keyword, numbers = mention
        return Route("mentions", plan, items=numbers, keyword=keyword, asks_who=bool(COUNT_RE.search(q)))

    units = index.directory(plan).find(q)
    section, part = index.find_section(plan, q)
    counting = bool(COUNT_RE.search(q))
    if ALL_MEMBERS in q:
        return Route("members", plan, asks_who=counting)
    rest = _without_units(q, units)
    if units and counting:
        return Route("unit_count", plan, units=units)
    if units and (RESPONSIBILITY_RE.search(rest) or len(strip_punct(rest)) <= 2):
        if ALONE_RE.search(rest) and len(units) == 1:
            return Route("unit_alone", plan, units=units)
        together = bool(TOGETHER_RE.search(q))
        return Route(
            "unit",
            plan,
            units=units,
            together=together,
            section=section,
            part=part,
            lead=lead and not together,
        )
    if not units and not section and part is None:
        # a unit units.yaml knows but this plan does not name (公安部负责哪些工作): say so, not a refusal
        absent = index.absent_units(plan, q)
        if absent:
            rest = _without_units(q, absent)
            if RESPONSIBILITY_RE.search(rest) or ABSENT_DUTY_RE.search(rest) or len(strip_punct(rest)) <= 2:
                return Route("unit_absent", plan, units=absent)

    if RANKING_RE.search(q) and UNIT_WORD_RE.search(q):
        return Route("ranking", plan)
    if counting:
        if UNIT_WORD_RE.search(q) and section is None and part is None:
            return Route("unit_total", plan)
        return Route("count", plan, section=section, part=part)
    if OVERVIEW_RE.search(q) and section is None and part is None and not units:
        return Route("count", plan)  # the outline: parts, sections and how many items each
    if (section is not None or part is not None) and (
        SECTION_WORD_RE.search(q) or _only_lists(q, section, part, plan)
    ):
        return Route("section", plan, section=section, part=part)
    rest = q
    for name in programmes:  # “最美科技工作者” does not ask who is responsible
        rest = rest.replace(name, "")
    if WHO_RE.search(rest):
        return Route("responsibility", plan, programmes=programmes, asks_who=True)
    if DOC_FACT_RE.search(q) and DOC_WORD_RE.search(q) and not CONTENT_ASK_RE.search(q):
        return Route("doc", plan)
    return Route("free", plan, programmes=programmes)
