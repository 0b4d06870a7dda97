"""The one core entry point: ``Bot.answer(question, context) -> Answer``. Channels reach it through the
service seam (kepu/service/asking.py); structured answers are dispatched to kepu/answering/structured."""

from __future__ import annotations

import copy
import hashlib
import re
import time
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

from kepu.answering import attributes, claims, clarify, compose, first_aid, safety
from kepu.answering import faq as faq_module
from kepu.answering.answer import Answer, Citation
from kepu.answering.answerability import (
    Concept,
    uncovered,
)
from kepu.answering.emergency import Emergency, default_recognizer
from kepu.answering.extractive import ExtractiveAnswers
from kepu.answering.faq import FaqMatch, FaqMatcher
from kepu.answering.followups import FOLLOW_UP_RE, rewrite
from kepu.answering.generative import CITE_RE as CITE_MARK_RE
from kepu.answering.generative import Checked, Generator
from kepu.answering.generative import check as llm_check
from kepu.answering.retrieve import Retrieval, Retriever
from kepu.answering.route import Route, route
from kepu.answering.structured import HANDLERS, Question
from kepu.answering.structured.base import PLAN_WORDS, refusal, structured
from kepu.config import Settings
from kepu.errors import EmbedderUnavailableError, UpstreamError
from kepu.kb.base import KnowledgeBase
from kepu.kb.embedders import Embedder
from kepu.kb.types import FaqPair, PlanDoc, PlanItem
from kepu.state.interfaces import AnswerCache, ConversationStore
from kepu.text import normalize, stopwords

if TYPE_CHECKING:
    from kepu.answering.rerank import Reranker


# Generation is skipped when the answerability judgment left less of the time budget than this.
MIN_GENERATE_S = 0.2


