"""Pages for people: the chat page (/) and the responsibility browser (/units). No CDN: all local."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).with_name("static")

router = APIRouter(include_in_schema=False)


@router.get("/")
def chat_page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


@router.get("/units")
def units_page() -> FileResponse:
    return FileResponse(STATIC / "units.html", media_type="text/html; charset=utf-8")
