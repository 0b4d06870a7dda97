"""The one table of answered questions (SQLite by default, any SQLAlchemy URL in production)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Asked(Base):
    __tablename__ = "kepu_asked"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    answer_id: Mapped[str] = mapped_column(String(36), unique=True, index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    channel: Mapped[str] = mapped_column(String(16), index=True)
    user_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)  # salted: never the raw openid
    question: Mapped[str] = mapped_column(Text)
    question_key: Mapped[str] = mapped_column(String(200), index=True)  # groups near-duplicates
    topic: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(16))
    route: Mapped[str] = mapped_column(String(32))
    items: Mapped[str] = mapped_column(Text, default="")  # "2020-work-points#32 …"
    units: Mapped[str] = mapped_column(Text, default="")  # "中国科协|财政部"
    sources: Mapped[str] = mapped_column(Text, default="")  # "rabies-dog-bite|…"
    latency_ms: Mapped[float] = mapped_column(Float)
    refused: Mapped[bool] = mapped_column(Boolean, index=True)
    rumor: Mapped[bool] = mapped_column(Boolean, default=False)
    feedback: Mapped[int | None] = mapped_column(Integer, nullable=True)  # +1 useful, -1 not useful


class Flagged(Base):
    """An answer the answerability gate let through with a thin margin (the quoted source lacks one of
    the question's key concepts): listed on the dashboard for staff to check. Its own table, so an
    existing database needs no migration."""

    __tablename__ = "kepu_flagged"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    answer_id: Mapped[str] = mapped_column(String(36), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    reason: Mapped[str] = mapped_column(Text)
