"""Answers as WeChat text: plain (no Markdown), citations in 「」, at most ~2048 UTF-8 bytes a message."""

from __future__ import annotations

import re

from kepu.answering.answer import Answer

MORE_WORDS = ("更多", "更多内容", "继续", "下一页", "还有呢")
_BREAKS = re.compile(r"(?<=\n)|(?<=[。！？；])")


def citation_line(answer: Answer) -> str:
    refs: list[str] = []
    items = [c.item for c in answer.citations if c.kind == "plan" and c.item is not None]
    if items:
        nums = "、".join(str(n) for n in dict.fromkeys(items))
        refs.append(f"「工作要点第{nums}条」")
    elif any(c.kind == "plan" for c in answer.citations):
        refs.append("「工作要点」")
    for c in answer.citations:
        if c.kind == "science" and f"「{c.title}」" not in refs:
            refs.append(f"「{c.title}」")
    return f"出处：{'、'.join(refs)}" if refs else ""


def choice_link(question: str, n: int) -> str:
    """A question to tap in a WeChat text message (the documented weixin://bizmsgmenu link: tapping it sends
    the question back as the user's message)."""
    q = re.sub(r"[&<>\"']", "", question)
    return f'· <a href="weixin://bizmsgmenu?msgmenucontent={q}&msgmenuid={n}">{q}</a>'


def phone_text(answer: Answer) -> str:
    """The answer as sent: its characters unchanged (a quote keeps its 《》), only the indentation that a
    phone would show as ragged space removed, then the sources line."""
    text = answer.answer.strip()
    text = re.sub(r"^[ \t]+", "", text, flags=re.MULTILINE)  # no indentation on a phone
    if answer.choices:
        text += "\n" + "\n".join(choice_link(c, i) for i, c in enumerate(answer.choices, start=1))
    line = citation_line(answer)
    return f"{text}\n\n{line}" if line else text


def _footer(remaining: int) -> str:
    return f"\n\n（内容较长，回复「更多」查看下一段，还剩{remaining}段）"


def split(text: str, limit: int) -> list[str]:
    """Cut text into parts that fit ``limit`` bytes with the 「更多」 footer, at line or sentence ends."""
    budget = limit - len(_footer(99).encode("utf-8"))
    pieces = [p for p in _BREAKS.split(text) if p]
    parts: list[str] = []
    current = ""
    for piece in pieces:
        while len(piece.encode("utf-8")) > budget:  # a single overlong sentence: cut by characters
            cut = piece
            while len(cut.encode("utf-8")) > budget:
                cut = cut[: len(cut) * 9 // 10]
            if current:
                parts.append(current)
                current = ""
            parts.append(cut)
            piece = piece[len(cut) :]
        if len((current + piece).encode("utf-8")) > budget:
            parts.append(current)
            current = piece
        else:
            current += piece
    if current.strip():
        parts.append(current)
    parts = [p.strip("\n") for p in parts if p.strip()]
    return [p + _footer(len(parts) - i - 1) if i < len(parts) - 1 else p for i, p in enumerate(parts)]
