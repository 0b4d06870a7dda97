"""The answer to an emergency: 「立即拨打120」 first, then the approved steps for a helper, complete and
numbered in order, then what not to do — and no "wait and see" line.

The steps come from an approved first-aid article's numbered section (怎么做, 发现有人落水怎么办 …),
rebuilt whole from its chunks (which overlap and may cut a step in two), and renumbered 1, 2, 3 so a
list that spans chunks never skips a number."""

from __future__ import annotations

import re

from kepu.kb.types import Chunk
from kepu.text import STEP_NUMBER_RE

STEPS_HEADING_RE = re.compile(r"怎么做|怎么办|急救|处理|步骤|做法|怎么救|救")
DONT_HEADING_RE = re.compile(r"不要做|不能做|不要|禁忌|误区")


def section_texts(article: list[Chunk]) -> list[tuple[str, str]]:
    """(heading, whole text) for each section of an article, in order, from its overlapping chunks."""
    out: list[tuple[str, str]] = []
    for chunk in article:
        heading = chunk.section or ""
        if out and out[-1][0] == heading:
            out[-1] = (heading, _merge(out[-1][1], chunk.text))
        else:
            out.append((heading, chunk.text))
    return out


def _merge(before: str, after: str) -> str:
    """``before`` + ``after`` without the overlap the splitter repeated at the start of ``after``."""
    for n in range(min(len(before), len(after)), 0, -1):
        if before.endswith(after[:n]):
            return before + after[n:]
    return before + "\n" + after


def steps(text: str) -> list[str]:
    """The numbered steps of a section, without their numbers."""
    return [STEP_NUMBER_RE.sub("", line).strip() for line in text.splitlines() if STEP_NUMBER_RE.match(line)]


def _overlap(a: str, b: str) -> int:
    pairs = {a[i : i + 2] for i in range(len(a) - 1)}
    return sum(1 for i in range(len(b) - 1) if b[i : i + 2] in pairs)


def helper_steps(article: list[Chunk], question: str) -> tuple[str, list[str]] | None:
    """The section of numbered steps that fits the question best: (heading, steps), or None."""
    numbered = [(h, s) for h, t in section_texts(article) if (s := steps(t))]
    if not numbered:
        return None
    scored = [
        ((100 if STEPS_HEADING_RE.search(h) else 0) + _overlap(h, question), -i, h, s)
        for i, (h, s) in enumerate(numbered)
    ]
    _score, _i, heading, found = max(scored)
    return heading, found


def donts(article: list[Chunk]) -> list[str]:
    """The sentences of the article's 不要做 section(s)."""
    out: list[str] = []
    for heading, text in section_texts(article):
        if DONT_HEADING_RE.search(heading):
            out += [line.strip() for line in text.splitlines() if line.strip()]
    return out


def emergency_text(article: list[Chunk], question: str, first_line: str) -> tuple[str, list[str]]:
    """The whole emergency answer and the lines it quotes from the article."""
    lines = [first_line]
    quoted: list[str] = []
    found = helper_steps(article, question)
    title = article[0].title
    if found is not None:
        _heading, numbered = found
        lines.append(f"在等待急救的同时，可以这样做（据《{title}》）：")
        lines += [f"{i}. {s}" for i, s in enumerate(numbered, start=1)]
        quoted += numbered
    else:
        lines.append(f"请按《{title}》中的方法处理，并听从120调度员的指导。")
    dont = donts(article)
    if dont:
        lines.append("不要做：")
        lines += [f"· {d}" for d in dont]
        quoted += dont
    return "\n".join(lines), quoted
