"""The `kepu` CLI contract, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import plan_units_from_text

pytestmark = pytest.mark.integration

CITATION_KEYS = {"source_id", "title", "kind", "item", "section", "units", "text"}
HIT_KEYS = {"rank", "score", "chunk_id", "source_id", "title", "kind", "item", "section", "units", "text"}


def kepu(settings, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "KEPU_DATA_DIR": str(settings.data_dir),
        "KEPU_KNOWLEDGE_DIR": str(settings.knowledge_dir),
        "KEPU_EMBEDDING_CACHE_DIR": str(settings.cache_dir),  # the run's shared cache: embed only what is new
    }
    return subprocess.run(
        [sys.executable, "-m", "kepu.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_ask_json_contract(ingested, kb_settings) -> None:
    out = kepu(kb_settings, "ask", "--json", "教育部负责哪些工作？")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"question", "answer", "mode", "citations", "latency_ms"} <= set(data)
    assert data["mode"] == "structured"
    assert data["question"] == "教育部负责哪些工作？"
    for c in data["citations"]:
        assert set(c) >= CITATION_KEYS
        assert c["kind"] == "plan" and isinstance(c["item"], int) and isinstance(c["units"], list)


def test_refusal_has_no_citations(ingested, kb_settings) -> None:
    data = json.loads(kepu(kb_settings, "ask", "--json", "茅台股票能买吗").stdout)
    assert data["mode"] == "refusal" and data["citations"] == []


def test_ask_for_a_person(ingested, kb_settings) -> None:
    out = kepu(kb_settings, "ask", "第32条由哪个单位负责？")
    assert out.returncode == 0
    assert "财政部" in out.stdout and "出处" in out.stdout and "第32条" in out.stdout


def test_search_json(ingested, kb_settings) -> None:
    data = json.loads(kepu(kb_settings, "search", "--json", "--k", "3", "科学辟谣平台").stdout)
    assert data["question"] == "科学辟谣平台"
    assert [h["rank"] for h in data["hits"]] == [1, 2, 3]
    assert all(set(h) >= HIT_KEYS for h in data["hits"])
    assert data["hits"][0]["item"] == 4
    scores = [h["score"] for h in data["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_batch_mode_reads_stdin_line_by_line(ingested, kb_settings) -> None:
    out = kepu(kb_settings, "ask", "-", stdin="第9条是谁负责的\n\n被狗咬了怎么办\n讲个笑话\n")
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [d["question"] for d in lines] == ["第9条是谁负责的", "被狗咬了怎么办", "讲个笑话"]
    assert [d["mode"] for d in lines] == ["structured", "extractive", "refusal"]
    search = kepu(kb_settings, "search", "-", stdin="科技馆\n中暑\n")
    assert [json.loads(line)["question"] for line in search.stdout.splitlines()] == ["科技馆", "中暑"]


def test_sources_json(ingested, kb_settings) -> None:
    data = json.loads(kepu(kb_settings, "sources", "--json").stdout)
    ids = {d["source_id"]: d for d in data["documents"]}
    assert ids["2020-work-points"]["kind"] == "plan"
    assert ids["rabies-dog-bite"]["status"] == "approved" and ids["rabies-dog-bite"]["reviewed_by"]
    kinds = [d["kind"] for d in data["documents"]]
    assert data["counts"] == {k: kinds.count(k) for k in set(kinds)}
    text = kepu(kb_settings, "sources").stdout.splitlines()[0]
    assert f"科普文章 {kinds.count('science')} 篇、科学辟谣 {kinds.count('rumor')} 篇" in text


def test_readme_figures_match_the_library(ingested, kb_settings) -> None:
    import re

    counts = json.loads(kepu(kb_settings, "sources", "--json").stdout)["counts"]
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert int(re.search(r"(\d+) 篇科普文章", readme).group(1)) == counts["science"]
    assert int(re.search(r"(\d+) 篇科学辟谣", readme).group(1)) == counts["rumor"]
    units = {u for us in plan_units_from_text().values() for u in us} - {"各成员单位"}
    assert f"全部 {len(units)} 个负责单位" in readme


def test_ingest_exit_status_and_messages(
    ingested, tmp_path: Path, knowledge_copy: Path, shared_cache: Path
) -> None:
    from kepu.config import Settings

    settings = Settings(
        data_dir=tmp_path / "d", knowledge_dir=knowledge_copy, embedding_cache_dir=shared_cache
    )
    (knowledge_copy / "science" / "broken.pdf").write_bytes(b"%PDF garbage")
    out = kepu(settings, "ingest")
    assert out.returncode == 1
    assert "broken.pdf" in out.stderr and "PDF" in out.stderr
    assert "Traceback" not in out.stderr
    assert "工作要点条目 42 条" in out.stdout
    again = kepu(settings, "ask", "--json", "第1条讲什么")
    assert json.loads(again.stdout)["citations"][0]["item"] == 1


def test_errors_are_chinese_not_tracebacks(tmp_path: Path) -> None:
    from kepu.config import Settings

    settings = Settings(data_dir=tmp_path / "empty", knowledge_dir=tmp_path)
    out = kepu(settings, "ask", "第1条")
    assert out.returncode == 2
    assert "请先运行 kepu ingest" in out.stderr and "Traceback" not in out.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "kepu.cli", "ask", "x"],
        capture_output=True,
        text=True,
        env={**os.environ, "KEPU_TOP_K": "0", "KEPU_DATA_DIR": str(tmp_path)},
    )
    assert bad.returncode == 2 and "KEPU_TOP_K" in bad.stderr and "Traceback" not in bad.stderr


def test_help_shows_examples() -> None:
    out = subprocess.run([sys.executable, "-m", "kepu.cli", "ask", "--help"], capture_output=True, text=True)
    assert "示例" in out.stdout and "kepu ask --json" in out.stdout


def test_serve_says_when_the_data_directory_cannot_be_written(tmp_path: Path) -> None:
    """A data directory the service cannot write (read-only, or a path through a file) is said so at
    start-up with exit status 2, naming the directory; no stack trace, no server half up."""
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    env = {**os.environ, "KEPU_DATA_DIR": str(blocker / "data"), "KEPU_PORT": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "kepu.cli", "serve"], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 2, out.stderr
    assert "数据目录" in out.stderr and "不可写" in out.stderr and str(blocker / "data") in out.stderr
    assert "Traceback" not in out.stderr
