"""The plan index: items, parts, sections, units and named programmes of every loaded plan."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from kepu.kb.types import ALL_MEMBERS, PlanDoc, PlanItem, PlanSection
from kepu.kb.units import Unit, UnitDirectory

# Named programmes and activities: “科学辟谣平台”, 《纲要》 … (quoted names in the item text).
# An issuing office as the document writes it: "国家纲要办（全民科学素质纲要实施工作办公室）" is two names.
_OFFICE_SPLIT_RE = re.compile(r"[（）()、，,]")
_QUOTED_RE = re.compile(r"[“\"]([^“”\"]{2,30})[”\"]|《([^《》]{2,40})》")


# Named events a plan lists without quotes ("统筹开展5·30科技工作者日、全国科普日、科技活动周、中科院科学节…等科普
# 活动"): the elements of an enumeration (、) that end like the name of a day, week, festival, month, camp,
# contest, tour or station. The first element loses the verb phrase before it, the last what follows 等.
_EVENT_SUFFIX_RE = re.compile(r"(日|周|节|月|营|赛|行|站)$")
_EVENT_LEAD_RE = re.compile(r"^.*(开展|举办|实施|组织|推动|推进|用好|依托|建设)")
_EVENT_DATE_RE = re.compile(r"^[\d·.]+")  # "5·30科技工作者日" is also asked as "科技工作者日"
# Shorter than this, an element is a word (周, 赛), not a name.
MIN_EVENT_LEN = 3
MAX_EVENT_LEN = 14


def event_names(body: str) -> list[str]:
    """The named events an item lists in an enumeration (see _EVENT_SUFFIX_RE), in order."""
    out: list[str] = []
    for clause in re.split(r"[，。；：（）()\n]", body):
        parts = clause.split("、")
        if len(parts) < 2:
            continue
        for i, part in enumerate(parts):
            name = re.sub(r"等.*$", "", part)
            if i == 0:
                name = _EVENT_LEAD_RE.sub("", name)
            name = name.replace("“", "").replace("”", "").replace('"', "").strip()
            if MIN_EVENT_LEN <= len(name) <= MAX_EVENT_LEN and _EVENT_SUFFIX_RE.search(name):
                for n in dict.fromkeys((name, _EVENT_DATE_RE.sub("", name))):
                    if len(n) >= MIN_EVENT_LEN and n not in out:
                        out.append(n)
    return out


# A question names a section or part when it contains one of the title's phrases, or at least this
# share of a phrase's character pairs ("编制面向2035年规划纲要" for "编制面向2035年的全民科学素质规划纲要").
# 0.7 was the lowest value that mapped no free question of eval/ to a section by accident.
TITLE_MATCH = 0.7
_LEAD_RE = re.compile(r"^(实施|深入|大力|加强|推动|着力|持续|全面|深化)")
_NUMERAL_RE = re.compile(r"^(?:[（(][一二三四五六七八九十]+[）)]|[一二三四五六七八九十]+、)\s*")


# What a section title is about, once its generic wording is dropped: "实施青少年科学素质行动" is about
# 青少年, "实施科普信息化工程" about 科普信息化. A question naming that core names the section.
_GENERIC_TAIL_RE = re.compile(r"(科学素质行动|素质行动|行动|建设工程|工程)$")


def title_cores(title: str) -> list[str]:
    core = _LEAD_RE.sub("", _NUMERAL_RE.sub("", title).strip())
    if "，" in core or "," in core:
        return []  # a part heading or long section title: matched by its phrases instead
    core = _GENERIC_TAIL_RE.sub("", core)
    pieces = [p for p in re.split(r"[和与及]", core) if len(p) >= 2]
    if len(pieces) > 1:
        return [core, *pieces]
    return [core] if len(core) >= 2 else []


def _title_match(title: str, text: str, generic: frozenset[str] = frozenset()) -> float:
    """How well text names a title: 1.0 for a whole phrase or its core, else the best share of
    character pairs of a phrase. Pairs in ``generic`` (those of the plan's own title, such as 科学素质)
    say nothing about which section is meant and are not counted."""
    if any(core in text for core in title_cores(title)):
        return 1.0
    best = 0.0
    for phrase in re.split(r"[，,]", _NUMERAL_RE.sub("", title)):
        phrase = _LEAD_RE.sub("", phrase.strip())
        if len(phrase) < 4:
            continue
        if phrase in text:
            return 1.0
        pairs = {phrase[i : i + 2] for i in range(len(phrase) - 1)} - generic
        if pairs:
            best = max(best, sum(1 for p in pairs if p in text) / len(pairs))
    return best


_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=\s*年|\s*(?:的|版)?(?:工作要点|要点|计划))")
# Years that appear inside plan texts as targets or periods, not as plan years (纲要 2006-2010-2020, 2035).
NOT_PLAN_YEARS = frozenset({2006, 2010, 2035})


def _names_region(plan: PlanDoc, question: str) -> bool:
    region = (plan.region or "").strip()
    if not region or region == "全国":
        return False
    core = re.sub(r"(省|市|自治区|特别行政区|县|区)$", "", region)
    return (
        region in question
        or (len(core) >= 2 and core in question)
        or bool(plan.issuer and plan.issuer in question)
    )


@dataclass(frozen=True)
class PlanChoice:
    plan: PlanDoc | None  # the plan to answer from
    plans: tuple[PlanDoc, ...]  # every plan the question names (two or more: a comparison)
    explicit: bool  # the question named it (year, region, issuer)
    missing_years: tuple[int, ...]  # plan years named that the knowledge base does not hold


# Quoted names shorter than this (《纲要》) are too generic to identify one programme.
MIN_PROGRAMME_LEN = 4


@dataclass(frozen=True)
class UnitItems:
    unit: Unit
    items: tuple[PlanItem, ...]  # items whose parentheses name the unit
    all_member_items: tuple[PlanItem, ...]  # items assigned to 各成员单位


class PlanIndex:
    def __init__(self, plans: dict[str, PlanDoc], units_yaml: dict[str, Any]) -> None:
        self.plans = plans
        self._directories = {
            sid: UnitDirectory(units_yaml, {u for it in p.items for u in it.units})
            for sid, p in plans.items()
        }
        default = self.default_plan()
        # the default plan's units (API calls without ?plan=, tokenizer words come from all plans)
        self.units = self._directories[default.source_id] if default else UnitDirectory(units_yaml, set())
        self.declared = UnitDirectory(units_yaml, None)  # every unit units.yaml knows, named in a plan or not
        self._all_names = sorted({n for d in self._directories.values() for n in d.all_names()})
        self.programmes: dict[str, list[tuple[str, int]]] = {}
        for plan in plans.values():
            for item in plan.items:
                for m in _QUOTED_RE.finditer(item.body):
                    name = (m.group(1) or m.group(2)).strip()
                    if len(name) < MIN_PROGRAMME_LEN:
                        continue
                    refs = self.programmes.setdefault(name, [])
                    if (plan.source_id, item.number) not in refs:
                        refs.append((plan.source_id, item.number))
        # unquoted named events (event_names): what an attribute question about one names
        self.events: dict[str, list[tuple[str, int]]] = {}
        for plan in plans.values():
            for item in plan.items:
                for name in event_names(item.body):
                    refs = self.events.setdefault(name, [])
                    if (plan.source_id, item.number) not in refs:
                        refs.append((plan.source_id, item.number))

    def default_plan(self) -> PlanDoc | None:
        """The national plan of the latest year, else the latest plan of any region."""
        if not self.plans:
            return None
        ranked = sorted(
            self.plans.values(),
            key=lambda p: (p.region in (None, "全国"), p.year or 0, p.source_id),
            reverse=True,
        )
        return ranked[0]

    def years(self) -> set[int]:
        return {p.year for p in self.plans.values() if p.year}

    def items_for_unit(self, plan: PlanDoc, unit: Unit) -> UnitItems:
        named = tuple(it for it in plan.items if unit.name in it.units)
        members = tuple(it for it in plan.items if ALL_MEMBERS in it.units)
        return UnitItems(unit, named, members)

    def absent_units(self, plan: PlanDoc, text: str) -> list[Unit]:
        """Units named in text that units.yaml knows but ``plan`` does not list (公安部 in the 2020 plan)."""
        named = self.directory(plan)
        return [u for u in self.declared.find(text) if named.resolve(u.name) is None]

    def near_units(self, plan: PlanDoc, name: str, limit: int = 3) -> list[Unit]:
        """The plan's units whose names look like ``name`` (suggestions for a unit the plan does not name)."""
        directory = self.directory(plan)
        close = difflib.get_close_matches(name, directory.all_names(), n=limit * 3, cutoff=0.3)
        found = list(dict.fromkeys(u for c in close if (u := directory.resolve(c)) is not None))
        return found[:limit]

    def find_section(self, plan: PlanDoc, text: str) -> tuple[PlanSection | None, int | None]:
        """The section or part a question refers to: by number (第三部分第二节), by its title, or by
        most of its title (the share of the title's character pairs found in the question)."""
        part_no = self._number_before(text, r"(?:部分|大部分|大项|大块|板块)")
        sec_no = self._number_before(text, r"(?:节|小节)")
        parts = [p for p in plan.parts if part_no is None or p.number == part_no]
        if part_no is not None and sec_no is not None:
            for sec in parts[0].sections if parts else ():
                if sec.number == sec_no:
                    return sec, None
        generic = frozenset(plan.title[i : i + 2] for i in range(len(plan.title) - 1))
        best: tuple[float, PlanSection] | None = None
        for part in parts:
            for sec in part.sections:
                score = _title_match(sec.title, text, generic)
                if score >= TITLE_MATCH and (best is None or score > best[0]):
                    best = (score, sec)
        if best:
            return best[1], None
        if part_no is not None and parts:
            return None, part_no
        scored = [(_title_match(p.title, text, generic), p.number) for p in plan.parts]
        score, number = max(scored) if scored else (0.0, 0)
        return (None, number) if score >= TITLE_MATCH else (None, None)

    @staticmethod
    def _number_before(text: str, suffix: str) -> int | None:
        from kepu.text import _cn_to_int

        m = re.search(r"第\s*([一二三四五六七八九十\d]+)\s*" + suffix, text)
        return _cn_to_int(m.group(1)) if m else None

    def programmes_in(self, text: str) -> list[str]:
        """Named programmes mentioned in text, longest first (so 科普中国e站 beats 科普中国)."""
        found = [name for name in self.programmes if name in text]
        found.sort(key=len, reverse=True)
        out: list[str] = []
        for name in found:
            if not any(name in longer for longer in out):
                out.append(name)
        return out

    def named_in(self, text: str) -> list[str]:
        """Programmes and named events mentioned in text, longest first, none inside another."""
        found = sorted({n for n in (*self.programmes, *self.events) if n in text}, key=len, reverse=True)
        out: list[str] = []
        for name in found:
            if not any(name in longer for longer in out):
                out.append(name)
        return out

    def user_words(self) -> list[str]:
        """Words for the tokenizer's user dictionary: unit names, aliases, programme names, and the names
        of the offices that issued and forwarded each plan (office_names)."""
        return [*self._all_names, *self.programmes, *sorted(self.office_names)]

    @cached_property
    def office_names(self) -> frozenset[str]:
        """The names of the offices that issued and forwarded each plan, each as the document writes it
        and without 国家 ("国家纲要办的主任是谁" is about 国家纲要办, not about 纲要)."""
        offices = {
            name.strip()
            for plan in self.plans.values()
            for office in (plan.issuer, plan.forwarder)
            if office
            for name in _OFFICE_SPLIT_RE.split(office)
            if len(name.strip()) >= MIN_PROGRAMME_LEN
        }
        return frozenset(offices | {name.removeprefix("国家") for name in offices if name.startswith("国家")})

    def unit_named(self, name: str) -> Unit | None:
        """The unit a plan writes as ``name`` (exact), whichever plan names it."""
        for directory in self._directories.values():
            if name in directory.units:
                return directory.units[name]
        return None

    def directory(self, plan: PlanDoc) -> UnitDirectory:
        return self._directories[plan.source_id]

    def plan_by_id(self, source_id: str) -> PlanDoc | None:
        return self.plans.get(source_id)

    def select(self, question: str) -> PlanChoice:
        """Which plan a question means: a held year, region or issuer named in it selects plans; none
        named means the national plan of the latest year. Years named that no plan holds are reported."""
        years = [int(y) for y in _YEAR_RE.findall(question)]
        held = self.years()
        chosen = [p for p in self.plans.values() if p.year in years]
        regional = [p for p in self.plans.values() if _names_region(p, question)]
        if regional:
            chosen = [p for p in (chosen or regional) if p in regional] or regional
        chosen.sort(key=lambda p: (p.year or 0, p.source_id))
        missing = [y for y in years if y not in held and y not in NOT_PLAN_YEARS]
        default = self.default_plan()
        if not chosen:
            return PlanChoice(default, (), False, tuple(missing))
        latest = max(chosen, key=lambda p: ((p.region in (None, "全国")), p.year or 0))
        return PlanChoice(latest, tuple(chosen), True, tuple(missing))
