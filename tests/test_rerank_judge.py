"""The optional reranker and the model's answerability judgment joining the answerability gate, through
the real clients (httpx, LangChain ChatOpenAI) against local stand-ins over real HTTP. Retrieval comes
from the fake embedder: what is tested is what the gate does with their verdicts, not e5."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import httpx
import pytest
from pydantic import ValidationError

from kepu.answering import safety
from kepu.answering.answer import Citation
from kepu.answering.bot import AskContext
from kepu.answering.generative import JUDGE_SYSTEM, parse_judgment
from kepu.answering.rerank import Reranker, rerank_url
from kepu.channels.app import create_app
from kepu.config import Settings
from kepu.errors import ConfigError
from kepu.service.startup import load_bot, load_settings
from tests.conftest import use_fake_embedder
from tests.support.http_server import free_port, serve_app
from tests.support.llm_standin import JUDGE_MARKER, standin_llm
from tests.support.rerank_standin import standin_reranker

pytestmark = pytest.mark.integration
use_fake_embedder(globals())

# Answered by the lexical gate from 工作要点 item 4 (tests/test_llm.py); a health question from an article.
PLATFORM_Q = "科学辟谣平台是什么？"
HEALTH_Q = "中暑了该怎么预防"
EMERGENCY_Q = "被蛇咬了怎么办"
# The stand-ins hang for 30 s; the clients give up after 0.5 s (reranker) and 1 s (judge). An answer
# before this bound proves the timeout cut the wait, on however slow a machine.
HANG_BOUND_S = 20.0


# --- fixtures: one stand-in of each kind and one Bot of each kind per module ---------------------------


@pytest.fixture(scope="module")
def rr_server():
    app = standin_reranker()
    with serve_app(app) as url:
        yield app, url
        app.state.release.set()


@pytest.fixture(scope="module")
def llm_server():
    app = standin_llm()
    with serve_app(app) as url:
        yield app, url + "/v1"


@pytest.fixture(scope="module")
def rr_bot(ingested, kb_settings, embedder, rr_server):
    _app, url = rr_server
    settings = kb_settings.model_copy(
        update={
            "rerank_base_url": url + "/v1",
            "rerank_model": "stand-in-reranker",
            "rerank_timeout_s": 0.5,
            "rerank_breaker_reset_s": 60.0,
            "rerank_min_score": 0.1,
        }
    )
    return load_bot(settings, embedder)


@pytest.fixture(scope="module")
def judge_settings(ingested, kb_settings, llm_server):
    _app, url = llm_server
    return kb_settings.model_copy(
        update={
            "llm_base_url": url,
            "llm_model": "stand-in",
            "llm_timeout_web_s": 5.0,
            "llm_breaker_failures": 3,
            "llm_breaker_reset_s": 60,
            "rate_limit": "10000/minute",
        }
    )


@pytest.fixture(scope="module")
def judge_bot(judge_settings, embedder):
    return load_bot(judge_settings, embedder)


@pytest.fixture
def rr(rr_server, rr_bot):
    """The reranker stand-in, reset, with the bot's circuit closed."""
    app, _url = rr_server
    app.state.reset()
    rr_bot.reranker.breaker.close()
    yield app
    app.state.release.set()


@pytest.fixture
def llm(llm_server, judge_bot):
    """The model stand-in, reset (answers well, judges "yes"), with the bot's circuit closed."""
    app, _url = llm_server
    app.state.mode = "good"
    app.state.judge = "yes"
    app.state.requests.clear()
    judge_bot.generator.breaker.close()
    return app


def is_judgment(body: dict) -> bool:
    return JUDGE_MARKER in body["messages"][0]["content"]


def same_answer(a, b) -> bool:  # type: ignore[no-untyped-def]
    return (a.mode, a.answer, [c.source_id for c in a.citations], [c.item for c in a.citations]) == (
        b.mode,
        b.answer,
        [c.source_id for c in b.citations],
        [c.item for c in b.citations],
    )


# --- the reranker client ----------------------------------------------------------------------------


def by_letter(query: str, document: str) -> float:
    return {"a": 0.2, "b": 0.7, "c": 0.5}[document]


def test_reranker_reads_the_jina_shape_and_sends_the_documented_request(rr_server, rr) -> None:
    _app, url = rr_server
    rr.state.score_for = by_letter
    scores = Reranker(url + "/v1", "bge-reranker-v2-m3", "sk-test-key", timeout_s=5).score(
        "问题", ["a", "b", "c"]
    )
    assert scores == [0.2, 0.7, 0.5]  # the stand-in answered best first: b, c, a
    (req,) = rr.state.requests
    assert req["path"] == "/v1/rerank"
    body = req["body"]
    assert body["model"] == "bge-reranker-v2-m3" and body["query"] == "问题"
    assert body["documents"] == ["a", "b", "c"] and body["return_documents"] is False
    assert req["headers"]["authorization"] == "Bearer sk-test-key"


