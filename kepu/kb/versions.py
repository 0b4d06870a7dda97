"""Index versions on disk: ``index/<version>/`` each with ``manifest.json`` and ``chroma/``, and a
``CURRENT`` file naming the one that serves. A new version is complete before CURRENT is switched
(atomically, by rename), so an interrupted ingest leaves the previous version serving."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kepu.errors import IndexNotReadyError
from kepu.kb.store import ChromaStore, VectorStore
from kepu.kb.types import Chunk, DocumentRecord, FaqPair, PlanDoc

MANIFEST = "manifest.json"
CURRENT = "CURRENT"


@dataclass
class Manifest:
    """Everything an index version holds besides the vectors."""

    version: str
    embedder_id: str
    created_at: str
    documents: dict[str, DocumentRecord] = field(default_factory=dict)
    chunks: dict[str, Chunk] = field(default_factory=dict)
    plans: dict[str, PlanDoc] = field(default_factory=dict)
    units: dict[str, Any] = field(default_factory=dict)  # the units.yaml content the version was built with
    units_hash: str = ""
    # files left out of the index: drafts, retired material and files that failed, by source_id
    skipped: dict[str, dict[str, Any]] = field(default_factory=dict)
    # approved Q&A pairs, by the source_id of the file that holds them
    faq: dict[str, list[FaqPair]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": self.version,
                "embedder_id": self.embedder_id,
                "created_at": self.created_at,
                "units_hash": self.units_hash,
                "units": self.units,
                "skipped": self.skipped,
                "documents": [d.to_dict() for d in self.documents.values()],
                "chunks": [c.to_dict() for c in self.chunks.values()],
                "plans": [p.to_dict() for p in self.plans.values()],
                "faq": {sid: [p.to_dict() for p in pairs] for sid, pairs in self.faq.items()},
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        return cls(
            version=data["version"],
            embedder_id=data["embedder_id"],
            created_at=data["created_at"],
            units_hash=data.get("units_hash", ""),
            units=data.get("units", {}),
            skipped=data.get("skipped", {}),
            documents={d["source_id"]: DocumentRecord.from_dict(d) for d in data["documents"]},
            chunks={c["chunk_id"]: Chunk.from_dict(c) for c in data["chunks"]},
            plans={p["source_id"]: PlanDoc.from_dict(p) for p in data["plans"]},
            faq={sid: [FaqPair.from_dict(p) for p in pairs] for sid, pairs in data.get("faq", {}).items()},
        )


def new_version_name() -> str:
    """``v<timestamp to the microsecond>-<random>``: names sort in the order versions were begun."""
    return f"v{dt.datetime.now().strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:6]}"


class IndexLayout:
    """Index versions in a local directory (the embedded default). Implements ``IndexCatalog``."""

    location_kind = "embedded"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._building: dict[str, Path] = {}

    @property
    def location(self) -> str:
        return str(self.root)

    def current_version(self) -> str | None:
        pointer = self.root / CURRENT
        if not pointer.exists():
            return None
        name = pointer.read_text(encoding="utf-8").strip()
        return name if name and (self.root / name / MANIFEST).exists() else None

    def version_dir(self, version: str) -> Path:
        return self.root / version

    def load_manifest(self, version: str) -> Manifest:
        return Manifest.from_json((self.version_dir(version) / MANIFEST).read_text(encoding="utf-8"))

    def open_store(self, version: str, embedder_id: str) -> VectorStore:
        if not (self.version_dir(version) / MANIFEST).exists():
            raise IndexNotReadyError(f"索引版本 {version} 不存在（{self.root}）")
        return ChromaStore(self.version_dir(version) / "chroma", embedder_id)

    def heartbeat(self) -> bool:
        return True

    def new_version(self) -> str:
        name = new_version_name()
        path = self.root / f".building-{name}"
        path.mkdir(parents=True)
        self._building[name] = path
        return name

    def create_store(self, version: str, embedder_id: str) -> VectorStore:
        return ChromaStore(self._building[version] / "chroma", embedder_id, create=True)

    def commit(self, version: str, manifest: Manifest) -> None:
        """Write the manifest last, move the finished version into place, then switch CURRENT."""
        building = self._building.pop(version)
        tmp = building / (MANIFEST + ".tmp")
        tmp.write_text(manifest.to_json(), encoding="utf-8")
        os.replace(tmp, building / MANIFEST)
        os.replace(building, self.root / version)
        pointer_tmp = self.root / f".{CURRENT}.{uuid.uuid4().hex[:6]}"
        pointer_tmp.write_text(version, encoding="utf-8")
        os.replace(pointer_tmp, self.root / CURRENT)

    def abandon(self, version: str) -> None:
        building = self._building.pop(version, None)
        if building is not None:
            shutil.rmtree(building, ignore_errors=True)

    def prune(self, keep: int) -> list[str]:
        """Remove old versions (keeping the newest ``keep``, the current one always) and stale builds."""
        current = self.current_version()
        versions = sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name.startswith("v"))
        doomed = [v for v in versions[:-keep] if v != current] if keep > 0 else []
        for v in doomed:
            shutil.rmtree(self.root / v, ignore_errors=True)
        for p in self.root.iterdir():
            if p.name.startswith(".building-") and p not in self._building.values():
                shutil.rmtree(p, ignore_errors=True)
        return doomed
