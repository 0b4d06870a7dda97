"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from bot.channels.deps import HolderDep, MetricsDep

router = APIRouter()


@router.get("/healthz", summary="进程存活")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="索引已加载并可查询")
def readyz(holder: HolderDep) -> JSONResponse:
    if not holder.ready:
        return JSONResponse({"status": "not_ready", "detail": "知识库索引尚未加载"}, status_code=503)
    bot = holder.bot
    try:
        bot.retriever.search("科普", 1)
    except Exception as exc:  # readiness must report, not crash: any failure means not ready
        return JSONResponse({"status": "not_ready", "detail": f"索引无法查询：{exc}"}, status_code=503)
    return JSONResponse({"status": "ready", "version": bot.kb.version, "chunks": len(bot.kb.chunks)})


@router.get("/metrics", summary="Prometheus 指标")
def metrics(m: MetricsDep) -> Response:
    return Response(m.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