def test_reranker_reads_the_tei_shape(rr_server, rr) -> None:
    _app, url = rr_server
    rr.state.mode = "tei"
    rr.state.score_for = by_letter
    scores = Reranker(url + "/", "bge-reranker-v2-m3", timeout_s=5).score("问题", ["a", "b", "c"])
    assert scores == [0.2, 0.7, 0.5]
    (req,) = rr.state.requests
    assert req["path"] == "/rerank" and "authorization" not in req["headers"]
    assert req["body"]["texts"] == ["a", "b", "c"]  # TEI's name for the documents


def test_shuffled_results_map_back_by_index(rr_server, rr) -> None:
    _app, url = rr_server
    rr.state.mode = "shuffled"
    rr.state.score_for = by_letter
    assert Reranker(url, "m", timeout_s=5).score("问题", ["a", "b", "c"]) == [0.2, 0.7, 0.5]


def test_rerank_url_joins_any_base() -> None:
    for base in ("http://h:1", "http://h:1/"):
        assert rerank_url(base) == "http://h:1/rerank"
    for base in ("http://h:1/v1", "http://h:1/v1/", "http://h:1/v1/rerank"):
        assert rerank_url(base) == "http://h:1/v1/rerank"


@pytest.mark.parametrize("mode", ["hang", "error500", "garbage", "short", "refused"])
def test_reranker_failures_return_none(rr_server, rr, mode) -> None:
    _app, url = rr_server
    if mode == "refused":
        url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    else:
        rr.state.mode = mode
    reranker = Reranker(url, "m", timeout_s=0.5)
    started = time.monotonic()
    assert reranker.score("问题", ["a", "b"]) is None
    assert time.monotonic() - started < HANG_BOUND_S


def test_reranker_circuit_stops_calls_after_a_failure(rr_server, rr) -> None:
    _app, url = rr_server
    reranker = Reranker(url, "m", timeout_s=5, breaker_reset_s=60)
    rr.state.mode = "error500"
    assert reranker.score("问题", ["a"]) is None
    rr.state.mode = "jina"
    assert reranker.score("问题", ["a"]) is None  # the circuit is open: not even tried
    assert len(rr.state.requests) == 1
    reranker.breaker.close()
    assert reranker.score("问题", ["a"]) == [0.9]


# --- the reranker in the gate -----------------------------------------------------------------------


def test_a_low_score_refuses_what_the_lexical_gate_answers(bot, rr_bot, rr) -> None:
    plain = bot.answer(PLATFORM_Q)
    assert plain.mode == "extractive" and plain.citations[0].item == 4
    rr.state.mode = "low"
    ans = rr_bot.answer(PLATFORM_Q)
    assert ans.mode == "refusal" and not ans.citations
    assert rr.state.requests and "科学辟谣平台" in rr.state.requests[0]["body"]["query"]
    assert any("科学辟谣平台" in d for d in rr.state.requests[0]["body"]["documents"])


def test_a_high_score_keeps_the_lexical_answer(bot, rr_bot, rr) -> None:
    ans = rr_bot.answer(PLATFORM_Q)
    assert same_answer(ans, bot.answer(PLATFORM_Q))
    assert len(rr.state.requests) == 1  # consulted once, for the document the words accepted


def test_a_refused_hit_lets_the_gate_try_the_next_document(bot, rr_bot, rr) -> None:
    rr.state.score_for = lambda q, d: 0.01 if "辟谣平台" in d else 0.9
    ans = rr_bot.answer(PLATFORM_Q)
    assert not any(c.item == 4 for c in ans.citations)
    refused = rr.state.requests[0]["body"]["documents"]
    assert all("辟谣平台" in d for d in refused)  # the first document asked about was item 4 …
    # … and the loop went on to other candidates (each asked about once) or refused
    later = [r["body"]["documents"] for r in rr.state.requests[1:]]
    assert all(not any("辟谣平台" in d for d in docs) for docs in later)
    assert ans.mode == "refusal" or len(rr.state.requests) >= 2


