"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field, field_validator

# Channels a caller may name; any other value is counted as "other", so that a client cannot grow the
# metrics' label sets and the dashboard's columns without bound.
KNOWN_CHANNELS = frozenset({"web", "wechat", "api", "app", "miniprogram", "cli"})
OTHER_CHANNEL = "other"


class AskRequest(BaseModel):
    question: str = Field(description="用户的问题", examples=["第32条由哪个单位负责？"])
    session_id: str | None = Field(default=None, max_length=128)
    channel: str | None = Field(
        default=None,
        max_length=32,
        examples=["web"],
        description="调用渠道：web、wechat、api、app、miniprogram、cli 之一，其他值记为 other",
    )

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, value: str | None) -> str | None:
        return value if value is None or value in KNOWN_CHANNELS else OTHER_CHANNEL


class IngestRequest(BaseModel):
    paths: list[str] | None = Field(
        default=None, description="knowledge/ 下要重新导入的文件或文件夹（相对路径）；不填则导入全部"
    )


class FeedbackRequest(BaseModel):
    answer_id: UUID = Field(description="/api/ask 返回的 answer_id")
    useful: bool = Field(description="true 为有用，false 为没用")
