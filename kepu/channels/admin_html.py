"""The frame of every server-rendered /admin page: no scripts, no CDN, the site's stylesheet."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse, Response


def admin_page(title: str, body: str, cookies: Response | None = None) -> HTMLResponse:
    """A server-rendered page; ``cookies``: a response whose Set-Cookie headers it carries over."""
    page = HTMLResponse(
        f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>
<link rel="stylesheet" href="/static/style.css"><style>
.chart text {{ font-size: 12px; fill: #1a1a1a; }} .chart rect {{ fill: #0b5cad; }}
table.data {{ font-size: .85rem; margin: .4rem 0 1rem; }} table.data td, table.data th {{ white-space: normal; text-align: left; }}
.kpi {{ display: flex; gap: 1rem; flex-wrap: wrap; }} .kpi div {{ background: var(--soft); padding: .6rem 1rem; border-radius: .4rem; }}
.kpi b {{ display: block; font-size: 1.4rem; }}
pre {{ white-space: pre-wrap; overflow-wrap: anywhere; font-family: inherit; }} dd {{ margin-left: 1rem; }}
</style></head><body><header><h1>{escape(title)}</h1><nav><a href="/">问答页面</a> · <a href="/units">单位分工</a> · <a href="/admin">看板</a> · <a href="/admin/drafts">草稿与审核</a></nav></header>
<main>{body}</main></body></html>"""
    )
    if cookies is not None:
        for key, value in cookies.raw_headers:
            if key.lower() == b"set-cookie":
                page.raw_headers.append((key, value))
    return page
