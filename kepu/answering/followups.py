"""Rule-based rewriting of follow-ups into standalone questions ("那教育部呢？" after "卫健委负责哪些工作？"
-> "教育部负责哪些工作？"). The last question of a session comes from a ConversationStore (kepu/state)."""

from __future__ import annotations

import re

from kepu.kb.plan_index import PlanIndex
from kepu.text import item_refs

# "那教育部呢" "第二条呢" "团中央怎么样" — a short question that leans on the previous one.
FOLLOW_UP_RE = re.compile(
    r"^(?:那么?|还有|再问一下)?\s*(.{1,24}?)\s*(?:呢|怎么样|咋样|又如何)\s*[?？。!！]*$"
)


def rewrite(question: str, previous: str | None, index: PlanIndex) -> str:
    """The standalone form of a follow-up (normalised input), or the question unchanged."""
    if not previous:
        return question
    m = FOLLOW_UP_RE.match(question)
    if not m:
        return question
    subject = m.group(1).strip()
    new_items, old_items = item_refs(subject), item_refs(previous)
    if new_items and old_items:
        return re.sub(rf"第{old_items[0]}条", f"第{new_items[0]}条", previous, count=1)
    plan = index.default_plan()
    if plan is None:
        return question
    units = index.directory(plan)
    new_units, old_units = units.find(subject), units.find(previous)
    if new_units and old_units:
        old = old_units[0]
        for name in sorted((old.name, old.full_name or "", *old.aliases), key=len, reverse=True):
            if name and name in previous:
                return previous.replace(name, subject, 1)
    return question
