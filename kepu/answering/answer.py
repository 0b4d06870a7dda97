"""What answering gives back: an Answer (its text, mode and citations) and the Citations it carries.
Both are values: built whole, changed with dataclasses.replace, never mutated after construction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from kepu.kb.types import Kind

Mode = Literal["structured", "extractive", "generative", "refusal", "faq"]


@dataclass(frozen=True)
class Citation:
    source_id: str
    title: str
    kind: Kind
    item: int | None
    section: str | None
    units: list[str]
    text: str
    part: str | None = None
    verdict: str | None = None  # set when the source is a rumor check (谣言 / 不准确 / 属实)
    basis: str | None = None  # a Q&A pair's basis (a plan item or a source document)


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    mode: Mode
    citations: list[Citation] = field(default_factory=list)
    latency_ms: float = 0.0
    route: str = ""  # which route produced it (unit, item, section, count, doc, free, out_of_scope …)
    passages: list[Citation] = field(default_factory=list, repr=False)  # what a model may rewrite from
    health: bool = False  # quotes health advice (a generated rewrite keeps the doctor line)
    degraded: bool = False  # computed without the vector store (unreachable): never cached
    emergency: bool = False  # someone may be in danger now: the first line is safety.EMERGENCY_LINE
    choices: list[str] = field(default_factory=list)  # questions to tap (a clarifying reply to a vague one)
    review: str = field(default="", repr=False)  # why staff should check it (a thin gate margin); not in JSON

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "mode": self.mode,
            "citations": [asdict(c) for c in self.citations],
            "latency_ms": round(self.latency_ms, 3),
            "route": self.route,
            "emergency": self.emergency,
            "choices": list(self.choices),
        }

    def to_cache(self) -> dict[str, Any]:
        """Everything needed to serve this answer again (the answer cache), passages included."""
        return {
            **self.to_dict(),
            "passages": [asdict(c) for c in self.passages],
            "health": self.health,
            "review": self.review,
        }

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> Answer:
        return cls(
            question=data["question"],
            answer=data["answer"],
            mode=data["mode"],
            citations=[Citation(**c) for c in data["citations"]],
            latency_ms=data.get("latency_ms", 0.0),
            route=data.get("route", ""),
            passages=[Citation(**c) for c in data.get("passages", [])],
            health=bool(data.get("health", False)),
            emergency=bool(data.get("emergency", False)),
            choices=list(data.get("choices", [])),
            review=str(data.get("review", "")),
        )
