"""Hostile input (issue 14, item 2): every request that used to end in a 500 gets a clear 4xx in
Chinese, and the connection keeps working for the next request. Over real HTTP (uvicorn on loopback);
answers come from the fake embedder. Property-based tests (hypothesis) keep the parsers total."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kepu.channels.wechat.simulate import message_xml, sign, text_fields
from kepu.config import Settings
from kepu.text import item_refs, normalize
from tests.conftest import admin_login, admin_logout, csrf_from, use_fake_embedder
from tests.support.http_server import serve

pytestmark = pytest.mark.integration
use_fake_embedder(globals())
ADMIN = "hostile-admin-token-0123456789abcdef"
WX_TOKEN = "kepu-hostile-token"


@pytest.fixture(scope="module")
def base(ingested, kb_settings: Settings, embedder):
    update = {"rate_limit": "10000/minute", "admin_token": ADMIN, "wechat_token": WX_TOKEN}
    with serve(kb_settings.model_copy(update=update), embedder) as url:
        yield url


@pytest.fixture(scope="module")
def client(base):
    with httpx.Client(base_url=base, timeout=30) as c:  # one keep-alive connection throughout
        yield c


def _chinese(r: httpx.Response) -> str:
    detail = r.json()["detail"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in detail), detail
    return detail


def test_a_lone_surrogate_is_a_422_in_chinese_and_the_connection_stays_usable(client) -> None:
    # JSON may escape half a character ("\ud800"); no UTF-8 encoder would send it raw
    head = {"content-type": "application/json"}
    r = client.post("/api/ask", content=b'{"question": "\\ud800"}', headers=head)
    assert r.status_code == 422 and "U+D800" in _chinese(r)
    r = client.post("/api/ask", content=b'{"question": "\xe6\x95\x99\\udfff"}', headers=head)
    assert r.status_code == 422 and "U+DFFF" in _chinese(r)
    # the same keep-alive connection answers the next question
    assert client.post("/api/ask", json={"question": "第32条由哪个单位负责？"}).status_code == 200


@pytest.mark.parametrize("n", ["%C2%B2", "%E2%91%A0", "1%C2%B2", "-1", "0", "99999999999999999999"])
def test_an_item_number_that_is_no_number_of_the_plan_is_a_404_in_chinese(client, n: str) -> None:
    r = client.get(f"/api/items/{n}")
    assert r.status_code == 404 and "条目编号应为1—" in _chinese(r)


def test_a_negative_item_number_is_not_item_one(client) -> None:
    r = client.post("/api/ask", json={"question": "第-1条由哪个单位负责？"})
    assert r.status_code == 200
    data = r.json()
    assert data["route"] == "item_missing" and "第1条的负责单位" not in data["answer"], data


def test_an_out_of_range_day_count_on_the_dashboard_is_a_422_in_chinese(client) -> None:
    auth = {"Authorization": f"Bearer {ADMIN}"}
    for path in ("/admin", "/admin/export/questions.csv"):
        r = client.get(path, params={"days": 999999999}, headers=auth)
        assert r.status_code == 422 and "天数（days）超出允许范围" in _chinese(r), path
    assert client.get("/admin", params={"days": 0}, headers=auth).status_code == 200  # 0: all records


@pytest.mark.parametrize("raw", ["science/\x00.md", "a" * 300, "科普" * 200])
def test_an_ingest_path_with_a_nul_byte_or_too_long_is_a_422_in_chinese(client, raw: str) -> None:
    r = client.post("/api/admin/ingest", json={"paths": [raw]}, headers={"Authorization": f"Bearer {ADMIN}"})
    assert r.status_code == 422 and "路径" in _chinese(r)


@pytest.mark.parametrize("encoding", ["gbk", "utf-16"])
def test_a_wechat_body_not_in_utf8_is_a_400_even_when_signed(client, encoding: str) -> None:
    ts, nonce = str(int(time.time())), f"enc-{encoding}"
    params = {"signature": sign(WX_TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
    xml = message_xml(text_fields("教育部负责哪些工作", msg_id=f"9{len(encoding)}01"))
    body = f'<?xml version="1.0" encoding="{encoding}"?>{xml}'.encode(encoding)
    r = client.post("/wechat", params=params, content=body)
    assert r.status_code == 400, r.text
    assert client.get("/healthz").status_code == 200


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_normalize_and_item_refs_accept_any_text(text: str) -> None:
    """Any string (surrogates, digits of every script, signs) normalises to text that encodes as UTF-8,
    and its item references are integers."""
    out = normalize(text)
    out.encode("utf-8")
    assert all(isinstance(n, int) for n in item_refs(out))


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"第[-−－]?([0-9０-９²①]{1,4}|[一二三十百]{1,4})[条项]", fullmatch=True))
def test_item_references_in_any_digits_never_crash_and_are_never_negative_items_read_as_positive(
    ref: str,
) -> None:
    refs = item_refs(normalize(ref))
    signed = any(sign_char in ref for sign_char in "-−－")
    assert not (signed and any(n > 0 for n in refs)), (ref, refs)


def test_an_unknown_channel_is_counted_as_other_so_metric_labels_stay_bounded(client) -> None:
    """5,000 made-up channels grew /metrics to 8 MB: only the known channels become labels."""
    for i in range(20):
        r = client.post("/api/ask", json={"question": "第32条由哪个单位负责？", "channel": f"x-{i}"})
        assert r.status_code == 200
    client.post("/api/ask", json={"question": "第32条由哪个单位负责？", "channel": "wechat"})
    metrics = client.get("/metrics").text
    assert 'channel="x-' not in metrics
    assert 'channel="other"' in metrics and 'channel="wechat"' in metrics


FORMULAS = ['=HYPERLINK("http://evil","点我")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)"]


def test_csv_and_xlsx_exports_show_formula_like_text_as_text(tmp_path) -> None:
    """OWASP CSV injection: a cell that starts with = + - @ is quoted in CSV and stays a string in XLSX."""
    import csv as plain_csv
    import io

    from openpyxl import load_workbook

    from kepu.channels import exports as export
    from kepu.insights.report import Table

    rows = [["条目", "内容"], *[["1", f] for f in FORMULAS]]
    read = list(plain_csv.reader(io.StringIO(export.to_csv(rows).decode("utf-8-sig"))))
    # quoted with a leading ' (defusedcsv also escapes the pipe of a DDE payload)
    assert [r[1][:2] for r in read[1:]] == [f"'{f[0]}" for f in FORMULAS]
    table = Table("questions", "问题", [FORMULAS[0], "次数"], [[f, 1] for f in FORMULAS])
    lines = list(plain_csv.reader(io.StringIO(table.csv().decode("utf-8-sig"))))
    assert lines[0][0].startswith("'=") and all(line[0].startswith("'") for line in lines[1:])
    sheet = load_workbook(io.BytesIO(export.to_xlsx(rows, "矩阵"))).active
    cells = [sheet.cell(row=i, column=2) for i in range(2, 2 + len(FORMULAS))]
    assert [c.value for c in cells] == FORMULAS and all(c.data_type == "s" for c in cells)


def test_the_dashboard_export_quotes_a_question_typed_as_a_formula(client) -> None:
    client.post("/api/ask", json={"question": '=HYPERLINK("http://evil","科学辟谣平台")'})
    auth = {"Authorization": f"Bearer {ADMIN}"}
    deadline = time.monotonic() + 30  # insights are written by a background thread: wait for the record
    body = ""
    while time.monotonic() < deadline:
        body = client.get("/admin/export/questions.csv", headers=auth).content.decode("utf-8-sig")
        if "HYPERLINK" in body:
            break
        time.sleep(0.2)
    assert "'=HYPERLINK" in body and "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body


def test_a_signed_query_carries_one_body_only(client) -> None:
    """Plaintext mode signs (token, timestamp, nonce), not the body: replaying a captured query with
    another body or another FromUserName is refused; WeChat's retry of the same body is not."""
    ts, nonce = str(int(time.time())), "replay-nonce-1"
    params = {"signature": sign(WX_TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
    first = message_xml(text_fields("教育部负责哪些工作", openid="o_real", msg_id="7001")).encode()
    forged = message_xml(text_fields("教育部负责哪些工作", openid="o_forged", msg_id="7002")).encode()
    assert client.post("/wechat", params=params, content=first).status_code == 200
    r = client.post("/wechat", params=params, content=forged)
    assert r.status_code == 403 and "请求重复" in r.text
    assert client.post("/wechat", params=params, content=first).status_code == 200  # a retry


@pytest.mark.parametrize("token", ["a", "changeme", "aaaaaaaaaaaaaaaaaaaa", "abababababababab"])
def test_weak_wechat_tokens_are_refused_at_start_up(token: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="wechat_token"):
        Settings(wechat_token=token)


def test_production_wants_a_long_wechat_token_and_modes_need_their_keys() -> None:
    from pydantic import ValidationError

    Settings(wechat_token="kepu-dev-token")  # development: WeChat's own 3-32 characters
    with pytest.raises(ValidationError, match="at least 16"):
        Settings(env="production", wechat_token="kepu-dev-token")
    Settings(env="production", wechat_token="Zq8vN2mX4pL7wR1tK9sD")
    with pytest.raises(ValidationError, match="KEPU_WECHAT_MODE=safe needs"):
        Settings(wechat_token="kepu-dev-token", wechat_mode="safe")
    keyed = Settings(wechat_token="kepu-dev-token", wechat_aes_key="k" * 43, wechat_app_id="wx1")
    assert keyed.wechat_effective_mode == "safe"  # an AES key means encrypted pushes only
    assert Settings(wechat_token="kepu-dev-token").wechat_effective_mode == "plain"


@pytest.fixture
def guarded(ingested, kb_settings: Settings, embedder):
    """A server of its own: the failed-attempt limit is counted per address and would leak between
    tests sharing one."""
    update = {"admin_token": ADMIN, "admin_fail_rate": "5/minute", "rate_limit": "10000/minute"}
    with serve(kb_settings.model_copy(update=update), embedder) as url:
        yield url


def test_guessing_the_admin_token_is_throttled_per_address(guarded) -> None:
    """150–220 guesses a second were possible: after KEPU_ADMIN_FAIL_RATE failures from an address,
    every attempt from it, right or wrong, is a 429 in Chinese with Retry-After."""
    with httpx.Client(base_url=guarded, timeout=30) as c:
        csrf = csrf_from(c.get("/admin").text)  # the login form, before the address is throttled
        for i in range(5):
            r = c.post("/api/admin/ingest", headers={"Authorization": f"Bearer wrong-{i}"})
            assert r.status_code == 401, i
        r = c.post("/admin/login", data={"token": "wrong-again", "csrf": csrf})
        assert r.status_code == 429 and "错误次数过多" in _chinese(r) and int(r.headers["Retry-After"]) >= 1
        right = c.get("/admin", headers={"Authorization": f"Bearer {ADMIN}"})
        assert right.status_code == 429  # the right token too, until the window passes


def test_the_admin_cookie_is_a_server_side_session_that_ends_at_logout(guarded) -> None:
    """The cookie was sha256 of the token: computable offline, valid until the token changed. Now it is a
    random id, new at every login, that the server forgets at logout."""
    import hashlib

    with httpx.Client(base_url=guarded, timeout=30) as c:
        forged = hashlib.sha256(("kepu-admin:" + ADMIN).encode()).hexdigest()
        assert "kpi-total" not in c.get("/admin", cookies={"kepu_admin": forged}).text
        admin_login(c, {"token": ADMIN})
        first = c.cookies["kepu_admin"]
        assert first != forged and len(first) >= 40
        assert "kpi-total" in c.get("/admin").text
        admin_login(c, {"token": ADMIN})
        assert c.cookies["kepu_admin"] != first  # rotated at login
        assert "kpi-total" not in c.get("/admin", cookies={"kepu_admin": first}).text
        kept = c.cookies["kepu_admin"]
        admin_logout(c)
        assert "kpi-total" not in c.get("/admin", cookies={"kepu_admin": kept}).text


@pytest.mark.parametrize("token", ["aaaaaaaaaaaaaaaa", "passwordpassword", "abcabcabcabcabcabc"])
def test_low_entropy_admin_tokens_are_refused(token: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="must be random"):
        Settings(admin_token=token)


def test_production_wants_an_admin_token_of_32_characters() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="at least 32"):
        Settings(env="production", admin_token=ADMIN[:31])
    assert Settings(env="production", admin_token=ADMIN).admin_token == ADMIN  # 36 characters


def test_a_question_that_cannot_get_a_thread_is_a_503_and_readiness_says_answers_wait(
    ingested, kb_settings: Settings, embedder
) -> None:
    """One answer thread, held by a question that blocks until released (an in-process stand-in for a
    slow answer): the next question gets 503 with Retry-After in Chinese after the deadline, the wait
    is in kepu_answer_queue_wait_seconds, and /readyz reports the queue as slow."""
    import concurrent.futures

    from kepu.channels.app import create_app
    from tests.support.http_server import serve_app

    update = {"answer_threads": 1, "queue_deadline_s": 0.5, "queue_degraded_s": 0.2}
    app = create_app(kb_settings.model_copy(update=update), embedder)
    release = threading.Event()
    with serve_app(app) as url, httpx.Client(base_url=url, timeout=60) as c:
        bot = app.state.holder.bot
        real = bot.answer

        def answer(question, context=None):  # type: ignore[no-untyped-def]
            if question == "请稍等":
                assert release.wait(60)
            return real(question, context)

        bot.answer = answer
        try:
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                held = pool.submit(httpx.post, url + "/api/ask", json={"question": "请稍等"}, timeout=60)
                while app.state.admission.limiter.borrowed_tokens < 1:  # the thread is taken
                    time.sleep(0.01)
                r = c.post("/api/ask", json={"question": "第32条由哪个单位负责？"})
                assert r.status_code == 503 and "服务器正忙" in _chinese(r)
                assert int(r.headers["Retry-After"]) >= 1
                ready = c.get("/readyz").json()
                assert ready["status"] == "degraded" and ready["checks"]["queue"] == "slow"
                assert "回答排队较久" in ready["detail"]
                release.set()
                assert held.result(60).status_code == 200
            assert "kepu_answer_queue_wait_seconds_count" in c.get("/metrics").text
        finally:
            release.set()
            bot.answer = real


def test_pages_and_answers_carry_security_headers(client) -> None:
    for path in ("/", "/units", "/api/units", "/admin"):
        r = client.get(path)
        assert r.headers["x-frame-options"] == "DENY", path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "cdn" not in csp.lower()


def test_the_cdn_api_docs_are_off_in_production(kb_settings: Settings, embedder) -> None:
    from kepu.channels.app import create_app

    prod = kb_settings.model_copy(update={"env": "production"})
    paths = {getattr(r, "path", "") for r in create_app(prod, embedder).routes}
    assert "/docs" not in paths and "/redoc" not in paths
    dev = {getattr(r, "path", "") for r in create_app(kb_settings, embedder).routes}
    assert "/docs" in dev


def test_a_wechat_question_over_the_webs_length_limit_is_not_answered(client) -> None:
    """19,600 characters kept 33 CPU-seconds busy after the reply: WeChat has the web's limit."""
    from kepu.channels.wechat.simulate import outgoing, read_reply

    msg = outgoing(text_fields("教" * 2000, openid="o_long", msg_id="8800770"), WX_TOKEN)
    r = client.post("/wechat", params=msg.params, content=msg.body)
    assert r.status_code == 200
    assert "问题太长了（2000字）" in read_reply(r.content, WX_TOKEN)["Content"]


def test_a_large_body_is_refused_before_it_is_read_declared_or_chunked(client) -> None:
    """100 MB were parsed before the 422; /wechat read a chunked body whole before its signature."""
    big = b'{"question": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    r = client.post("/api/ask", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "请求体太大" in _chinese(r)

    def chunks():  # no Content-Length: sent chunked
        for _ in range(200):
            yield b"x" * 4096

    r = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = client.post("/wechat", params={"signature": "0", "timestamp": "0", "nonce": "0"}, content=chunks())
    assert r.status_code == 413
    # a normal question after that, on the same connection
    assert client.post("/api/ask", json={"question": "第32条由哪个单位负责？"}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b'{"question": "\xff\xfe"}',
        b"[" * 50_000,
        b'{"question": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
        b"\x00\x01",
    ],
    ids=["invalid-utf8", "deep-array", "deep-question", "binary"],
)
def test_malformed_json_gets_a_chinese_error(client, body: bytes) -> None:
    r = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500
    _chinese(r)


