"""The plan as tables: the unit x item matrix and one unit's list, as CSV or XLSX bytes."""

from __future__ import annotations

import io
import unicodedata

from defusedcsv import csv

from kepu.kb.plan_index import PlanIndex
from kepu.kb.types import ALL_MEMBERS, PlanDoc
from kepu.kb.units import Unit

MARK = "●"


def plan_row(plan: PlanDoc) -> list[str]:
    """First row of every export: which plan the table is about."""
    return ["计划", plan.title, plan.source_id]


def matrix_rows(plan: PlanDoc, index: PlanIndex) -> list[list[str]]:
    """Header row, then one row per item: number, part, section, then a mark under each unit named."""
    units = sorted(
        index.directory(plan).units, key=lambda n: (-sum(1 for it in plan.items if n in it.units), n)
    )
    rows = [["条目", "部分", "小节", "牵头单位", "各成员单位", *units]]
    for it in plan.items:
        rows.append(
            [
                str(it.number),
                it.part,
                it.section or "",
                it.lead or "",  # the first unit listed leads (牵头)
                MARK if ALL_MEMBERS in it.units else "",
                *[MARK if u in it.units else "" for u in units],
            ]
        )
    return rows


def unit_rows(plan: PlanDoc, index: PlanIndex, unit: Unit) -> list[list[str]]:
    """Header row, then one row per item naming the unit (its role: 牵头, 参与 or 单独负责, by the order the
    plan lists the units in), then the items all member units share."""
    ui = index.items_for_unit(plan, unit)
    rows = [["条目", "部分", "小节", "负责方式", "牵头或参与", "牵头单位", "共同负责单位", "内容"]]
    for it in ui.items:
        others = [u for u in it.units if u != unit.name]
        role = it.role(unit.name)
        rows.append(
            [
                str(it.number),
                it.part,
                it.section or "",
                "列名负责",
                role,
                it.lead or "",
                "、".join(others),
                it.body,
            ]
        )
    for it in ui.all_member_items:
        rows.append([str(it.number), it.part, it.section or "", "各成员单位共同负责", "", "", "", it.body])
    return rows


def to_csv(rows: list[list[str]]) -> bytes:
    """CSV for Excel; a cell that starts like a formula (=, +, -, @) is quoted by defusedcsv so that a
    spreadsheet shows it as text (OWASP's CSV-injection guidance)."""
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode("utf-8-sig")  # BOM: Excel on Windows opens UTF-8 Chinese correctly


# Column widths in Excel's units (about one Latin character): a Chinese character counts two.
MIN_COLUMN_WIDTH = 6
MAX_COLUMN_WIDTH = 60  # the item text wraps inside this width instead of making one very wide column
WRAP_AT = 20  # cells longer than this many characters wrap


def text_width(text: str) -> int:
    """Display width: wide (CJK) characters count 2, others 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def to_xlsx(rows: list[list[str]], sheet: str, header_row: int = 1) -> bytes:
    """The rows as one sheet. ``header_row`` (1-based) is the column header: it is bold and frozen with
    everything above it (the metadata line, when the export has one), so it stays in view while scrolling."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    for row in rows:
        ws.append(row)
    for cells in ws.iter_rows():
        for cell in cells:
            if cell.data_type == "f":  # openpyxl reads "=…" as a formula: it is the text of the plan
                cell.data_type = "s"
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    ws.freeze_panes = f"B{header_row + 1}"
    for row in ws.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=len(str(cell.value or "")) > WRAP_AT)
    widths: dict[int, int] = {}
    for row in rows[header_row - 1 :]:  # the metadata line above the header does not size the columns
        for i, value in enumerate(row, start=1):
            widths[i] = max(widths.get(i, 0), text_width(str(value or "")))
    for i, width in widths.items():
        ws.column_dimensions[get_column_letter(i)].width = min(
            MAX_COLUMN_WIDTH, max(MIN_COLUMN_WIDTH, width + 2)
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
