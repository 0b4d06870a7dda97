"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field


class AskRequest(BaseModel):
    question: str = Field(description="用户的问题", examples=["第32条由哪个单位负责？"])
    session_id: str | None = Field(default=None, max_length=128)
    channel: str | None = Field(default=None, max_length=32, examples=["web"])


class IngestRequest(BaseModel):
    paths: list[str] | None = Field(
        default=None, description="knowledge/ 下要重新导入的文件或文件夹（相对路径）；不填则导入全部"
    )


class FeedbackRequest(BaseModel):
    answer_id: UUID = Field(description="/api/ask 返回的 answer_id")
    useful: bool = Field(description="true 为有用，false 为没用")
