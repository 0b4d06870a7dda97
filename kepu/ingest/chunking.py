"""Turn a document into chunks: one per plan item (never split), pieces of science articles."""

from __future__ import annotations

import hashlib
import re

from langchain_text_splitters import RecursiveCharacterTextSplitter

from kepu.kb.types import Chunk, PlanDoc

HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SEPARATORS = ["\n\n", "\n", "。", "！", "？", "；", "，", " ", ""]


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _finish(chunk: Chunk) -> Chunk:
    return Chunk(**{**chunk.__dict__, "content_hash": content_hash(chunk.passage())})


def plan_chunks(plan: PlanDoc) -> list[Chunk]:
    """One chunk per item, carrying its part and section headings; plus the notice and the preamble."""
    chunks: list[Chunk] = []
    if plan.notice:
        chunks.append(
            Chunk(
                f"{plan.source_id}#notice",
                plan.source_id,
                plan.title,
                "plan",
                plan.notice,
                context="转发通知",
            )
        )
    if plan.preamble:
        chunks.append(
            Chunk(
                f"{plan.source_id}#preamble",
                plan.source_id,
                plan.title,
                "plan",
                plan.preamble,
                context="总体要求",
            )
        )
    for item in plan.items:
        context = " ".join(h for h in (item.part, item.section) if h)
        chunks.append(
            Chunk(
                chunk_id=f"{plan.source_id}#item-{item.number}",
                source_id=plan.source_id,
                title=plan.title,
                kind="plan",
                text=f"{item.number}.{item.text}",
                context=context,
                item=item.number,
                section=item.section,
                part=item.part,
                units=item.units,
            )
        )
    return [_finish(c) for c in chunks]


def _sections(body: str) -> list[tuple[str, str]]:
    """Split Markdown (or plain text) into (heading, text) pieces; the first heading is the article title."""
    out: list[tuple[str, list[str]]] = [("", [])]
    for line in body.splitlines():
        m = HEADING_RE.match(line.strip())
        if m and len(m.group(1)) >= 2:
            out.append((m.group(2).strip(), []))
        elif m:  # a level-1 heading repeats the title
            continue
        else:
            out[-1][1].append(line)
    return [(h, "\n".join(lines).strip()) for h, lines in out if "\n".join(lines).strip()]


# Health advice: a "去医院" section, or advice to see a doctor anywhere in the text. Answers quoting such
# an article end with a line to see a doctor when symptoms persist.
HEALTH_HEADING_RE = re.compile(r"医院|就医|就诊|看医生")
HEALTH_TEXT_RE = re.compile(r"就诊|就医")


def text_chunks(
    source_id: str,
    title: str,
    body: str,
    size: int,
    overlap: int,
    *,
    rumor: str | None = None,
    verdict: str | None = None,
    claims: tuple[str, ...] = (),
    subjects: tuple[tuple[str, ...], ...] = (),
) -> list[Chunk]:
    """Science material: split by heading, then by paragraph and sentence (Chinese punctuation kept).

    A rumor check carries its rumor in every chunk's context, so that any piece of it is found by a
    question that repeats the rumor."""
    sections = _sections(body)
    health = any(HEALTH_HEADING_RE.search(h) or HEALTH_TEXT_RE.search(t) for h, t in sections)
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=size, chunk_overlap=overlap, separators=_SEPARATORS, keep_separator="end"
    )
    chunks: list[Chunk] = []
    for heading, text in sections:
        for piece in splitter.split_text(text):
            piece = piece.strip()
            if not piece:
                continue
            chunks.append(
                Chunk(
                    chunk_id=f"{source_id}#{len(chunks)}",
                    source_id=source_id,
                    title=title,
                    kind="science",
                    text=piece,
                    context=f"{heading}｜传言：{rumor}" if rumor else heading,
                    section=heading or None,
                    verdict=verdict,
                    health=health,
                    claims=claims,
                    subjects=subjects,
                )
            )
    return [_finish(c) for c in chunks]
