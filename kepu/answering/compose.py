"""Turn plan structure or search hits into short Chinese answer text with citations."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable

from kepu.answering.answer import Citation
from kepu.answering.answerability import Concept
from kepu.kb.plan_index import PlanIndex
from kepu.kb.types import ALL_MEMBERS, Chunk, PlanDoc, PlanItem, SearchHit
from kepu.kb.units import Unit
from kepu.text import ASKS_AMOUNT_RE, HOW_TO_RE, STATES_AMOUNT_RE, STEP_NUMBER_RE

_SENTENCE_RE = re.compile(r"[^。！？；\n]+[。！？；]?")
HELP_TEXT = (
    "我可以回答两类问题：一是《全民科学素质行动工作要点》的内容和分工，例如“教育部负责哪些工作？”"
    "“第32条由哪个单位负责？”“科学辟谣平台是什么？”；二是已审核的科普知识，例如“被狗咬了怎么办？”“中暑了怎么办？”。"
)


BASIS_ITEM_RE = re.compile(r"第?\s*(\d{1,3})\s*条?")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_RE.findall(text) if s.strip()]


def short(text: str, limit: int = 48) -> str:
    """The first sentence of an item, cut at ``limit`` characters, for lists."""
    first = sentences(text)[0] if sentences(text) else text
    first = first.rstrip("。；")
    return first if len(first) <= limit else first[: limit - 1] + "…"


def around(text: str, subject: str, limit: int = 60) -> str:
    """The sentence of an item that names ``subject``, cut to ``limit`` characters around it; the
    first sentence (``short``) when no sentence names it."""
    found = next((s.rstrip("。；") for s in sentences(text) if subject in s), None)
    if found is None:
        return short(text, limit)
    if len(found) <= limit:
        return found
    at = found.index(subject)
    start = max(0, min(at - limit // 3, len(found) - limit))
    piece = found[start : start + limit - 2]
    return ("…" if start else "") + piece + ("…" if start + len(piece) < len(found) else "")


PLAN_ITSELF_TEXT = "工作要点没有专门写到这一点，我不做猜测。它写的是各单位在这一年要做的具体工作，你可以问："
PLAN_ITSELF_CHOICES = ("工作要点主要讲了什么？", "农民科学素质行动有哪些工作？", "教育部负责哪些工作？")


def plan_label(plan: PlanDoc) -> str:
    return f"《{plan.title}》"


def unit_list(names: Iterable[str], index: PlanIndex) -> str:
    out = []
    for name in names:
        unit = index.unit_named(name)
        out.append(unit.public() if unit else name)
    return "、".join(out)


def item_citation(plan: PlanDoc, item: PlanItem) -> Citation:
    return Citation(
        source_id=plan.source_id,
        title=plan.title,
        kind="plan",
        item=item.number,
        section=item.section,
        units=list(item.units),
        text=item.text,
        part=item.part,
    )


def yes_text(plan: PlanDoc, unit: Unit, items: list[PlanItem], index: PlanIndex) -> str:
    refs = "、".join(str(it.number) for it in items)
    lines = [f"是的。{plan_label(plan)}第{refs}条写到了这项工作，{unit.public()}是负责单位之一："]
    for it in items:
        who = "各成员单位共同负责" if it.all_members else f"负责：{responsible_line(it, index)}"
        lines.append(f"  第{it.number}条：{short(it.body, 60)}（{who}）")
    return "\n".join(lines)


def no_text(
    plan: PlanDoc, unit: Unit, task: str, others: list[PlanItem], own: list[PlanItem], index: PlanIndex
) -> str:
    lines = [f"{plan_label(plan)}中没有写到{unit.public()}负责“{task}”。"]
    if others:
        lines.append("写到这项工作的条目是：")
        lines += [
            f"  第{it.number}条：{short(it.body, 60)}（负责：{responsible_line(it, index)}）" for it in others
        ]
    if own:
        lines.append(f"{unit.public()}负责的是第{'、'.join(str(it.number) for it in own)}条。")
    return "\n".join(lines)


def attribute_text(
    plan: PlanDoc,
    subject: str,
    label: str,
    items: list[PlanItem],
    index: PlanIndex,
    near: re.Pattern[str] | None = None,
) -> str:
    """The plan does not hold the attribute; the items about the subject, each shown around the
    subject (or around what ``near`` finds: the words in which it speaks of the attribute, 资金)."""
    lines = [f"{plan_label(plan)}没有写到{subject}的{label}。工作要点中与此有关的内容是："]
    for it in items:
        m = near.search(it.body) if near is not None else None
        shown = around(it.body, m.group(0) if m else subject, 60)
        lines.append(f"  第{it.number}条：{shown}（负责：{responsible_line(it, index)}）")
    return "\n".join(lines)


def unit_attribute_text(plan: PlanDoc, unit: Unit, label: str, count: int) -> str:
    return (
        f"{plan_label(plan)}没有写到{unit.public()}的{label}。工作要点只写了各单位负责哪些工作："
        f"{unit.public()}列为负责单位的共{count}条，可以问“{unit.name}负责哪些工作？”。"
    )


def office_attribute_text(plan: PlanDoc, office: str, label: str) -> str:
    """An attribute of the office that issued or forwarded the plan (国家纲要办的主任): not held; what
    the document does say of the office is that it issued or forwarded this plan."""
    said = []
    if plan.issuer and office in plan.issuer:
        number = f"（{plan.doc_number}）" if plan.doc_number else ""
        said.append(f"{plan.issuer}印发了这份工作要点{number}")
    if plan.forwarder and office in plan.forwarder:
        said.append(f"{plan.forwarder}转发了这份工作要点")
    return f"{plan_label(plan)}没有写到{office}的{label}。文件中关于{office}的内容只有：{'；'.join(said)}。"


def basis_item(basis: str) -> int | None:
    """The plan item a Q&A pair's basis names ("第32条"), or None (an article, the notice …)."""
    m = BASIS_ITEM_RE.fullmatch(basis.strip())
    return int(m.group(1)) if m else None


