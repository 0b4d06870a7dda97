"""Errors raised while turning files into the knowledge base. Messages are Chinese and name the file."""

from __future__ import annotations

from pathlib import Path

from kepu.errors import KepuError, RequestRejected


class IngestError(KepuError):
    """Base of ingestion errors."""


class FileRejected(IngestError):
    """One file cannot be ingested; the others go on. The message names the file and what is wrong."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class UnsupportedFileType(FileRejected):
    """The extension is none of the supported ones."""


class MetadataError(FileRejected):
    """Front matter or sidecar metadata is missing or invalid; the reason names the field."""


class PlanParseError(FileRejected):
    """A plan document does not have the expected structure."""


class IngestBusy(IngestError, RequestRejected):
    """Another ingestion holds the ingest lock (kepu/ingest/lock.py): try again when it has finished."""

    status = 409
