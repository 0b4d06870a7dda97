"""Admin routes (mounted only when KEPU_ADMIN_TOKEN is set): re-ingest without downtime."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool

from kepu.channels import staff_auth
from kepu.channels.deps import HolderDep, SettingsDep
from kepu.channels.schemas import IngestRequest

router = APIRouter(prefix="/api/admin", dependencies=[Depends(staff_auth.require_bearer)])


# Longest path accepted for a re-ingest: file systems allow 255 bytes a name (about 85 Chinese characters).
MAX_PATH_CHARS = 255


@router.post("/ingest", summary="重新导入知识库（旧索引在新索引完成前继续服务）")
async def ingest_route(
    holder: HolderDep, settings: SettingsDep, body: IngestRequest | None = None
) -> dict[str, Any]:
    from kepu.ingest.pipeline import ingest

    root = settings.knowledge_dir.resolve()
    paths: list[Path] | None = None
    if body and body.paths:
        paths = []
        for raw in body.paths:
            if "\x00" in raw or len(raw) > MAX_PATH_CHARS:
                shown = raw.replace("\x00", "\\0")[:40]
                raise HTTPException(
                    422, f"路径“{shown}”无效：不能含空字符（\\0），长度不能超过{MAX_PATH_CHARS}个字符"
                )
            try:
                path = (root / raw).resolve()
            except OSError as exc:  # a name longer than the file system allows, a loop of links
                raise HTTPException(422, f"路径“{raw[:40]}”无效：{exc.strerror or exc}") from exc
            if not path.is_relative_to(root):
                raise HTTPException(422, f"路径“{raw}”不在知识库目录 {settings.knowledge_dir} 之内")
            if not path.exists():
                raise HTTPException(422, f"路径“{raw}”不存在")
            paths.append(path)
    # the one ingest lock, held across the switch too; IngestBusy (another ingestion holds it) is a 409
    with holder.ingest_lock.hold() as held:
        report = await run_in_threadpool(ingest, settings, holder.embedder, paths, held=held)
        if report.changed:
            await run_in_threadpool(holder.load)
    return report.to_dict()
