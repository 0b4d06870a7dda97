"""Staff dashboard (/admin, behind the admin token): what the public asks and where material is missing.
Server-rendered HTML with inline SVG charts: no scripts, no CDN."""

from __future__ import annotations

import datetime as dt
from html import escape
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from kepu.channels import staff_auth
from kepu.channels.admin_html import admin_page
from kepu.channels.deps import get_library
from kepu.errors import KepuError, StaffError
from kepu.insights.clusters import cluster_gaps
from kepu.insights.models import Asked
from kepu.insights.report import Table, load, load_flagged, tables
from kepu.kb.sources import DUE_WITHIN_DAYS, KIND_LABELS, due_report
from kepu.service.library import Library
from kepu.staff.accounts import ROLE_LABELS, Staff

router = APIRouter(prefix="/admin", include_in_schema=False)


def _authorised(request: Request) -> bool:
    return staff_auth.authorised(request)


def _bars(labels: list[str], values: list[int], width: int = 420) -> str:
    """A horizontal bar chart as inline SVG."""
    if not values:
        return "<p>（暂无数据）</p>"
    top = max(values) or 1
    row = 22
    label_w = 150
    height = row * len(values) + 4
    parts = [
        f'<svg class="chart" role="img" width="100%" viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet">'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = i * row + 2
        w = max(1, int((width - label_w - 50) * value / top))
        short = label if len(label) <= 10 else label[:9] + "…"
        parts.append(f'<text x="0" y="{y + 15}">{escape(short)}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="{row - 8}"><title>{escape(label)}：{value}</title></rect>'
        )
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 15}">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(t: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in t.header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in t.rows)
    return (
        f'<h2 id="{t.name}">{escape(t.title)}</h2><p><a class="button secondary" href="/admin/export/{t.name}.csv">导出 CSV</a></p>'
        f'<div class="table-wrap"><table class="data"><thead><tr>{head}</tr></thead><tbody>{body or "<tr><td>（暂无）</td></tr>"}</tbody></table></div>'
    )


# Longest "last N days" range: a hundred years holds every record; more overflows the calendar.
MAX_DAYS = 36_500


def _since(days: int | None) -> dt.date | None:
    return dt.date.today() - dt.timedelta(days=days) if days else None


def _login_page(request: Request, message: str = "") -> HTMLResponse:
    """The login form: a staff account's name and password, or the admin token; with its CSRF token."""
    carrier = Response()  # carries the pre-login cookie the CSRF token is bound to
    csrf = staff_auth.csrf_token(request, carrier)
    note = f'<p class="error">{escape(message)}</p>' if message else ""
    body = (
        f'{note}<form method="post" action="/admin/login" class="panel" id="login-form">'
        f'<input type="hidden" name="csrf" value="{csrf}">'
        '<label for="username">账号</label><input id="username" name="username" autocomplete="username">'
        '<label for="password">密码</label>'
        '<input id="password" name="password" type="password" autocomplete="current-password">'
        "<details><summary>使用管理员令牌登录</summary>"
        '<label for="token">管理员令牌</label><input id="token" name="token" type="password" autocomplete="off">'
        "</details>"
        '<p><button type="submit">登录</button></p></form>'
    )
    return admin_page("管理后台登录", body, cookies=carrier)


def _who(request: Request, staff: Staff) -> str:
    """Who is logged in, and the logout form (with its CSRF token)."""
    links = ' · <a href="/admin/staff">账号与操作记录</a>' if staff.can("admin") else ""
    return (
        f'<p id="whoami">当前登录：{escape(staff.name)}（{ROLE_LABELS.get(staff.role, staff.role)}）{links}</p>'
        '<form method="post" action="/admin/logout">'
        f'<input type="hidden" name="csrf" value="{staff_auth.csrf_token(request)}">'
        '<button type="submit" class="secondary">退出登录</button></form>'
    )


