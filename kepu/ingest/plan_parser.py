"""Parse a work-points plan (parts 一、, sections （一）, numbered items ending in their units).

Nothing here assumes a number of items, parts or particular unit names: any plan in this common
style parses, with or without a forwarding notice in front of it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import cn2an

from kepu.ingest.errors import PlanParseError
from kepu.kb.types import PlanDoc, PlanItem, PlanPart

_CN_NUM = "一二三四五六七八九十"
PART_RE = re.compile(rf"^([{_CN_NUM}]+)、\s*(.+)$")
SECTION_RE = re.compile(rf"^[（(]([{_CN_NUM}]+)[）)]\s*(.+)$")
ITEM_RE = re.compile(r"^(\d{1,3})\s*[.．、]\s*(?!\d)(.+)$")
UNITS_RE = re.compile(r"[（(]([^（）()]+)[）)]\s*[。.]?\s*$")
DOC_NUMBER_RE = re.compile(r"[\u4e00-\u9fa5]{2,}[〔\[［【(（]\d{4}[〕\]］】)）]\d+号")
DATE_RE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
UNIT_SPLIT_RE = re.compile(r"[、，,；;]")


def _cn_int(text: str) -> int:
    return int(cn2an.cn2an(text, "smart"))


def split_units(text: str) -> tuple[str, ...]:
    return tuple(u.strip() for u in UNIT_SPLIT_RE.split(text) if u.strip())


def _notice_facts(lines: list[str]) -> dict[str, Any]:
    """Facts of a forwarding notice that precedes the plan (forwarder, title, recipients, date, number)."""
    if not lines:
        return {
            "forwarder": None,
            "forward_title": None,
            "recipients": None,
            "forward_date": None,
            "doc_number": None,
        }
    forwarder = lines[0]
    title_parts: list[str] = []
    rest_start = 1
    for i, line in enumerate(lines[1:], start=1):
        title_parts.append(line)
        rest_start = i + 1
        if line.endswith("通知") or line.endswith("通知》") or len(title_parts) >= 4:
            break
    recipients = next((ln.rstrip(":：") for ln in lines[rest_start:] if ln.endswith((":", "："))), None)
    joined = "".join(lines)
    dates = DATE_RE.findall(joined)
    number = DOC_NUMBER_RE.search(joined)
    return {
        "forwarder": forwarder,
        "forward_title": "".join(title_parts) or None,
        "recipients": recipients,
        "forward_date": re.sub(r"\s+", "", dates[-1]) if dates else None,
        "doc_number": number.group(0) if number else None,
    }


def _issuer_from_title(title: str | None) -> str | None:
    if not title:
        return None
    match = re.search(r"转发(.+?)《", title)
    return match.group(1) if match else None


def parse_plan(text: str, meta: dict[str, Any], source_id: str, path: Path | str = "") -> PlanDoc:
    """Parse the text of a plan document into a PlanDoc; raise PlanParseError when it has no items."""
    lines = [re.sub(r"\s+", " ", ln).strip() for ln in text.replace("\u3000", " ").splitlines()]
    lines = [ln for ln in lines if ln]
    title = str(meta.get("title") or "").strip()

    # The plan proper starts at its title line; anything before it is a forwarding notice.
    start = next(
        (i for i, ln in enumerate(lines) if title and ln.replace(" ", "") == title.replace(" ", "")), None
    )
    if start is None:
        first_struct = next((i for i, ln in enumerate(lines) if PART_RE.match(ln) or ITEM_RE.match(ln)), 0)
        start = max(first_struct - 1, 0) if first_struct else 0
        notice_lines: list[str] = []
    else:
        notice_lines = lines[:start]
        start += 1

    parts: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    preamble: list[str] = []
    part: dict[str, Any] | None = None
    section: dict[str, Any] | None = None
    current: dict[str, Any] | None = None

    for line in lines[start:]:
        if m := PART_RE.match(line):
            part = {"number": _cn_int(m.group(1)), "title": line, "sections": [], "items": []}
            parts.append(part)
            section, current = None, None
        elif (m := SECTION_RE.match(line)) and part is not None:
            section = {"part_no": part["number"], "number": _cn_int(m.group(1)), "title": line, "items": []}
            part["sections"].append(section)
            current = None
        elif m := ITEM_RE.match(line):
            current = {
                "number": int(m.group(1)),
                "part_no": part["number"] if part else 0,
                "part": part["title"] if part else "",
                "section_no": section["number"] if section else None,
                "section": section["title"] if section else None,
                "lines": [m.group(2).strip()],
            }
            items.append(current)
            if part is not None:
                part["items"].append(current["number"])
            if section is not None:
                section["items"].append(current["number"])
        elif current is not None:
            current["lines"].append(line)  # a wrapped item line
        elif part is None:
            preamble.append(line)

    if not items:
        raise PlanParseError(
            path or source_id, "没有找到编号条目（形如“1.……（负责单位）”），无法按工作要点解析"
        )
    numbers = [it["number"] for it in items]
    if len(set(numbers)) != len(numbers):
        dupes = sorted({n for n in numbers if numbers.count(n) > 1})
        raise PlanParseError(path or source_id, f"条目编号重复：{dupes}")

    plan_items = []
    for it in items:
        full = "".join(it["lines"])
        m = UNITS_RE.search(full)
        units = split_units(m.group(1)) if m else ()
        body = full[: m.start()].rstrip() if m else full
        plan_items.append(
            PlanItem(
                number=it["number"],
                part_no=it["part_no"],
                part=it["part"],
                section_no=it["section_no"],
                section=it["section"],
                text=full,
                body=body,
                units=units,
            )
        )

    facts = _notice_facts(notice_lines)
    return PlanDoc(
        source_id=source_id,
        title=title or (lines[start - 1] if start else source_id),
        year=meta.get("year"),
        region=meta.get("region"),
        issuer=meta.get("issuer") or _issuer_from_title(facts["forward_title"]),
        forwarder=meta.get("forwarder") or facts["forwarder"],
        forward_date=facts["forward_date"],
        forward_title=facts["forward_title"],
        doc_number=meta.get("doc_number") or facts["doc_number"],
        recipients=facts["recipients"],
        preamble="".join(preamble) or None,
        parts=tuple(PlanPart.from_dict(p) for p in parts),
        items=tuple(plan_items),
        notice="".join(notice_lines) or None,
    )
