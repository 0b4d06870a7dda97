"""Contract tests for the VectorStore interface, run against every implementation."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pytest

from kepu.errors import EmbedderMismatchError, IndexNotReadyError
from kepu.kb.server import ChromaServerCatalog
from kepu.kb.store import ChromaStore
from kepu.kb.types import Chunk
from kepu.kb.versions import IndexLayout, Manifest
from tests.support.servers import ChromaServer

pytestmark = pytest.mark.integration


def _chunks(n: int) -> list[Chunk]:
    return [
        Chunk(f"doc#{i}", "doc", "标题", "science", f"第{i}段", context="", content_hash=str(i))
        for i in range(n)
    ]


def _vectors(n: int) -> np.ndarray:
    v = np.eye(n, 8, dtype=np.float32)
    return v


@pytest.fixture(params=["embedded-chroma", "server-chroma"])
def store(request, tmp_path: Path):
    if request.param == "embedded-chroma":
        return ChromaStore(tmp_path / "chroma", "test:eye", create=True)
    if request.param == "server-chroma":
        server = request.getfixturevalue("chroma_server")
        catalog = ChromaServerCatalog(server.url, timeout_s=5, retry_s=1)
        return catalog.create_store(f"t{uuid.uuid4().hex[:12]}", "test:eye")
    raise AssertionError(request.param)


def test_add_count_search(store) -> None:
    store.add(_chunks(4), _vectors(4))
    assert store.count() == 4
    hits = store.search(_vectors(4)[2], 2)
    assert hits[0][0] == "doc#2"
    assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
    assert len(hits) == 2


def test_search_ranks_like_exact_cosine(store) -> None:
    """The approximate (HNSW) search finds the same nearest neighbours, in the same order, as exact
    cosine ranking, for a library of this size: two ingests of the same material rank alike
    (store.HNSW_SEARCH_EF). Random directions are the hard case for a graph search."""
    rng = np.random.default_rng(7)
    n, dim, k = 1000, 64, 20
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    store.add(_chunks(n), vectors)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = rng.normal(size=(30, dim)).astype(np.float32)
    for q in queries:
        exact = np.argsort(-(unit @ (q / np.linalg.norm(q))))[:k]
        assert [cid for cid, _ in store.search(q, k)] == [f"doc#{i}" for i in exact]


def test_add_same_id_replaces(store) -> None:
    store.add(_chunks(2), _vectors(2))
    store.add(_chunks(1), _vectors(2)[1:2])
    assert store.count() == 2
    assert store.search(_vectors(2)[1], 2)[0][1] == pytest.approx(1.0, abs=1e-4)


def test_delete_ignores_unknown_ids(store) -> None:
    store.add(_chunks(3), _vectors(3))
    store.delete(["doc#0", "nope"])
    assert store.count() == 2
    assert "doc#0" not in [cid for cid, _ in store.search(_vectors(3)[0], 3)]


def test_search_on_empty_store(store) -> None:
    assert store.search(_vectors(1)[0], 5) == []


def test_reopening_with_another_embedder_is_refused(tmp_path: Path) -> None:
    ChromaStore(tmp_path / "c", "model-a", create=True).add(_chunks(1), _vectors(1))
    with pytest.raises(EmbedderMismatchError, match="model-a"):
        ChromaStore(tmp_path / "c", "model-b")


def test_server_store_refuses_another_embedder(chroma_server) -> None:
    catalog = ChromaServerCatalog(chroma_server.url, timeout_s=5, retry_s=1)
    version = f"t{uuid.uuid4().hex[:12]}"
    catalog.create_store(version, "model-a").add(_chunks(1), _vectors(1))
    with pytest.raises(EmbedderMismatchError, match="model-a"):
        catalog.open_store(version, "model-b")


@pytest.fixture(params=["embedded", "server"])
def catalog(request, tmp_path: Path):
    if request.param == "embedded":
        return IndexLayout(tmp_path / "index")
    # a fresh Chroma server: the catalog's pointer is one per server
    server = ChromaServer(tmp_path / "chroma")
    server.start()
    request.addfinalizer(server.terminate)
    return ChromaServerCatalog(server.url, timeout_s=5, retry_s=1)


def _manifest(version: str, n: int) -> Manifest:
    chunks = {c.chunk_id: c for c in _chunks(n)}
    return Manifest(version=version, embedder_id="test:eye", created_at="2026-11-29T00:00:00", chunks=chunks)


def _build(catalog, n: int) -> str:  # type: ignore[no-untyped-def]
    version = catalog.new_version()
    catalog.create_store(version, "test:eye").add(_chunks(n), _vectors(n))
    catalog.commit(version, _manifest(version, n))
    return version


def test_catalog_versions_switch_whole_and_prune(catalog) -> None:
    assert catalog.current_version() is None
    first = _build(catalog, 2)
    assert catalog.current_version() == first
    assert list(catalog.load_manifest(first).chunks) == ["doc#0", "doc#1"]
    assert catalog.open_store(first, "test:eye").count() == 2

    building = catalog.new_version()  # a build in progress is invisible, and can be abandoned
    catalog.create_store(building, "test:eye").add(_chunks(1), _vectors(1))
    assert catalog.current_version() == first
    catalog.abandon(building)

    second = _build(catalog, 3)
    third = _build(catalog, 4)
    assert catalog.current_version() == third
    catalog.prune(2)
    assert catalog.open_store(third, "test:eye").count() == 4
    assert catalog.open_store(second, "test:eye").count() == 3
    with pytest.raises(IndexNotReadyError):  # pruned: gone, in either implementation
        catalog.open_store(first, "test:eye")
    assert catalog.heartbeat()