# Routes that answer exactly what they were asked (an item, a count, the document's facts …): an
# attribute word in them ("第8条是什么时候的工作") is not a question about something the plan lacks.
EXACT_ROUTES: tuple[str, ...] = ("doc", "item", "count", "unit_count", "unit_alone", "ranking", "unit_total")
EXACT_ROUTES += ("members", "compare", "year_missing", "mentions", "unit_absent")
# Routes a Q&A pair is not tried before: an item asked by its number ("第32条由谁负责") is answered
# from the plan's text, unless the question asks an attribute the plan does not hold (官网, 电话 …:
# kepu/answering/attributes.py), which staff may well have answered in a pair. For every other route a reviewed
# pair that matches (kepu/answering/faq.py) is what staff chose to say. Measured with the faq sets (closing note
# of issue 15, 2026-12-06): trying pairs only for free questions, as before, gave 1.000 / 0.800 on
# eval/faq_dev.yaml and 0.977 / 0.717 on eval/faq_pairs.yaml; before every route but this one,
# 1.000 / 0.925 and 0.980 / 0.817, with no new wrong pair (the structured answers it replaces were
# right or partly right: a section's items for "农民科学素质提升行动都给哪些人搞培训").
FAQ_AFTER_ROUTES: tuple[str, ...] = ("item",)
# A Q&A pair need not write the verbs and set phrases a question uses (服用 for 吃, 养殖, 说不出来):
# only the concepts that name things (dictionary nouns: the food, illness, unit, programme) must be in
# its questions or answer, and one concept at least. Measured 2026-12-06 (fifth session) with
# `kepu eval` on the faq sets (knowledge/ plus examples/faq/), at FAQ_MIN_SIM 0.93: recall 0.692 ->
# 0.738 on eval/faq_heldout2.yaml with precision 0.978 -> 0.980; faq_pairs and faq_dev unchanged, no
# new wrong pair. People and body parts (Cilin A, Bk: 报考者, 胳膊, 师傅) may go unmatched too, not
# symptoms (weak_words: "拉肚子要不要吃抗生素" is not the pair on colds): at FAQ_MIN_SIM 0.925,
# faq_pairs recall 0.900 -> 0.917 and faq_heldout3 0.769 -> 0.800 with precision 1.000 on both,
# once "具体…讲些啥" asks an attribute (kepu/answering/attributes.py 具体内容); faq_heldout2 and faq_dev unchanged.
FAQ_NOUNS_ONLY = True
# Where it happened (Lexicon.place: 村头, 地头, 工地, 外头) need not be in a pair either: "俺是村里的科普
# 信息员，管着村头那个科普中国e站" asks what the pair on e站 answers. A town or city by name still must.
# Measured 2026-12-07 (eighth session) with `kepu eval` on the faq sets (knowledge/ plus examples/faq/),
# each rule here switched off against all on: faq_heldout4 recall 0.723 -> 0.754 and faq_heldout5 (then
# blind) 0.785 -> 0.800, the others unchanged, no new wrong pair.
FAQ_PLACES = True
# Symptoms need not be in a pair when the question names an illness the pair covers: "感冒了嗓子疼流鼻涕
# 要不要吃抗生素" describes the cold the pair is about ("拉肚子要不要吃抗生素" names none and still needs it).
# Measured as FAQ_PLACES: recall faq_heldout2 0.815 -> 0.846, faq_heldout3 0.892 -> 0.908, faq_heldout4
# 0.738 -> 0.754, faq_heldout5 0.785 -> 0.800, no new wrong pair.
FAQ_ILLNESS_SYMPTOMS = True
# How a question refers to what a document lays down ("工作要点怎么规定", "规定了哪些内容"): for a pair, not
# what it asks about. Not a generic word everywhere: there it made "打完疫苗要坐半个钟头，真有这规定" quote
# the hepatitis B article (heldout_hard, 2026-12-07).
FAQ_REFERRING_WORDS = ("规定",)
# For a pair on health advice (its basis an article with a 去医院 section), an institution (Cilin Dm: 药店,
# 医院, 厂里) is where it happens, not what is asked: "伤风流鼻涕，村里药店让买阿莫西林，该不该吃" is the
# pair on colds and antibiotics. Not for the plan's pairs, whose institutions (党政机关, 事业单位) are
# what a question is about. Measured 2026-12-07 with `kepu eval` on the faq sets (knowledge/ plus
# examples/faq/): faq_heldout2 recall 0.831 -> 0.846, faq_heldout3 0.892 -> 0.908, no new wrong pair.
FAQ_HEALTH_INSTITUTIONS = True
# Verbs that only say "do" before a yes/no task ("搞系列防灾科普讲座"): not part of the plan's wording.
LIGHT_VERB_RE = re.compile(r"^(搞|做|办|抓|干|管|开展|实施|推动|推进|组织|举办|承担|负责)")
# A yes/no task of this many concepts or more is found in an item that lacks only an inner modifier.
YES_NO_MIN_CONCEPTS = 3
# What ends the name of an attribute question's subject besides stopwords: punctuation (Bot._named_phrase).
PHRASE_BREAK_RE = re.compile(r"[^\w·]")
# Routes that count or describe the plan document: never the answer to a health question that does
# not name the plan or its parts.
COUNTING_ROUTES = ("count", "doc", "unit_total", "ranking")
PLAN_WORDS_RE = re.compile(r"工作要点|要点|文件|通知|纲要|条|部分|小节|单位|部门")


@dataclass(frozen=True)
class AskContext:
    """Who is asking and how: the channel (a label for metrics and insights), the session (for
    follow-ups), whether the model may generate here, and how long it may take (None: the web's
    KEPU_LLM_TIMEOUT_WEB_S). The service seam (kepu/service/asking.py) fills it from a ChannelPolicy."""

    channel: str = "cli"
    session_id: str | None = None
    allow_llm: bool = True  # False where the caller handles generation itself (WeChat's fast reply)
    llm_timeout_s: float | None = None


