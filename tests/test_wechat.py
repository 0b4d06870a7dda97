"""The WeChat channel over HTTP with real signatures and real AES envelopes (wechatpy)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from kepu.channels.app import create_app
from kepu.channels.wechat import dialog as wxdialog
from kepu.channels.wechat.kf import CustomerService, KepuWeChatClient
from kepu.channels.wechat.simulate import message_xml, outgoing, read_reply, sign, text_fields
from tests.conftest import use_fake_embedder
from tests.support.http_server import serve, serve_app
from tests.support.wechat_standin import standin_app

# WeChat protocol, dialog and budget over real HTTP; answers from the fake embedder (tests/support/fakes.py).
pytestmark = pytest.mark.integration
use_fake_embedder(globals())
TOKEN = "kepu-test-token"
APP_ID = "wx1234567890abcdef"
AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@pytest.fixture(scope="module")
def standin():
    app = standin_app()
    with serve_app(app) as url:
        yield app, url


@pytest.fixture(scope="module")
def wx_settings(ingested, kb_settings, standin):
    _app, url = standin
    return kb_settings.model_copy(
        update={
            "wechat_token": TOKEN,
            "wechat_app_id": APP_ID,
            "wechat_aes_key": AES,
            "wechat_mode": "compatible",  # these tests send plaintext and encrypted pushes
            "wechat_app_secret": "test-secret",
            "wechat_api_base": url + "/cgi-bin/",
            # Long enough for the fast answer on a busy machine (1.0 s was missed once with three
            # concurrent questions at load 4.6 on 2 cores); the hang tests wait this long once each.
            "wechat_budget_s": 3.0,
            "wechat_user_rate": "1000/minute",
        }
    )


@pytest.fixture(scope="module")
def server(wx_settings, embedder):
    app = create_app(wx_settings, embedder)
    with serve_app(app) as url:
        yield app, url


def push(url: str, fields: dict[str, str], aes: bool = False, **kw) -> httpx.Response:
    msg = outgoing(fields, TOKEN, aes_key=AES if aes else None, app_id=APP_ID, **kw)
    return httpx.post(url + "/wechat", params=msg.params, content=msg.body, timeout=10)


def ask(url: str, text: str, openid: str = "o_user_1", aes: bool = False) -> dict[str, str]:
    r = push(url, text_fields(text, openid=openid), aes=aes)
    assert r.status_code == 200, r.text
    return read_reply(r.content, TOKEN, aes_key=AES if aes else None, app_id=APP_ID)


def test_server_verification(server) -> None:
    _app, url = server
    ts, nonce = str(int(time.time())), "n1"
    good = {"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": "hello-123"}
    assert httpx.get(url + "/wechat", params=good).text == "hello-123"
    assert httpx.get(url + "/wechat", params={**good, "signature": "0" * 40}).status_code == 403
    old = str(int(time.time()) - 3600)
    stale = {"signature": sign(TOKEN, old, nonce), "timestamp": old, "nonce": nonce, "echostr": "x"}
    assert httpx.get(url + "/wechat", params=stale).status_code == 403


@pytest.mark.parametrize("aes", [False, True], ids=["plaintext", "safe-mode"])
def test_text_message_gets_a_cited_plain_text_answer(server, aes) -> None:
    _app, url = server
    reply = ask(url, "第32条由哪个单位负责？", openid="o_text", aes=aes)
    assert reply["MsgType"] == "text"
    assert reply["ToUserName"] == "o_text" and reply["FromUserName"] == "gh_kepu"
    assert "财政部" in reply["Content"] and "「工作要点第32条」" in reply["Content"]
    assert "**" not in reply["Content"]
    assert (
        "《2020年全民科学素质行动工作要点》第32条" in reply["Content"]
    )  # 《》 as written, not turned into 「」


def test_phone_text_keeps_the_characters_of_a_quote() -> None:
    from kepu.answering.answer import Answer, Citation
    from kepu.channels.wechat.format import phone_text

    quote = "据《2020年全民科学素质行动工作要点》第4条：打造国家级“科学辟谣平台”。"
    cite = Citation("2020-work-points", "2020年全民科学素质行动工作要点", "plan", 4, None, [], quote)
    text = phone_text(Answer("科学辟谣平台", "  " + quote, "extractive", [cite]))
    assert text.startswith(quote) and text.endswith("出处：「工作要点第4条」")


def test_safe_mode_refuses_plaintext_pushes(wx_settings, embedder) -> None:
    """With an EncodingAESKey and no KEPU_WECHAT_MODE, only encrypted pushes are accepted: a plaintext
    one, though correctly signed, could be anyone's."""
    safe = wx_settings.model_copy(update={"wechat_mode": None})
    with serve(safe, embedder) as url:
        plain = outgoing(text_fields("你好"), TOKEN)
        r = httpx.post(url + "/wechat", params=plain.params, content=plain.body)
        assert r.status_code == 403 and "只接受加密消息" in r.text
        sealed = outgoing(text_fields("第32条由哪个单位负责？"), TOKEN, aes_key=AES, app_id=APP_ID)
        assert httpx.post(url + "/wechat", params=sealed.params, content=sealed.body).status_code == 200


