"""The FastAPI application: routers, error handling, metrics, and the start-up step (lifespan)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kepu import __version__
from kepu.channels import admin, api, dashboard, editor, health, openapi_doc, pages, server_errors
from kepu.channels.body_limit import BodyLimitMiddleware
from kepu.channels.security_headers import SecurityHeadersMiddleware
from kepu.channels.server_errors import ServerErrorMiddleware
from kepu.channels.wechat import routes as wechat
from kepu.channels.wechat.dialog import Dialog, LLMEnricher, MenuConfig
from kepu.channels.wechat.kf import CustomerService, KepuWeChatClient
from kepu.channels.wechat.protocol import Envelope
from kepu.config import Settings
from kepu.errors import IndexNotReadyError, KepuError, RequestRejected, UpstreamError
from kepu.insights.recorder import Recorder
from kepu.insights.salt import insights_salt
from kepu.kb.embedders import Embedder, make_embedder
from kepu.service.admission import Admission
from kepu.service.asking import Asking
from kepu.service.holder import BotHolder
from kepu.service.metrics import Metrics
from kepu.staff.accounts import StaffAccounts
from kepu.state.shared import SharedState, build_shared

log = logging.getLogger("kepu.app")

_FIELD_NAMES = {
    "question": "问题（question）",
    "session_id": "会话（session_id）",
    "channel": "渠道（channel）",
    "days": "天数（days）",
}


# English messages of FastAPI and Starlette, in Chinese (everything a user reads is Chinese).
FRAMEWORK_TEXT = {
    "Not Found": "页面或接口不存在",
    "Method Not Allowed": "不支持这种请求方法",
    "There was an error parsing the body": "请求体无法解析：请发送 UTF-8 编码、层次不过深的 JSON",
}
STATUS_TEXT = {
    400: "请求格式不正确",
    401: "需要登录或令牌",
    403: "没有权限",
    404: "页面或接口不存在",
    405: "不支持这种请求方法",
    413: "请求体太大",
    415: "不支持这种内容类型，请发送 JSON",
    429: "请求太频繁，请稍后再试",
}
BOUND_WORDS = (("ge", "不小于"), ("gt", "大于"), ("le", "不大于"), ("lt", "小于"))


def _validation_message(exc: RequestValidationError) -> str:
    messages = []
    for err in exc.errors():
        kind = err.get("type", "")
        field = next((str(p) for p in reversed(err.get("loc", ())) if isinstance(p, str) and p != "body"), "")
        name = _FIELD_NAMES.get(field, field or "请求体")
        if kind == "json_invalid":
            messages.append("请求体不是合法的 JSON")
        elif kind == "missing":
            messages.append(f"缺少{name}")
        elif kind in ("string_too_long", "too_long"):
            messages.append(f"{name}太长")
        elif kind in ("string_too_short", "too_short"):
            messages.append(f"{name}不能为空")
        elif kind.startswith(("greater_than", "less_than")):
            ctx = err.get("ctx") or {}
            bound = next(
                (f"（应{word}{ctx[k]}）" for k, word in BOUND_WORDS if k in ctx),
                "",
            )
            messages.append(f"{name}超出允许范围{bound}")
        else:
            messages.append(f"{name}格式不正确")
    return "；".join(dict.fromkeys(messages)) or "请求格式不正确"


class MetricsMiddleware:
    """Counts requests and their latency per route template (pure ASGI: no per-request task overhead)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            metrics: Metrics = scope["app"].state.metrics
            metrics.requests.labels(route, scope["method"], str(status)).inc()
            metrics.latency.labels(route).observe(time.perf_counter() - started)


def _wechat_dialog(settings: Settings, asking: Asking, shared: SharedState) -> Dialog:
    customer_service = None
    if settings.wechat_app_id and settings.wechat_app_secret:
        customer_service = CustomerService(KepuWeChatClient(settings, session=shared.token_storage))
    return Dialog(
        asking,
        budget_s=settings.wechat_budget_s,
        reply_bytes=settings.wechat_reply_bytes,
        more=shared.more,
        limiter=shared.wechat_limiter,
        feedback=shared.feedback,
        menu=MenuConfig.load(settings.wechat_menu_file),
        customer_service=customer_service,
        enricher=LLMEnricher(asking) if settings.llm_base_url else None,
    )


async def _watch_index(holder: BotHolder, every_s: float) -> None:
    """Switch to a new index version when one appears (another replica or `kepu ingest` built it).
    The new version is opened completely before it serves, so no answer mixes two versions."""
    if every_s <= 0:
        return
    while True:
        await asyncio.sleep(every_s)
        try:
            await to_thread.run_sync(holder.refresh)
        except Exception as exc:  # the store is away: keep serving what is loaded, try again later
            log.warning("index check failed", extra={"error": str(exc)})


