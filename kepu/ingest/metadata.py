"""Document metadata: front matter or a `<file>.meta.yaml` sidecar, and the approval gate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kepu.ingest.errors import MetadataError

STATUSES = ("approved", "draft", "retired")
KINDS = ("plan", "science", "rumor")
VERDICTS = ("谣言", "不准确", "属实")
SIDECAR_SUFFIX = ".meta.yaml"


def sidecar_path(path: Path) -> Path:
    """The sidecar of `work-points.txt` is `work-points.txt.meta.yaml`."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def read_sidecar(path: Path) -> dict[str, Any]:
    side = sidecar_path(path)
    if not side.exists():
        return {}
    try:
        data = yaml.safe_load(side.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MetadataError(path, f"元数据文件 {side.name} 不是合法的 UTF-8 YAML：{exc}") from exc
    if not isinstance(data, dict):
        raise MetadataError(
            path, f"元数据文件 {side.name} 应是键值对（YAML 映射），实际是 {type(data).__name__}"
        )
    return data


@dataclass(frozen=True)
class DocMeta:
    kind: str
    status: str
    title: str
    raw: dict[str, Any]


def iso_date(value: Any) -> str:
    """A date as YYYY-MM-DD, from a YAML or Excel date or from text; ValueError when it is none."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return dt.date.fromisoformat(str(value).strip()).isoformat()


def _date(path: Path, value: Any, field: str) -> str:
    try:
        return iso_date(value)
    except ValueError as exc:
        raise MetadataError(
            path, f"字段 {field} 的值“{value}”不是日期，应写成 YYYY-MM-DD，例如 2026-11-29"
        ) from exc


def _required_text(path: Path, meta: dict[str, Any], field: str, label: str) -> str:
    value = meta.get(field)
    if value is None or not str(value).strip():
        raise MetadataError(path, f"缺少字段 {field}（{label}）")
    return str(value).strip()


def _claims(path: Path, meta: dict[str, Any]) -> list[str]:
    """A rumor check's ``claims``: what its verdict rules on, as people say it (a list of text)."""
    value = meta.get("claims")
    if not isinstance(value, list) or not value or not all(isinstance(c, str) and c.strip() for c in value):
        raise MetadataError(
            path,
            "缺少字段 claims（这篇辟谣针对的说法，按群众的说法写，至少一条），"
            "例如：claims: [味精吃多了会致癌, 味精有毒]",
        )
    return [c.strip() for c in value]


def _subjects(path: Path, meta: dict[str, Any]) -> list[list[str]]:
    """A rumor check's ``subjects``: {subject: [aliases]}, as [[subject, alias, …], …]."""
    value = meta.get("subjects")
    example = "例如：subjects: {味精: [谷氨酸钠, 鸡精]}"
    if not isinstance(value, dict) or not value:
        raise MetadataError(path, f"缺少字段 subjects（说法涉及的东西及其别名），{example}")
    out = []
    for subject, aliases in value.items():
        aliases = aliases or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise MetadataError(path, f"字段 subjects 中“{subject}”的别名应是列表，{example}")
        out.append([str(subject).strip(), *(a.strip() for a in aliases if a.strip())])
    return out


def validate(path: Path, meta: dict[str, Any]) -> DocMeta:
    """Check metadata and the approval gate; raise MetadataError naming the file and the field."""
    if not meta:
        raise MetadataError(
            path, f"没有元数据：Markdown 请写 front matter，其他格式请提供 {path.name}{SIDECAR_SUFFIX}"
        )
    kind = str(meta.get("kind", "science")).strip()
    if kind not in KINDS:
        raise MetadataError(path, f"字段 kind 的值“{kind}”无效，应为 {'、'.join(KINDS)} 之一")
    status = _required_text(path, meta, "status", "审核状态")
    if status not in STATUSES:
        raise MetadataError(path, f"字段 status 的值“{status}”无效，应为 {'、'.join(STATUSES)} 之一")
    title = _required_text(path, meta, "title", "标题")
    clean = dict(meta)
    clean["kind"], clean["status"], clean["title"] = kind, status, title
    for key, value in list(clean.items()):
        if isinstance(value, (dt.date, dt.datetime)):
            clean[key] = _date(path, value, key)
    for key in ("expires", "review_by"):  # optional: the day material stops being served / is due for review
        if clean.get(key) not in (None, ""):
            clean[key] = _date(path, clean[key], key)
    if status != "approved":
        return DocMeta(kind=kind, status=status, title=title, raw=clean)
    if kind == "rumor":
        clean["rumor"] = _required_text(path, meta, "rumor", "传言原话")
        verdict = _required_text(path, meta, "verdict", "结论")
        if verdict not in VERDICTS:
            raise MetadataError(path, f"字段 verdict 的值“{verdict}”无效，应为 {'、'.join(VERDICTS)} 之一")
        clean["verdict"] = verdict
        clean["claims"] = _claims(path, meta)
        clean["subjects"] = _subjects(path, meta)
    if kind in ("science", "rumor"):
        clean["reviewed_by"] = _required_text(path, meta, "reviewed_by", "审核人")
        clean["approved_at"] = _date(
            path, _required_text(path, meta, "approved_at", "批准日期"), "approved_at"
        )
    else:
        year = meta.get("year")
        if not isinstance(year, int) or not 1949 <= year <= 2100:
            raise MetadataError(path, f"字段 year（年份）应为四位整数年份，例如 2020，实际是“{year}”")
    for key, value in list(clean.items()):
        if isinstance(value, (dt.date, dt.datetime)):
            clean[key] = _date(path, value, key)
    return DocMeta(kind=kind, status=status, title=title, raw=clean)