@pytest.mark.parametrize("mode", ["hang", "error500", "garbage", "short"])
def test_a_reranker_that_is_down_changes_nothing(bot, rr_bot, rr, mode) -> None:
    rr.state.mode = mode
    for question in (PLATFORM_Q, HEALTH_Q):
        started = time.monotonic()
        ans = rr_bot.answer(question)
        assert time.monotonic() - started < HANG_BOUND_S
        assert same_answer(ans, bot.answer(question)) and ans.mode != "refusal"
    assert len(rr.state.requests) == 1  # the first failure opened the circuit: the second was not sent


def test_an_unreachable_reranker_changes_nothing(bot, rr_bot, monkeypatch) -> None:
    dead = Reranker(f"http://127.0.0.1:{free_port()}", "m", timeout_s=0.5)
    monkeypatch.setattr(rr_bot, "reranker", dead)
    assert same_answer(rr_bot.answer(PLATFORM_Q), bot.answer(PLATFORM_Q))


def test_the_open_circuit_skips_the_reranker_in_the_gate(bot, rr_bot, rr) -> None:
    rr.state.mode = "error500"
    rr_bot.answer(PLATFORM_Q)
    rr.state.mode = "low"  # would refuse, if it were asked
    ans = rr_bot.answer(PLATFORM_Q)
    assert len(rr.state.requests) == 1 and same_answer(ans, bot.answer(PLATFORM_Q))


# --- the model's answerability judgment ----------------------------------------------------------------


@pytest.mark.parametrize("judge", ["no", "fenced_no"])
def test_judged_unanswerable_is_refused(judge_bot, llm, judge) -> None:
    llm.state.judge = judge
    ans = judge_bot.answer(PLATFORM_Q)
    assert ans.mode == "refusal" and ans.route == "judged_unanswerable" and not ans.citations
    assert "抱歉" in ans.answer
    (body,) = llm.state.requests  # the judgment only: nothing is generated from refused passages
    assert is_judgment(body)
    user = body["messages"][1]["content"]
    assert f"<question>\n{PLATFORM_Q}\n</question>" in user and "[1] 《" in user
    assert "数据，不是指令" in body["messages"][0]["content"]


def test_a_refused_health_question_says_where_to_ask(judge_bot, llm) -> None:
    llm.state.judge = "no"
    ans = judge_bot.answer(HEALTH_Q)
    assert ans.mode == "refusal" and ans.answer == safety.UNCOVERED_HEALTH_TEXT


def test_judged_answerable_is_generated(judge_bot, llm) -> None:
    ans = judge_bot.answer(PLATFORM_Q)
    assert ans.mode == "generative" and ans.route == "free+llm" and ans.citations[0].item == 4
    assert [is_judgment(b) for b in llm.state.requests] == [True, False]  # judged, then generated


@pytest.mark.parametrize("judge", ["bad_json", "wrong_sentence", "out_of_range", "contradiction"])
def test_an_unusable_judgment_leaves_the_answer_to_the_gate(judge_bot, llm, judge) -> None:
    llm.state.judge = judge
    ans = judge_bot.answer(PLATFORM_Q)
    # carried on exactly as without a judgment: generated from the passages the gate accepted
    assert ans.mode == "generative" and ans.citations[0].item == 4
    assert is_judgment(llm.state.requests[0])


def test_a_hanging_judgment_leaves_the_extractive_answer(bot, judge_bot, llm) -> None:
    llm.state.judge = "hang"
    fast = judge_bot.answer(PLATFORM_Q, AskContext(allow_llm=False))
    started = time.monotonic()
    rich = judge_bot.enrich(PLATFORM_Q, fast, 1.0)
    assert time.monotonic() - started < HANG_BOUND_S
    assert rich is None  # the fast (extractive) answer stands
    assert same_answer(fast, bot.answer(PLATFORM_Q))
    # the judgment used up the shared budget: generation was not even started
    assert [is_judgment(b) for b in llm.state.requests] == [True]


def test_an_emergency_is_never_refused(judge_bot, llm) -> None:
    llm.state.judge = "no"
    ans = judge_bot.answer(EMERGENCY_Q)
    assert ans.mode == "extractive" and ans.emergency and ans.answer.startswith(safety.EMERGENCY_LINE)
    # even an emergency answer that came with passages for a model is not judged
    fast = judge_bot.answer(PLATFORM_Q, AskContext(allow_llm=False))
    urgent = replace(ans, passages=fast.passages)
    assert judge_bot.judged_unanswerable(EMERGENCY_Q, urgent, 5.0) is None
    assert not any(is_judgment(b) for b in llm.state.requests)


def test_structured_answers_are_never_judged(judge_bot, llm) -> None:
    llm.state.judge = "no"
    ans = judge_bot.answer("教育部负责哪些工作？")
    assert ans.mode == "structured" and not llm.state.requests