def _retry_later(status: int, detail: str, retry_after_s: int) -> JSONResponse:
    """A refusal the client may retry: the Chinese reason and Retry-After."""
    return JSONResponse({"detail": detail}, status_code=status, headers={"Retry-After": str(retry_after_s)})


def create_app(settings: Settings, embedder: Embedder | None = None) -> FastAPI:
    """Build the app. Models and indexes load in the lifespan, once, not here."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.admission = Admission(
            settings.answer_threads,
            settings.client_concurrency,
            settings.queue_deadline_s,
            app.state.metrics.queue_wait.observe,
        )
        shared: SharedState = app.state.shared
        holder = BotHolder(settings, embedder or make_embedder(settings), shared)
        if await to_thread.run_sync(holder.try_load) is None:
            log.warning("no index yet; /readyz reports not ready until kepu ingest has run")
        app.state.holder = holder
        watcher = asyncio.create_task(_watch_index(holder, settings.index_poll_s))
        app.state.recorder = None
        if settings.insights_enabled:
            tokenizer = holder.bot.kb.tokenizer if holder.ready else None
            app.state.recorder = Recorder(settings.insights_url, insights_salt(settings), tokenizer)
            app.state.recorder.start()
            app.state.recorder.purge_older_than(settings.insights_retention_days)
        app.state.asking = Asking(
            holder, settings, app.state.metrics, app.state.admission, app.state.recorder
        )
        if settings.wechat_token:
            app.state.wechat_dialog = _wechat_dialog(settings, app.state.asking, shared)
        yield
        watcher.cancel()
        if app.state.recorder is not None:
            app.state.recorder.stop()

    app = FastAPI(
        title="科普问答助手 kepu",
        description="全民科学素质行动工作要点与已审核科普材料的问答接口。所有错误都以 JSON 返回。",
        version=__version__,
        lifespan=lifespan,
        # swagger-ui and redoc load from a CDN: not offered in production
        docs_url=None if settings.env == "production" else "/docs",
        redoc_url=None if settings.env == "production" else "/redoc",
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.shared = build_shared(settings)
    app.state.limiter = app.state.shared.api_limiter
    # staff accounts (kepu staff add …) live in the insights database; the dashboard is open to them and
    # to the admin token, the re-ingest API to the token only
    app.state.staff = StaffAccounts(settings.insights_url)

    app.include_router(api.router)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.include_router(dashboard.router)
    app.include_router(editor.router)
    if settings.admin_token:
        app.include_router(admin.router)
    if settings.wechat_token:
        app.state.wechat_envelope = Envelope(settings)
        app.state.wechat_once = app.state.shared.once
        app.include_router(wechat.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")

    openapi_doc.install(app)
    # innermost: an unexpected error becomes a 500 here, so the connection stays open
    app.add_middleware(
        ServerErrorMiddleware, count=lambda route: app.state.metrics.errors.labels(route).inc()
    )
    app.add_middleware(
        BodyLimitMiddleware,
        limits={"/api/": settings.api_max_body_bytes, "/wechat": settings.wechat_max_body_bytes},
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _validation_message(exc)}, status_code=422)

    @app.exception_handler(RequestRejected)
    async def on_rejected(request: Request, exc: RequestRejected) -> JSONResponse:
        if exc.retry_after_s is not None:
            return _retry_later(exc.status, str(exc), exc.retry_after_s)
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail
        if isinstance(detail, dict):
            body = {
                "detail": detail.get("message", ""),
                **{k: v for k, v in detail.items() if k != "message"},
            }
        else:
            text = str(detail)
            if not any("\u4e00" <= ch <= "\u9fff" for ch in text):  # a framework's English message
                text = FRAMEWORK_TEXT.get(text) or STATUS_TEXT.get(exc.status_code, "请求无法处理")
            body = {"detail": text}
        return JSONResponse(body, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(IndexNotReadyError)
    async def on_not_ready(request: Request, exc: IndexNotReadyError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(UpstreamError)
    async def on_upstream(request: Request, exc: UpstreamError) -> JSONResponse:
        log.warning("upstream failed", extra={"status": exc.status, "path": request.url.path})
        return JSONResponse({"detail": "依赖的服务暂时不可用，请稍后再试"}, status_code=502)

    @app.exception_handler(KepuError)
    async def on_kepu(request: Request, exc: KepuError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=500)

    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        # only errors outside ServerErrorMiddleware (in the outer middlewares) get here
        log.exception("unhandled error", extra={"path": request.url.path})
        request.app.state.metrics.errors.labels(
            getattr(request.scope.get("route"), "path", "unmatched")
        ).inc()
        return JSONResponse({"detail": server_errors.MESSAGE}, status_code=500)

    return app


def app_from_env() -> FastAPI:
    """App factory for `kepu serve --workers N` (each worker process builds its own app from KEPU_*)."""
    from kepu.service.startup import load_settings

    return create_app(load_settings())
