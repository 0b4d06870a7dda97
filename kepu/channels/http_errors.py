"""Every error an HTTP client gets is JSON with a Chinese ``detail``: the request validation errors of
FastAPI, its and Starlette's English messages, the request rejections of the error tree (with their
status and Retry-After), outages, and anything unexpected (a 500, logged and counted)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from kepu.channels import server_errors
from kepu.errors import IndexNotReadyError, KepuError, RequestRejected, UpstreamError

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


def _retry_later(status: int, detail: str, retry_after_s: int) -> JSONResponse:
    """A refusal the client may retry: the Chinese reason and Retry-After."""
    return JSONResponse({"detail": detail}, status_code=status, headers={"Retry-After": str(retry_after_s)})


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

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
