"""The FastAPI application, wired: the routers, the middlewares, the error handlers (http_errors.py) and
the start-up step (lifespan) that loads the index and builds the service seam.

What the routes find on ``app.state`` (read through kepu/channels/deps.py): settings, metrics, shared
(the shared state), staff (accounts), and after start-up holder, admission, recorder, library, asking, and with
WeChat configured wechat_envelope and wechat_dialog."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from kepu import __version__
from kepu.channels import admin, api, dashboard, editor, health, http_errors, openapi_doc, pages
from kepu.channels.body_limit import BodyLimitMiddleware
from kepu.channels.request_metrics import MetricsMiddleware
from kepu.channels.security_headers import SecurityHeadersMiddleware
from kepu.channels.server_errors import ServerErrorMiddleware
from kepu.channels.wechat import routes as wechat
from kepu.channels.wechat.dialog import build_dialog
from kepu.channels.wechat.protocol import Envelope
from kepu.config import Settings
from kepu.insights.recorder import Recorder
from kepu.insights.salt import insights_salt
from kepu.kb.embedders import Embedder, make_embedder
from kepu.service.admission import Admission
from kepu.service.asking import Asking
from kepu.service.holder import BotHolder, watch
from kepu.service.library import Library
from kepu.service.metrics import Metrics
from kepu.staff.accounts import StaffAccounts
from kepu.state.shared import SharedState, build_shared

log = logging.getLogger("kepu.app")


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
        watcher = asyncio.create_task(watch(holder, settings.index_poll_s))
        app.state.library = Library(holder)
        app.state.recorder = None
        if settings.insights_enabled:
            tokenizer = app.state.library.tokenizer if holder.ready else None
            app.state.recorder = Recorder(settings.insights_url, insights_salt(settings), tokenizer)
            app.state.recorder.start()
            app.state.recorder.purge_older_than(settings.insights_retention_days)
        app.state.asking = Asking(
            holder, settings, app.state.metrics, app.state.admission, app.state.recorder
        )
        if settings.wechat_token:
            app.state.wechat_dialog = build_dialog(settings, app.state.asking, shared)
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

    http_errors.install(app)

    return app


def app_from_env() -> FastAPI:
    """App factory for `kepu serve --workers N` (each worker process builds its own app from KEPU_*)."""
    from kepu.service.startup import load_settings

    return create_app(load_settings())
