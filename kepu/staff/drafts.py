"""Drafts staff write from the gaps: a Q&A pair or a synonym group, saved with its author; a reviewer who
is not the author approves (kepu/staff/publish.py writes it into knowledge/) or returns it with a comment.
Every step is in the audit log."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kepu.errors import StaffError
from kepu.staff.accounts import Staff, StaffAccounts
from kepu.staff.db import audit_entry, database, utcnow
from kepu.staff.models import Draft

MAX_FIELD_CHARS = 2000  # an answer longer than this is an article, not a pair
KIND_LABELS = {"pair": "问答对", "synonym": "同义词", "similar": "相似问法"}
STATUS_LABELS = {"draft": "待审核", "returned": "已退回", "published": "已发布"}


@dataclass(frozen=True)
class DraftView:
    id: int
    kind: str
    payload: dict[str, Any]
    status: str
    author: str
    created_at: dt.datetime
    reviewer: str | None
    comment: str
    published_as: str

    @property
    def title(self) -> str:
        if self.kind == "pair":
            return str(self.payload["question"])
        if self.kind == "similar":
            return f"{self.payload['question']} → {self.payload['pair_question']}"
        return "、".join(self.payload["words"])


def _view(d: Draft) -> DraftView:
    return DraftView(
        d.id,
        d.kind,
        json.loads(d.payload),
        d.status,
        d.author,
        d.created_at,
        d.reviewer,
        d.comment,
        d.published_as,
    )


def _lines(text: str) -> list[str]:
    return [x.strip() for x in text.replace("|", "\n").splitlines() if x.strip()]


def _checked(name: str, value: str, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise StaffError(f"“{name}”不能为空")
    if len(value) > MAX_FIELD_CHARS:
        raise StaffError(f"“{name}”太长：{len(value)} 个字符，最多 {MAX_FIELD_CHARS} 个")
    return value


class DraftDesk:
    def __init__(self, accounts: StaffAccounts) -> None:
        self._engine = accounts.engine  # the same database; tables are created on first use
        self._ready = False

    @database
    def propose_pair(self, author: Staff, question: str, similar: str, answer: str, basis: str) -> DraftView:
        payload = {
            "question": _checked("标准问题", question),
            "similar": _lines(_checked("相似问法", similar, required=False)),
            "answer": _checked("答案", answer),
            "basis": _checked("依据", basis),
        }
        return self._new(author, "pair", payload)

    @database
    def propose_synonym(self, author: Staff, words: str) -> DraftView:
        group = list(
            dict.fromkeys(
                w.strip()
                for w in _checked("同义词", words)
                .replace("、", ",")
                .replace("，", ",")
                .replace(" ", ",")
                .split(",")
                if w.strip()
            )
        )
        if len(group) < 2:
            raise StaffError(
                f"同义词至少要两个词（用顿号或逗号隔开），现在只有：{'、'.join(group) or '（空）'}"
            )
        return self._new(author, "synonym", {"words": group})

    @database
    def propose_similar(self, author: Staff, pair_id: str, pair_question: str, question: str) -> DraftView:
        """A similar question (相似问法) for an existing pair, by its id."""
        payload = {
            "pair_id": pair_id,
            "pair_question": pair_question,
            "question": _checked("相似问法", question),
        }
        return self._new(author, "similar", payload)

    def _new(self, author: Staff, kind: str, payload: dict[str, Any]) -> DraftView:
        if not author.can("editor", "admin"):
            raise StaffError(f"账号“{author.name}”的角色不能起草，需要编辑或管理员")
        with Session(self._engine) as s, s.begin():
            d = Draft(
                kind=kind,
                payload=json.dumps(payload, ensure_ascii=False),
                status="draft",
                author=author.name,
                created_at=utcnow(),
                comment="",
            )
            s.add(d)
            s.flush()
            s.add(
                audit_entry(
                    author.name, "draft_add", f"草稿 {d.id}", f"{KIND_LABELS[kind]}：{_view(d).title}"
                )
            )
            return _view(d)

    @database
    def drafts(self) -> list[DraftView]:
        with Session(self._engine) as s:
            return [_view(d) for d in s.scalars(select(Draft).order_by(Draft.id.desc()))]

    @database
    def get(self, draft_id: int) -> DraftView:
        with Session(self._engine) as s:
            d = s.get(Draft, draft_id)
            if d is None:
                raise StaffError(f"没有编号为 {draft_id} 的草稿")
            return _view(d)

    def check_review(self, draft: DraftView, reviewer: Staff) -> None:
        """Who may review: a reviewer or an admin, never the draft's author; only a draft not yet decided."""
        if not reviewer.can("reviewer", "admin"):
            raise StaffError(f"账号“{reviewer.name}”的角色不能审核，需要审核人或管理员")
        if reviewer.name == draft.author:
            raise StaffError(
                f"不能审核自己写的草稿（草稿 {draft.id} 的作者是 {draft.author}），请另一位审核人审核"
            )
        if draft.status != "draft":
            raise StaffError(f"草稿 {draft.id} 的状态是“{STATUS_LABELS[draft.status]}”，不能再审核")

    @database
    def send_back(self, draft_id: int, reviewer: Staff, comment: str) -> DraftView:
        draft = self.get(draft_id)
        self.check_review(draft, reviewer)
        comment = _checked("退回意见", comment)
        with Session(self._engine) as s, s.begin():
            d = s.get(Draft, draft_id)
            assert d is not None
            d.status, d.reviewer, d.reviewed_at, d.comment = "returned", reviewer.name, utcnow(), comment
            s.add(audit_entry(reviewer.name, "draft_return", f"草稿 {draft_id}", comment))
        return self.get(draft_id)

    @database
    def mark_published(self, draft_id: int, reviewer: Staff, published_as: str) -> DraftView:
        with Session(self._engine) as s, s.begin():
            d = s.get(Draft, draft_id)
            assert d is not None
            d.status, d.reviewer, d.reviewed_at, d.published_as = (
                "published",
                reviewer.name,
                utcnow(),
                published_as,
            )
            s.add(audit_entry(reviewer.name, "draft_publish", f"草稿 {draft_id}", published_as))
        return self.get(draft_id)
