"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from kepu.channels.deps import HolderDep, MetricsDep
from kepu.kb.embedders import embedder_status

router = APIRouter()


@router.get("/healthz", summary="进程存活")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="索引已加载并可查询；依赖不可用时为降级（degraded）")
def readyz(holder: HolderDep, request: Request) -> JSONResponse:
    """503 until an index is loaded. Then 200 with ``status`` "ready", or "degraded" when the Chroma
    server, the embeddings endpoint or Redis cannot be reached (the replica still answers: structured
    and lexical answers, local state) — ``checks`` says which, and ``detail`` says it in words.

    ``checks.embedder`` is "embedded" for a model in this process, else how the endpoint answered the
    last question ("ok" / "unavailable": the state of its circuit breaker). Nothing is embedded to find
    out; the probe search below embeds its one word through the same breaker (and the query cache), so a
    hung endpoint costs it at most one query timeout per breaker period."""
    shared = request.app.state.shared
    chroma = (
        "embedded"
        if holder.catalog.location_kind == "embedded"
        else ("ok" if holder.catalog.heartbeat() else "unavailable")
    )
    checks = {
        "index": "ok" if holder.ready else "not_loaded",
        "chroma": chroma,
        "redis": shared.redis_status(),
        "embedder": embedder_status(holder.embedder),
    }
    if not holder.ready:
        return JSONResponse(
            {"status": "not_ready", "detail": holder.not_ready_reason, "checks": checks}, status_code=503
        )
    index_dir = request.app.state.settings.index_dir
    if holder.catalog.location_kind == "embedded" and not index_dir.exists():
        # deleted while serving: the open files still answer, the next restart or re-ingest cannot
        detail = f"索引目录 {index_dir} 不存在（可能被删除了）：请重新运行 kepu ingest"
        return JSONResponse({"status": "not_ready", "detail": detail, "checks": checks}, status_code=503)
    library = request.app.state.library
    try:
        version, chunks = library.probe()
    except Exception as exc:  # readiness must report, not crash: any failure means not ready
        return JSONResponse({"status": "not_ready", "detail": f"索引无法查询：{exc}"}, status_code=503)
    checks["embedder"] = embedder_status(holder.embedder)  # the probe above may have been its last try
    waited = request.app.state.admission.recent_wait_s()
    slow = waited > request.app.state.settings.queue_degraded_s
    checks["queue"] = "slow" if slow else "ok"
    down = [name for name in ("chroma", "embedder", "redis") if checks[name] == "unavailable"]
    body = {
        "status": "degraded" if down or slow else "ready",
        "version": version,
        "chunks": chunks,
        "checks": checks,
    }
    if down:
        words = {
            "chroma": "Chroma 服务器不可用：只提供条目、单位类的结构化回答和关键词检索",
            "embedder": "向量服务不可用：只提供条目、单位类的结构化回答和关键词检索",
            "redis": "Redis 不可用：使用本副本的本地状态",
        }
        body["detail"] = "；".join(words[n] for n in down)
    if slow:
        queued = f"回答排队较久：最近 30 秒内最长等了 {waited:.1f} 秒"
        body["detail"] = f"{body['detail']}；{queued}" if down else queued
    return JSONResponse(body)


@router.get("/metrics", summary="Prometheus 指标")
def metrics(m: MetricsDep, request: Request) -> Response:
    # The shared services as this replica last saw them (no network call at scrape time).
    link = request.app.state.shared.link
    if link is not None:
        m.dependency_up.labels("redis").set(1 if link.available else 0)
    holder = getattr(request.app.state, "holder", None)
    if holder is not None and holder.catalog.location_kind == "server":
        m.dependency_up.labels("chroma").set(1 if holder.store_ok else 0)
    embedder = embedder_status(holder.embedder) if holder is not None else "embedded"
    if embedder != "embedded":
        m.dependency_up.labels("embedder").set(1 if embedder == "ok" else 0)
    recorder = getattr(request.app.state, "recorder", None)
    if recorder is not None:
        m.insights_dropped.set(recorder.dropped)
    return Response(m.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