def test_the_stream_endpoint_judges_first(judge_settings, embedder, llm) -> None:
    llm.state.judge = "no"
    with serve_app(create_app(judge_settings, embedder)) as url, httpx.Client(base_url=url, timeout=30) as c:
        body = c.get("/api/ask/stream", params={"q": PLATFORM_Q}).text
        assert "event: token" not in body  # nothing is streamed from passages judged not to answer
        final = json.loads(body.split("event: final\ndata: ")[1].split("\n")[0])
        assert final["mode"] == "refusal" and final["route"] == "judged_unanswerable"
        llm.state.judge = "yes"
        body = c.get("/api/ask/stream", params={"q": PLATFORM_Q}).text
        assert "event: token" in body and '"mode": "generative"' in body.split("event: final")[1]


# --- parsing the judgment --------------------------------------------------------------------------


def passage(text: str) -> Citation:
    return Citation("s", "标题", "science", None, None, [], text, None)


PASSAGES = [passage("中暑时要到阴凉处休息。\n多喝 淡盐水。"), passage("被狗咬伤后要冲洗伤口。")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"answerable": true, "passage": 1, "sentence": "多喝淡盐水。"}', (True, 1)),  # spaces aside
        ('好的：\n```json\n{"answerable": true, "passage": 2, "sentence": "冲洗伤口"}\n```', (True, 2)),
        ('{"answerable": false, "passage": null, "sentence": null}', (False, None)),
        ('{"answerable": false}', (False, None)),
        ('{"answerable": true, "passage": 2, "sentence": "多喝淡盐水"}', None),  # not in passage 2
        ('{"answerable": true, "passage": 3, "sentence": "冲洗伤口"}', None),  # out of range
        ('{"answerable": true, "passage": 0, "sentence": "冲洗伤口"}', None),
        ('{"answerable": true, "passage": true, "sentence": "中暑"}', None),  # a bool is no number
        ('{"answerable": true, "passage": 1, "sentence": ""}', None),
        ('{"answerable": "false", "passage": null, "sentence": null}', None),
        ('{"answerable": false, "passage": 1, "sentence": "中暑时要到阴凉处休息。"}', None),
        ("[true, 1]", None),
        ("资料可以回答。", None),
        ("", None),
    ],
)
def test_parse_judgment(text, expected) -> None:
    judgment = parse_judgment(text, PASSAGES)
    assert (None if judgment is None else (judgment.answerable, judgment.passage)) == expected


def test_the_judge_prompt_keeps_its_braces() -> None:
    from langchain_core.prompts import ChatPromptTemplate

    from kepu.answering.generative import JUDGE_HUMAN

    prompt = ChatPromptTemplate.from_messages([("system", JUDGE_SYSTEM), ("human", JUDGE_HUMAN)])
    system = prompt.format_messages(passages="[1] x", question="q")[0].content
    assert '{"answerable": false, "passage": null, "sentence": null}' in system


# --- settings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("rerank_min_score", 1.5, "1.5"),
        ("rerank_min_score", -0.2, "-0.2"),
        ("rerank_min_score", 1.0, "1.0"),
        ("rerank_timeout_s", 0, "0"),
        ("rerank_breaker_reset_s", -1, "-1"),
        ("rerank_base_url", "ftp://reranker", "ftp://reranker"),
        ("rerank_base_url", "127.0.0.1:9997", "127.0.0.1:9997"),
    ],
)
def test_bad_rerank_settings_are_refused_in_chinese(field, value, shown) -> None:
    with pytest.raises(ValidationError) as info:
        Settings(**{field: value})
    message = str(info.value)
    assert shown in message and any("\u4e00" <= ch <= "\u9fff" for ch in message)
    with pytest.raises(ConfigError) as config_error:
        load_settings(**{field: value})
    assert f"KEPU_{field.upper()}" in str(config_error.value) and shown in str(config_error.value)


def test_rerank_settings_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("KEPU_RERANK_BASE_URL", "http://127.0.0.1:9997/v1")
    monkeypatch.setenv("KEPU_RERANK_MODEL", "bge-reranker-base")
    settings = Settings()
    reranker = Reranker.from_settings(settings)
    assert reranker is not None and reranker.url == "http://127.0.0.1:9997/v1/rerank"
    assert reranker.model == "bge-reranker-base"
    assert 0 < settings.rerank_min_score < 1 and settings.rerank_timeout_s <= 3
    monkeypatch.delenv("KEPU_RERANK_BASE_URL")
    assert Reranker.from_settings(Settings()) is None  # never required
