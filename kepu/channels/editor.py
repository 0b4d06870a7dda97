"""The editor on /admin/drafts: an editor drafts a Q&A pair or a synonym group (from a gap, or from scratch),
a reviewer who is not the author approves it — then it is published without a restart — or sends it back
with a comment. 试一试 shows how the bot would answer a question with the draft published."""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack
from dataclasses import replace
from html import escape
from pathlib import Path

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kepu.answering.answer import Answer
from kepu.channels import staff_auth
from kepu.channels.admin_html import admin_page
from kepu.channels.deps import get_holder, get_library
from kepu.errors import StaffError
from kepu.ingest.errors import IngestBusy
from kepu.kb.types import FaqPair
from kepu.staff.accounts import ROLE_LABELS, Staff
from kepu.staff.drafts import KIND_LABELS, STATUS_LABELS, DraftDesk, DraftView
from kepu.staff.publish import write_pair, write_similar, write_synonym

router = APIRouter(prefix="/admin/drafts", include_in_schema=False)
TRIAL_ID = "试一试#草稿"
MODE_LABELS = {
    "structured": "按工作要点精确回答",
    "extractive": "摘录已审核材料",
    "generative": "大模型改写",
    "faq": "标准问答",
    "refusal": "不能回答",
}


def _desk(request: Request) -> DraftDesk:
    return DraftDesk(staff_auth.accounts(request))


def _staff(request: Request) -> Staff:
    staff = staff_auth.current_staff(request)
    if staff is None:
        raise HTTPException(401, "请先登录管理后台（/admin）")
    return staff


def _checked_form(request: Request, csrf: str) -> Staff:
    staff = _staff(request)
    if not staff_auth.csrf_ok(request, csrf):
        raise HTTPException(403, "表单令牌无效：请从管理后台页面重新提交")
    return staff


def _hidden(request: Request) -> str:
    return f'<input type="hidden" name="csrf" value="{staff_auth.csrf_token(request)}">'


def _answer_html(ans: Answer) -> str:
    cites = "、".join(f"《{c.title}》" + (f"第{c.item}条" if c.item else "") for c in ans.citations)
    mode = MODE_LABELS.get(ans.mode, ans.mode)
    return (
        f'<div class="panel"><p class="meta">方式：{escape(mode)}；出处：{escape(cites or "无")}</p>'
        f"<pre>{escape(ans.answer)}</pre></div>"
    )


def _draft_pair(draft: DraftView, reviewer: str) -> FaqPair:
    p = draft.payload
    return FaqPair(
        pair_id=TRIAL_ID,
        source_id="试一试",
        row=0,
        question=p["question"],
        similar=tuple(p["similar"]),
        negative=(),
        answer=p["answer"],
        basis=p["basis"],
        reviewed_by=reviewer,
        approved_at=None,
    )


def _pairs(request: Request) -> list[FaqPair]:
    return get_library(request).pairs


def _similar_form(request: Request, q: str) -> str:
    """Add a similar question to an approved pair (the fix when the material exists but the words differ)."""
    options = "".join(
        f'<option value="{escape(p.pair_id)}">{escape(p.question[:40])}</option>' for p in _pairs(request)
    )
    if not options:
        return ""
    return (
        '<h2>给已有问答补充相似问法</h2><form method="post" action="/admin/drafts" class="panel" id="similar-form">'
        f'{_hidden(request)}<input type="hidden" name="kind" value="similar">'
        f'<label for="pair_id">已有问答</label><select id="pair_id" name="pair_id">{options}</select>'
        f'<label for="similar_question">相似问法</label><input id="similar_question" name="question" value="{escape(q)}" required>'
        '<p><button type="submit">保存草稿</button></p></form>'
    )


def _find_pair(request: Request, pair_id: str) -> FaqPair:
    pair = next((p for p in _pairs(request) if p.pair_id == pair_id), None)
    if pair is None:
        raise StaffError(f"没有编号为“{pair_id}”的已审核问答（可能已停用或过期）")
    return pair


def _trial_pairs(pairs: list[FaqPair], draft: DraftView, reviewer: str) -> tuple[list[FaqPair], str]:
    """Today's pairs as they would be with the draft published, and the id the draft's answer would cite."""
    if draft.kind == "similar":
        p = draft.payload
        changed = [
            replace(x, similar=(*x.similar, p["question"])) if x.pair_id == p["pair_id"] else x for x in pairs
        ]
        return changed, p["pair_id"]
    return [*pairs, _draft_pair(draft, reviewer)], TRIAL_ID


