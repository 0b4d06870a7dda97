"""The HTTP API over real HTTP (uvicorn on loopback) against a real ingested index."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest

from kepu.config import Settings
from tests.conftest import (
    NEW_ARTICLE,
    NEW_ARTICLE_ID,
    NEW_QUESTION,
    plan_units_from_text,
    use_fake_embedder,
)
from tests.support.http_server import serve

# API shape over real HTTP; the answers come from the fake embedder (tests/support/fakes.py).
pytestmark = pytest.mark.integration
use_fake_embedder(globals())
TOKEN = "test-admin-token-0123456789"
UNITS = plan_units_from_text()


@pytest.fixture(scope="module")
def base(ingested, kb_settings: Settings, embedder):
    settings = kb_settings.model_copy(update={"rate_limit": "10000/minute", "admin_token": TOKEN})
    with serve(settings, embedder) as url:
        yield url


@pytest.fixture(scope="module")
def client(base):
    with httpx.Client(base_url=base, timeout=30) as c:
        yield c


def test_ask_returns_the_cli_answer_json(client, bot) -> None:
    r = client.post(
        "/api/ask", json={"question": "第32条由哪个单位负责？", "session_id": "s1", "channel": "web"}
    )
    assert r.status_code == 200
    data = r.json()
    expected = bot.answer("第32条由哪个单位负责？").to_dict()
    assert {k: v for k, v in data.items() if k not in ("latency_ms", "answer_id")} == {
        k: v for k, v in expected.items() if k != "latency_ms"
    }
    assert len(data["answer_id"]) == 36  # for feedback
    assert data["citations"][0]["units"] == ["中国科协", "财政部"]


def test_search_matches_the_cli(client) -> None:
    r = client.get("/api/search", params={"q": "科学辟谣平台", "k": 3})
    data = r.json()
    assert [h["rank"] for h in data["hits"]] == [1, 2, 3]
    assert data["hits"][0]["item"] == 4


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"question": ""}, "问题不能为空"),
        ({"question": "   "}, "问题不能为空"),
        ({"question": "问" * 501}, "问题太长"),
        ({}, "缺少问题"),
        ({"question": 5}, "格式不正确"),
    ],
)
def test_bad_questions_get_a_chinese_422(client, body, message) -> None:
    r = client.post("/api/ask", json=body)
    assert r.status_code == 422
    assert message in r.json()["detail"]


def test_malformed_json_is_422(client) -> None:
    r = client.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json() == {"detail": "请求体不是合法的 JSON"}


def test_units_list_and_alias_lookup(client) -> None:
    units = client.get("/api/units").json()["units"]
    by_name = {u["name"]: u for u in units}
    assert set(by_name) == {u for us in UNITS.values() for u in us} - {"各成员单位"}
    assert by_name["教育部"]["items"] == sum(1 for us in UNITS.values() if "教育部" in us)
    assert "卫健委" in by_name["卫生健康委"]["aliases"]
    data = client.get("/api/units/卫健委").json()
    assert data["unit"]["name"] == "卫生健康委"
    assert [i["number"] for i in data["items"]] == sorted(n for n, us in UNITS.items() if "卫生健康委" in us)
    assert [i["number"] for i in data["all_member_items"]] == [1, 2, 5, 6, 8, 39, 40]
    first = data["items"][0]
    assert {"number", "part", "section", "text", "co_units"} <= set(first)
    assert "卫生健康委" not in first["co_units"]


def test_unknown_unit_is_404_with_suggestions(client) -> None:
    r = client.get("/api/units/卫生部门")
    assert r.status_code == 404
    body = r.json()
    assert "找不到单位" in body["detail"] and "卫生健康委" in body["suggestions"]


def test_items_and_filters(client) -> None:
    assert len(client.get("/api/items").json()["items"]) == 42
    part4 = client.get("/api/items", params={"part": 4}).json()["items"]
    assert [i["number"] for i in part4] == [39, 40, 41, 42]
    finance = client.get("/api/items", params={"unit": "财政部"}).json()["items"]
    assert [i["number"] for i in finance] == [32]
    assert client.get("/api/items/41").json()["units"] == ["中国科协"]
    for bad in ("0", "43", "abc", "-1"):
        r = client.get(f"/api/items/{bad}")
        assert r.status_code == 404 and "没有第" in r.json()["detail"]
    assert client.get("/api/items", params={"part": 9}).status_code == 404


def test_matrix_and_exports(client) -> None:
    m = client.get("/api/matrix").json()
    assert len(m["rows"]) == 42
    header = m["header"]
    row32 = next(r for r in m["rows"] if r[0] == "32")
    marked = {header[i] for i, v in enumerate(row32) if v == "●"}
    assert marked == {"中国科协", "财政部"}
    csv = client.get("/api/export/matrix.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "计划,2020年全民科学素质行动工作要点,2020-work-points"  # the export names its plan
    assert lines[1].startswith("条目,部分,小节")
    xlsx = client.get("/api/export/units/团中央.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    import io

    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(xlsx.content)).active
    numbers = [int(row[0]) for row in ws.iter_rows(min_row=3, values_only=True) if row[3] == "列名负责"]
    assert numbers == sorted(n for n, us in UNITS.items() if "共青团中央" in us)
    assert client.get("/api/export/matrix.pdf").status_code == 404


def test_sources(client) -> None:
    docs = {d["source_id"]: d for d in client.get("/api/sources").json()["documents"]}
    assert docs["2020-work-points"]["kind"] == "plan" and docs["snakebite"]["status"] == "approved"


def test_health_ready_metrics_docs(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    client.post("/api/ask", json={"question": "茅台股票能买吗"})
    text = client.get("/metrics").text
    assert 'kepu_http_requests_total{method="POST",route="/api/ask",status="200"}' in text
    assert 'kepu_answer_seconds_bucket{channel="web",le="0.1",mode="refusal"}' in text
    assert "kepu_refusals_total" in text
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "科普问答助手 kepu"


def test_unknown_route_is_json_404(client) -> None:
    r = client.get("/api/nothing")
    assert r.status_code == 404 and r.json() == {"detail": "页面或接口不存在"}


def test_rate_limit_is_friendly(ingested, kb_settings, embedder) -> None:
    settings = kb_settings.model_copy(update={"rate_limit": "3/minute"})
    with serve(settings, embedder) as url, httpx.Client(base_url=url) as c:
        codes = [c.get("/api/items/1").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = c.get("/api/items/1")
        assert "请求太频繁" in r.json()["detail"] and int(r.headers["retry-after"]) >= 1
        assert c.get("/healthz").status_code == 200  # health is not rate limited


def test_admin_routes_need_the_token(client) -> None:
    assert client.post("/api/admin/ingest").status_code == 401
    r = client.post("/api/admin/ingest", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401 and "管理员令牌" in r.json()["detail"]
    r = client.post(
        "/api/admin/ingest", json={"paths": ["../../etc"]}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert r.status_code == 422 and "不在知识库目录" in r.json()["detail"]


def test_admin_is_off_without_a_token(ingested, kb_settings, embedder) -> None:
    with serve(kb_settings.model_copy(update={"admin_token": None}), embedder) as url:
        assert (
            httpx.post(url + "/api/admin/ingest", headers={"Authorization": f"Bearer {TOKEN}"}).status_code
            == 404
        )


def test_placeholder_admin_token_is_refused() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="admin_token"):
        Settings(admin_token="changeme")


ARTICLE = NEW_ARTICLE.format(marker="")


def test_reingest_without_downtime(fresh_settings: Settings, embedder) -> None:
    from kepu.ingest.pipeline import ingest

    ingest(fresh_settings, embedder)
    settings = fresh_settings.model_copy(update={"admin_token": TOKEN, "rate_limit": "100000/minute"})
    with serve(settings, embedder) as url, httpx.Client(base_url=url, timeout=60) as c:
        before = c.get("/readyz").json()["version"]
        (Path(settings.knowledge_dir) / "science" / f"{NEW_ARTICLE_ID}.md").write_text(
            ARTICLE, encoding="utf-8"
        )
        failures: list[int] = []
        modes: list[str] = []
        stop = threading.Event()

        def hammer() -> None:
            with httpx.Client(base_url=url, timeout=60) as h:
                while not stop.is_set():
                    r = h.post("/api/ask", json={"question": "第32条由哪个单位负责？"})
                    if r.status_code != 200:
                        failures.append(r.status_code)
                    else:
                        modes.append(r.json()["mode"])

        t = threading.Thread(target=hammer)
        t.start()
        r = c.post(
            "/api/admin/ingest", json={"paths": ["science"]}, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        stop.set()
        t.join()
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["changed"] and any(f["source_id"] == NEW_ARTICLE_ID for f in report["files"])
        assert failures == [] and modes and set(modes) == {"structured"}
        assert c.get("/readyz").json()["version"] != before
        ans = c.post("/api/ask", json={"question": NEW_QUESTION}).json()
        assert ans["citations"][0]["source_id"] == NEW_ARTICLE_ID


def test_not_ready_without_an_index(tmp_path: Path, embedder) -> None:
    settings = Settings(data_dir=tmp_path / "none", knowledge_dir=tmp_path)
    with serve(settings, embedder) as url:
        assert httpx.get(url + "/healthz").status_code == 200
        assert httpx.get(url + "/readyz").status_code == 503
        r = httpx.post(url + "/api/ask", json={"question": "你好"})
        assert r.status_code == 503 and "kepu ingest" in r.json()["detail"]
