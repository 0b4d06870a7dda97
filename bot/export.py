"""The plan as tables: the unit x item matrix and one unit's list, as CSV or XLSX bytes."""

from __future__ import annotations

import io

from defusedcsv import csv

from bot.kb.plan_index import PlanIndex
from bot.kb.types import ALL_MEMBERS, PlanDoc
from bot.kb.units import Unit

MARK = "●"


def plan_row(plan: PlanDoc) -> list[str]:
    """First row of every export: which plan the table is about."""
    return ["计划", plan.title, plan.source_id]


def matrix_rows(plan: PlanDoc, index: PlanIndex) -> list[list[str]]:
    """Header row, then one row per item: number, part, section, then a mark under each unit named."""
    units = sorted(
        index.directory(plan).units, key=lambda n: (-sum(1 for it in plan.items if n in it.units), n)
    )
    rows = [["条目", "部分", "小节", "各成员单位", *units]]
    for it in plan.items:
        rows.append(
            [
                str(it.number),
                it.part,
                it.section or "",
                MARK if ALL_MEMBERS in it.units else "",
                *[MARK if u in it.units else "" for u in units],
            ]
        )
    return rows


def unit_rows(plan: PlanDoc, index: PlanIndex, unit: Unit) -> list[list[str]]:
    ui = index.items_for_unit(plan, unit)
    rows = [["条目", "部分", "小节", "负责方式", "共同负责单位", "内容"]]
    for it in ui.items:
        others = [u for u in it.units if u != unit.name]
        rows.append([str(it.number), it.part, it.section or "", "列名负责", "、".join(others), it.body])
    for it in ui.all_member_items:
        rows.append([str(it.number), it.part, it.section or "", "各成员单位共同负责", "", it.body])
    return rows


def to_csv(rows: list[list[str]]) -> bytes:
    """CSV for Excel; a cell that starts like a formula (=, +, -, @) is quoted by defusedcsv so that a
    spreadsheet shows it as text (OWASP's CSV-injection guidance)."""
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8-sig")  # BOM: Excel on Windows opens UTF-8 Chinese correctly


def to_xlsx(rows: list[list[str]], sheet: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    for row in rows:
        ws.append(row)
    for cells in ws.iter_rows():
        for cell in cells:
            if cell.data_type == "f":  # openpyxl reads "=…" as a formula: it is the text of the plan
                cell.data_type = "s"
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "B2"
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=len(str(cell.value or "")) > 20)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
