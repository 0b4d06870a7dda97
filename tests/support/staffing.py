"""Staff for the tests of the staff loop (tests/test_editor.py, tests/test_pages_e2e.py): settings with
their own insights database, an ingested index, and an editor and a reviewer to log in as."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kepu.config import Settings
from kepu.ingest.pipeline import ingest
from kepu.staff.accounts import StaffAccounts

EDITOR = ("编辑甲", "editor-password-1")
REVIEWER = ("审核乙", "reviewer-password-1")


def staffed(settings: Settings, embedder: Any, database: Path, **more: Any) -> tuple[Settings, StaffAccounts]:
    """``settings`` with the insights database at ``database`` and no practical rate limit (plus
    ``more``), ingested, with the accounts EDITOR and REVIEWER."""
    settings = settings.model_copy(
        update={"database_url": f"sqlite:///{database}", "rate_limit": "10000/minute", **more}
    )
    ingest(settings, embedder)
    accounts = StaffAccounts(settings.insights_url)
    accounts.add(EDITOR[0], "editor", EDITOR[1])
    accounts.add(REVIEWER[0], "reviewer", REVIEWER[1])
    return settings, accounts