def doc_citation(plan: PlanDoc, text: str) -> Citation:
    return Citation(plan.source_id, plan.title, "plan", None, None, [], text, None)


def responsible_line(item: PlanItem, index: PlanIndex) -> str:
    if item.all_members:
        return "各成员单位共同负责"
    return unit_list(item.units, index)


# --- extractive answers -------------------------------------------------------------------------


def best_sentences(text: str, query_tokens: set[str], tokenize, limit: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The ``limit`` sentences of text that share most query tokens, kept in their original order."""
    sents = sentences(text)
    if not sents:
        return []
    scored = []
    for i, sent in enumerate(sents):
        overlap = len(query_tokens & set(tokenize(sent)))
        scored.append((overlap, -i, i))
    top = sorted(scored, reverse=True)[:limit]
    chosen = sorted(i for overlap, _neg, i in top if overlap > 0) or [0]
    return [sents[i] for i in chosen]


def plan_extract(plan: PlanDoc, item: PlanItem, query_tokens: set[str], tokenize, index: PlanIndex) -> str:  # type: ignore[no-untyped-def]
    quote = "".join(best_sentences(item.body, query_tokens, tokenize, 2))
    return f"据{plan_label(plan)}第{item.number}条：{quote}\n（负责单位：{responsible_line(item, index)}）"


# "怎么办" asks for what to do: prefer sentences under headings such as 怎么做 / 急救 / 处理.
STEPS_HEADING_RE = re.compile(r"怎么做|怎么办|急救|处理|步骤|做法")
SENT_LIMIT = 3  # sentences quoted from an article
SENT_MIN_SCORE = 0.2  # below this a sentence is not worth quoting (unless nothing scores higher)
SENT_TOP_CHUNK_BONUS = 0.15
SENT_HIT_BONUS = 0.05
SENT_STEPS_BONUS = 0.3


def science_extract(
    article: list[Chunk],
    hit_ids: list[str],
    query_tokens: set[str],
    tokenize: Callable[[str], list[str]],
    idf: Callable[[str], float],
    question: str = "",
    *,
    steps: bool = False,
    limit: int | None = None,
) -> tuple[str, list[str], Chunk]:
    """The most relevant sentences of one article, in article order.

    ``article`` is every chunk of the article in order; ``hit_ids`` are its chunks that retrieval
    returned, best first. Sentences score by the IDF-weighted share of the question's words they
    contain, plus small bonuses for the best chunk, for retrieved chunks, and — for "怎么办" questions —
    for sections that give steps. Returns the answer text, the quoted sentences and the chunk cited.
    """
    # math.fsum: a sum over a set must not depend on its order (str hashing differs between processes)
    total = math.fsum(idf(t) for t in query_tokens) or 1.0
    wants_steps = steps or bool(HOW_TO_RE.search(question))
    top_id = hit_ids[0] if hit_ids else article[0].chunk_id
    scored: list[tuple[float, int, str, Chunk]] = []
    order = 0
    for chunk in article:
        bonus = (SENT_TOP_CHUNK_BONUS if chunk.chunk_id == top_id else 0.0) + (
            SENT_HIT_BONUS if chunk.chunk_id in hit_ids else 0.0
        )
        if wants_steps and STEPS_HEADING_RE.search(chunk.section or ""):
            bonus += SENT_STEPS_BONUS
        for sent in sentences(chunk.text):
            share = math.fsum(idf(t) for t in query_tokens & set(tokenize(sent))) / total
            scored.append((share + bonus, order, sent, chunk))
            order += 1
    best = sorted(scored, key=lambda c: (-c[0], c[1]))[: limit or SENT_LIMIT]
    chosen = [c for c in best if c[0] >= SENT_MIN_SCORE] or best[:1]
    chosen.sort(key=lambda c: c[1])
    quoted: list[str] = []
    for _score, _o, sent, _chunk in chosen:
        if sent not in quoted:
            quoted.append(sent)
    cited = max(chosen, key=lambda c: c[0])[3]
    # the sentences that answer what was asked, when the scores passed them over
    all_sents = [c[2] for c in scored]
    added: list[str] = []
    extra = distinctive_sentence(all_sents, query_tokens, quoted, idf, article[0].title)
    if extra is not None:
        added.append(extra)
    if ASKS_AMOUNT_RE.search(question):  # None when the sentence with the figure is already there
        figure = amount_sentence(all_sents, query_tokens, [*quoted, *added], article[0].title)
        if figure is not None:
            added.append(figure)
    if added:
        order_of = {c[2]: c[1] for c in scored}
        quoted = sorted([*quoted, *added], key=lambda s: order_of.get(s, 0))
    body = "\n".join(quoted)
    return f"根据《{article[0].title}》：\n{body}", quoted, cited


# A question word found in at most this share of an article's sentences picks out the sentence that
# answers it (起床 in the falls article); a word in most of them is the article's topic (老人, 心肺复苏).
# The chunk and step bonuses of science_extract can pass such a sentence over for the article's summary:
# "老人早上起床起猛了容易摔，该咋起" was answered with three sentences on why falls matter. Measured
# 2026-12-06 with /tmp/ana/all.py on an e5 index (closing note of issue 19): answer precision 0.915 ->
# 0.922 on eval/hard_negatives.yaml (起床, 台风眼), every other set unchanged; single characters as words
# (泡, 起) added nothing and were left out. 2026-12-06 (fifth session): a quoted sentence with the rarest
# word no longer stops the next rare word from picking its own sentence ("早上一起床就头晕…起床有啥讲究"
# quoted the 头晕 sentence only): heldout_hard3 0.927 -> 0.934, heldout_hard4 0.902 -> 0.911, every
# other set unchanged; adding a second such sentence changed nothing more.
DISTINCT_MAX_SHARE = 0.2


def distinctive_sentence(
    sents: list[str], query_tokens: set[str], quoted: list[str], idf: Callable[[str], float], title: str = ""
) -> str | None:
    """The unquoted article sentence that best matches the question's words that are rare in this
    article (a word or, for a word the article never writes, its two-character parts: 一分钟 → 分钟)
    and that no quoted sentence has yet; None when there is none. Words of the title are the
    article's topic. A quoted sentence with the rarest word (头晕) does not stop another rare word
    (起床) from picking out its own sentence."""
    if not sents:
        return None
    units: set[str] = set()
    for t in query_tokens:
        if len(t) < 2:  # one character (泡, 起) is in too many sentences to pick one out; measured no gain
            continue
        if any(t in s for s in sents):
            units.add(t)
        else:
            units.update(t[i : i + 2] for i in range(len(t) - 1))
    limit = max(1, int(DISTINCT_MAX_SHARE * len(sents)))
    rare = {u for u in units if u not in title and 0 < sum(u in s for s in sents) <= limit}
    if not rare:
        return None

    # rare words no quoted sentence has yet: a sentence already quoted may have the rarest of them
    unsaid = {u for u in rare if not any(u in s for s in quoted)}
    candidates = [s for s in sents if s not in quoted and any(u in s for u in unsaid)]
    if not candidates:
        return None
    return max(candidates, key=lambda s: math.fsum(idf(u) for u in unsaid if u in s))


def states_amount(sentence: str) -> bool:
    """Whether a sentence gives a figure (a step's own number "3. " does not count)."""
    return bool(STATES_AMOUNT_RE.search(STEP_NUMBER_RE.sub("", sentence, count=1)))


# Measured 2026-12-06 (sixth session) with /tmp/ana/all.py on an e5 index: answer precision on
# eval/hard_negatives.yaml 0.936 -> 0.943 (一分钟按多少下, 泡多久 now quote their figure); every other
# trust, people and classic set unchanged.
def amount_sentence(
    sents: list[str], query_tokens: set[str], quoted: list[str], title: str = ""
) -> str | None:
    """For a question that asks an amount ("一分钟要按多少下", "泡多久"), the sentence that gives a figure
    and shares most characters of the question's words outside the title (每分钟按压100到120次 shares
    分, 钟, 按; 每次停下来不要超过10秒 shares none); None when that sentence is already quoted or no
    sentence with a figure shares any."""
    chars = {ch for t in query_tokens for ch in t if ch not in title}
    best, best_shared = None, 0
    for sent in sents:
        if not states_amount(sent):
            continue
        shared = len(chars & set(sent))
        if shared > best_shared or (shared == best_shared and shared and sent in quoted):
            best, best_shared = sent, shared
    return None if best in quoted else best


VERDICT_LABELS = {"谣言": "这是谣言。", "不准确": "这种说法不准确。", "属实": "这种说法属实。"}
CONCLUSION_HEADING_RE = re.compile(r"结论|真相|辟谣")


def rumor_extract(
    article: list[Chunk],
    hit_ids: list[str],
    query_tokens: set[str],
    tokenize: Callable[[str], list[str]],
    idf: Callable[[str], float],
    question: str = "",
) -> tuple[str, list[str], Chunk]:
    """A rumor check: the verdict first, then its conclusion and the facts most relevant to the question."""
    verdict = article[0].verdict or ""
    conclusion = [c for c in article if CONCLUSION_HEADING_RE.search(c.section or "")]
    rest = [c for c in article if c not in conclusion] or article
    lead = sentences(conclusion[0].text)[:2] if conclusion else []
    _text, facts, cited = science_extract(rest, hit_ids, query_tokens, tokenize, idf, question, limit=2)
    quoted = lead + [f for f in facts if f not in lead]
    shown, note = faithful_steps(quoted)
    body = (note + "\n" if note else "") + "\n".join(shown)
    text = f"【{verdict}】{VERDICT_LABELS.get(verdict, '')}\n{body}\n（来源：《{article[0].title}》）"
    return text, quoted, conclusion[0] if conclusion else cited


def faithful_steps(quoted: list[str]) -> tuple[list[str], str]:
    """Quoted sentences whose numbered steps read as a complete list: kept as they are when the steps
    quoted are 1, 2, … k in order; otherwise renumbered 1 … k, with a note naming the article's own step
    numbers ("节选原文第2、3步"), so an answer never shows "2. 3." or "1. 2. 4." out of context."""
    numbers = [int(m.group(1)) for s in quoted if (m := STEP_NUMBER_RE.match(s))]
    if numbers == list(range(1, len(numbers) + 1)):
        return quoted, ""
    out: list[str] = []
    k = 0
    for sent in quoted:
        m = STEP_NUMBER_RE.match(sent)
        if m:
            k += 1
            sent = f"{k}. {sent[m.end() :]}"
        out.append(sent)
    if numbers == sorted(set(numbers)):
        note = f"（节选原文第{'、'.join(str(n) for n in numbers)}步，已重新编号）"
    else:  # steps from two lists of the article
        note = "（节选原文中的几个步骤，已重新编号）"
    return out, note


def with_concepts(article: list[Chunk], quoted: list[str], concepts: Iterable[Concept]) -> list[str]:
    """The quoted sentences plus, for each key concept they miss, the article's first sentence that
    has it (so the quote itself addresses what was asked, not only the article around it)."""
    title = article[0].title
    out = list(quoted)
    for concept in concepts:
        if concept.covered_by(title + "".join(out)):
            continue
        for chunk in article:
            sent = next((s for s in sentences(chunk.text) if concept.covered_by(s)), None)
            if sent is not None:
                if sent not in out:
                    out.append(sent)
                break
    return out


def suggestions(hits: Iterable[SearchHit], limit: int = 2) -> str:
    """「你可以问：…」 from what retrieval did find nearby (never quoted as the answer), or ''."""
    asks: list[str] = []
    for hit in hits:
        c = hit.chunk
        if c.kind == "plan" and c.item is not None:
            ask = f"第{c.item}条讲的是什么？"
        elif c.kind == "science":
            ask = c.title if c.title.endswith(("？", "?")) else f"{c.title}？"
        else:
            continue
        if ask not in asks:
            asks.append(ask)
        if len(asks) == limit:
            break
    if not asks:
        return ""
    return "知识库里有相近的内容，你可以问：" + "、".join(f"“{a}”" for a in asks)


def science_citation(chunk: Chunk, quoted: str) -> Citation:
    return Citation(
        source_id=chunk.source_id,
        title=chunk.title,
        kind="science",
        item=None,
        section=chunk.section,
        units=[],
        text=quoted or chunk.text,
        verdict=chunk.verdict,
    )


def members_only(items: list[PlanItem]) -> list[PlanItem]:
    return [i for i in items if ALL_MEMBERS in i.units]
