"""Insights over the real path: answers recorded off the request path in real SQLite and PostgreSQL,
feedback from the web and WeChat, the dashboard, CSV exports, the CLI report and purge."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kepu.channels.app import create_app
from kepu.channels.wechat.dialog import SLOW
from kepu.channels.wechat.simulate import outgoing, read_reply, text_fields
from kepu.insights.report import load
from tests.conftest import admin_login
from tests.support.http_server import free_port, serve_app

pytestmark = pytest.mark.integration
ADMIN = "insights-admin-token-0123456789"
TOKEN = "wx-insights-token"


def _exercise(url: str) -> list[dict]:
    with httpx.Client(base_url=url, timeout=30) as c:
        answers = [
            c.post(
                "/api/ask", json={"question": q, "session_id": "web-user-secret-1", "channel": "web"}
            ).json()
            for q in (
                "第32条由哪个单位负责？",
                "被狗咬了怎么办",
                "听说吃醋能软化血管",
                "天天喝醋能软化血管是真的吗",
                "甲亢吃什么好",
                "甲亢能吃海带吗",
            )
        ]
        assert (
            c.post("/api/feedback", json={"answer_id": answers[1]["answer_id"], "useful": False}).status_code
            == 204
        )
        assert c.post("/api/feedback", json={"answer_id": "not-a-uuid", "useful": True}).status_code == 422
    return answers


def _wait_for(recorder, n: int) -> None:
    recorder.flush()
    deadline = time.time() + 60  # generous: waits for the event (n written), not for a duration
    while recorder.written < n and time.time() < deadline:
        time.sleep(0.05)
        recorder.flush()


@pytest.fixture
def app_sqlite(ingested, kb_settings, embedder, tmp_path):
    settings = kb_settings.model_copy(
        update={
            "admin_token": ADMIN,
            "rate_limit": "10000/minute",
            "database_url": f"sqlite:///{tmp_path / 'insights.sqlite'}",
            "insights_salt": "a-test-salt-of-enough-length",
            "wechat_token": TOKEN,
        }
    )
    app = create_app(settings, embedder)
    with serve_app(app) as url:
        yield app, url, settings


def test_answers_and_feedback_are_recorded(app_sqlite) -> None:
    app, url, settings = app_sqlite
    answers = _exercise(url)
    _wait_for(app.state.recorder, 7)
    rows = load(settings.insights_url)
    assert len(rows) == 6
    by_q = {r.question: r for r in rows}
    assert by_q["第32条由哪个单位负责？"].items == "2020-work-points#32"
    assert by_q["第32条由哪个单位负责？"].units == "中国科协|财政部"
    assert by_q["被狗咬了怎么办"].sources == "rabies-dog-bite" and by_q["被狗咬了怎么办"].feedback == -1
    assert by_q["听说吃醋能软化血管"].rumor
    assert by_q["天天喝醋能软化血管是真的吗"].rumor
    assert by_q["甲亢吃什么好"].refused and by_q["甲亢吃什么好"].topic == "甲亢"
    assert all(r.user_hash and "secret" not in r.user_hash and len(r.user_hash) == 64 for r in rows)
    assert {r.answer_id for r in rows} == {a["answer_id"] for a in answers}


def test_wechat_feedback_words(app_sqlite) -> None:
    app, url, settings = app_sqlite

    def say(text: str) -> str:
        msg = outgoing(text_fields(text, openid="o_feedback"), TOKEN)
        return read_reply(httpx.post(url + "/wechat", params=msg.params, content=msg.body).content, TOKEN)[
            "Content"
        ]

    assert "请在收到回答后" in say("有用")
    # On a loaded machine the fast answer can miss WeChat's budget (the reply is then SLOW and there is
    # nothing to give feedback on): ask again until the answer itself came back, a bounded number of times.
    for _ in range(10):
        if say("中暑了怎么办") != SLOW:
            break
    assert say("有用") == "谢谢您的反馈！我们会据此改进。"
    _wait_for(app.state.recorder, 2)
    rows = [r for r in load(settings.insights_url) if r.channel == "wechat"]
    assert len(rows) == 1 and rows[0].feedback == 1
    assert rows[0].user_hash != "o_feedback"


def test_dashboard_and_csv(app_sqlite) -> None:
    app, url, _settings = app_sqlite
    _exercise(url)
    _wait_for(app.state.recorder, 7)
    with httpx.Client(base_url=url) as c:
        login = c.get("/admin")
        assert "管理员令牌" in login.text and "kpi-total" not in login.text
        assert "令牌不正确" in admin_login(c, {"token": "wrong"}).text
        r = admin_login(c, {"token": ADMIN}, follow_redirects=True)
        assert '<b id="kpi-total">6</b>' in r.text
        for title in (
            "每天的提问量",
            "问得最多的问题",
            "被引用最多的条目",
            "没能回答或评价不好的问题",
            "谣言类问题的变化",
            "各条辟谣被问到的次数",
        ):
            assert title in r.text
        assert "<svg" in r.text and "cdn" not in r.text.lower()
        gaps = list(csv.reader(io.StringIO(c.get("/admin/export/gaps.csv").content.decode("utf-8-sig"))))
        assert gaps[0][0] == "主题"
        top = {row[0]: int(row[1]) for row in gaps[1:]}
        assert top["甲亢"] == 2  # two questions grouped under one topic
        checks = list(
            csv.reader(io.StringIO(c.get("/admin/export/rumor_checks.csv").content.decode("utf-8-sig")))
        )
        assert checks[0] == ["辟谣", "次数", "提问人数", "最近一次", "最近的问法"]
        # two wordings of one rumor by one web user: one check, asked twice, by one person
        assert [row[1:3] for row in checks[1:]] == [["2", "1"]]
        assert checks[1][4] == "天天喝醋能软化血管是真的吗"
        missing = c.get("/admin/export/nope.csv")
        assert missing.status_code == 404
        assert "nope" in missing.text and "rumor_checks" in missing.text  # the names that would be valid
    assert httpx.get(url + "/admin/export/gaps.csv").status_code == 401  # no cookie, no token


def test_cli_report_and_purge(app_sqlite) -> None:
    app, url, settings = app_sqlite
    _exercise(url)
    _wait_for(app.state.recorder, 7)
    env = {**os.environ, "KEPU_DATABASE_URL": settings.insights_url, "KEPU_DATA_DIR": str(settings.data_dir)}
    out = subprocess.run(
        [sys.executable, "-m", "kepu.cli", "insights", "report", "--since", "2020-01-01"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 0 and "共 6 个问题" in out.stdout and "甲亢" in out.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "kepu.cli", "insights", "purge", "--before", "去年"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    purge = subprocess.run(
        [sys.executable, "-m", "kepu.cli", "insights", "purge", "--before", "2999-01-01"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert purge.returncode == 0 and "6 条" in purge.stdout
    assert load(settings.insights_url) == []


def test_database_outage_loses_records_not_answers(ingested, kb_settings, embedder, tmp_path) -> None:
    settings = kb_settings.model_copy(
        update={
            "database_url": f"sqlite:///{tmp_path}/missing-dir/x.sqlite",
            "insights_salt": "a-test-salt-of-enough-length",
        }
    )
    app = create_app(settings, embedder)
    with serve_app(app) as url:
        r = httpx.post(url + "/api/ask", json={"question": "第32条由哪个单位负责？"})
        assert r.status_code == 200 and "财政部" in r.json()["answer"]
        app.state.recorder.flush()
        assert app.state.recorder.dropped >= 1 and app.state.recorder.written == 0


def test_production_needs_a_salt(ingested, kb_settings, embedder) -> None:
    from kepu.errors import ConfigError
    from kepu.insights.salt import insights_salt

    with pytest.raises(ConfigError, match="KEPU_INSIGHTS_SALT"):
        insights_salt(kb_settings.model_copy(update={"env": "production", "insights_salt": None}))


PG_BIN = Path("/usr/lib/postgresql")


@pytest.fixture
def postgres():
    """A real PostgreSQL server on a loopback port, in a temporary directory (Debian's postgresql)."""
    bins = sorted(PG_BIN.glob("*/bin/initdb")) if PG_BIN.exists() else []
    if not bins or shutil.which("runuser") is None:
        if os.environ.get("CI"):
            pytest.fail("postgresql is missing: `make test` installs it with apt-get")
        pytest.skip("PostgreSQL not installed")
    import tempfile

    bindir = bins[-1].parent
    base = Path(tempfile.mkdtemp(prefix="kepu-pg-"))  # pytest's own tmp dirs are private to root
    os.chmod(base, 0o755)
    data = base / "pg"
    data.mkdir()
    shutil.chown(data, "postgres")
    port = free_port()
    as_pg = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_pg, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "kepu"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_pg,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            f"-p {port} -k {data} -h 127.0.0.1",
            "-l",
            str(data / "log"),
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [*as_pg, str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "kepu", "insights"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg://kepu@127.0.0.1:{port}/insights"
    finally:
        subprocess.run(
            [*as_pg, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True
        )
        shutil.rmtree(base, ignore_errors=True)


def test_postgresql(ingested, kb_settings, embedder, postgres) -> None:
    settings = kb_settings.model_copy(
        update={
            "database_url": postgres,
            "insights_salt": "a-test-salt-of-enough-length",
            "rate_limit": "10000/minute",
        }
    )
    app = create_app(settings, embedder)
    with serve_app(app) as url:
        _exercise(url)
        _wait_for(app.state.recorder, 7)
    rows = load(postgres)
    assert len(rows) == 6 and any(r.feedback == -1 for r in rows)