class Bot(ExtractiveAnswers):
    def __init__(
        self,
        kb: KnowledgeBase,
        embedder: Embedder,
        settings: Settings,
        generator: Generator | None = None,
        conversations: ConversationStore | None = None,
        answers: AnswerCache | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        self.kb = kb
        self.settings = settings
        self.generator = generator
        self.reranker = reranker  # joins the answerability gate when configured (_reranker_accepts)
        self.conversations = conversations
        self.answers = answers
        self.retriever = Retriever(kb, embedder, settings)
        self.known_text = "".join(c.passage() for c in kb.chunks)  # for "does the KB mention X at all"
        self._article_texts: dict[str, str] = {}  # source id -> what the article says (_document_text)
        self.emergencies = default_recognizer()
        self.rumor_checks = [
            chunks[0] for chunks in kb.by_source.values() if chunks[0].verdict and chunks[0].claims
        ]
        self.faq = FaqMatcher(
            [p for pairs in kb.manifest.faq.values() for p in pairs],
            embedder,
            settings.cache_dir / "embeddings.sqlite",
            self.retriever.query_vector,
            self._pair_addresses,
            lambda q: a.label if (a := attributes.asked_attribute(q)) else None,
            lambda text: {
                u.name for p in self.index.plans.values() for u in self.index.directory(p).find(text)
            },
            names_something=lambda text: bool(self.concepts(text)),
            quoted=self._quoted_phrases,
            given_numbers=frozenset.intersection(
                *(frozenset(faq_module.NUMBER_RE.findall(p.title)) for p in self.index.plans.values())
            )
            if self.index.plans
            else frozenset(),
        )

    def _pair_addresses(self, q: str, text: str, basis: str = "") -> bool:
        """Whether a Q&A pair's text (its questions and answer) has the question's key concepts: every
        one, or (FAQ_NOUNS_ONLY) every one that names a thing other than a person, a body part or a
        place (and, for a pair on health advice, an institution), with at least one concept shared."""
        article = self.kb.by_source.get(basis)
        health = FAQ_HEALTH_INSTITUTIONS and bool(article and article[0].health)
        concepts = self.concepts(q, ignore=FAQ_REFERRING_WORDS)
        missing = uncovered(concepts, text)
        if not FAQ_NOUNS_ONLY or not missing:
            return not missing
        lexicon = self.lexicon
        illness = FAQ_ILLNESS_SYMPTOMS and any(
            self._foreign_disease(c) for c in concepts if c not in missing
        )  # the question names an illness the pair covers: its symptoms describe it

        def may_miss(c: Concept) -> bool:
            if not c.noun or (FAQ_PLACES and lexicon.place(c.word)):
                return True
            if health and lexicon.only_class(c.word, "Dm"):
                return True
            return c.weak and (illness or not lexicon.symptom(c.word))

        return len(missing) < len(concepts) and all(may_miss(c) for c in missing)

    def _quoted_phrases(self, q: str) -> tuple[str, ...]:
        """The longest runs of FAQ_QUOTE_MIN_CHARS Chinese characters or more that the question shares
        with the library's text, but a title the library names (《…》) or a plan's title."""
        least = faq_module.FAQ_QUOTE_MIN_CHARS
        known, titles = self.known_text, self._titles
        out = []
        for run in re.findall(r"[\u4e00-\u9fff]+", q):
            i = 0
            while i + least <= len(run):
                j = i + least
                if run[i:j] not in known:
                    i += 1
                    continue
                while j < len(run) and run[i : j + 1] in known:
                    j += 1
                if run[i:j] not in titles:
                    out.append(run[i:j])
                i = j
        return tuple(out)

    @cached_property
    def _titles(self) -> str:
        """Every title the library names (《…》) and every plan's title, one string to search in."""
        named = re.findall(r"《([^》]+)》", self.known_text)
        return "\n".join([*named, *(p.title for p in self.index.plans.values())])

    def people(self, q: str) -> str:
        """The normalised question with dialect words in Mandarin (kepu/language.py)."""
        # a neighbour keeps a dialect character only when the two make a word the library uses:
        # 食物 stays 食物, but 的娃 is no word and 娃 is 孩子 there
        tokenizer = self.kb.tokenizer
        return self.lexicon.rewrite(q, lambda w: tokenizer.in_dictionary(w) and self.known(w))

    def trial(self, pairs: list[FaqPair]) -> Bot:
        """This bot as it would answer with ``pairs`` as its Q&A pairs (试一试 on a draft: today's pairs
        plus the draft, or with one pair's similar questions extended): a shallow copy with its own pair
        matcher and no answer cache; the serving bot is not changed."""
        other = copy.copy(self)
        other.answers = None
        other.faq = self.faq.with_pairs(pairs)
        return other

    def answer(self, question: str, context: AskContext | None = None) -> Answer:
        started = time.perf_counter()
        context = context or AskContext()
        q = normalize(question)
        session = context.session_id if self.conversations is not None else None
        if session and q:
            previous = self.conversations.last(session)  # type: ignore[union-attr]
            q = self._standalone(q, previous, context)
        use_llm = context.allow_llm and self.generator is not None
        key = self._cache_key(q, use_llm) if (self.answers is not None and q) else None
        cached = self.answers.get(key) if (self.answers is not None and key is not None) else None
        if cached is not None:
            result = replace(Answer.from_cache(cached), question=question)
        else:
            result = self._answer(question, q) if q else refusal(question, "empty", "请输入问题。")
            if use_llm:
                timeout = context.llm_timeout_s or self.settings.llm_timeout_web_s
                result = self.enrich(question, result, timeout) or result
            if self.answers is not None and key is not None and self._cacheable(result, use_llm):
                self.answers.put(key, result.to_cache())
        if session and result.mode != "refusal":
            self.conversations.add(session, q)  # type: ignore[union-attr]
        return replace(result, latency_ms=(time.perf_counter() - started) * 1000)

    def _cache_key(self, q: str, use_llm: bool) -> str:
        digest = hashlib.sha256(q.encode("utf-8")).hexdigest()[:32]
        rerank = "+rerank" if self.reranker is not None else ""
        return f"{self.kb.version}:{'llm' if use_llm else 'plain'}{rerank}:{digest}"

    @staticmethod
    def _cacheable(result: Answer, use_llm: bool) -> bool:
        """Degraded answers are never kept (they would outlive the outage); where a model is in use,
        only its answers are kept, so a timed-out call is tried again next time."""
        if result.degraded or result.route == "degraded":
            return False
        return result.mode == "generative" or not use_llm or result.passages == []

    def _standalone(self, q: str, previous: str | None, context: AskContext) -> str:
        """Rules first; the model (when configured and allowed) for follow-ups the rules cannot rewrite."""
        ruled = rewrite(q, previous, self.index)
        if ruled != q or previous is None or not FOLLOW_UP_RE.match(q):
            return ruled
        if self.generator is None or not context.allow_llm:
            return q
        return normalize(self.generator.rewrite(previous, q, self.settings.llm_timeout_wechat_s) or q)

    def enrich(self, question: str, fast: Answer, timeout_s: float) -> Answer | None:
        """A generated answer from the same passages, or None (no model, not a free answer, or any
        failure: timeout, error, open circuit, or an answer that fails the post-check)."""
        if self.generator is None or fast.mode != "extractive" or not fast.passages:
            return None
        started = time.perf_counter()
        refusal = self.judged_unanswerable(question, fast, timeout_s)
        if refusal is not None:
            return refusal
        remaining = timeout_s - (time.perf_counter() - started)  # the judgment and generation share it
        if remaining < MIN_GENERATE_S:
            return None
        checked = self.generator.generate(question, fast.passages, remaining)
        return self._generated(fast, checked)

    def judged_unanswerable(self, question: str, fast: Answer, timeout_s: float) -> Answer | None:
        """A refusal when the model judges that the passages do not answer the question (one more
        gate before generation: the retrieval evaluator of Corrective RAG); None when it judges they
        do, when it could not judge (any failure: the rule-based gate's answer stands), and always for
        an emergency (120 first, whatever a model says)."""
        if self.generator is None or fast.emergency or fast.mode != "extractive" or not fast.passages:
            return None
        judgment = self.generator.judge(question, fast.passages, timeout_s)
        if judgment is None or judgment.answerable:
            return None
        if fast.route == "dose":
            text = safety.DOSE_TEXT
        elif safety.HEALTH_RE.search(normalize(question)):
            text = safety.UNCOVERED_HEALTH_TEXT
        else:
            text = f"抱歉，知识库里没有能回答这个问题的内容，我不做猜测。{compose.HELP_TEXT}"
        return refusal(fast.question, "judged_unanswerable", text)

    def from_generated(self, question: str, fast: Answer, text: str) -> Answer | None:
        """A generated answer from text the model streamed, if it passes the same post-check."""
        return self._generated(fast, llm_check(text, len(fast.passages)))

    def _generated(self, fast: Answer, checked: Checked | None) -> Answer | None:
        if checked is None:
            return None
        order = {n: i + 1 for i, n in enumerate(checked.cited)}
        text = CITE_MARK_RE.sub(lambda m: f"[{order[int(m.group(1))]}]", checked.text)
        cites = [fast.passages[n - 1] for n in checked.cited]
        if fast.emergency:
            text = f"{safety.EMERGENCY_LINE}\n{text}"
        if fast.health:
            text = safety.with_doctor_line(text)
        return Answer(
            fast.question, text, "generative", cites, route=f"{fast.route}+llm", emergency=fast.emergency
        )

    # --- routes ------------------------------------------------------------------------------

    def _answer(self, raw: str, q: str) -> Answer:
        q = self.people(q)
        emergency = self.emergencies.recognize(q)
        if emergency is not None:
            # the first-aid route: 120 first, then only a pair written for the recognised situation
            # (its basis is the situation's first-aid article), never the general pair matching
            return self._emergency(raw, q, emergency)
        if safety.DOSE_RE.search(q):
            # never a dose; but approved advice on the medicine (遵医嘱, 不要自己加量) is still quoted
            ans = self._free(raw, q, Route("free", None))
            if ans.mode == "refusal" or ans.citations[0].kind != "science":
                return refusal(raw, "dose", safety.DOSE_TEXT)
            return replace(ans, answer=f"{safety.DOSE_TEXT}\n{ans.answer}", route="dose")
        if safety.DIAGNOSIS_RE.search(q):
            return refusal(raw, "diagnosis", safety.DIAGNOSIS_TEXT)
        r = route(q, self.index)
        if r.kind not in FAQ_AFTER_ROUTES or attributes.asked_attribute(q) is not None:
            pair = self._faq_match(q)
            if pair is not None:
                return self._faq_answer(raw, q, pair)
        if r.kind == "free" and (word := clarify.broad_word(q, self.kb.chunks)) is not None:
            return self._clarify(raw, q, word)
        plan = r.plan
        if r.kind in COUNTING_ROUTES and safety.HEALTH_RE.search(q) and not PLAN_WORDS_RE.search(q):
            r = Route("free", plan)  # "微波炉热的菜吃几次会得病" asks about health, not the plan's counts
        if plan is None:
            return self._free(raw, q, r)
        if r.kind == "unit" and r.units and not r.together:
            names = [n for u in r.units for n in u.names()]
            task = attributes.yes_no_task(q, names)
            if task is not None:
                yes_no = self._unit_yes_no(raw, r, plan, task)
                if yes_no is not None:
                    return yes_no
        if r.kind not in EXACT_ROUTES and (asked := attributes.asked_attribute(q)) is not None:
            return self._attribute(raw, q, r, plan, asked)
        handler = HANDLERS.get(r.kind)
        if handler is not None:
            return handler(self, Question(raw, q, r, plan))
        return self._free(raw, q, r)

    def _unit_yes_no(self, raw: str, r: Route, plan: PlanDoc, task: str) -> Answer | None:
        """ "X负责Y吗": yes, citing the unit's items whose text has the task; or "没有写到", citing the
        items that do have it (under other units) — None when the task names nothing to look for."""
        unit = r.units[0]
        concepts = self.concepts(task, ignore=unit.names())
        everyday = not concepts
        if everyday:  # a task in everyday words only ("农村健康讲座"): those words are the task,
            # but for whom it is only when nothing else is said ("留守娃": the plan writes 留守儿童)
            words = [w for w in self.kb.tokenizer.words(task) if len(w) >= 2 and w not in stopwords()]
            words = [w for w in words if not self.lexicon.weak(w)] or words
            concepts = [Concept(w, frozenset(self.lexicon.aliases(w))) for w in dict.fromkeys(words)]
        # A task the plan names word for word ("全国科普日") is found where it is written. When its concepts
        # are less than half of it (科普 and 全国 are generic words: "科普讲解大赛" keeps only 大赛), it is
        # found nowhere else: an item with 大赛 is not one with 科普讲解大赛.
        literal = LIGHT_VERB_RE.sub("", task.replace(" ", ""))  # "搞系列防灾科普讲座" is item 37's wording
        # one concept under half the task's characters: "科普讲解大赛" (not "推动科学精神进企业", whose 精神
        # and 企业 find item 6's "科学精神进校园、……进企业")
        thin = not everyday and len(concepts) == 1 and len(concepts[0].word) * 2 < len(literal)
        if not concepts and not any(literal in it.body for it in plan.items):
            return None
        ui = self.index.items_for_unit(plan, unit)

        def has_task(item: PlanItem, loose: bool) -> bool:
            if literal in item.body:
                return True
            if thin:
                return False
            missing = uncovered(concepts, item.body)
            # Loosely, a task of three concepts or more may lack one inner modifier ("农民技能培训" is 14's
            # 农民…培训), never its first (whom: item 19 has 技能…培训 for town workers, not 农民) nor its
            # last, the head noun (item 20 has 农民…职业 but no 教材).
            # A concrete thing is never the modifier that may be missing: "农民手机培训" is not item 14's
            # 农民…培训, which never says 手机. Nor is a word the plan never uses ("近视防控", "全国爱牙日的宣传"
            # were answered 是的 from items with 防控 or 宣传 alone).
            inner = concepts[1:-1] if len(concepts) >= YES_NO_MIN_CONCEPTS else []
            inner = [
                c for c in inner if not self.lexicon.thing(c.word) and any(self.known(a) for a in c.aliases)
            ]
            return not missing or (loose and len(missing) == 1 and missing[0] in inner)

        def with_task(items: list[PlanItem]) -> list[PlanItem]:
            """The items with every concept of the task; only when none has them all, those that have it
            loosely. So "科技辅导员培训" finds 11 and 27, not the items on 科技…培训 without 辅导员."""
            whole = [it for it in items if has_task(it, False)]
            return whole or [it for it in items if has_task(it, True)]

        mine = sorted(with_task([*ui.items, *ui.all_member_items]), key=lambda it: it.number)
        if mine:
            text = compose.yes_text(plan, unit, mine, self.index)
            return structured(raw, "unit_yes_no", text, plan, mine)
        others = with_task(list(plan.items))
        text = compose.no_text(plan, unit, task, others, list(ui.items), self.index)
        # the items that have the task, then the unit's own (the answer names both)
        cited = others + [it for it in ui.items if it not in others]
        return structured(raw, "unit_yes_no", text, plan, cited)

    def _attribute(self, raw: str, q: str, r: Route, plan: PlanDoc, asked: attributes.Asked) -> Answer:
        """Something the plan does not hold (a head, a web site, a date, a budget, how to apply): what
        it does say about the subject, labelled as such, and that it does not say the asked thing."""
        units = r.units or self.index.directory(plan).find(q)
        names = tuple(n for u in units for n in u.names())
        rest = q.replace(asked.words, " ")
        for name in sorted(names, key=len, reverse=True):
            rest = rest.replace(name, " ")
        # 工作 of "工作要点里…" names the plan, not what the question is about (科普场馆)
        concepts = [c for c in self.concepts(rest, ignore=names) if c.word not in PLAN_WORDS]
        named = self.index.named_in(q)  # "中科院科学节" is one subject, not the unit 中科院 and 科学
        if named:
            # the name as the question writes it, when the plan does too ("科普中国e站", not "科普中国")
            run = self._run_with(q.replace(asked.words, " "), named[0]) or named[0]
            subject = self._longest_written(run, named[0], plan)
            items = [it for it in plan.items if subject in it.body]
            # the question's other concepts, when some of these items have them too (科普中国信息员:
            # item 26 has 科普中国 and 信息员); else the name alone (中科院科学节 and 门票: item 8)
            others = [c for c in concepts if c.word not in subject]
            both = [it for it in items if others and not uncovered(others, it.body)]
            if both:
                items, subject = both, "、".join([subject, *(c.word for c in others)])
            if items:
                text = compose.attribute_text(plan, subject, asked.label, items[:3], self.index)
                return structured(raw, "attribute", text, plan, items[:3])
        office = next((c for c in concepts if c.word in self.index.office_names), None)
        if office is not None and not any(office.covered_by(it.body) for it in plan.items):
            # the office that issued the plan (国家纲要办的主任): the document names it only as the issuer
            text = compose.office_attribute_text(plan, office.word, asked.label)
            return Answer(raw, text, "structured", [compose.doc_citation(plan, text)], route="attribute")
        if units and not concepts:
            unit = units[0]
            count = len(self.index.items_for_unit(plan, unit).items)
            text = compose.unit_attribute_text(plan, unit, asked.label, count)
            return Answer(raw, text, "structured", [compose.doc_citation(plan, text)], route="attribute")
        items = [it for it in plan.items if concepts and not uncovered(concepts, it.body)]
        near = None
        if concepts and self._names_only_the_plan(concepts):
            # the work of the whole plan (全民科学素质工作的经费): the items that speak of the attribute
            written = attributes.WRITTEN.get(asked.label)
            said = [it for it in plan.items if written is not None and written.search(it.body)]
            items, near = (said, written) if said else (items, None)
        literal = self._named_phrase(rest, concepts)
        if literal is not None:  # "全国科普讲解大赛": an item with 全国 and 大赛 is about another contest
            items = [it for it in items if literal in it.body]
        if items:
            subject = self._subject_phrase(rest, concepts, plan)
            text = compose.attribute_text(plan, subject, asked.label, items[:3], self.index, near)
            return structured(raw, "attribute", text, plan, items[:3])
        ans = self._free(raw, q, r)
        if ans.mode != "refusal" and ans.citations and ans.citations[0].kind == "plan":
            # no item has the subject, so a quoted item cannot be about it
            return self._uncovered(raw, q)
        if ans.mode != "refusal" and ans.citations and ans.citations[0].kind == "science":
            caveat = f"已审核的材料没有写到{asked.label}方面的内容。下面是相关的内容：\n{ans.answer}"
            return replace(ans, answer=caveat, passages=[])  # the caveat is part of it: no model rewrites it
        return ans

    def _run_with(self, text: str, word: str) -> str | None:
        """The run of words of text, between punctuation and stopwords (question and function words),
        that holds ``word``: "全国科普讲解大赛" in "全国科普讲解大赛怎么报名"."""
        stop = stopwords()
        for piece in PHRASE_BREAK_RE.split(text):
            run: list[str] = []
            for token in [*self.kb.tokenizer.words(piece), None]:
                if token is not None and token not in stop:
                    run.append(token)
                    continue
                if word in (phrase := "".join(run)):
                    return phrase
                run = []
        return None

    def _subject_phrase(self, rest: str, concepts: list[Concept], plan: PlanDoc) -> str:
        """What an answer calls the question's subject: the question's own words from its first concept to
        its last ("应急科普快速响应机制"), not a list of concepts ("应急、机制"); the list only when the
        concepts sit in different phrases of the question."""
        words = [c.word for c in concepts]
        phrase = self._run_with(rest, words[0]) if words else None
        if phrase is None or not all(w in phrase for w in words):
            return "、".join(words)
        first = min(phrase.find(w) for w in words)
        span = phrase[first : max(phrase.rfind(w) + len(w) for w in words)]
        return self._longest_written(phrase, span, plan)  # "农村中学科技馆" as the plan writes it

    def _named_phrase(self, rest: str, concepts: list[Concept]) -> str | None:
        """The name a question gives its subject when its concepts are at most half of it
        ("全国科普讲解大赛" keeps only 全国 and 大赛); None when the concepts are the name."""
        if not concepts:
            return None
        phrase = self._run_with(rest, concepts[0].word)
        if phrase is None:
            return None
        # the name runs from its first concept to its last, the head noun: "当科普信息员一个月" names
        # 信息员 (当 is "to serve as", 一个月 a time); "全国科普讲解大赛" stays whole
        inner = [c.word for c in concepts if c.word in phrase]
        first = min(phrase.find(w) for w in inner)
        phrase = phrase[first : max(phrase.rfind(w) + len(w) for w in inner)]
        inside = sum(len(c.word) for c in concepts if c.word in phrase)
        return phrase if inside * 2 <= len(phrase) else None

    @staticmethod
    def _longest_written(run: str, name: str, plan: PlanDoc) -> str:
        """The longest part of ``run`` around ``name`` that some item of the plan writes: "科普中国e站"
        of "村想建个科普中国e站" (not only the programme 科普中国)."""
        at = run.find(name)
        if at < 0:
            return name
        bodies = [it.body for it in plan.items]
        for size in range(len(run), len(name), -1):
            for start in range(max(0, at + len(name) - size), min(at, len(run) - size) + 1):
                piece = run[start : start + size]
                if any(piece in body for body in bodies):
                    return piece
        return name

    def _faq_match(self, q: str) -> FaqMatch | None:
        try:
            return self.faq.match(q)
        except (EmbedderUnavailableError, UpstreamError):
            return None  # without vectors only a pair's own wording matches (tried first, in match)

    def _faq_answer(self, raw: str, q: str, match: FaqMatch, emergency: bool = False) -> Answer:
        """A reviewed pair's answer, verbatim, citing the pair; health answers keep the doctor line.
        In an emergency 120 comes first and no "see a doctor if it persists" follows."""
        pair = match.pair
        item = compose.basis_item(pair.basis)
        cite = Citation(pair.pair_id, pair.question, "faq", item, None, [], pair.answer, basis=pair.basis)
        article = self.kb.by_source.get(pair.basis)
        health = bool(article and article[0].health) or bool(safety.HEALTH_RE.search(q))
        if emergency:
            text = f"{safety.EMERGENCY_LINE}\n{pair.answer}"
        else:
            text = safety.with_doctor_line(pair.answer) if health else pair.answer
        return Answer(raw, text, "faq", [cite], route="faq", health=health, emergency=emergency)

    def _emergency(self, raw: str, q: str, emergency: Emergency) -> Answer:
        """120 first, whatever the library holds; then a reviewed pair written for this situation
        (kepu/answering/faq.py match_emergency) or else the approved helper steps, if any. A first-aid myth said
        with the emergency ("被蛇咬了要用嘴吸毒吗") gets the rumor check's verdict before the steps."""
        article = next((self.kb.by_source[s] for s in emergency.articles if s in self.kb.by_source), None)
        if article is None:
            return replace(refusal(raw, "emergency", safety.UNCOVERED_EMERGENCY_TEXT), emergency=True)
        myth = self._claimed(raw, q)
        pair = None if myth is not None else self._faq_emergency(q, article[0].source_id)
        if pair is not None:
            return self._faq_answer(raw, q, pair, emergency=True)
        first = safety.EMERGENCY_LINE if myth is None else f"{safety.EMERGENCY_LINE}\n{myth.answer}"
        text, quoted = first_aid.emergency_text(article, q, first)
        cites = [*(myth.citations if myth else []), compose.science_citation(article[0], "\n".join(quoted))]
        return Answer(raw, text, "extractive", cites, route="emergency", emergency=True)

    def _faq_emergency(self, q: str, basis: str) -> FaqMatch | None:
        """The pair written for a recognised emergency whose first-aid article is ``basis``, if any."""
        if not self.faq.pairs:
            return None
        try:
            return self.faq.match_emergency(q, basis)
        except (EmbedderUnavailableError, UpstreamError):
            return None  # the article's steps, as without pairs

    def _free(self, raw: str, q: str, r: Route, retrieval: Retrieval | None = None) -> Answer:
        if safety.unknown_conditions(self.kb.tokenizer.words(q), self.known_text):
            return self._uncovered(raw, q)
        verdict = self._claimed(raw, q)
        if verdict is not None:
            return verdict
        if retrieval is None:
            expand = tuple(self.lexicon.expand(q, self.known))
            retrieval = self.retriever.search(q, fast=self.settings.lexical_fast_path, expand=expand)
        if r.explicit and r.plan is not None:  # the question named its plan: quote no other plan
            sid = r.plan.source_id
            kept = [h for h in retrieval.hits if h.chunk.kind != "plan" or h.chunk.source_id == sid]
            retrieval = replace(retrieval, hits=kept)
        return replace(self._free_answer(raw, q, retrieval), degraded=retrieval.degraded)

    def _claimed(self, raw: str, q: str) -> Answer | None:
        """A rumor check's verdict, when the question states one of the claims it rules on."""
        words = self.kb.tokenizer.words
        for check in self.rumor_checks:
            if claims.match(q, check, words, self.lexicon) is not None:
                article = self.kb.by_source[check.source_id]
                tokens = set(self.retriever.query_tokens(q))
                text, quoted, cited = compose.rumor_extract(
                    article, [], tokens, self.kb.tokenizer.known_tokens, self.kb.lexical.idf, q
                )
                citation = compose.science_citation(cited, "\n".join(quoted))
                return Answer(raw, text, "extractive", [citation], route="rumor")
        return None

    # --- helpers -----------------------------------------------------------------------------

    def _clarify(self, raw: str, q: str, word: str) -> Answer:
        """A one-word question too broad to answer: ask which part, with questions to tap. No citation:
        nothing is quoted as the answer."""
        hits = self.retriever.search(q, clarify.CHOICE_HITS).hits
        return replace(refusal(raw, "clarify", clarify.clarify_text(word)), choices=clarify.choices(hits))