@router.get("", response_class=HTMLResponse)
async def drafts_page(request: Request, q: str = Query("", max_length=500)) -> HTMLResponse:
    staff = _staff(request)
    try:
        drafts = await run_in_threadpool(_desk(request).drafts)
    except StaffError as exc:
        page = admin_page("草稿与审核", f"<p>{escape(str(exc))}</p>")
        page.status_code = 503
        return page
    who = f'<p id="whoami">当前登录：{escape(staff.name)}（{ROLE_LABELS.get(staff.role, staff.role)}）</p>'
    forms = ""
    if staff.can("editor", "admin"):
        forms = (
            '<h2>起草标准问答</h2><form method="post" action="/admin/drafts" class="panel" id="pair-form">'
            f'{_hidden(request)}<input type="hidden" name="kind" value="pair">'
            f'<label for="question">标准问题</label><input id="question" name="question" value="{escape(q)}" required>'
            '<label for="similar">相似问法（一行一个）</label><textarea id="similar" name="similar" rows="3"></textarea>'
            '<label for="answer">答案</label><textarea id="answer" name="answer" rows="5" required></textarea>'
            '<label for="basis">依据（工作要点条目如“第32条”，或文章名称）</label><input id="basis" name="basis" required>'
            '<p><button type="submit">保存草稿</button></p></form>'
            + _similar_form(request, q)
            + '<h2>补充同义词</h2><form method="post" action="/admin/drafts" class="panel" id="synonym-form">'
            f'{_hidden(request)}<input type="hidden" name="kind" value="synonym">'
            '<label for="words">意思相同的词（文章里的说法在前，用顿号隔开）</label><input id="words" name="words" required>'
            '<p><button type="submit">保存草稿</button></p></form>'
        )
    rows = "".join(
        f'<tr data-draft="{d.id}"><td><a href="/admin/drafts/{d.id}">{d.id}</a></td><td>{KIND_LABELS[d.kind]}</td>'
        f"<td>{escape(d.title)}</td><td>{escape(d.author)}</td><td>{STATUS_LABELS[d.status]}</td>"
        f"<td>{escape(d.reviewer or '—')}</td><td>{escape(d.comment or d.published_as)}</td></tr>"
        for d in drafts
    )
    table = (
        '<h2>草稿</h2><div class="table-wrap"><table class="data" id="drafts-table"><thead><tr><th>编号</th><th>类型</th>'
        "<th>内容</th><th>作者</th><th>状态</th><th>审核人</th><th>意见或发布为</th></tr></thead>"
        f"<tbody>{rows or '<tr><td>（还没有草稿）</td></tr>'}</tbody></table></div>"
    )
    return admin_page("草稿与审核", who + forms + table)


@router.post("")
async def propose(
    request: Request,
    csrf: str = Form(""),
    kind: str = Form("pair"),
    question: str = Form(""),
    similar: str = Form(""),
    answer: str = Form(""),
    basis: str = Form(""),
    words: str = Form(""),
    pair_id: str = Form(""),
) -> Response:
    staff = _checked_form(request, csrf)
    desk = _desk(request)
    try:
        if kind == "synonym":
            draft = await run_in_threadpool(desk.propose_synonym, staff, words)
        elif kind == "similar":
            pair = _find_pair(request, pair_id)
            draft = await run_in_threadpool(
                desk.propose_similar, staff, pair.pair_id, pair.question, question
            )
        else:
            draft = await run_in_threadpool(desk.propose_pair, staff, question, similar, answer, basis)
    except StaffError as exc:
        page = admin_page(
            "草稿没有保存", f'<p class="error">{escape(str(exc))}</p><p><a href="/admin/drafts">返回</a></p>'
        )
        page.status_code = 422
        return page
    return RedirectResponse(f"/admin/drafts/{draft.id}", status_code=303)