@router.get("", response_class=HTMLResponse)
async def dashboard(
    request: Request, days: int | None = Query(30, ge=0, le=MAX_DAYS, description="最近多少天，0 为全部")
) -> HTMLResponse:
    staff = staff_auth.current_staff(request)
    if staff is None:
        return _login_page(request)
    try:
        url = request.app.state.settings.insights_url
        rows = await run_in_threadpool(load, url, _since(days))
        flagged = await run_in_threadpool(load_flagged, url, _since(days))
    except SQLAlchemyError as exc:
        page = admin_page(
            "科普问答助手 · 数据看板",
            _who(request, staff)
            + f"<p>提问记录数据库暂时无法访问：{escape(str(exc).splitlines()[0][:200])}</p>",
        )
        page.status_code = 503
        return page
    ts = {t.name: t for t in tables(rows, titles=_titles(request), flagged=flagged)}
    answered = sum(1 for r in rows if not r.refused)
    rated = [r.feedback for r in rows if r.feedback]
    kpi = (
        f'<div class="kpi"><div>问题<b id="kpi-total">{len(rows)}</b></div><div>已回答<b>{answered}</b></div>'
        f"<div>未能回答<b>{len(rows) - answered}</b></div><div>有用 / 没用<b>{sum(f > 0 for f in rated)} / "
        f"{sum(f < 0 for f in rated)}</b></div></div>"
    )
    daily = ts["daily"]
    q = ts["questions"]
    gaps = ts["gaps"]
    charts = (
        f"<h2>每天的提问量</h2>{_bars([r[0] for r in daily.rows], [r[-1] for r in daily.rows])}"
        f"<h2>问得最多的问题</h2>{_bars([r[0] for r in q.rows[:10]], [r[1] for r in q.rows[:10]])}"
        f"<h2>最需要补充材料的主题</h2>{_bars([r[0] for r in gaps.rows[:10]], [r[1] for r in gaps.rows[:10]])}"
    )
    scope = f"最近 {days} 天" if days else "全部记录"
    links = (
        '<p>范围：<a href="/admin?days=7">7 天</a> · <a href="/admin?days=30">30 天</a> · <a href="/admin?days=0">全部</a></p>'
        + _who(request, staff)
    )
    clusters = await run_in_threadpool(_gap_clusters, request, rows)
    body = f"<p>{scope}</p>{links}{kpi}{charts}{clusters}{_due(request)}" + "".join(
        _table(t) for t in ts.values()
    )
    return admin_page("科普问答助手 · 数据看板", body)


GAP_CLUSTERS_SHOWN = 20


def _titles(request: Request) -> dict[str, str]:
    """source id -> title of every document the serving index holds (staff read titles, not ids)."""
    return {sid: d.title for sid, d in get_library(request).manifest.documents.items()}


def _nearest(library: Library, question: str) -> tuple[str, str]:
    """The closest material (title and e5 cosine) and a hint: new material when the question has words
    the library never uses, otherwise maybe a similar question or a synonym."""
    found = library.nearest(question)
    near = "—"
    if found.kind is not None:
        title = (
            f"工作要点第{found.item}条"
            if found.kind == "plan" and found.item is not None
            else f"《{found.title}》"
        )
        score = f"（相似度 {found.dense_score:.2f}）" if found.dense_score is not None else ""
        near = title + score
    if found.unknown:
        hint = f"知识库没有讲到：{'、'.join(found.unknown)}——需要新材料"
    else:
        hint = "问题里的词知识库都用过——先看最相近的材料，可能补充相似问法或同义词即可"
    return near, hint


def _gap_clusters(request: Request, rows: list[Asked]) -> str:
    """The unanswered and 👎 questions grouped by meaning, with the nearest material and a hint."""
    title = '<h2 id="gap-clusters">没能回答或评价不好的问题（按意思归类）</h2>'
    library = get_library(request)
    try:
        groups = cluster_gaps(rows, library.question_vector)[:GAP_CLUSTERS_SHOWN]
        described = [(g, *_nearest(library, g.typical)) for g in groups]
    except KepuError as exc:  # a configured embedding service is down
        return f"{title}<p>暂时无法归类：{escape(str(exc))}</p>"
    if not described:
        return f"{title}<p>（暂无）</p>"
    cards = "".join(
        '<div class="panel gap-cluster">'
        f'<p><b>{escape(g.typical)}</b> <a href="/admin/drafts?q={quote(g.typical)}">写成问答对</a></p>'
        f'<p class="meta">{g.count} 次（未能回答 {g.refused}，差评 {g.disliked}）· 首次 {g.first:%m-%d %H:%M} · '
        f"最近 {g.last:%m-%d %H:%M}</p><p>最相近的材料：{escape(near)}</p><p>建议：{escape(hint)}</p>"
        + (
            f'<p class="meta">其他问法：{escape("；".join(q for q in g.questions if q != g.typical)[:200])}</p>'
            if len(g.questions) > 1
            else ""
        )
        + "</div>"
        for g, near, hint in described
    )
    return f'{title}<div id="gap-clusters-list">{cards}</div>'


