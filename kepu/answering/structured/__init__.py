"""Exact answers from the plan index: one handler per route kind (kepu/answering/route.py), each owning
the data it gathers and the text it writes. Adding a kind of structured question is one handler and
one row of HANDLERS (and its pattern in route.py)."""

from __future__ import annotations

from kepu.answering.structured import compare, items, responsibility, units
from kepu.answering.structured.base import Handler, Question

__all__ = ["HANDLERS", "Handler", "Question"]

HANDLERS: dict[str, Handler] = {
    "item": items.item,
    "mentions": items.mentions,
    "members": items.members,
    "count": items.count,
    "section": items.section,
    "doc": items.doc,
    "year_missing": items.year_missing,
    "unit": units.unit,
    "unit_count": units.unit,
    "unit_alone": units.unit_alone,
    "unit_absent": units.unit_absent,
    "ranking": units.ranking,
    "unit_total": units.unit_total,
    "compare": compare.compare,
    "responsibility": responsibility.responsibility,
}
