"""Approved question–answer pairs (标准问答) from YAML, CSV or XLSX files, through the approval gate.

A file holds many pairs; each row goes through the gate on its own: a draft row is not served, a
retired one leaves the index, an expired one (``expires`` before today) leaves it too, and a row with a
missing or bad field is rejected naming the file, the row and the field, while the file's other rows go
on. Field names are a contract (README, "标准问答"): the English ones, or the Chinese headers staff use
in Excel.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kepu.ingest.errors import FileRejected
from kepu.ingest.loaders import decode
from kepu.ingest.metadata import STATUSES, iso_date
from kepu.kb.types import FaqPair
from kepu.text import normalize

FAQ_SUFFIXES = (".yaml", ".yml", ".csv", ".xlsx")
FIELDS = (
    "question",
    "similar",
    "negative",
    "answer",
    "basis",
    "status",
    "reviewed_by",
    "approved_at",
    "expires",
    "review_by",
    "id",
)
CHINESE = {
    "问题": "question",
    "标准问题": "question",
    "相似问法": "similar",
    "相似问题": "similar",
    "负向问法": "negative",
    "答案": "answer",
    "依据": "basis",
    "状态": "status",
    "审核状态": "status",
    "审核人": "reviewed_by",
    "审核日期": "approved_at",
    "批准日期": "approved_at",
    "有效期至": "expires",
    "复审日期": "review_by",
    "编号": "id",
}
LABELS = {
    "question": "问题",
    "answer": "答案",
    "basis": "依据",
    "status": "状态",
    "reviewed_by": "审核人",
    "approved_at": "审核日期",
    "expires": "有效期至",
    "review_by": "复审日期",
}
# several similar or negative questions in one cell: one a line, or separated by "|" (either width)
LIST_SPLIT_RE = re.compile(r"[\r\n|｜]+")
KEY_RE = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")


class RowRejected(Exception):
    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


@dataclass
class FaqFile:
    """What one file gave: the pairs to serve, and row by row what was left out and why."""

    pairs: list[FaqPair] = field(default_factory=list)
    read: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row, reason naming the field)
    drafts: int = 0
    retired: int = 0
    expired: list[tuple[int, str]] = field(default_factory=list)  # (row, question)

    def summary(self) -> str:
        parts = [f"问答对：读取 {self.read} 行，收录 {len(self.pairs)}，拒绝 {len(self.rejected)}"]
        if self.drafts:
            parts.append(f"草稿 {self.drafts}")
        if self.retired:
            parts.append(f"停用 {self.retired}")
        if self.expired:
            parts.append(f"已过期 {len(self.expired)}")
        return "，".join(parts)


def is_faq_file(path: Path) -> bool:
    """A Q&A file: YAML, CSV or XLSX (no other kind of material uses these formats)."""
    return path.suffix.lower() in FAQ_SUFFIXES


def load_faq(path: Path, source_id: str, today: dt.date) -> FaqFile:
    rows = _rows(path)
    out = FaqFile(read=len(rows))
    seen: dict[str, int] = {}
    for number, raw in rows:
        try:
            pair, status = _pair(source_id, number, raw)
        except RowRejected as exc:
            out.rejected.append(
                (number, f"第{number}行 字段 {exc.field}（{_label(exc.field)}）：{exc.reason}")
            )
            continue
        if pair.pair_id in seen:
            reason = f"第{number}行：编号 {pair.pair_id} 与第{seen[pair.pair_id]}行重复（问题相同或 id 相同）"
            out.rejected.append((number, reason))
            continue
        seen[pair.pair_id] = number
        if status == "draft":
            out.drafts += 1
        elif status == "retired":
            out.retired += 1
        elif pair.expires and dt.date.fromisoformat(pair.expires) < today:
            out.expired.append((number, pair.question))
        else:
            out.pairs.append(pair)
    return out


def _label(name: str) -> str:
    return LABELS.get(name, name)


def _rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(row number as staff see it, {field: value}) for every non-empty row of the file."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _yaml_rows(path)
    if suffix == ".csv":
        text, _ = decode(path.read_bytes(), path)
        table = list(csv.reader(io.StringIO(text)))
        return _table_rows(path, table, first_row=1)
    return _xlsx_rows(path)


def _yaml_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    text, _ = decode(path.read_bytes(), path)
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise FileRejected(path, f"不是合法的 YAML：{exc}") from exc
    pairs = data.get("pairs") if isinstance(data, dict) else None
    if not isinstance(pairs, list):
        raise FileRejected(path, "问答文件应在 pairs: 下列出问答对，例如 pairs: [{question: …, answer: …}]")
    rows = []
    for i, entry in enumerate(pairs, 1):
        if not isinstance(entry, dict):
            rows.append((i, {"__bad__": f"应是键值对，实际是“{entry}”"}))
            continue
        rows.append((i, {CHINESE.get(str(k).strip(), str(k).strip()): v for k, v in entry.items()}))
    return rows


def _table_rows(path: Path, table: list[list[Any]], first_row: int) -> list[tuple[int, dict[str, Any]]]:
    """Rows of a sheet: the first row whose cells name the question and answer columns is the header
    (a title line above it is allowed); row numbers are the sheet's own, counted from 1."""
    header_at = None
    for i, cells in enumerate(table[:10]):
        names = {CHINESE.get(str(c or "").strip(), str(c or "").strip()) for c in cells}
        if {"question", "answer"} <= names:
            header_at = i
            break
    if header_at is None:
        raise FileRejected(
            path, "找不到表头：第一行应是列名，至少包含“问题”（question）和“答案”（answer）两列"
        )
    header = [CHINESE.get(str(c or "").strip(), str(c or "").strip()) for c in table[header_at]]
    rows = []
    for i, cells in enumerate(table[header_at + 1 :], start=header_at + 1 + first_row):
        values = {h: c for h, c in zip(header, cells, strict=False) if h and c not in (None, "")}
        if any(str(v).strip() for v in values.values()):
            rows.append((i, values))
    return rows


