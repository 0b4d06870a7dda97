"""Emergency recognition by what people describe, not by one keyword.

The signs are data (kepu/answering/emergency_signs.yaml): for each kind of emergency (stroke, heart attack, not
breathing, drowning, choking, convulsions, heavy bleeding, burns, poisonings, electric shock,
heatstroke, bites, head injury, a child's fever with fits …) the ways people describe it, and the
approved first-aid articles whose helper steps follow. The text it reads has already been through
``normalize`` (traditional → simplified) and the language layer (dialect → Mandarin), so one pattern
covers 俾蛇咬咗 and 被蛇咬了.

A question *about* a danger (预防, 康复, 去年, 听说 …) is not an emergency unless it also carries an
acute sign (叫不醒, 血止不住 …): "怎么预防中风" is advice, "中风了叫不醒" is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

SIGNS_FILE = Path(__file__).with_name("emergency_signs.yaml")


@dataclass(frozen=True)
class Emergency:
    kind: str
    articles: tuple[str, ...]  # approved first-aid articles whose helper steps follow, best first
    sign: str  # the words that matched (for logs and tests)


@dataclass(frozen=True)
class _Kind:
    name: str
    articles: tuple[str, ...]
    pattern: re.Pattern[str]


class EmergencyRecognizer:
    def __init__(self, data: dict) -> None:  # type: ignore[type-arg]
        self.kinds = [
            _Kind(
                name,
                tuple(spec.get("articles") or ()),
                re.compile("|".join(f"(?:{s})" for s in spec["signs"])),
            )
            for name, spec in data["kinds"].items()
        ]
        self.knowledge = re.compile("|".join(f"(?:{s})" for s in data.get("knowledge") or ["(?!)"]))
        self.acute = re.compile("|".join(f"(?:{s})" for s in data.get("acute") or ["(?!)"]))

    @classmethod
    def load(cls, path: Path = SIGNS_FILE) -> EmergencyRecognizer:
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")))

    def signs(self, text: str) -> list[Emergency]:
        """Every kind whose signs the text describes, in the order of the data file."""
        found = []
        for kind in self.kinds:
            m = kind.pattern.search(text)
            if m:
                found.append(Emergency(kind.name, kind.articles, m.group(0)))
        return found

    def recognize(self, text: str) -> Emergency | None:
        """The emergency the text describes (the first kind whose signs match), or None."""
        found = self.signs(text)
        if not found:
            return None
        if self.knowledge.search(text) and not self.acute.search(text):
            return None
        return found[0]


@lru_cache(maxsize=1)
def default_recognizer() -> EmergencyRecognizer:
    return EmergencyRecognizer.load()
