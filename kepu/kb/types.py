"""Typed records shared by ingestion and answering."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["plan", "science", "faq"]
ALL_MEMBERS = "各成员单位"


@dataclass(frozen=True)
class PlanItem:
    """One numbered work point, with its responsible units split out of the trailing parentheses."""

    number: int
    part_no: int
    part: str
    section_no: int | None
    section: str | None
    text: str  # the full item as written, units included
    body: str  # the item without the trailing parentheses
    units: tuple[str, ...]  # as the plan writes them; ("各成员单位",) for all member units

    @property
    def all_members(self) -> bool:
        return ALL_MEMBERS in self.units

    @property
    def lead(self) -> str | None:
        """The leading unit (牵头单位): in Chinese government documents the first unit listed leads and
        the others take part (参与). None for an item assigned to all member units."""
        return None if self.all_members or not self.units else self.units[0]

    def role(self, unit: str) -> str:
        """How ``unit`` takes part in this item: 单独负责, 牵头, 参与, or 各成员单位共同负责."""
        if self.all_members:
            return "各成员单位共同负责"
        if unit == self.lead:
            return "单独负责" if len(self.units) == 1 else "牵头"
        return "参与"


@dataclass(frozen=True)
class PlanSection:
    part_no: int
    number: int
    title: str  # e.g. "（二）实施农民科学素质行动"
    items: tuple[int, ...]


@dataclass(frozen=True)
class PlanPart:
    number: int
    title: str  # e.g. "二、加强分类指导和精准施策，狠抓重点人群科学素质提升"
    sections: tuple[PlanSection, ...]
    items: tuple[int, ...]

    @classmethod
    def from_dict(cls, p: dict[str, Any]) -> PlanPart:
        return cls(
            number=p["number"],
            title=p["title"],
            sections=tuple(
                PlanSection(s["part_no"], s["number"], s["title"], tuple(s["items"])) for s in p["sections"]
            ),
            items=tuple(p["items"]),
        )


@dataclass(frozen=True)
class PlanDoc:
    """A parsed plan: document facts, parts, sections and items."""

    source_id: str
    title: str
    year: int | None
    region: str | None
    issuer: str | None
    forwarder: str | None
    forward_date: str | None
    forward_title: str | None
    doc_number: str | None
    recipients: str | None
    preamble: str | None
    parts: tuple[PlanPart, ...]
    items: tuple[PlanItem, ...]
    notice: str | None = None  # the forwarding notice as one paragraph

    def item(self, number: int) -> PlanItem | None:
        for it in self.items:
            if it.number == number:
                return it
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanDoc:
        parts = tuple(PlanPart.from_dict(p) for p in data["parts"])
        items = tuple(PlanItem(**{**i, "units": tuple(i["units"])}) for i in data["items"])
        rest = {k: v for k, v in data.items() if k not in ("parts", "items")}
        return cls(**rest, parts=parts, items=items)


@dataclass(frozen=True)
class Chunk:
    """The unit of retrieval. Plan chunks are whole items; science chunks are pieces of an article."""

    chunk_id: str
    source_id: str
    title: str
    kind: Kind
    text: str
    context: str  # headings that situate the text (part/section, article heading)
    item: int | None = None
    section: str | None = None
    part: str | None = None
    units: tuple[str, ...] = ()
    content_hash: str = ""
    verdict: str | None = None  # rumor checks: 谣言 / 不准确 / 属实
    health: bool = False  # science material that gives health advice (it has a "去医院" section)
    # rumor checks: the claims the verdict rules on, as people say them, and the subjects they are
    # about, each as (subject, alias, alias …)
    claims: tuple[str, ...] = ()
    subjects: tuple[tuple[str, ...], ...] = ()

    def passage(self) -> str:
        """What gets embedded and lexically indexed: the headings plus the text."""
        return f"{self.title}\n{self.context}\n{self.text}" if self.context else f"{self.title}\n{self.text}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(
            **{
                **data,
                "units": tuple(data.get("units", ())),
                "claims": tuple(data.get("claims", ())),
                "subjects": tuple(tuple(s) for s in data.get("subjects", ())),
            }
        )


@dataclass(frozen=True)
class FaqPair:
    """One approved question–answer pair (标准问答): its answer is given verbatim when a question asks
    what ``question`` or one of ``similar`` asks, and never for one of ``negative``."""

    pair_id: str  # "<file stem>#<row key>": the citation's source_id
    source_id: str  # the file's
    row: int
    question: str
    similar: tuple[str, ...]
    negative: tuple[str, ...]
    answer: str
    basis: str  # a plan item ("第32条") or a source document
    reviewed_by: str
    approved_at: str | None
    expires: str | None = None
    review_by: str | None = None

    def questions(self) -> tuple[str, ...]:
        return (self.question, *self.similar)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaqPair:
        return cls(**{**data, "similar": tuple(data["similar"]), "negative": tuple(data["negative"])})


@dataclass(frozen=True)
class DocumentRecord:
    """What the index knows of one ingested file (``kind`` "science" covers rumor checks too;
    ``meta["kind"]`` keeps "rumor")."""

    source_id: str
    path: str
    title: str
    kind: Kind
    status: str
    file_hash: str
    meta: dict[str, Any] = field(default_factory=dict)
    chunk_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> dict[str, Any]:
        """What `kepu sources` and /api/sources show of a document."""
        return {
            "source_id": self.source_id,
            "title": self.title,
            "kind": self.meta.get("kind", self.kind),
            "status": self.status,
            "reviewed_by": self.meta.get("reviewed_by"),
            "approved_at": self.meta.get("approved_at"),
            "review_by": self.meta.get("review_by"),
            "expires": self.meta.get("expires"),
            **({"pairs": self.meta.get("pairs")} if self.kind == "faq" else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentRecord:
        return cls(**{**data, "chunk_ids": tuple(data.get("chunk_ids", ()))})


@dataclass(frozen=True)
class SearchHit:
    rank: int
    score: float
    chunk: Chunk
    lexical_rank: int | None = None
    dense_rank: int | None = None
    dense_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "chunk_id": c.chunk_id,
            "source_id": c.source_id,
            "title": c.title,
            "kind": c.kind,
            "item": c.item,
            "section": c.section,
            "units": list(c.units),
            "text": c.text,
        }
