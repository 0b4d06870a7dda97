"""A saved WeChat official-account article (mp.weixin.qq.com, "另存为网页"): its title, account name,
publish time and body text, without the page's scripts, styles, QR codes and reading counters.

The page structure this reads (stable for years): the title in ``h1#activity-name`` (or the
``og:title`` meta), the account in ``#js_name`` (or ``a#js_name`` / ``strong.profile_nickname``), the
publish time in ``em#publish_time`` or, when the page filled it in with script, the ``var ct = "…"``
Unix time of the inline script, and the body in ``div#js_content``. Approval metadata comes from the
sidecar ``<file>.meta.yaml``, as for any HTML; what the page says fills ``title``, ``source`` and
``published_at`` where the sidecar does not.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

BODY_ID = "js_content"
CT_RE = re.compile(r"""var\s+ct\s*=\s*["']?(\d{9,11})["']?""")
DATE_RE = re.compile(r"(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})")
# China Standard Time: a page's Unix time is shown as a date there
CST = dt.timezone(dt.timedelta(hours=8))


def is_wechat_article(soup: Any) -> bool:
    og_url = soup.find("meta", attrs={"property": "og:url"})
    from_wechat = og_url is not None and "mp.weixin.qq.com" in str(og_url.get("content", ""))
    return soup.find(id=BODY_ID) is not None and (from_wechat or soup.find(id="activity-name") is not None)


def _text(node: Any) -> str:
    return re.sub(r"\s+", " ", node.get_text(" ")).strip() if node is not None else ""


def _published(soup: Any) -> str | None:
    shown = _text(soup.find(id="publish_time"))
    m = DATE_RE.search(shown)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    for script in soup.find_all("script"):
        ct = CT_RE.search(script.get_text())
        if ct:
            return dt.datetime.fromtimestamp(int(ct.group(1)), CST).date().isoformat()
    return None


def read(soup: Any) -> tuple[str, dict[str, Any]]:
    """(body text, what the page says of itself) of a WeChat article page. Call before removing the
    page's scripts: the publish time may be in one."""
    meta: dict[str, Any] = {}
    title = _text(soup.find(id="activity-name"))
    if not title:
        og = soup.find("meta", attrs={"property": "og:title"})
        title = str(og.get("content", "")).strip() if og is not None else ""
    if title:
        meta["title"] = title
    account = _text(soup.find(id="js_name")) or _text(soup.find(class_="profile_nickname"))
    if account:
        meta["source"] = f"微信公众号“{account}”"
        meta["account"] = account
    published = _published(soup)
    if published:
        meta["published_at"] = published
    body = soup.find(id=BODY_ID)
    for tag in body(["script", "style", "noscript", "img", "svg", "iframe", "mp-miniprogram", "qqmusic"]):
        tag.decompose()
    blocks = [
        _text(p)
        for p in body.find_all(["p", "section", "h1", "h2", "h3", "h4", "li"])
        if not p.find(["p", "section", "li"])
    ]
    lines = [b for b in blocks if b]
    if not lines:
        lines = [line.strip() for line in body.get_text("\n").splitlines() if line.strip()]
    return "\n".join(dict.fromkeys(lines)), meta