def test_a_form_body_where_json_is_expected_gets_a_chinese_error(client) -> None:
    r = client.post("/api/ask", files={"question": ("q.txt", b"hello")})
    assert 400 <= r.status_code < 500
    _chinese(r)


def test_records_the_insights_database_refuses_are_counted_in_metrics(
    ingested, kb_settings: Settings, embedder, tmp_path
) -> None:
    from kepu.channels.app import create_app
    from tests.support.http_server import serve_app

    broken = f"sqlite:///{tmp_path}/no-such-dir/insights.sqlite"  # every write fails
    app = create_app(kb_settings.model_copy(update={"database_url": broken}), embedder)
    with serve_app(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        assert c.post("/api/ask", json={"question": "第32条由哪个单位负责？"}).status_code == 200
        app.state.recorder.flush()
        metrics = c.get("/metrics").text
    line = next(x for x in metrics.splitlines() if x.startswith("kepu_insights_dropped_records "))
    assert float(line.split()[1]) >= 1


def test_readiness_says_so_when_the_index_directory_is_deleted_while_serving(
    fresh_settings: Settings, embedder
) -> None:
    import shutil

    from kepu.ingest.pipeline import ingest

    ingest(fresh_settings, embedder)
    with serve(fresh_settings, embedder) as url, httpx.Client(base_url=url, timeout=30) as c:
        assert c.get("/readyz").json()["status"] == "ready"
        shutil.rmtree(fresh_settings.index_dir)
        r = c.get("/readyz")
        assert (
            r.status_code == 503 and "索引目录" in r.json()["detail"] and "kepu ingest" in r.json()["detail"]
        )


def test_an_index_that_exists_but_cannot_be_opened_is_not_called_not_built(
    fresh_settings: Settings, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only data directory on restart: the embedded Chroma cannot open the index (it writes even
    to open one). /readyz and every answer say that, naming the directory, instead of "尚未建立". As
    root (the tests' user) a directory cannot be made read-only, so Chroma's own error stands in."""
    import sqlite3

    from kepu.ingest.pipeline import ingest
    from kepu.kb.versions import IndexLayout

    ingest(fresh_settings, embedder)

    def read_only(self, version, embedder_id):  # type: ignore[no-untyped-def]
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(IndexLayout, "open_store", read_only)
    with serve(fresh_settings, embedder) as url, httpx.Client(base_url=url, timeout=30) as c:
        ready = c.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["index"] == "not_loaded"
        for detail in (
            ready.json()["detail"],
            _chinese(c.post("/api/ask", json={"question": "被狗咬了怎么办"})),
        ):
            assert "只读" in detail and str(fresh_settings.index_dir) in detail and "尚未建立" not in detail


def _raw_exchange(sock, request: bytes) -> bytes:
    """One HTTP/1.1 request on an open socket; the response head and body (Content-Length framed)."""
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data  # the server closed the connection
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_an_unexpected_error_is_a_500_in_chinese_and_the_connection_stays_open(
    ingested, kb_settings: Settings, embedder
) -> None:
    """A bug anywhere in answering (an in-process stand-in raises) is a 500 with a Chinese message, is
    counted in kepu_errors, and the same keep-alive connection answers the next request: uvicorn used
    to drop it silently, so the client's next request failed."""
    import json
    import socket
    from urllib.parse import urlsplit

    from kepu.channels.app import create_app
    from tests.support.http_server import serve_app

    app = create_app(kb_settings, embedder)

    def broken(question, context=None):  # type: ignore[no-untyped-def]
        raise RuntimeError("a bug the tests put here")

    body = json.dumps({"question": "第32条由哪个单位负责？"}).encode()
    ask = (
        b"POST /api/ask HTTP/1.1\r\nHost: kepu\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    with serve_app(app) as url:
        app.state.holder.bot.answer = broken  # the bot is loaded at start-up
        parts = urlsplit(url)
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
            first = _raw_exchange(sock, ask)
            assert first.startswith(b"HTTP/1.1 500"), first[:200]
            assert "服务器内部错误" in first.decode("utf-8"), first
            second = _raw_exchange(sock, b"GET /healthz HTTP/1.1\r\nHost: kepu\r\n\r\n")
            assert second.startswith(b"HTTP/1.1 200"), second[:200]
        assert 'kepu_errors_total{route="/api/ask"} 1.0' in httpx.get(url + "/metrics").text


def test_the_rate_limit_counts_the_right_most_address_a_trusted_proxy_did_not_add(
    ingested, kb_settings: Settings, embedder
) -> None:
    """Behind nginx (a trusted peer), a client that writes its own X-Forwarded-For cannot pick its
    rate-limit key: the right-most entry the trusted proxy appended is the client. Served with the
    options `kepu serve` uses."""
    from kepu.channels.app import create_app
    from kepu.cli import serve_options
    from tests.support.http_server import serve_app

    settings = kb_settings.model_copy(update={"rate_limit": "3/minute", "forwarded_allow_ips": "127.0.0.1"})
    with (
        serve_app(create_app(settings, embedder), **serve_options(settings)) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        ask = {"question": "第32条由哪个单位负责？"}
        for i in range(3):  # a new made-up address in front each time
            forwarded = {"X-Forwarded-For": f"10.0.0.{i}, 203.0.113.7"}
            assert c.post("/api/ask", json=ask, headers=forwarded).status_code == 200, i
        r = c.post("/api/ask", json=ask, headers={"X-Forwarded-For": "10.0.0.99, 203.0.113.7"})
        assert r.status_code == 429 and "请求太频繁" in _chinese(r)
        other = c.post("/api/ask", json=ask, headers={"X-Forwarded-For": "203.0.113.8"})
        assert other.status_code == 200  # another client behind the same proxy has its own share
