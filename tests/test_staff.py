"""Named staff accounts (issue 16, part 1): argon2 hashes, roles, disable and reset, an audit log of every
change, login by name and password with CSRF tokens and throttling per account, the admin token still
working, and pages that need the right role. Over real HTTP against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from kepu.config import Settings
from kepu.errors import StaffError
from kepu.staff.accounts import MIN_PASSWORD_CHARS, StaffAccounts
from tests.conftest import admin_login, admin_logout, csrf_from, use_fake_embedder
from tests.support.http_server import serve

pytestmark = pytest.mark.integration
use_fake_embedder(globals())
TOKEN = "staff-test-admin-token-0123456789"
EDITOR_PW = "editor-password-1"
ADMIN_PW = "admin-password-12"


def test_accounts_hash_passwords_and_audit_every_change(tmp_path: Path) -> None:
    accounts = StaffAccounts(f"sqlite:///{tmp_path / 's.sqlite'}")
    staff = accounts.add("张三", "editor", EDITOR_PW)
    assert (staff.name, staff.role) == ("张三", "editor")
    stored = accounts.users()[0].password_hash
    assert stored.startswith("$argon2id$") and EDITOR_PW not in stored
    assert accounts.verify("张三", EDITOR_PW) == staff
    assert accounts.verify("张三", EDITOR_PW + "x") is None and accounts.verify("nobody", EDITOR_PW) is None
    accounts.disable("张三", actor="李四")
    assert accounts.verify("张三", EDITOR_PW) is None and accounts.active("张三") is None
    accounts.reset("张三", "another-password", actor="李四")  # enables it again
    assert accounts.verify("张三", "another-password") == staff
    log = [(e.actor, e.action, e.target) for e in reversed(accounts.audit_log())]
    assert log == [
        ("命令行", "staff_add", "张三"),
        ("李四", "staff_disable", "张三"),
        ("李四", "staff_reset", "张三"),
    ]


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("张三", "boss", EDITOR_PW, "角色“boss”无效，可选：editor、reviewer、admin"),
        ("a b", "editor", EDITOR_PW, "账号名“a b”无效"),
        ("王五", "editor", "x" * (MIN_PASSWORD_CHARS - 1), f"至少要 {MIN_PASSWORD_CHARS} 个"),
    ],
)
def test_bad_account_requests_are_refused_naming_the_value(
    tmp_path: Path, name: str, role: str, password: str, message: str
) -> None:
    accounts = StaffAccounts(f"sqlite:///{tmp_path / 's.sqlite'}")
    with pytest.raises(StaffError, match=message):
        accounts.add(name, role, password)
    accounts.add("王五", "editor", "x" * MIN_PASSWORD_CHARS)  # the boundary length is accepted
    with pytest.raises(StaffError, match="已存在"):
        accounts.add("王五", "reviewer", "y" * MIN_PASSWORD_CHARS)
    with pytest.raises(StaffError, match="没有账号“赵六”；现有账号：王五"):
        accounts.disable("赵六")
    assert [e.action for e in accounts.audit_log()] == ["staff_add"]  # refused requests change nothing


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory, ingested, kb_settings: Settings) -> Settings:
    """The test knowledge base with its own insights database, and two accounts made with the CLI."""
    data = tmp_path_factory.mktemp("staff")
    settings = kb_settings.model_copy(
        update={
            "database_url": f"sqlite:///{data / 'insights.sqlite'}",
            "admin_token": TOKEN,
            "admin_fail_rate": "4/minute",
            "rate_limit": "10000/minute",
        }
    )
    for name, role, pw in (("编辑甲", "editor", EDITOR_PW), ("管理员乙", "admin", ADMIN_PW)):
        out = subprocess.run(
            [sys.executable, "-m", "kepu.cli", "staff", "add", name, "--role", role, "--password-stdin"],
            input=pw + "\n",
            capture_output=True,
            text=True,
            timeout=120,
            env={
                **os.environ,
                "KEPU_DATA_DIR": str(kb_settings.data_dir),
                "KEPU_DATABASE_URL": settings.database_url or "",
            },
        )
        assert out.returncode == 0 and f"已新增账号“{name}”" in out.stdout, out.stderr
    return settings


def test_cli_lists_disables_and_reports_errors_in_chinese(staffed: Settings) -> None:
    env = {
        **os.environ,
        "KEPU_DATABASE_URL": staffed.database_url or "",
        "KEPU_DATA_DIR": str(staffed.data_dir),
    }

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kepu.cli", "staff", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    listed = run("list")
    assert "编辑甲\t编辑\t正常" in listed.stdout and "管理员乙\t管理员\t正常" in listed.stdout
    bad = run("add", "丙丁", "--role", "editor", "--password-stdin", stdin="short\n")
    assert bad.returncode == 2 and "密码太短" in bad.stderr and "Traceback" not in bad.stderr
    missing = run("disable", "没有这个人")
    assert missing.returncode == 2 and "没有账号“没有这个人”" in missing.stderr


@pytest.fixture(scope="module")
def base(staffed: Settings, embedder):
    with serve(staffed, embedder) as url:
        yield url


def test_login_by_name_and_password_and_roles(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as editor:
        page = editor.get("/admin")
        assert (
            'name="username"' in page.text and 'name="password"' in page.text and 'name="token"' in page.text
        )
        assert "kepu_login" in editor.cookies  # the pre-login cookie the form's CSRF token is bound to
        r = admin_login(editor, {"username": "编辑甲", "password": EDITOR_PW}, follow_redirects=True)
        assert "kpi-total" in r.text and "当前登录：编辑甲（编辑）" in r.text
        assert "账号与操作记录" not in r.text  # an editor is not offered the admin page
        denied = editor.get("/admin/staff")
        assert denied.status_code == 403 and "只对管理员开放" in denied.text
    with httpx.Client(base_url=base, timeout=30) as admin:
        r = admin_login(admin, {"username": "管理员乙", "password": ADMIN_PW}, follow_redirects=True)
        assert "当前登录：管理员乙（管理员）" in r.text
        staff = admin.get("/admin/staff")
        assert staff.status_code == 200 and "编辑甲" in staff.text
        assert "新增账号" in staff.text and "登录" in staff.text  # the audit log: CLI changes and logins
        admin_logout(admin)
        assert "kpi-total" not in admin.get("/admin").text
        assert (
            admin.get("/admin/staff").status_code == 200 and "管理后台登录" in admin.get("/admin/staff").text
        )


def test_the_admin_token_still_works(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as c:
        r = admin_login(c, {"token": TOKEN}, follow_redirects=True)
        assert "当前登录：管理员令牌（管理员）" in r.text
        assert c.get("/admin/staff").status_code == 200
    bearer = httpx.get(base + "/admin/staff", headers={"Authorization": f"Bearer {TOKEN}"})
    assert bearer.status_code == 200


def test_forms_need_their_csrf_token(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as c:
        c.get("/admin")
        forged = c.post("/admin/login", data={"username": "编辑甲", "password": EDITOR_PW, "csrf": "0" * 64})
        assert "页面已过期或来源不明" in forged.text and "kepu_admin" not in c.cookies
        missing = c.post("/admin/login", data={"token": TOKEN})
        assert "页面已过期或来源不明" in missing.text and "kepu_admin" not in c.cookies
        admin_login(c, {"token": TOKEN})
        assert c.post("/admin/logout", data={"csrf": "0" * 64}).status_code == 403
        assert "kpi-total" in c.get("/admin").text  # still logged in
        # a token from another session is not this session's
        with httpx.Client(base_url=base, timeout=30) as other:
            admin_login(other, {"token": TOKEN})
            theirs = csrf_from(other.get("/admin").text)
        assert c.post("/admin/logout", data={"csrf": theirs}).status_code == 403


def test_a_disabled_account_is_logged_out_at_once(staffed: Settings, base: str) -> None:
    accounts = StaffAccounts(staffed.insights_url)
    accounts.add("临时丁", "reviewer", "temporary-password")
    with httpx.Client(base_url=base, timeout=30) as c:
        assert (
            "当前登录：临时丁"
            in admin_login(
                c, {"username": "临时丁", "password": "temporary-password"}, follow_redirects=True
            ).text
        )
        accounts.disable("临时丁", actor="管理员乙")
        assert "kpi-total" not in c.get("/admin").text  # the session's account is checked per request
        again = admin_login(c, {"username": "临时丁", "password": "temporary-password"})
        assert "账号或密码不正确，或账号已停用" in again.text


def test_guessing_one_account_is_throttled(staffed: Settings, embedder) -> None:
    """Wrong passwords for one account: past KEPU_ADMIN_FAIL_RATE (4 a minute here) even the right one
    gets 429 in Chinese, and each failure is in the audit log."""
    with serve(staffed, embedder) as url, httpx.Client(base_url=url, timeout=30) as c:
        csrf = csrf_from(c.get("/admin").text)  # the form, once: /admin itself is throttled afterwards
        for i in range(4):
            r = c.post(
                "/admin/login", data={"username": "编辑甲", "password": f"wrong-{i}-password", "csrf": csrf}
            )
            assert "账号或密码不正确" in r.text, i
        right = c.post("/admin/login", data={"username": "编辑甲", "password": EDITOR_PW, "csrf": csrf})
        assert right.status_code == 429 and "令牌或密码错误次数过多" in right.json()["detail"]
        assert int(right.headers["Retry-After"]) >= 1
        assert c.get("/admin").status_code == 429  # the page too: a clear 429, never a 500
    failures = [e for e in StaffAccounts(staffed.insights_url).audit_log() if e.action == "login_failed"]
    assert sum(e.actor == "编辑甲" for e in failures) >= 4


def test_the_accounts_database_down_is_said_and_the_token_still_works(staffed: Settings, embedder) -> None:
    down = staffed.model_copy(update={"database_url": "sqlite:////nonexistent-kepu-dir/insights.sqlite"})
    with serve(down, embedder) as url, httpx.Client(base_url=url, timeout=30) as c:
        r = admin_login(c, {"username": "编辑甲", "password": EDITOR_PW})
        assert r.status_code == 503 and "账号数据库暂时无法访问" in r.text and "Traceback" not in r.text
        page = admin_login(c, {"token": TOKEN}, follow_redirects=True)
        assert (
            page.status_code == 503 and "当前登录：管理员令牌" in page.text
        )  # logged in; records unreachable
        assert "提问记录数据库暂时无法访问" in page.text
        assert c.get("/admin/staff").status_code == 503
