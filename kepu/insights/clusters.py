"""Gaps the way a person thinks of them: the unanswered and 👎 questions grouped by meaning (the e5 vectors),
each group with its most typical wording, counts, first and last time asked.

Grouping is leader clustering: distinct questions, most asked first, join the first group whose leader is
at least CLUSTER_MIN_SIM similar, else start one. Deterministic, and a group never drifts away from its
leader the way centroid updates can."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from kepu.insights.models import Asked

# Cosine (e5) at which two questions count as asking the same thing. Measured 2026-12-06
# (/tmp/ana/clus.py) on the 165 labelled questions of eval/faq_*.yaml, same approved pair = same meaning:
# 0.91 → precision 0.565 / recall 0.830; 0.92 → 0.754 / 0.706 (best F1, 0.729); 0.93 → 0.866 / 0.567.
CLUSTER_MIN_SIM = 0.92
# Distinct gap questions grouped per dashboard view (most asked first): bounds the embedding work.
MAX_GAP_QUESTIONS = 200


@dataclass
class GapCluster:
    typical: str  # the wording closest to all the others in the group (its medoid)
    questions: list[str]  # every distinct wording, most asked first
    count: int  # times asked
    refused: int
    disliked: int  # 👎
    first: dt.datetime
    last: dt.datetime
    extra: dict[str, str] = field(default_factory=dict)  # filled in by the caller (nearest material …)


def gap_rows(rows: Sequence[Asked]) -> list[Asked]:
    return [r for r in rows if r.refused or r.feedback == -1]


def cluster_gaps(
    rows: Sequence[Asked],
    embed: Callable[[str], np.ndarray],
    min_sim: float = CLUSTER_MIN_SIM,
    limit: int = MAX_GAP_QUESTIONS,
) -> list[GapCluster]:
    """Groups of the unanswered or 👎 questions in ``rows``, largest first."""
    by_text: dict[str, list[Asked]] = {}
    for r in gap_rows(rows):
        by_text.setdefault(r.question.strip(), []).append(r)
    texts = sorted(by_text, key=lambda t: (-len(by_text[t]), -max(r.at for r in by_text[t]).timestamp(), t))
    texts = texts[:limit]
    if not texts:
        return []
    vectors = np.array([embed(t) for t in texts], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
    leaders: list[int] = []
    members: list[list[int]] = []
    for i in range(len(texts)):
        if leaders:
            sims = vectors[leaders] @ vectors[i]
            best = int(np.argmax(sims))
            if sims[best] >= min_sim:
                members[best].append(i)
                continue
        leaders.append(i)
        members.append([i])
    out: list[GapCluster] = []
    for group in members:
        block = vectors[group] @ vectors[group].T
        typical = texts[group[int(np.argmax(block.sum(axis=1)))]]
        asked = [r for i in group for r in by_text[texts[i]]]
        out.append(
            GapCluster(
                typical=typical,
                questions=[texts[i] for i in group],
                count=len(asked),
                refused=sum(r.refused for r in asked),
                disliked=sum(1 for r in asked if r.feedback == -1),
                first=min(r.at for r in asked),
                last=max(r.at for r in asked),
            )
        )
    out.sort(key=lambda c: (-c.count, -c.last.timestamp(), c.typical))
    return out
