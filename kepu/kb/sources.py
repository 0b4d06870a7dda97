"""What the knowledge base holds and what it left out: shared by `kepu sources` and /api/sources."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kepu.kb.versions import Manifest

# "approved" says the material was approved for the library, not who reviewed it: the reviewer field
# says that, in its own words (the samples say they await review by a qualified body).
STATUS_LABELS = {
    "approved": "已批准收录",
    "draft": "草稿",
    "retired": "已停用",
    "expired": "已过期",
    "error": "出错",
}
KIND_LABELS = {"plan": "工作要点", "science": "科普文章", "rumor": "科学辟谣", "faq": "标准问答"}
# `kepu sources --due`: material whose review date or expiry falls within this many days
DUE_WITHIN_DAYS = 30


def sources_report(manifest: Manifest, with_paths: bool = False) -> dict[str, Any]:
    docs = sorted(manifest.documents.values(), key=lambda d: (d.kind, d.meta.get("kind", ""), d.source_id))
    documents = [{**d.summary(), **({"path": d.path} if with_paths else {})} for d in docs]
    left_out = [
        {
            "source_id": sid,
            "title": info.get("title"),
            "kind": info.get("kind"),
            "status": info["status"],
            "reviewed_by": info.get("reviewed_by"),
            "approved_at": info.get("approved_at"),
            "reason": info.get("message"),
            **({"path": info["path"]} if with_paths else {}),
        }
        for sid, info in sorted(manifest.skipped.items())
    ]
    counts: dict[str, int] = {}
    for d in documents:
        counts[d["kind"]] = counts.get(d["kind"], 0) + 1
    return {"version": manifest.version, "documents": documents, "left_out": left_out, "counts": counts}


def counts_text(counts: dict[str, int]) -> str:
    """工作要点 1 份、科普文章 48 篇、科学辟谣 62 篇 … in KIND_LABELS order."""
    unit = {"plan": "份", "faq": "个文件"}
    return "、".join(
        f"{label} {counts[kind]} {unit.get(kind, '篇')}"
        for kind, label in KIND_LABELS.items()
        if counts.get(kind)
    )


def due_report(
    manifest: Manifest, today: dt.date, within_days: int = DUE_WITHIN_DAYS
) -> list[dict[str, Any]]:
    """Documents and Q&A pairs whose review date (review_by) or expiry (expires) is within
    ``within_days`` of ``today`` (or already past), soonest first."""
    until = today + dt.timedelta(days=within_days)
    rows: list[dict[str, Any]] = []

    def add(source_id: str, title: str, kind: str, meta: dict[str, Any]) -> None:
        for field, label in (("review_by", "复审"), ("expires", "到期")):
            value = meta.get(field)
            if value and dt.date.fromisoformat(str(value)) <= until:
                rows.append(
                    {
                        "source_id": source_id,
                        "title": title,
                        "kind": kind,
                        "due": field,
                        "label": label,
                        "date": str(value),
                        "reviewed_by": meta.get("reviewed_by"),
                    }
                )

    for d in manifest.documents.values():
        if d.kind != "faq":
            add(d.source_id, d.title, str(d.meta.get("kind", d.kind)), d.meta)
    for pairs in manifest.faq.values():
        for p in pairs:
            add(
                p.pair_id,
                p.question,
                "faq",
                {"review_by": p.review_by, "expires": p.expires, "reviewed_by": p.reviewed_by},
            )
    return sorted(rows, key=lambda r: (r["date"], r["source_id"]))


def due_text(rows: list[dict[str, Any]], within_days: int = DUE_WITHIN_DAYS) -> str:
    if not rows:
        return f"{within_days} 天内没有需要复审或到期的材料。"
    lines = [f"{within_days} 天内需要复审或到期的材料 {len(rows)} 项："]
    lines += [
        f"  {r['date']}  {r['label']}  {r['source_id']:<28} {KIND_LABELS.get(r['kind'], r['kind']):<6} {r['title']}"
        for r in rows
    ]
    return "\n".join(lines)


def sources_text(report: dict[str, Any]) -> str:
    lines = [
        f"知识库版本 {report['version']}，收录 {len(report['documents'])} 个文档"
        f"（{counts_text(report.get('counts', {}))}）："
    ]
    for d in report["documents"]:
        dates = f"批准 {d['approved_at'] or '—'}"
        if d.get("review_by"):
            dates += f"，复审 {d['review_by']}"
        if d.get("expires"):
            dates += f"，有效期至 {d['expires']}"
        pairs = f"（{d['pairs']} 对）" if d.get("pairs") is not None else ""
        lines.append(
            f"  {d['source_id']:<28} {KIND_LABELS.get(d['kind'], d['kind']):<6} "
            f"{STATUS_LABELS.get(d['status'], d['status'])}  {dates}  {d['title']}{pairs}"
        )
        if d.get("reviewed_by"):
            lines.append(f"  {'':<28} 审核人：{d['reviewed_by']}")
    if report["left_out"]:
        lines.append(f"未收录 {len(report['left_out'])} 个文件：")
        for d in report["left_out"]:
            lines.append(
                f"  {d['source_id']:<28} {STATUS_LABELS.get(d['status'], d['status'])}  {d.get('reason') or ''}"
            )
    return "\n".join(lines)
