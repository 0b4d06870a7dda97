"""The knowledge base on a real Chroma server (`chroma run`): ingestion builds versions beside the
current one and switches atomically, replicas derive everything from the server, and a server outage
degrades answers instead of failing them."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from kepu.answering.bot import AskContext
from kepu.answering.extractive import DEGRADED_TEXT
from kepu.answering.safety import EMERGENCY_LINE
from kepu.config import Settings
from kepu.ingest.pipeline import ingest
from kepu.kb.base import KnowledgeBase
from kepu.kb.server import CHUNKS, MANIFEST, ChromaServerCatalog
from kepu.service.holder import BotHolder
from kepu.state.shared import build_shared
from tests.conftest import NEW_ARTICLE, NEW_ARTICLE_ID, NEW_QUESTION
from tests.support.servers import ChromaServer, started

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Questions over every route kind: structured plan answers, free plan text, science, rumor.
SAME_ANSWER_QUESTIONS = [
    "第32条由哪个单位负责？",
    "教育部负责哪些工作？",
    "科学辟谣平台是什么？",
    "被狗咬了怎么办",
    "中暑了怎么办",
    "一共有多少条工作要点？",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A Chroma server of this module's own (the tests here switch its current version)."""
    with started(ChromaServer(tmp_path_factory.mktemp("chroma-kb"))) as s:
        yield s


def _settings(fresh_settings: Settings, url: str) -> Settings:
    return fresh_settings.model_copy(update={"chroma_url": url, "shared_retry_s": 0.5})


def test_a_server_index_answers_exactly_like_the_embedded_one(
    server, fresh_settings: Settings, embedder, bot
) -> None:
    settings = _settings(fresh_settings, server.url)
    report = ingest(settings, embedder)
    assert report.ok and report.changed and report.items == 42
    assert not (settings.index_dir / "CURRENT").exists()  # nothing written locally: the server holds it
    kb = KnowledgeBase.open(settings, embedder)
    assert kb.version == report.version
    assert kb.store.count() == report.chunks == len(kb.chunks)
    holder = BotHolder(settings, embedder)
    server_bot = holder.load()
    for q in SAME_ANSWER_QUESTIONS:
        here, there = bot.answer(q), server_bot.answer(q)
        assert (there.answer, there.citations, there.mode) == (here.answer, here.citations, here.mode), q


def test_a_new_version_is_switched_to_whole_and_old_ones_pruned(
    server, fresh_settings: Settings, embedder
) -> None:
    settings = _settings(fresh_settings, server.url)
    first = ingest(settings, embedder)
    holder = BotHolder(settings, embedder)
    holder.load()
    assert not holder.refresh()  # nothing new
    assert not ingest(settings, embedder).changed  # unchanged knowledge: no new version

    marker = uuid.uuid4().hex
    (settings.knowledge_dir / "science" / f"{NEW_ARTICLE_ID}.md").write_text(
        NEW_ARTICLE.format(marker=marker), encoding="utf-8"
    )
    second = ingest(settings, embedder)
    assert second.changed and second.version != first.version
    before = holder.bot
    assert before.answer(NEW_QUESTION).mode == "refusal"  # the serving version does not have it yet
    assert holder.refresh()
    assert holder.bot.kb.version == second.version
    answer = holder.bot.answer(NEW_QUESTION)
    assert answer.mode == "extractive" and answer.citations[0].source_id == NEW_ARTICLE_ID
    assert before.answer(NEW_QUESTION).mode == "refusal"  # the old Bot kept its own version whole

    (settings.knowledge_dir / "science" / f"{NEW_ARTICLE_ID}.md").write_text(
        NEW_ARTICLE.format(marker=marker + "2"), encoding="utf-8"
    )
    third = ingest(settings, embedder)
    catalog = ChromaServerCatalog(server.url, 5, 1)
    names = {c.name for c in catalog.client.list_collections()}
    assert CHUNKS + third.version in names and CHUNKS + second.version in names
    assert CHUNKS + first.version not in names and MANIFEST + first.version not in names  # keep_versions=2


def test_a_failed_ingest_leaves_the_current_version_and_no_half_version(
    server, fresh_settings: Settings, embedder
) -> None:
    settings = _settings(fresh_settings, server.url)
    first = ingest(settings, embedder)
    catalog = ChromaServerCatalog(server.url, 5, 1)
    before = {c.name for c in catalog.client.list_collections()}
    (settings.knowledge_dir / "science" / f"{NEW_ARTICLE_ID}.md").write_text(
        NEW_ARTICLE.format(marker=uuid.uuid4().hex), encoding="utf-8"
    )

    class Exploding:
        id = embedder.id

        def embed_passages(self, texts):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

        def embed_query(self, text):  # type: ignore[no-untyped-def]
            return embedder.embed_query(text)

    with pytest.raises(RuntimeError):
        ingest(settings, Exploding())
    assert catalog.current_version() == first.version
    assert {c.name for c in catalog.client.list_collections()} == before


def test_an_unreachable_server_is_a_clear_error(fresh_settings: Settings, embedder) -> None:
    from kepu.errors import StoreUnavailableError
    from tests.support.http_server import free_port

    settings = _settings(fresh_settings, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreUnavailableError, match="Chroma"):
        ingest(settings, embedder)
    holder = BotHolder(settings, embedder)
    assert holder.try_load() is None and not holder.ready


def test_a_server_outage_degrades_answers_and_recovers(
    tmp_path: Path, fresh_settings: Settings, embedder
) -> None:
    own = ChromaServer(tmp_path / "chroma-outage")
    own.start()
    try:
        settings = _settings(fresh_settings, own.url)
        ingest(settings, embedder)
        shared = build_shared(settings)
        holder = BotHolder(settings, embedder, shared)
        bot = holder.load()
        paraphrase = "山上采的蘑菇能吃吗"  # words alone do not settle it: needs the dense step
        healthy = bot.answer(paraphrase)
        assert healthy.mode == "extractive"
        structured = bot.answer("第32条由哪个单位负责？").answer

        own.stop()
        assert not holder.catalog.heartbeat()
        assert bot.answer("第32条由哪个单位负责？").answer == structured  # from the in-memory plan index
        lexical = bot.answer("科学辟谣平台是什么？")
        assert lexical.mode == "extractive" and lexical.citations
        other = "山里捡的野蘑菇可以吃吗"  # not a cached wording
        down = bot.answer(other)
        assert down.route == "degraded" and down.answer == DEGRADED_TEXT
        emergency = bot.answer("有人被毒蛇咬了，脸色发白快不行了怎么办")
        assert EMERGENCY_LINE in emergency.answer or "120" in emergency.answer
        assert shared.answers is not None and shared.answers.get(bot._cache_key(other, False)) is None

        own.start()  # same port, same data
        deadline = time.time() + 60  # generous: waits for the event (server back), not a duration
        while not holder.catalog.heartbeat() and time.time() < deadline:
            time.sleep(0.2)
        again = bot.answer(other, AskContext(channel="web"))
        assert again.mode == "extractive" and again.citations[0].source_id == healthy.citations[0].source_id
    finally:
        own.terminate()