def test_safe_mode_rejects_forged_envelopes(server) -> None:
    _app, url = server
    msg = outgoing(text_fields("你好"), TOKEN, aes_key=AES, app_id=APP_ID)
    bad_sig = {**msg.params, "msg_signature": "0" * 40}
    assert httpx.post(url + "/wechat", params=bad_sig, content=msg.body).status_code == 403
    other_app = outgoing(text_fields("你好"), TOKEN, aes_key=AES, app_id="wx_someone_else")
    assert httpx.post(url + "/wechat", params=other_app.params, content=other_app.body).status_code == 403


def test_bad_signature_and_replay_are_403(server) -> None:
    _app, url = server
    msg = outgoing(text_fields("你好"), TOKEN)
    assert (
        httpx.post(
            url + "/wechat", params={**msg.params, "signature": "f" * 40}, content=msg.body
        ).status_code
        == 403
    )
    old = str(int(time.time()) - 3600)
    stale = outgoing(text_fields("你好"), TOKEN, timestamp=old)
    assert httpx.post(url + "/wechat", params=stale.params, content=stale.body).status_code == 403


def test_oversized_malformed_and_hostile_xml_are_400(server, wx_settings) -> None:
    _app, url = server
    ts, nonce = str(int(time.time())), "n2"
    params = {"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
    big = b"<xml><Content>" + b"a" * (wx_settings.wechat_max_body_bytes + 1) + b"</Content></xml>"
    assert httpx.post(url + "/wechat", params=params, content=big).status_code == 413  # read no further
    assert httpx.post(url + "/wechat", params=params, content=b"<xml><oops").status_code == 400
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><Content>&lol3;</Content></xml>'
    )
    started = time.monotonic()
    assert httpx.post(url + "/wechat", params=params, content=laughs).status_code == 400
    external = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>'
    assert httpx.post(url + "/wechat", params=params, content=external).status_code == 400
    # refused without expanding anything: far inside a bound that a real expansion would blow
    assert time.monotonic() - started < 30
    assert httpx.get(url + "/healthz").status_code == 200  # the worker is fine


def test_voice_media_and_events(server) -> None:
    _app, url = server
    base = {"ToUserName": "gh_kepu", "FromUserName": "o_events", "CreateTime": str(int(time.time()))}
    voice = {
        **base,
        "MsgType": "voice",
        "MediaId": "m1",
        "Format": "amr",
        "Recognition": "被狗咬了怎么办",
        "MsgId": "9001",
    }
    assert "冲洗" in read_reply(push(url, voice).content, TOKEN)["Content"]
    mute = {**base, "MsgType": "voice", "MediaId": "m2", "Format": "amr", "MsgId": "9002"}
    assert read_reply(push(url, mute).content, TOKEN)["Content"] == wxdialog.TYPE_PLEASE
    image = {**base, "MsgType": "image", "PicUrl": "http://x/y.jpg", "MediaId": "m3", "MsgId": "9003"}
    assert read_reply(push(url, image).content, TOKEN)["Content"] == wxdialog.HELP
    location = {
        **base,
        "MsgType": "location",
        "Location_X": "23.1",
        "Location_Y": "113.2",
        "Scale": "15",
        "Label": "广州",
        "MsgId": "9004",
    }
    assert read_reply(push(url, location).content, TOKEN)["Content"] == wxdialog.HELP
    sub = {**base, "MsgType": "event", "Event": "subscribe"}
    assert "欢迎关注" in read_reply(push(url, sub).content, TOKEN)["Content"]
    unsub = {**base, "MsgType": "event", "Event": "unsubscribe", "CreateTime": str(int(time.time()) + 1)}
    assert push(url, unsub).content == b"success"
    click = {
        **base,
        "MsgType": "event",
        "Event": "CLICK",
        "EventKey": "RUMOR",
        "CreateTime": str(int(time.time()) + 2),
    }
    menu = json.loads(Path("deploy/wechat-menu.json").read_text(encoding="utf-8"))
    assert read_reply(push(url, click).content, TOKEN)["Content"] == menu["replies"]["RUMOR"]


