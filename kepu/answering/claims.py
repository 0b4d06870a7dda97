"""Rumor verdicts only for the claim a check rules on.

A rumor check declares, in its front matter, the claims its verdict is about (as people say them) and
the subjects they concern, with aliases (kepu/ingest/metadata.py). A question gets the check's verdict only
when it is about one of those subjects *and* states one of those claims: every content word of the
claim outside its subject ("致癌" in 味精吃多了会致癌) is in the question, directly or through the
language layer's aliases. "鸡精比味精更健康吗" is about 味精 but states no claim of the check, so it
gets no verdict; "吃烧烤烤焦的肉会致癌吗" states 致癌 but is not about 味精, so neither does it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kepu.answering.answerability import FUNCTION_CHARS, SIMILE_RE
from kepu.kb.types import Chunk
from kepu.language import Lexicon
from kepu.text import stopwords

# Words of a claim that carry no claim of their own ("吃味精" claims nothing; "致癌" does).
CLAIM_FILLER = frozenset(
    [
        "吃",
        "喝",
        "用",
        "多",
        "常",
        "经常",
        "天天",
        "多吃",
        "多喝",
        "吃多",
        "吃多了",
        "会",
        "能",
        "了",
        "的",
        "就",
        "都",
        "人",
        "让",
        "把",
        "里",
        "里面",
        "东西",
    ]
)
# Share of a claim's own words the question must state. 1.0: all of them — a verdict is a strong
# statement, and a claim that shares one word of two ("软化 血管" vs "降 血压") is another claim.
# Fitted on eval/hard_negatives.yaml (near claims vs restated claims): see tests/test_claims.py.
CLAIM_MATCH = 1.0


@dataclass(frozen=True)
class ClaimMatch:
    claim: str
    subject: str
    score: float  # share of the claim's own words the question states


def subject_in(question: str, subjects: tuple[tuple[str, ...], ...]) -> str | None:
    """The check's subject the question is about (by the subject or any alias), or None."""
    for group in subjects:
        if any(name and name in question for name in group):
            return group[0]
    return None


def claim_words(
    claim: str, subjects: tuple[tuple[str, ...], ...], words: Callable[[str], list[str]]
) -> list[str]:
    """A claim's own words: its segmentation without its subject, fillers and stopwords."""
    text = claim
    for group in subjects:
        for name in sorted(group, key=len, reverse=True):
            text = text.replace(name, " ")
    skip = stopwords() | CLAIM_FILLER
    # single characters (放, 边) and words glued to a function character by segmentation ("边会")
    # say too little to tell one claim from another
    return [
        w
        for w in words(text)
        if len(w) >= 2 and w not in skip and not (FUNCTION_CHARS & set(w) and len(w) == 2)
    ]


def match(
    question: str, check: Chunk, words: Callable[[str], list[str]], lexicon: Lexicon
) -> ClaimMatch | None:
    """The check's claim the question states, or None (no verdict may be given). A comparison names
    what the question is not about: "腌菜跟手机辐射一样都是2B类致癌物" asks about 腌菜."""
    question = SIMILE_RE.sub(" ", question)
    subject = subject_in(question, check.subjects)
    if subject is None:
        return None
    best: ClaimMatch | None = None
    for claim in check.claims:
        if "比" in question and "比" not in claim:
            continue  # "吃猪血比吃红糖管用" compares; the claim "红糖能补铁" does not: another claim
        own = claim_words(claim, check.subjects, words)
        if not own:
            continue
        stated = sum(
            1
            for w in own
            if any(a in question for a in lexicon.aliases(w)) or lexicon.person_kind_in(w, question)
        )
        score = stated / len(own)
        if best is None or score > best.score:
            best = ClaimMatch(claim, subject, score)
    return best if best is not None and best.score >= CLAIM_MATCH else None
