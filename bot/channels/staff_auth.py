"""Who may use /admin and /api/admin: the admin token (as a bearer token or at the login form) and the
server-side sessions a login opens. Failed attempts are limited per address (KEPU_ADMIN_FAIL_RATE):
past the limit every attempt from that address, right or wrong, gets 429 until the window passes.

The session cookie holds only a random id (state.SessionStore): it is not derived from the token, it
expires on the server (KEPU_ADMIN_SESSION_TTL_S), a logout ends it, and each login gets a new one.
"""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request
from fastapi.responses import Response

from bot.channels.deps import client_key
from bot.shared import SharedState

COOKIE = "kepu_admin"


def _shared(request: Request) -> SharedState:
    return request.app.state.shared  # type: ignore[no-any-return]


def _token_matches(request: Request, given: str) -> bool:
    expected = request.app.state.settings.admin_token or ""
    return bool(expected) and hmac.compare_digest(given.strip().encode(), expected.encode())


def not_throttled(request: Request) -> None:
    """429 while this address is over its failed-attempt limit (checked before any token)."""
    decision = _shared(request).auth_failures.check(client_key(request))
    if not decision.allowed:
        raise _too_many(decision.retry_after_s)


def failed(request: Request) -> None:
    """Count a wrong token or login; 429 once the address passes its limit."""
    decision = _shared(request).auth_failures.hit(client_key(request))
    if not decision.allowed:
        raise _too_many(decision.retry_after_s)


def _too_many(retry_after_s: int) -> HTTPException:
    return HTTPException(
        429,
        f"管理员令牌错误次数过多，请 {retry_after_s} 秒后再试",
        headers={"Retry-After": str(retry_after_s)},
    )


def bearer(request: Request) -> str | None:
    """The bearer token of the request, or None when it sends none."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return given if scheme.lower() == "bearer" else None


def require_bearer(request: Request) -> None:
    """For /api/admin/*: a correct bearer token, within the failed-attempt limit."""
    not_throttled(request)
    given = bearer(request)
    if given is None or not _token_matches(request, given):
        failed(request)
        raise HTTPException(401, "需要管理员令牌：请在请求头中加入 Authorization: Bearer <KEPU_ADMIN_TOKEN>")


def authorised(request: Request) -> bool:
    """For the dashboard: a live session cookie, or a correct bearer token. A wrong bearer token counts
    as a failed attempt (raises 429 past the limit)."""
    not_throttled(request)
    given = bearer(request)
    if given is not None:
        if _token_matches(request, given):
            return True
        failed(request)
        return False
    return _shared(request).sessions.valid(request.cookies.get(COOKIE, ""))


def log_in(request: Request, token: str, response: Response) -> bool:
    """Check the login form's token; on success open a new session and set its cookie."""
    not_throttled(request)
    if not _token_matches(request, token):
        failed(request)
        return False
    old = request.cookies.get(COOKIE)
    if old:
        _shared(request).sessions.drop(old)  # a new id at every login
    sid = _shared(request).sessions.create()
    settings = request.app.state.settings
    response.set_cookie(
        COOKIE,
        sid,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https" or settings.env == "production",
        max_age=settings.admin_session_ttl_s,
    )
    return True


def log_out(request: Request, response: Response) -> None:
    sid = request.cookies.get(COOKIE)
    if sid:
        _shared(request).sessions.drop(sid)
    response.delete_cookie(COOKIE)
