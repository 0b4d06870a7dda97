"""Staff accounts and the audit log, in the database the insights use (SQLite by default, any SQLAlchemy
URL for replicas)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class StaffBase(DeclarativeBase):
    pass


class StaffUser(StaffBase):
    __tablename__ = "kepu_staff"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # editor | reviewer | admin
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id, with its parameters and salt
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AuditEntry(StaffBase):
    __tablename__ = "kepu_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)  # a staff name, "命令行" or "管理员令牌"
    action: Mapped[str] = mapped_column(String(32))  # staff_add, staff_disable, staff_reset, login …
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class Draft(StaffBase):
    """A change an editor proposes from a gap: a new Q&A pair, or a synonym group. A reviewer who is not
    its author approves it (then it is published) or sends it back with a comment."""

    __tablename__ = "kepu_drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # pair | synonym
    payload: Mapped[str] = mapped_column(Text)  # JSON: the pair's fields, or {"words": [...]}
    status: Mapped[str] = mapped_column(String(16), index=True)  # draft | returned | published
    author: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    reviewer: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    published_as: Mapped[str] = mapped_column(String(200), default="")  # the pair id or the file changed
