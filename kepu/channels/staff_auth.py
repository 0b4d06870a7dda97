"""Who may use /admin and /api/admin: named staff accounts (kepu/staff: a name and password at the login
form, with a role), the admin token (as a bearer token or at the login form; it acts as an admin), and
the server-side sessions a login opens. Failed attempts are limited per address and per account
(KEPU_ADMIN_FAIL_RATE): past the limit every attempt, right or wrong, gets 429 until the window passes.

The session cookie holds only a random id (state.SessionStore): it is not derived from the token or a
password, it expires on the server (KEPU_ADMIN_SESSION_TTL_S), a logout ends it, and each login gets a
new one. The account behind a session is looked up on every request, so disabling it takes effect at once.

CSRF: every form carries a token that is an HMAC of the session id (or, on the login form, of a random
pre-login cookie), checked on every POST. A cross-site page can neither read the cookie nor compute the
token (OWASP's HMAC-based synchronizer pattern); the cookies are also SameSite=Strict.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request
from fastapi.responses import Response

from kepu.channels.deps import client_key
from kepu.errors import StaffError
from kepu.staff.accounts import TOKEN_ACTOR, Staff, StaffAccounts
from kepu.state.shared import SharedState

COOKIE = "kepu_admin"
LOGIN_COOKIE = "kepu_login"  # random, set with the login form: what its CSRF token is bound to
TOKEN_PRINCIPAL = "token:admin"  # a session opened with the admin token (":" is never in an account name)


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
        f"令牌或密码错误次数过多，请 {retry_after_s} 秒后再试",
        headers={"Retry-After": str(retry_after_s)},
    )


def bearer(request: Request) -> str | None:
    """The bearer token of the request, or None when it sends none."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return given if scheme.lower() == "bearer" else None


def _token_admin(request: Request, given: str | None) -> Staff | None:
    """The admin, for a correct admin token; None for a missing or wrong one, which counts as a failed
    attempt (429 past the limit). The one check of the token, for bearer headers and the login form."""
    if given is not None and _token_matches(request, given):
        return Staff(TOKEN_ACTOR, "admin")
    failed(request)
    return None


def require_bearer(request: Request) -> None:
    """For /api/admin/*: a correct bearer token, within the failed-attempt limit."""
    not_throttled(request)
    if _token_admin(request, bearer(request)) is None:
        raise HTTPException(401, "需要管理员令牌：请在请求头中加入 Authorization: Bearer <KEPU_ADMIN_TOKEN>")


def accounts(request: Request) -> StaffAccounts:
    return request.app.state.staff  # type: ignore[no-any-return]


def current_staff(request: Request) -> Staff | None:
    """Who is making this request: a correct bearer token (an admin), or the account of a live session
    that is still enabled. A wrong bearer token counts as a failed attempt (raises 429 past the limit)."""
    not_throttled(request)
    given = bearer(request)
    if given is not None:
        return _token_admin(request, given)
    who = _shared(request).sessions.who(request.cookies.get(COOKIE, ""))
    if who is None:
        return None
    if who == TOKEN_PRINCIPAL:
        return Staff(TOKEN_ACTOR, "admin")
    try:
        return accounts(request).active(who)
    except StaffError:
        return None  # the accounts database is down: nobody is logged in by account


def authorised(request: Request) -> bool:
    """For the dashboard: any staff role, or the admin token."""
    return current_staff(request) is not None


def _open_session(request: Request, who: str, response: Response) -> None:
    old = request.cookies.get(COOKIE)
    if old:
        _shared(request).sessions.drop(old)  # a new id at every login
    sid = _shared(request).sessions.create(who)
    settings = request.app.state.settings
    response.set_cookie(
        COOKIE,
        sid,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https" or settings.env == "production",
        max_age=settings.admin_session_ttl_s,
    )
    response.delete_cookie(LOGIN_COOKIE)


def log_in_staff(request: Request, username: str, password: str, response: Response) -> Staff | None:
    """Check a staff account's name and password (limited per address and per account); on success
    open a new session for it. Both outcomes go to the audit log."""
    not_throttled(request)
    name = username.strip()[:64]
    per_account = f"account:{name}"
    decision = _shared(request).auth_failures.check(per_account)
    if not decision.allowed:
        raise _too_many(decision.retry_after_s)
    staff = accounts(request).verify(name, password)  # StaffError when the database is down
    if staff is None:
        accounts(request).record(name or "（空）", "login_failed", detail=client_key(request))
        _shared(request).auth_failures.hit(per_account)
        failed(request)
        return None
    _open_session(request, staff.name, response)
    accounts(request).record(staff.name, "login", detail=client_key(request))
    return staff


# --- CSRF ---------------------------------------------------------------------------------------


def _sign(value: str) -> str:
    return hmac.new(value.encode(), b"kepu-csrf", hashlib.sha256).hexdigest()


def csrf_token(request: Request, response: Response | None = None) -> str:
    """The token a form must send back: bound to the session, or to a new pre-login cookie set on
    ``response`` (the login form) when there is no session."""
    sid = request.cookies.get(COOKIE, "")
    if sid and _shared(request).sessions.valid(sid):
        return _sign(sid)
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    if response is not None:
        response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict", max_age=3600)
    return _sign(nonce)


def csrf_ok(request: Request, given: str) -> bool:
    """Whether a POSTed form's token matches the session's or the pre-login cookie's."""
    for bound in (request.cookies.get(COOKIE, ""), request.cookies.get(LOGIN_COOKIE, "")):
        if bound and given and hmac.compare_digest(given, _sign(bound)):
            return True
    return False


def log_in(request: Request, token: str, response: Response) -> bool:
    """Check the login form's token; on success open a new session (as an admin) and set its cookie."""
    not_throttled(request)
    if _token_admin(request, token) is None:
        return False
    _open_session(request, TOKEN_PRINCIPAL, response)
    accounts(request).record(TOKEN_ACTOR, "login", detail=client_key(request))
    return True


def log_out(request: Request, response: Response) -> None:
    sid = request.cookies.get(COOKIE)
    if sid:
        staff = current_staff(request)
        _shared(request).sessions.drop(sid)
        if staff is not None:
            accounts(request).record(staff.name, "logout")
    response.delete_cookie(COOKIE)