def _due(request: Request) -> str:
    """Material whose review date or expiry falls within DUE_WITHIN_DAYS (what `kepu sources --due`
    lists), soonest first: the serving index's documents and Q&A pairs."""
    rows = due_report(get_library(request).manifest, dt.date.today())
    title = f"{DUE_WITHIN_DAYS} 天内需要复审或到期的材料"
    if not rows:
        return f'<h2 id="due">{title}</h2><p>（没有）</p>'
    body = "".join(
        f"<tr><td>{escape(r['date'])}</td><td>{escape(r['label'])}</td>"
        f"<td>{escape(KIND_LABELS.get(r['kind'], r['kind']))}</td><td>{escape(r['title'])}</td>"
        f"<td>{escape(r['source_id'])}</td><td>{escape(r['reviewed_by'] or '—')}</td></tr>"
        for r in rows
    )
    head = "".join(f"<th>{h}</th>" for h in ("日期", "事项", "类别", "标题", "编号", "审核人"))
    return (
        f'<h2 id="due">{title}</h2><div class="table-wrap"><table class="data"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


@router.post("/login")
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    token: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    if not staff_auth.csrf_ok(request, csrf):
        return _login_page(request, "页面已过期或来源不明，请重新登录。")
    resp: Response = RedirectResponse("/admin", status_code=303)
    if token.strip():
        if not staff_auth.log_in(request, token, resp):
            return _login_page(request, "令牌不正确。")
        return resp
    if not username.strip() or not password:
        return _login_page(request, "请填写账号和密码（或展开“使用管理员令牌登录”）。")
    try:
        if staff_auth.log_in_staff(request, username, password, resp) is None:
            return _login_page(request, "账号或密码不正确，或账号已停用。")
    except StaffError as exc:
        page = _login_page(request, f"{exc}。请稍后再试，或使用管理员令牌登录。")
        page.status_code = 503
        return page
    return resp


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")) -> Response:
    if not staff_auth.csrf_ok(request, csrf):
        raise HTTPException(403, "退出登录的请求缺少有效的表单令牌，请从管理后台页面退出")
    resp = RedirectResponse("/admin", status_code=303)
    staff_auth.log_out(request, resp)
    return resp


ACTION_LABELS = {
    "staff_add": "新增账号",
    "staff_disable": "停用账号",
    "staff_reset": "重设密码",
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出登录",
}


@router.get("/staff", response_class=HTMLResponse)
async def staff_page(request: Request) -> HTMLResponse:
    """Accounts and the audit log: admins only."""
    staff = staff_auth.current_staff(request)
    if staff is None:
        return _login_page(request)
    if not staff.can("admin"):
        page = admin_page(
            "需要管理员角色",
            f"<p>账号“{escape(staff.name)}”的角色是{ROLE_LABELS[staff.role]}，这个页面只对管理员开放。</p>",
        )
        page.status_code = 403
        return page
    accounts = staff_auth.accounts(request)
    try:
        users, log = await run_in_threadpool(lambda: (accounts.users(), accounts.audit_log()))
    except StaffError as exc:
        page = admin_page("账号与操作记录", f"<p>{escape(str(exc))}</p>")
        page.status_code = 503
        return page
    rows = "".join(
        f"<tr><td>{escape(u.name)}</td><td>{ROLE_LABELS.get(u.role, u.role)}</td>"
        f"<td>{'已停用' if u.disabled else '正常'}</td><td>{u.created_at:%Y-%m-%d %H:%M}</td></tr>"
        for u in users
    )
    entries = "".join(
        f"<tr><td>{e.at:%Y-%m-%d %H:%M:%S}</td><td>{escape(e.actor)}</td>"
        f"<td>{ACTION_LABELS.get(e.action, escape(e.action))}</td><td>{escape(e.target)}</td><td>{escape(e.detail)}</td></tr>"
        for e in log
    )
    body = (
        _who(request, staff)
        + "<h2>账号</h2><p>用命令 <code>kepu staff add 名字 --role editor|reviewer|admin --password-stdin</code> 新增，"
        "<code>kepu staff disable</code> 停用，<code>kepu staff reset</code> 重设密码。</p>"
        '<div class="table-wrap"><table class="data" id="staff-table"><thead><tr><th>账号</th><th>角色</th><th>状态</th><th>创建时间（UTC）</th></tr></thead>'
        f"<tbody>{rows or '<tr><td>（还没有账号）</td></tr>'}</tbody></table></div>"
        '<h2>操作记录</h2><div class="table-wrap"><table class="data" id="audit-table"><thead><tr><th>时间（UTC）</th><th>谁</th><th>做了什么</th><th>对象</th><th>说明</th></tr></thead>'
        f"<tbody>{entries or '<tr><td>（暂无）</td></tr>'}</tbody></table></div>"
    )
    return admin_page("账号与操作记录", body)


@router.get("/export/{name}.csv")
async def export(
    request: Request,
    name: str,
    days: int | None = Query(None, ge=0, le=MAX_DAYS, description="最近多少天，0 为全部"),
) -> Response:
    if not _authorised(request):
        raise HTTPException(401, "需要管理员令牌")
    rows = await run_in_threadpool(load, request.app.state.settings.insights_url, _since(days))
    every = tables(rows, titles=_titles(request))
    found = next((t for t in every if t.name == name), None)
    if found is None:
        raise HTTPException(404, f"没有名为“{name}”的表，可选：{'、'.join(t.name for t in every)}")
    return Response(
        found.csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="kepu-{name}.csv"'},
    )