@router.get("/{draft_id}", response_class=HTMLResponse)
async def draft_page(request: Request, draft_id: int, q: str = Query("", max_length=500)) -> HTMLResponse:
    """One draft: its content, review buttons for a reviewer who is not its author, and 试一试."""
    staff = _staff(request)
    try:
        draft = await run_in_threadpool(_desk(request).get, draft_id)
    except StaffError as exc:
        page = admin_page("草稿", f"<p>{escape(str(exc))}</p>")
        page.status_code = 404
        return page
    if draft.kind == "pair":
        p = draft.payload
        content = (
            f'<dl id="draft-content"><dt>标准问题</dt><dd>{escape(p["question"])}</dd><dt>相似问法</dt>'
            f"<dd>{escape('；'.join(p['similar']) or '—')}</dd><dt>答案</dt><dd><pre>{escape(p['answer'])}</pre></dd>"
            f"<dt>依据</dt><dd>{escape(p['basis'])}</dd></dl>"
        )
    elif draft.kind == "similar":
        p = draft.payload
        content = (
            f'<dl id="draft-content"><dt>已有问答</dt><dd>{escape(p["pair_question"])}（{escape(p["pair_id"])}）</dd>'
            f"<dt>补充的相似问法</dt><dd>{escape(p['question'])}</dd></dl>"
        )
    else:
        content = f'<p id="draft-content">同义词：{escape("、".join(draft.payload["words"]))}</p>'
    state = f"<p>作者：{escape(draft.author)}；状态：{STATUS_LABELS[draft.status]}"
    state += f"；审核人：{escape(draft.reviewer)}" if draft.reviewer else ""
    state += f"；意见：{escape(draft.comment)}" if draft.comment else ""
    state += f"；发布为：{escape(draft.published_as)}" if draft.published_as else ""
    state += "</p>"
    review = ""
    if draft.status == "draft" and staff.can("reviewer", "admin") and staff.name != draft.author:
        review = (
            f'<form method="post" action="/admin/drafts/{draft.id}/approve" id="approve-form">{_hidden(request)}'
            '<button type="submit">批准并发布</button></form>'
            f'<form method="post" action="/admin/drafts/{draft.id}/return" id="return-form">{_hidden(request)}'
            '<label for="comment">退回意见</label><input id="comment" name="comment" required>'
            '<button type="submit" class="secondary">退回修改</button></form>'
        )
    elif draft.status == "draft" and staff.name == draft.author:
        review = "<p>需要另一位审核人审核后才能发布。</p>"
    trial = ""
    if draft.kind in ("pair", "similar"):
        trial = (
            f'<h2>试一试</h2><form method="get" action="/admin/drafts/{draft.id}" id="try-form">'
            f'<label for="q">用这个问题试试</label><input id="q" name="q" value="{escape(q)}">'
            '<button type="submit" class="secondary">试一试</button></form>'
        )
        if q.strip():
            library = get_library(request)
            pairs, target = _trial_pairs(library.pairs, draft, staff.name)
            now, then = await run_in_threadpool(library.trial, q, pairs)
            uses = "会" if any(c.source_id == target for c in then.citations) else "不会"
            trial += (
                f'<p id="trial-verdict">发布后，这个问题{uses}用这条问答回答。</p>'
                f"<h3>发布后</h3>{_answer_html(then)}<h3>现在</h3>{_answer_html(now)}"
            )
    return admin_page(f"草稿 {draft.id}：{KIND_LABELS[draft.kind]}", state + content + review + trial)


@router.post("/{draft_id}/approve")
async def approve(request: Request, draft_id: int, csrf: str = Form("")) -> Response:
    """A reviewer (not the author) approves: the draft is written into knowledge/, a new index version is
    built beside the serving one, and the server switches to it."""
    staff = _checked_form(request, csrf)
    desk = _desk(request)
    holder = get_holder(request)
    settings = request.app.state.settings
    try:
        draft = await run_in_threadpool(desk.get, draft_id)
        desk.check_review(draft, staff)
    except StaffError as exc:
        raise HTTPException(403, str(exc)) from exc
    with ExitStack() as stack:
        try:
            held = stack.enter_context(holder.ingest_lock.hold())
        except IngestBusy as exc:
            raise HTTPException(409, "另一个导入任务正在运行，请稍后再批准") from exc
        try:
            today = dt.date.today()
            if draft.kind == "pair":
                path = await run_in_threadpool(write_pair, settings.knowledge_dir, draft, staff.name, today)
            elif draft.kind == "similar":
                pair = _find_pair(request, draft.payload["pair_id"])
                record = get_library(request).manifest.documents[pair.source_id]
                path = await run_in_threadpool(
                    write_similar, Path(record.path), pair.row, pair.question, draft.payload["question"]
                )
            else:
                path = await run_in_threadpool(
                    write_synonym, settings.synonyms_path, draft, staff.name, today
                )
            from kepu.ingest.pipeline import ingest

            await run_in_threadpool(
                ingest, settings, holder.embedder, None if draft.kind == "synonym" else [path], held=held
            )
            await run_in_threadpool(holder.load)  # synonyms are read when the bot loads
        except StaffError as exc:
            page = admin_page(
                "没有发布",
                f'<p class="error">{escape(str(exc))}</p><p><a href="/admin/drafts/{draft_id}">返回</a></p>',
            )
            page.status_code = 422
            return page
    where = (
        str(path.relative_to(settings.knowledge_dir))
        if path.is_relative_to(settings.knowledge_dir)
        else path.name
    )
    await run_in_threadpool(desk.mark_published, draft_id, staff, f"knowledge/{where}")
    return RedirectResponse(f"/admin/drafts/{draft_id}", status_code=303)


@router.post("/{draft_id}/return")
async def send_back(
    request: Request, draft_id: int, csrf: str = Form(""), comment: str = Form("")
) -> Response:
    staff = _checked_form(request, csrf)
    try:
        await run_in_threadpool(_desk(request).send_back, draft_id, staff, comment)
    except StaffError as exc:
        raise HTTPException(403, str(exc)) from exc
    return RedirectResponse(f"/admin/drafts/{draft_id}", status_code=303)