def test_retries_are_computed_once_and_get_identical_bytes(server) -> None:
    app, url = server

    def answered() -> float:
        text = httpx.get(url + "/metrics").text
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("kepu_answer_seconds_count") and 'channel="wechat"' in line
        )

    before = answered()
    fields = text_fields("科学辟谣平台是什么？", openid="o_retry", msg_id="777000111")
    msgs = [outgoing(fields, TOKEN, aes_key=AES, app_id=APP_ID) for _ in range(3)]  # each retry: new nonce
    with ThreadPoolExecutor(3) as pool:
        bodies = list(
            pool.map(lambda m: httpx.post(url + "/wechat", params=m.params, content=m.body).content, msgs)
        )
    later = httpx.post(url + "/wechat", params=msgs[0].params, content=msgs[0].body).content
    assert len(set(bodies + [later])) == 1
    assert answered() - before == 1
    assert "科学辟谣平台" in read_reply(bodies[0], TOKEN, aes_key=AES, app_id=APP_ID)["Content"]


def test_long_answers_are_split_and_more_returns_the_rest(server, wx_settings) -> None:
    _app, url = server
    first = ask(url, "中国科协负责哪些工作？", openid="o_long")["Content"]
    assert len(first.encode("utf-8")) <= wx_settings.wechat_reply_bytes
    assert "回复「更多」" in first
    parts = [first]
    for _ in range(10):
        nxt = ask(url, "更多", openid="o_long")["Content"]
        if nxt == wxdialog.NO_MORE:
            break
        assert len(nxt.encode("utf-8")) <= wx_settings.wechat_reply_bytes
        parts.append(nxt)
    assert len(parts) >= 2 and "回复「更多」" not in parts[-1]
    whole = "".join(parts)
    from tests.conftest import plan_units_from_text

    for n, units in plan_units_from_text().items():
        if "中国科协" in units:
            assert f"第{n}条" in whole
    assert "「工作要点第" in parts[-1]
    assert ask(url, "更多", openid="o_long")["Content"] == wxdialog.NO_MORE


class HangingEnricher:
    """A richer-answer path that does not finish until the test releases it (an LLM that hangs)."""

    def __init__(self, text: str = "【更完整的回答】", *, released: bool = False) -> None:
        self.release = threading.Event()
        if released:  # finishes at once: inside any budget
            self.release.set()
        self.text = text

    async def enrich(self, question, fast, context):
        await asyncio.to_thread(self.release.wait, 60)
        from dataclasses import replace

        return replace(fast, answer=self.text + fast.answer, mode="generative")


def test_reply_arrives_in_time_when_the_richer_path_hangs(server, standin) -> None:
    app, url = server
    stand, _ = standin
    enricher = HangingEnricher()
    app.state.wechat_dialog.enricher = enricher
    try:
        # the richer path is still blocked: a reply now can only be the fast one, sent at the budget
        reply = ask(url, "科学辟谣平台是什么？", openid="o_hang")
        assert "科学辟谣平台" in reply["Content"] and "更完整" not in reply["Content"]
        enricher.release.set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(m["touser"] == "o_hang" for m in stand.state.sent):
            time.sleep(0.2)
        late = [m for m in stand.state.sent if m["touser"] == "o_hang"]
        assert late and late[0]["text"]["content"].startswith("【更完整的回答】")
    finally:
        app.state.wechat_dialog.enricher = None


