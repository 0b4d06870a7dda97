"""The one seam every channel asks through: the question is checked under one length rule, answered in
the admission-controlled answer threads, measured, counted and recorded once, whichever channel sent it.

How a channel asks is data (a ChannelPolicy: its label, whether the core may generate, how long the model
may take), chosen once at start-up from the settings, never by comparing a channel's name in the core.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace

from anyio import to_thread
from starlette.concurrency import iterate_in_threadpool

from kepu.answering.answer import Answer
from kepu.answering.bot import MIN_GENERATE_S, AskContext, Bot
from kepu.answering.retrieve import Retrieval
from kepu.config import Settings
from kepu.errors import QuestionRejected
from kepu.insights.recorder import Recorder
from kepu.service.admission import Admission
from kepu.service.holder import BotHolder
from kepu.service.metrics import Metrics
from kepu.text import normalize

# A streamed answer stops once the model has sent this many characters (a short answer is the goal;
# a model that runs on is cut, and its text still has to pass the post-check).
STREAM_MAX_CHARS = 2000


@dataclass(frozen=True)
class ChannelPolicy:
    """How one channel asks."""

    name: str  # its label in metrics and insights
    llm_timeout_s: float  # how long the model may take for one of its answers
    generate: bool = True  # False: the channel takes the fast answer and generates itself (stream, WeChat)


def policies(settings: Settings) -> dict[str, ChannelPolicy]:
    """The policy of each channel that differs from the web's (see Asking.policy)."""
    return {"wechat": ChannelPolicy("wechat", settings.llm_timeout_wechat_s)}


@dataclass(frozen=True)
class Asked:
    answer: Answer
    answer_id: str  # what feedback (有用 / 没用) refers to


@dataclass(frozen=True)
class Token:
    """A piece of a streamed answer, as the model wrote it."""

    text: str


def checked_question(raw: str, limit: int) -> str:
    """The question as sent, stripped, or QuestionRejected naming what is wrong with it."""
    question = raw.strip()
    if not question:
        raise QuestionRejected("问题不能为空")
    bad = next((c for c in question if "\ud800" <= c <= "\udfff"), None)
    if bad is not None:  # a lone surrogate: half of a character, no text can be made of it
        raise QuestionRejected(f"问题里有无法识别的字符（U+{ord(bad):04X}），请删掉后重新输入")
    if len(question) > limit:
        raise QuestionRejected(f"问题太长了（{len(question)}字），请控制在{limit}字以内")
    return question


class Asking:
    def __init__(
        self,
        holder: BotHolder,
        settings: Settings,
        metrics: Metrics,
        admission: Admission,
        recorder: Recorder | None = None,
    ) -> None:
        self.holder = holder
        self.settings = settings
        self.metrics = metrics
        self.admission = admission
        self.recorder = recorder
        self._policies = policies(settings)

    @property
    def bot(self) -> Bot:
        return self.holder.bot  # raises IndexNotReadyError until an index is loaded

    @property
    def generates(self) -> bool:
        """Whether a model is configured (the page offers streaming then)."""
        return self.bot.generator is not None

    def policy(self, channel: str, *, generate: bool = True) -> ChannelPolicy:
        """The channel's policy: its own where it has one, the web's otherwise."""
        base = self._policies.get(channel) or ChannelPolicy(channel, self.settings.llm_timeout_web_s)
        return replace(base, generate=generate)

    def checked(self, raw: str) -> str:
        """One length rule for every channel (KEPU_MAX_QUESTION_CHARS)."""
        return checked_question(raw, self.settings.max_question_chars)

    def _context(self, policy: ChannelPolicy, session_id: str | None) -> AskContext:
        return AskContext(
            channel=policy.name,
            session_id=session_id,
            allow_llm=policy.generate,
            llm_timeout_s=policy.llm_timeout_s,
        )

    async def ask(self, raw: str, policy: ChannelPolicy, session_id: str | None, client: str) -> Asked:
        """Answer in an answer thread once the client's turn comes (Overloaded when none is free in
        time), then measure and record. ``client`` is who waits in line (an address, a WeChat user)."""
        question = self.checked(raw)
        bot = self.bot
        answer = await self.admission.run(client, bot.answer, question, self._context(policy, session_id))
        return Asked(answer, self.finish(answer, policy.name, session_id or client))

    def finish(self, answer: Answer, channel: str, who: str) -> str:
        """The bookkeeping of one answer sent: its latency, a refusal's reason, and the insights record.
        Returns the answer's id."""
        self.metrics.answers.labels(answer.mode, channel).observe(answer.latency_ms / 1000)
        if answer.mode == "refusal":
            self.metrics.refusals.labels(answer.route or "refusal").inc()
        answer_id = str(uuid.uuid4())
        if self.recorder is not None:
            self.recorder.record(answer, answer_id, channel, who)
        return answer_id

    def feedback(self, answer_id: str, useful: bool) -> bool:
        """Record 有用 / 没用 for an answer; False when insights are off."""
        if self.recorder is None:
            return False
        self.recorder.feedback(answer_id, useful)
        return True

    async def enrich(self, question: str, fast: Answer, policy: ChannelPolicy) -> Answer | None:
        """A generated answer from the fast one's passages within the channel's model time, or None."""
        return await to_thread.run_sync(self.bot.enrich, question, fast, policy.llm_timeout_s)

    async def stream(
        self, raw: str, policy: ChannelPolicy, session_id: str | None, client: str
    ) -> AsyncIterator[Token | Asked]:
        """The events of a streamed answer: the model's text as it comes (when a model is configured and
        the fast answer is a free one), then the final answer, recorded. The fast answer is computed
        before this returns, so a rejected question or a full queue is an error, not an event; the final
        answer is the generated one only when it passes the same post-check as Bot.enrich."""
        question = self.checked(raw)
        bot = self.bot
        fast_context = self._context(replace(policy, generate=False), session_id)
        fast = await self.admission.run(client, bot.answer, question, fast_context)

        async def events() -> AsyncIterator[Token | Asked]:
            final = fast
            if bot.generator is not None and fast.mode == "extractive" and fast.passages:
                chunks: list[str] = []
                sent = 0  # characters streamed so far
                deadline = time.monotonic() + policy.llm_timeout_s
                # the answerability judgment first (as in Bot.enrich); it shares the time budget
                refusal = await to_thread.run_sync(
                    bot.judged_unanswerable, question, fast, policy.llm_timeout_s
                )
                remaining = deadline - time.monotonic()
                if refusal is not None:
                    final = refusal
                elif remaining >= MIN_GENERATE_S:
                    pieces: Iterator[str] = bot.generator.stream(question, fast.passages, remaining)
                    async for chunk in iterate_in_threadpool(pieces):
                        chunks.append(chunk)
                        sent += len(chunk)
                        yield Token(chunk)
                        if time.monotonic() > deadline or sent > STREAM_MAX_CHARS:
                            break
                    final = bot.from_generated(question, fast, "".join(chunks)) or fast
            yield Asked(final, self.finish(final, policy.name, session_id or client))

        return events()

    async def search(self, raw: str, k: int, client: str) -> Retrieval:
        """The passages a question retrieves (normalised like a question), in an answer thread."""
        question = self.checked(raw)
        return await self.admission.run(client, self.bot.retriever.search, normalize(question), k)