def _xlsx_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # not a workbook, damaged, encrypted
        raise FileRejected(path, f"无法作为 Excel（.xlsx）文件打开：{exc}") from exc
    try:
        sheet = book.worksheets[0]
        table = [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    return _table_rows(path, table, first_row=1)


def _text(raw: dict[str, Any], name: str, required: bool) -> str:
    value = raw.get(name)
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise RowRejected(name, "不能为空")
    return text


def _list(raw: dict[str, Any], name: str) -> tuple[str, ...]:
    value = raw.get(name)
    if value is None:
        return ()
    items = value if isinstance(value, list) else LIST_SPLIT_RE.split(str(value))
    return tuple(dict.fromkeys(s for v in items if (s := str(v).strip())))


def _date(raw: dict[str, Any], name: str, required: bool) -> str | None:
    value = raw.get(name)
    if value in (None, ""):
        if required:
            raise RowRejected(name, "不能为空，应写成 YYYY-MM-DD，例如 2026-12-05")
        return None
    try:
        return iso_date(value)
    except ValueError:
        raise RowRejected(name, f"“{value}”不是日期，应写成 YYYY-MM-DD，例如 2026-12-05") from None


def _pair(source_id: str, number: int, raw: dict[str, Any]) -> tuple[FaqPair, str]:
    if "__bad__" in raw:
        raise RowRejected("pairs", raw["__bad__"])
    unknown = sorted(k for k in raw if k not in FIELDS)
    if unknown:
        raise RowRejected(
            unknown[0], f"不认识的字段，可用的字段有 {'、'.join(FIELDS[:-1])}（或对应的中文表头）"
        )
    status = _text(raw, "status", required=True)
    if status not in STATUSES:
        raise RowRejected("status", f"“{status}”无效，应为 {'、'.join(STATUSES)} 之一")
    approved = status == "approved"
    question = _text(raw, "question", required=True)
    answer = _text(raw, "answer", required=approved)
    basis = _text(raw, "basis", required=approved)
    reviewed_by = _text(raw, "reviewed_by", required=approved)
    approved_at = _date(raw, "approved_at", required=approved)
    expires = _date(raw, "expires", required=False)
    review_by = _date(raw, "review_by", required=False)
    key = _text(raw, "id", required=False)
    if key and not KEY_RE.match(key):
        raise RowRejected("id", f"“{key}”无效，只能用字母、数字、下划线和短横线，最多 40 个字符")
    if not key:  # stable while the question's wording stays: rows may be sorted and inserted freely
        key = hashlib.sha256(normalize(question).encode("utf-8")).hexdigest()[:10]
    pair = FaqPair(
        pair_id=f"{source_id}#{key}",
        source_id=source_id,
        row=number,
        question=question,
        similar=_list(raw, "similar"),
        negative=_list(raw, "negative"),
        answer=answer,
        basis=basis,
        reviewed_by=reviewed_by,
        approved_at=approved_at,
        expires=expires,
        review_by=review_by,
    )
    return pair, status
