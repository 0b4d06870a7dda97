"""The service seam (kepu/service/asking.py): one length rule, one bookkeeping, one timeout policy per
channel given as data, for every channel. In process, on the fake-embedder index; the same rules over
real HTTP are at the end."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from kepu.answering.answer import Answer, Citation
from kepu.answering.bot import AskContext, Bot
from kepu.config import Settings
from kepu.errors import QuestionRejected
from kepu.service.admission import Admission
from kepu.service.asking import Asked, Asking, Token, checked_question
from kepu.service.metrics import Metrics
from tests.conftest import use_fake_embedder
from tests.support.http_server import serve

use_fake_embedder(globals())

ANSWERED = "科学辟谣平台是什么？"  # a free question the fake-embedder index answers with a quote
REFUSED = "火星上有几座火山？"  # nothing in the library: a refusal


class Recorded:
    """The insights recorder's calls (an in-process stand-in: the real one writes to a database)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str | None]] = []
        self.votes: list[tuple[str, bool]] = []

    def record(self, answer: Answer, answer_id: str, channel: str, user_id: str | None) -> None:
        self.rows.append((answer.mode, channel, user_id))

    def feedback(self, answer_id: str, useful: bool) -> None:
        self.votes.append((answer_id, useful))


class TimedGenerator:
    """A model that cannot judge or generate, and remembers how long it was given each time."""

    def __init__(self) -> None:
        self.timeouts: list[float] = []

    def judge(self, question: str, passages: list[Citation], timeout_s: float) -> None:
        self.timeouts.append(timeout_s)
        return None

    def generate(self, question: str, passages: list[Citation], timeout_s: float) -> None:
        self.timeouts.append(timeout_s)
        return None

    def stream(self, question: str, passages: list[Citation], timeout_s: float) -> Iterator[str]:
        self.timeouts.append(timeout_s)
        yield "生成的文字"

    def rewrite(self, previous: str, question: str, timeout_s: float) -> None:
        return None


def _asking(bot: Bot, settings: Settings) -> tuple[Asking, Metrics, Recorded]:
    metrics, recorded = Metrics(), Recorded()
    admission = Admission(2, 2, 30.0, metrics.queue_wait.observe)
    holder: Any = SimpleNamespace(bot=bot)
    return Asking(holder, settings, metrics, admission, recorded), metrics, recorded  # type: ignore[arg-type]


def _count(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


@pytest.mark.unit
def test_one_length_rule_at_its_boundary() -> None:
    assert checked_question("  问" * 1 + "题" * 9 + "  ", 10) == "问" + "题" * 9
    with pytest.raises(QuestionRejected, match=r"问题太长了（11字），请控制在10字以内") as caught:
        checked_question("问" * 11, 10)
    assert caught.value.status == 422
    with pytest.raises(QuestionRejected, match="问题不能为空"):
        checked_question("   ", 10)
    with pytest.raises(QuestionRejected, match="U\\+D800"):
        checked_question("问\ud800", 10)


@pytest.mark.unit
def test_each_channel_gets_its_policy_as_data(bot: Bot, kb_settings: Settings) -> None:
    settings = kb_settings.model_copy(update={"llm_timeout_web_s": 7.0, "llm_timeout_wechat_s": 2.5})
    asking, _, _ = _asking(bot, settings)
    assert asking.policy("wechat").llm_timeout_s == 2.5
    for channel in ("web", "api", "miniprogram", "other"):
        assert asking.policy(channel).llm_timeout_s == 7.0 and asking.policy(channel).name == channel
    fast = asking.policy("wechat", generate=False)
    assert not fast.generate and fast.llm_timeout_s == 2.5 and asking.policy("wechat").generate


@pytest.mark.unit
def test_the_core_takes_the_model_time_it_is_given(bot: Bot) -> None:
    # the core no longer compares channel names: the context carries the time
    generator = TimedGenerator()
    timed = copy.copy(bot)
    timed.generator = generator  # type: ignore[assignment]
    assert timed.answer(ANSWERED, AskContext(channel="wechat", llm_timeout_s=1.25)).mode == "extractive"
    assert generator.timeouts[0] == 1.25  # the judgment gets the whole time, generation what is left
    generator.timeouts.clear()
    timed.answer(ANSWERED, AskContext(channel="wechat"))  # no time given: the web's
    assert generator.timeouts[0] == bot.settings.llm_timeout_web_s


@pytest.mark.unit
def test_every_answer_is_measured_counted_and_recorded_once(bot: Bot, kb_settings: Settings) -> None:
    asking, metrics, recorded = _asking(bot, kb_settings)

    async def run() -> tuple[Asked, Asked]:
        answered = await asking.ask(ANSWERED, asking.policy("web"), "s1", "10.0.0.1")
        refused = await asking.ask(REFUSED, asking.policy("wechat", generate=False), None, "wechat:u1")
        return answered, refused

    answered, refused = asyncio.run(run())
    assert answered.answer.mode == "extractive" and refused.answer.mode == "refusal"
    assert recorded.rows == [("extractive", "web", "s1"), ("refusal", "wechat", "wechat:u1")]
    reason = refused.answer.route or "refusal"
    assert _count(metrics, "kepu_refusals_total", reason=reason) == 1
    assert _count(metrics, "kepu_answer_seconds_count", mode="refusal", channel="wechat") == 1
    assert _count(metrics, "kepu_answer_seconds_count", mode="extractive", channel="web") == 1
    assert answered.answer_id != refused.answer_id
    assert asking.feedback(answered.answer_id, True) and recorded.votes == [(answered.answer_id, True)]


@pytest.mark.unit
def test_a_stream_ends_with_the_recorded_final_answer(bot: Bot, kb_settings: Settings) -> None:
    asking, metrics, recorded = _asking(bot, kb_settings)

    async def run(question: str) -> list[Token | Asked]:
        events = await asking.stream(question, asking.policy("web"), None, "10.0.0.2")
        return [e async for e in events]

    events = asyncio.run(run(REFUSED))
    assert len(events) == 1 and isinstance(events[0], Asked) and events[0].answer.mode == "refusal"
    assert recorded.rows == [("refusal", "web", "10.0.0.2")]
    assert _count(metrics, "kepu_refusals_total", reason=events[0].answer.route or "refusal") == 1
    with pytest.raises(QuestionRejected):
        asyncio.run(run("问" * (kb_settings.max_question_chars + 1)))
    assert len(recorded.rows) == 1  # a rejected question is not an answer


@pytest.fixture(scope="module")
def short_limit_url(ingested, kb_settings: Settings, embedder) -> Iterator[str]:
    settings = kb_settings.model_copy(update={"max_question_chars": 12, "rate_limit": "10000/minute"})
    with serve(settings, embedder) as url:
        yield url


@pytest.mark.integration
@pytest.mark.parametrize("route", ["ask", "stream", "search"])
def test_every_http_route_keeps_the_configured_length(short_limit_url: str, route: str) -> None:
    def send(client: httpx.Client, question: str) -> httpx.Response:
        if route == "ask":
            return client.post("/api/ask", json={"question": question})
        path = "/api/ask/stream" if route == "stream" else "/api/search"
        return client.get(path, params={"q": question})

    with httpx.Client(base_url=short_limit_url, timeout=60) as client:
        at_limit = "科学辟谣平台是什么呀请问一下"[:12]
        assert send(client, at_limit).status_code == 200
        over = send(client, at_limit + "呢")
        assert over.status_code == 422
        assert over.json()["detail"] == "问题太长了（13字），请控制在12字以内"