def test_richer_answer_inside_the_budget_is_used(server) -> None:
    app, url = server
    app.state.wechat_dialog.enricher = HangingEnricher(text="【更完整】", released=True)
    try:
        assert ask(url, "应急科普怎么做", openid="o_rich")["Content"].startswith("【更完整】")
    finally:
        app.state.wechat_dialog.enricher = None


def test_customer_service_errors_do_not_crash(standin, wx_settings) -> None:
    stand, _ = standin
    cs = CustomerService(KepuWeChatClient(wx_settings))
    calls = stand.state.token_calls
    assert cs.send_text("o_kf", "第一条")
    assert cs.send_text("o_kf", "第二条")
    assert stand.state.token_calls == calls + 1  # the access token is cached
    for code in (45015, 45047, 48001):
        stand.state.send_errors = [code]
        assert cs.send_text("o_kf", "超出窗口") is False
    stand.state.send_errors = [42001]  # expired token: wechatpy fetches a new one and retries
    assert cs.send_text("o_kf", "令牌过期后重试")
    assert stand.state.token_calls == calls + 2
    dead = wx_settings.model_copy(update={"wechat_api_base": "http://127.0.0.1:9/cgi-bin/"})
    assert CustomerService(KepuWeChatClient(dead)).send_text("o_kf", "连不上") is False


def test_per_user_rate_limit(ingested, wx_settings, embedder) -> None:
    app = create_app(wx_settings.model_copy(update={"wechat_user_rate": "2/minute"}), embedder)
    with serve_app(app) as url:
        replies = [ask(url, f"第{n}条由谁负责", openid="o_fast")["Content"] for n in (1, 2, 3)]
        assert replies[2] == wxdialog.TOO_FAST and "负责" in replies[0]
        assert "负责" in ask(url, "第4条由谁负责", openid="o_other")["Content"]


def test_wechat_route_is_off_without_a_token(ingested, kb_settings, embedder) -> None:
    with serve_app(create_app(kb_settings, embedder)) as url:
        assert httpx.post(url + "/wechat", content=message_xml(text_fields("你好"))).status_code in (404, 405)


def _cli_env(wx_settings, url: str) -> dict[str, str]:
    host, port = url.removeprefix("http://").split(":")
    return {
        **os.environ,
        "KEPU_WECHAT_TOKEN": TOKEN,
        "KEPU_WECHAT_APP_ID": APP_ID,
        "KEPU_WECHAT_AES_KEY": AES,
        "KEPU_WECHAT_APP_SECRET": "test-secret",
        "KEPU_WECHAT_API_BASE": wx_settings.wechat_api_base,
        "KEPU_HOST": host,
        "KEPU_PORT": port,
    }


def test_simulate_command(server, wx_settings) -> None:
    _app, url = server
    out = subprocess.run(
        [sys.executable, "-m", "kepu.cli", "wechat", "simulate", "--aes", "被蛇咬了怎么办"],
        capture_output=True,
        text=True,
        env=_cli_env(wx_settings, url),
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "立即拨打120" in out.stdout and "安全模式" in out.stdout


def test_menu_command(standin, wx_settings, server) -> None:
    stand, _ = standin
    _app, url = server
    out = subprocess.run(
        [sys.executable, "-m", "kepu.cli", "wechat", "menu"],
        capture_output=True,
        text=True,
        env=_cli_env(wx_settings, url),
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert stand.state.menus[-1]["button"][0]["key"] == "HOT"


class NeverEnricher:
    async def enrich(self, question, fast, context):
        await asyncio.Event().wait()  # hangs for ever


def test_default_budget_keeps_the_five_second_window(ingested, wx_settings, embedder) -> None:
    settings = wx_settings.model_copy(update={"wechat_budget_s": 4.0, "wechat_app_secret": None})
    app = create_app(settings, embedder)
    with serve_app(app) as url:
        app.state.wechat_dialog.enricher = NeverEnricher()
        # the enricher never finishes: any reply at all is the fast one, cut at the budget. The
        # 5-second window itself is a speed figure (bench/bench_http.py); here only the default
        # budget's place under it is asserted, and that the reply did not wait for the enricher.
        assert settings.wechat_budget_s < 5.0
        reply = ask(url, "科学辟谣平台是什么？", openid="o_never")
        assert "科学辟谣平台" in reply["Content"]
