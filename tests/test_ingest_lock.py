"""The one ingest lock (kepu/ingest/lock.py): `kepu ingest`, the re-ingest API and a staff publication
all take it; a second ingestion is refused with its reason (409 on the web) and changes nothing."""

from __future__ import annotations

import httpx
import pytest

from kepu.config import Settings
from kepu.ingest.errors import IngestBusy
from kepu.ingest.lock import IngestLock
from kepu.ingest.pipeline import ingest
from tests.conftest import use_fake_embedder
from tests.support.http_server import serve

use_fake_embedder(globals())
TOKEN = "test-admin-token-0123456789"


@pytest.mark.unit
def test_a_second_hold_is_refused_until_the_first_ends(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first, second = IngestLock(settings), IngestLock(settings)
    with first.hold():
        with pytest.raises(IngestBusy, match="另一个导入任务正在运行") as busy, second.hold():
            pass
        assert busy.value.status == 409
        with pytest.raises(IngestBusy), first.hold():  # not reentrant: each hold opens the file anew
            pass
    with second.hold():  # released: free again
        pass


@pytest.mark.integration
def test_ingest_takes_the_lock_unless_its_caller_holds_it(fresh_settings: Settings, embedder) -> None:
    lock = IngestLock(fresh_settings)
    with lock.hold() as held:
        with pytest.raises(IngestBusy):
            ingest(fresh_settings, embedder)
        assert not (fresh_settings.index_dir / "CURRENT").exists()  # nothing half-written
        assert ingest(fresh_settings, embedder, held=held).changed  # the holder's own ingestion runs
    assert not ingest(fresh_settings, embedder).changed  # free again; nothing new to do


@pytest.mark.integration
def test_the_reingest_api_answers_409_while_another_ingestion_runs(
    fresh_settings: Settings, embedder
) -> None:
    ingest(fresh_settings, embedder)
    settings = fresh_settings.model_copy(update={"admin_token": TOKEN, "rate_limit": "10000/minute"})
    with serve(settings, embedder) as url, IngestLock(settings).hold():  # a `kepu ingest` elsewhere
        r = httpx.post(url + "/api/admin/ingest", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
        assert r.status_code == 409
        assert r.json()["detail"] == "另一个导入任务正在运行，请等它结束后再试"
    with serve(settings, embedder) as url:
        r = httpx.post(url + "/api/admin/ingest", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=300)
        assert r.status_code == 200 and r.json()["changed"] is False
