"""Ingestion pipeline: discover -> load -> approval gate -> parse/chunk -> embed (cached) -> new version.

Idempotent: unchanged files are reused as they are, and when nothing changed no version is written.
Atomic: a new index version is built beside the current one and switched to only when complete.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from tqdm import tqdm

from kepu.config import Settings
from kepu.errors import EmbedderMismatchError, UpstreamError
from kepu.ingest.chunking import plan_chunks, text_chunks
from kepu.ingest.errors import FileRejected
from kepu.ingest.faq import is_faq_file, load_faq
from kepu.ingest.loaders import load
from kepu.ingest.lock import Held, IngestLock
from kepu.ingest.metadata import SIDECAR_SUFFIX, DocMeta, read_sidecar, sidecar_path, validate
from kepu.ingest.plan_parser import parse_plan
from kepu.kb.catalog import IndexCatalog, open_catalog
from kepu.kb.embed_cache import EmbeddingCache
from kepu.kb.embedders import Embedder
from kepu.kb.faq_vectors import pair_texts, question_vectors
from kepu.kb.types import ALL_MEMBERS, Chunk, DocumentRecord, FaqPair, PlanDoc
from kepu.kb.versions import Manifest

log = logging.getLogger(__name__)

SKIP_NAMES = {"units.yaml", "synonyms.yaml", "README.md"}  # data read by name, not documents
# Bump when parsing or chunking changes: every file is then re-parsed on the next ingest.
PIPELINE_VERSION = "6"  # 6: expires and review_by are dates


@dataclass
class FileResult:
    path: str
    source_id: str
    status: str  # added | updated | unchanged | draft | retired | removed | expired | error
    message: str = ""


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    version: str | None = None
    changed: bool = False
    documents: int = 0
    chunks: int = 0
    items: int = 0
    units: int = 0
    embedded: int = 0
    seconds: float = 0.0
    # Q&A pairs (标准问答) of the files read this time: rows read, pairs accepted, rows rejected
    faq_read: int = 0
    faq_accepted: int = 0
    faq_rejected: int = 0
    faq_pairs: int = 0  # pairs the new version serves, from every file

    def by_status(self, status: str) -> list[FileResult]:
        return [r for r in self.results if r.status == status]

    @property
    def ok(self) -> bool:
        return not self.by_status("error")

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "changed": self.changed,
            "documents": self.documents,
            "chunks": self.chunks,
            "items": self.items,
            "units": self.units,
            "embedded": self.embedded,
            "seconds": round(self.seconds, 3),
            "faq": {
                "read": self.faq_read,
                "accepted": self.faq_accepted,
                "rejected": self.faq_rejected,
                "pairs": self.faq_pairs,
            },
            "files": [r.__dict__ for r in self.results],
        }


def _discover(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or any(p.startswith(".") for p in rel.parts):
            continue
        if path.name in SKIP_NAMES or path.name.endswith(SIDECAR_SUFFIX):
            continue
        yield path


def _file_hash(path: Path) -> str:
    h = hashlib.sha256(PIPELINE_VERSION.encode() + b"\0" + path.read_bytes())
    side = sidecar_path(path)
    if side.exists():
        h.update(b"\0sidecar\0" + side.read_bytes())
    return h.hexdigest()[:32]


def _source_id(path: Path) -> str:
    return path.stem


@dataclass
class _Parsed:
    record: DocumentRecord
    chunks: list[Chunk]
    plan: PlanDoc | None


def _parse(path: Path, file_hash: str, settings: Settings) -> tuple[DocMeta, _Parsed | None]:
    """Returns the metadata and the parsed document; parsed is None for drafts and retired material."""
    loaded = load(path)
    meta = {**loaded.front_matter, **read_sidecar(path)}
    doc = validate(path, meta)
    if doc.status != "approved":
        return doc, None
    source_id = _source_id(path)
    plan = None
    if doc.kind == "plan":
        plan = parse_plan(loaded.text, doc.raw, source_id, path)
        chunks = plan_chunks(plan)
    else:
        chunks = text_chunks(
            source_id,
            doc.title,
            loaded.text,
            settings.chunk_size,
            settings.chunk_overlap,
            rumor=doc.raw.get("rumor"),
            verdict=doc.raw.get("verdict"),
            claims=tuple(doc.raw.get("claims") or ()),
            subjects=tuple(tuple(s) for s in doc.raw.get("subjects") or ()),
        )
        if not chunks:
            raise FileRejected(path, "正文为空，没有可索引的内容")
    record = DocumentRecord(
        source_id=source_id,
        path=str(path.resolve()),
        title=doc.title,
        kind="plan" if doc.kind == "plan" else "science",
        status=doc.status,
        file_hash=file_hash,
        meta={k: v for k, v in doc.raw.items() if isinstance(v, (str, int, float, bool, list))},
        chunk_ids=tuple(c.chunk_id for c in chunks),
    )
    return doc, _Parsed(record, chunks, plan)


def _read_units(settings: Settings) -> tuple[dict[str, Any], str]:
    path = settings.units_file
    if not path.exists():
        return {}, ""
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw.decode("utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FileRejected(path, f"不是合法的 UTF-8 YAML：{exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("units", []), list):
        raise FileRejected(path, "顶层应为 units: 列表")
    for i, entry in enumerate(data.get("units", [])):
        if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
            raise FileRejected(path, f"第 {i + 1} 个单位缺少 name 字段")
    return data, hashlib.sha256(raw).hexdigest()[:32]


def ingest(
    settings: Settings,
    embedder: Embedder,
    paths: list[Path] | None = None,
    *,
    rebuild: bool = False,
    progress: bool = False,
    today: dt.date | None = None,
    held: Held | None = None,
) -> IngestReport:
    """Ingest ``paths`` (default: the knowledge dir) into a new index version beside what is there.
    ``today`` decides what has expired (default: the system's date; tests pass their own). The ingest
    lock is taken here (IngestBusy when another ingestion holds it) unless the caller ``held`` it."""
    started = time.perf_counter()
    with nullcontext(held) if held is not None else IngestLock(settings).hold():
        report = _ingest_locked(
            settings, embedder, paths, rebuild=rebuild, progress=progress, today=today or dt.date.today()
        )
    report.seconds = time.perf_counter() - started
    return report


def _expired(meta: dict[str, Any], today: dt.date) -> bool:
    value = meta.get("expires")
    return bool(value) and dt.date.fromisoformat(str(value)) < today


def _ingest_locked(
    settings: Settings,
    embedder: Embedder,
    paths: list[Path] | None,
    *,
    rebuild: bool,
    progress: bool,
    today: dt.date,
) -> IngestReport:
    report = IngestReport()
    layout = open_catalog(settings)
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    current = None if rebuild else layout.current_version()
    prev = layout.load_manifest(current) if current else None
    if prev is not None and prev.embedder_id != embedder.id:
        raise EmbedderMismatchError(
            f"现有索引由“{prev.embedder_id}”构建，当前配置的是“{embedder.id}”；不能混用。"
            "请运行 kepu ingest --rebuild 用当前模型重建"
        )
    documents: dict[str, DocumentRecord] = dict(prev.documents) if prev else {}
    chunks: dict[str, Chunk] = dict(prev.chunks) if prev else {}
    plans: dict[str, PlanDoc] = dict(prev.plans) if prev else {}
    skipped: dict[str, dict[str, Any]] = dict(prev.skipped) if prev else {}
    faq: dict[str, list[FaqPair]] = dict(prev.faq) if prev else {}
    skipped_before = dict(skipped)
    changed = prev is None

    def drop(source_id: str) -> None:
        rec = documents.pop(source_id, None)
        if rec:
            for cid in rec.chunk_ids:
                chunks.pop(cid, None)
        plans.pop(source_id, None)
        faq.pop(source_id, None)

    units_data, units_hash = (prev.units, prev.units_hash) if prev else ({}, "")
    try:
        new_units, new_hash = _read_units(settings)
        if new_hash != units_hash:
            units_data, units_hash, changed = new_units, new_hash, True
    except FileRejected as exc:
        report.results.append(FileResult(exc.path, "units", "error", exc.reason))

    roots = [p.resolve() for p in (paths or [settings.knowledge_dir])]
    files: list[Path] = []
    for root in roots:
        if not root.exists():
            report.results.append(FileResult(str(root), root.stem, "error", "路径不存在"))
            continue
        for path in _discover(root):
            if not path.resolve().is_relative_to(root):
                # a link out of the folder being ingested (the admin route refuses such paths too)
                reason = f"是指向 {root} 之外的链接（{path.resolve()}），不导入"
                report.results.append(FileResult(str(path), _source_id(path), "error", reason))
                continue
            files.append(path)

    seen: dict[str, str] = {}
    for path in tqdm(files, desc="导入", unit="个文件", disable=not progress):
        source_id = _source_id(path)
        if source_id in seen:
            report.results.append(
                FileResult(
                    str(path),
                    source_id,
                    "error",
                    f"文件名（source_id “{source_id}”）与 {seen[source_id]} 重复",
                )
            )
            continue
        seen[source_id] = str(path)
        try:
            file_hash = _file_hash(path)
            if is_faq_file(path):
                changed = (
                    _ingest_faq(path, source_id, file_hash, today, documents, faq, drop, report) or changed
                )
                skipped.pop(source_id, None)
                continue
            old = documents.get(source_id)
            unchanged = old and old.file_hash == file_hash and old.path == str(path.resolve())
            if unchanged and not _expired(old.meta, today):  # type: ignore[union-attr]
                report.results.append(FileResult(str(path), source_id, "unchanged"))
                continue
            meta, parsed = _parse(path, file_hash, settings)
        except (FileRejected, OSError) as exc:
            reason = exc.reason if isinstance(exc, FileRejected) else f"无法读取：{exc.strerror or exc}"
            report.results.append(FileResult(str(path), source_id, "error", reason))
            skipped[source_id] = {"path": str(path.resolve()), "status": "error", "message": reason}
            continue
        if parsed is None:
            if source_id in documents:
                drop(source_id)
                changed = True
            note = "草稿，未收录" if meta.status == "draft" else "已停用，已从索引移除"
            report.results.append(FileResult(str(path), source_id, meta.status, note))
            skipped[source_id] = {
                "path": str(path.resolve()),
                "status": meta.status,
                "title": meta.title,
                "kind": meta.kind,
                "reviewed_by": meta.raw.get("reviewed_by"),
                "approved_at": meta.raw.get("approved_at"),
                "message": note,
            }
            continue
        if _expired(meta.raw, today):
            if source_id in documents:
                drop(source_id)
                changed = True
            note = f"已过期（有效期至 {meta.raw['expires']}），未收录"
            report.results.append(FileResult(str(path), source_id, "expired", note))
            skipped[source_id] = {
                "path": str(path.resolve()),
                "status": "expired",
                "title": meta.title,
                "kind": meta.kind,
                "reviewed_by": meta.raw.get("reviewed_by"),
                "approved_at": meta.raw.get("approved_at"),
                "expires": meta.raw.get("expires"),
                "message": note,
            }
            continue
        skipped.pop(source_id, None)
        existed = source_id in documents
        drop(source_id)
        documents[source_id] = parsed.record
        for c in parsed.chunks:
            chunks[c.chunk_id] = c
        if parsed.plan is not None:
            plans[source_id] = parsed.plan
        changed = True
        report.results.append(FileResult(str(path), source_id, "updated" if existed else "added"))

    for source_id, info in list(skipped.items()):
        if not Path(info["path"]).exists():
            del skipped[source_id]
    if skipped != skipped_before:
        changed = True
    # A folder ingested again is synchronised: documents from it whose files are gone leave the index.
    for source_id, rec in list(documents.items()):
        rec_path = Path(rec.path)
        if any(root.is_dir() and rec_path.is_relative_to(root) for root in roots) and not rec_path.exists():
            drop(source_id)
            changed = True
            report.results.append(FileResult(rec.path, source_id, "removed", "文件已删除，已从索引移除"))

    if not changed and prev is not None:
        report.version = current
    else:
        report.version = _write_version(
            settings,
            embedder,
            layout,
            documents,
            chunks,
            plans,
            units_data,
            units_hash,
            skipped,
            faq,
            report,
            progress=progress,
        )
        report.changed = True
    report.documents = len(documents)
    report.chunks = len(chunks)
    report.items = sum(len(p.items) for p in plans.values())
    report.units = len({u for p in plans.values() for it in p.items for u in it.units} - {ALL_MEMBERS})
    report.faq_pairs = sum(len(pairs) for pairs in faq.values())
    return report


def _ingest_faq(  # type: ignore[no-untyped-def]
    path: Path,
    source_id: str,
    file_hash: str,
    today: dt.date,
    documents: dict[str, DocumentRecord],
    faq: dict[str, list[FaqPair]],
    drop,
    report: IngestReport,
) -> bool:
    """A Q&A file, row by row through the gate; read every time (what has expired depends on the day).
    True when what the index serves from it changed."""
    loaded = load_faq(path, source_id, today)
    report.faq_read += loaded.read
    report.faq_accepted += len(loaded.pairs)
    report.faq_rejected += len(loaded.rejected)
    old = documents.get(source_id)
    same = (
        old is not None
        and old.file_hash == file_hash
        and old.path == str(path.resolve())
        and faq.get(source_id) == loaded.pairs
    )
    if not same:
        drop(source_id)
        documents[source_id] = DocumentRecord(
            source_id=source_id,
            path=str(path.resolve()),
            title=path.name,
            kind="faq",
            status="approved",
            file_hash=file_hash,
            meta={"kind": "faq", "pairs": len(loaded.pairs), "rows": loaded.read},
        )
        faq[source_id] = loaded.pairs
    status = "unchanged" if same else ("updated" if old is not None else "added")
    report.results.append(FileResult(str(path), source_id, status, loaded.summary()))
    for _, reason in loaded.rejected:
        report.results.append(FileResult(str(path), source_id, "error", reason))
    for row, question in loaded.expired:
        note = f"第{row}行“{question}”已过期，未收录"
        report.results.append(FileResult(str(path), source_id, "expired", note))
    return not same


def _write_version(
    settings: Settings,
    embedder: Embedder,
    layout: IndexCatalog,
    documents: dict[str, DocumentRecord],
    chunks: dict[str, Chunk],
    plans: dict[str, PlanDoc],
    units_data: dict[str, Any],
    units_hash: str,
    skipped: dict[str, dict[str, Any]],
    faq: dict[str, list[FaqPair]],
    report: IngestReport,
    *,
    progress: bool = False,
) -> str:
    name = layout.new_version()
    try:
        ordered = list(chunks.values())
        vectors, computed = _embed_chunks(settings, embedder, ordered, documents, progress)
        # the pairs' questions too, so that no replica computes them at start-up (kepu/answering/faq.py)
        pairs = [p for ps in faq.values() for p in ps]
        _, asked = question_vectors(embedder, settings.cache_dir / "embeddings.sqlite", pair_texts(pairs))
        report.embedded = computed + asked
        store = layout.create_store(name, embedder.id)
        if ordered:
            store.add(ordered, vectors)
        del store
        manifest = Manifest(
            version=name,
            embedder_id=embedder.id,
            created_at=dt.datetime.now().isoformat(timespec="seconds"),
            documents=documents,
            chunks=chunks,
            plans=plans,
            units=units_data,
            units_hash=units_hash,
            skipped=skipped,
            faq=faq,
        )
        layout.commit(name, manifest)
    except BaseException:
        layout.abandon(name)
        raise
    layout.prune(settings.keep_versions)
    return name


class _Recording:
    """The embedder, remembering which texts it was last asked for (to name them if that fails)."""

    def __init__(self, inner: Embedder) -> None:
        self.id = inner.id
        self._inner = inner
        self.asked: list[str] = []

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.asked = list(texts)
        return self._inner.embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._inner.embed_query(text)


def _embed_chunks(
    settings: Settings,
    embedder: Embedder,
    ordered: list[Chunk],
    documents: dict[str, DocumentRecord],
    progress: bool,
) -> tuple[np.ndarray, int]:
    """Vectors for ``ordered`` and how many had to be computed, ``embeddings_batch`` chunks at a time.

    Each batch is cached as soon as it is computed, so an ingest that fails part-way (a slow or failing
    endpoint) computes only the rest when run again. A batch that fails raises UpstreamError naming the
    files its chunks come from; the caller abandons the new version and CURRENT is left as it was.
    """
    step = settings.embeddings_batch
    cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite")
    parts: list[np.ndarray] = []
    computed = 0
    try:
        with tqdm(total=len(ordered), desc="向量计算", unit="段", disable=not progress) as bar:
            for start in range(0, len(ordered), step):
                part = ordered[start : start + step]
                recording = _Recording(embedder)
                try:
                    vecs, n = cache.embed(
                        recording, [c.content_hash for c in part], [c.passage() for c in part]
                    )
                except UpstreamError as exc:
                    asked = set(recording.asked)
                    failed = [c for c in part if c.passage() in asked] or part
                    raise _batch_failed(exc, failed, documents) from exc
                parts.append(vecs)
                computed += n
                bar.update(len(part))
                if n:
                    log.info(
                        "embedded", extra={"done": start + len(part), "total": len(ordered), "computed": n}
                    )
    finally:
        cache.close()
    return (np.vstack(parts) if parts else np.zeros((0, 0), dtype=np.float32)), computed


def _batch_failed(
    exc: UpstreamError, failed: list[Chunk], documents: dict[str, DocumentRecord]
) -> UpstreamError:
    """The embedder's error, saying which files the failed batch came from and that nothing changed."""
    paths = sorted({documents[c.source_id].path if c.source_id in documents else c.source_id for c in failed})
    shown = [_display_path(p) for p in paths[:10]]
    more = f" 等 {len(paths)} 个文件" if len(paths) > 10 else ""
    return UpstreamError(
        f"向量计算失败：{str(exc).rstrip('。.')}。这批 {len(failed)} 个片段来自：{'、'.join(shown)}{more}。"
        "当前索引保持不变；已算好的向量已缓存，稍后重新运行 kepu ingest 只会计算其余部分",
        status=exc.status,
        body=exc.body,
    )


def _display_path(path: str) -> str:
    """A path relative to the working directory when it is below it (shorter to read)."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path
