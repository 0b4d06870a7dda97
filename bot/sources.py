"""What the knowledge base holds and what it left out: shared by `kepu sources` and /api/sources."""

from __future__ import annotations

from typing import Any

from bot.kb.versions import Manifest

STATUS_LABELS = {"approved": "已审核", "draft": "草稿", "retired": "已停用", "error": "出错"}
KIND_LABELS = {"plan": "工作要点", "science": "科普文章", "rumor": "科学辟谣"}


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
    return {"version": manifest.version, "documents": documents, "left_out": left_out}


def sources_text(report: dict[str, Any]) -> str:
    lines = [f"知识库版本 {report['version']}，收录 {len(report['documents'])} 篇："]
    for d in report["documents"]:
        lines.append(
            f"  {d['source_id']:<28} {KIND_LABELS.get(d['kind'], d['kind']):<6} "
            f"{STATUS_LABELS.get(d['status'], d['status'])}  {d['approved_at'] or '—':<10}  {d['title']}"
        )
    if report["left_out"]:
        lines.append(f"未收录 {len(report['left_out'])} 个文件：")
        for d in report["left_out"]:
            lines.append(
                f"  {d['source_id']:<28} {STATUS_LABELS.get(d['status'], d['status'])}  {d.get('reason') or ''}"
            )
    return "\n".join(lines)
