"""The staff loop over real HTTP (issue 16, part 3): an editor drafts a Q&A pair from a gap, tries it, cannot
approve it herself; a reviewer approves it, it is written to knowledge/faq/ and served without a restart;
synonyms the same way; a draft sent back keeps the reviewer's comment; every step is audited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import yaml

from kepu.config import Settings
from kepu.staff.accounts import StaffAccounts
from tests.conftest import admin_login, csrf_from
from tests.support.http_server import serve
from tests.support.staffing import staffed

pytestmark = [pytest.mark.integration, pytest.mark.slow]
QUESTION = "村里想办科普讲座可以找谁帮忙？"
PARAPHRASE = "想在村里办个科普讲座该找谁"
ANSWER = "可以联系所在县（市、区）的科协。工作要点第30条写到要深入开展科技进社区等活动。（示例答案）"


@contextmanager
def _staffed(
    settings: Settings, embedder, admin: bool = False
) -> Iterator[tuple[str, Settings, StaffAccounts]]:
    """``settings`` with its own insights database, ingested, an editor and a reviewer (and an admin),
    served over HTTP."""
    settings, accounts = staffed(settings, embedder, settings.data_dir.parent / "insights.sqlite")
    if admin:
        accounts.add("管理丙", "admin", "admin-password-12")
    with serve(settings, embedder) as url:
        yield url, settings, accounts


@pytest.fixture
def loop(fresh_settings: Settings, e5_embedder):
    with _staffed(fresh_settings, e5_embedder, admin=True) as running:
        yield running


@contextmanager
def _client(url: str, name: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=120) as c:
        r = admin_login(c, {"username": name, "password": password}, follow_redirects=True)
        assert f"当前登录：{name}" in r.text
        yield c


def _new_draft(c: httpx.Client, **fields: str) -> int:
    csrf = csrf_from(c.get("/admin/drafts").text)
    r = c.post("/admin/drafts", data={"csrf": csrf, **fields})
    assert r.status_code == 303, r.text
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_draft_try_review_publish_and_answer(loop) -> None:
    url, settings, accounts = loop
    before = httpx.post(url + "/api/ask", json={"question": QUESTION}).json()
    assert before["mode"] != "faq"
    with _client(url, "编辑甲", "editor-password-1") as editor:
        form = editor.get("/admin/drafts", params={"q": QUESTION}).text  # from a gap's 写成问答对 link
        assert f'value="{QUESTION}"' in form
        draft = _new_draft(
            editor, kind="pair", question=QUESTION, similar="村里办讲座找谁", answer=ANSWER, basis="第30条"
        )
        page = editor.get(f"/admin/drafts/{draft}").text
        assert "待审核" in page and "需要另一位审核人审核后才能发布" in page and "approve-form" not in page
        csrf = csrf_from(editor.get("/admin/drafts").text)
        mine = editor.post(f"/admin/drafts/{draft}/approve", data={"csrf": csrf})
        assert mine.status_code == 403 and "不能审核" in mine.json()["detail"]  # an editor reviews nothing
        tried = editor.get(f"/admin/drafts/{draft}", params={"q": PARAPHRASE}).text
        assert "发布后，这个问题会用这条问答回答" in tried and "示例答案" in tried
        unrelated = editor.get(f"/admin/drafts/{draft}", params={"q": "被狗咬了怎么办"}).text
        assert "发布后，这个问题不会用这条问答回答" in unrelated
    assert httpx.post(url + "/api/ask", json={"question": QUESTION}).json()["mode"] != "faq"  # not yet
    with _client(url, "审核乙", "reviewer-password-1") as reviewer:
        page = reviewer.get(f"/admin/drafts/{draft}").text
        assert "approve-form" in page
        done = reviewer.post(
            f"/admin/drafts/{draft}/approve", data={"csrf": csrf_from(page)}, follow_redirects=True
        )
        assert "已发布" in done.text and "knowledge/faq/staff.yaml" in done.text
    pairs = yaml.safe_load((settings.knowledge_dir / "faq" / "staff.yaml").read_text(encoding="utf-8"))[
        "pairs"
    ]
    assert pairs == [
        {
            "question": QUESTION,
            "similar": ["村里办讲座找谁"],
            "answer": ANSWER,
            "basis": "第30条",
            "status": "approved",
            "reviewed_by": "审核乙",
            "approved_at": pairs[0]["approved_at"],
        }
    ]
    after = httpx.post(url + "/api/ask", json={"question": QUESTION}).json()  # served without a restart
    assert after["mode"] == "faq" and after["answer"].startswith(ANSWER)
    assert after["citations"][0]["kind"] == "faq" and after["citations"][0]["source_id"].startswith("staff#")
    actions = [(e.actor, e.action) for e in reversed(accounts.audit_log())]
    assert ("编辑甲", "draft_add") in actions and ("审核乙", "draft_publish") in actions


def test_synonyms_and_sending_back(loop) -> None:
    url, settings, accounts = loop
    with _client(url, "编辑甲", "editor-password-1") as editor:
        synonym = _new_draft(editor, kind="synonym", words="科普讲座、科学讲座、知识讲座")
        returned = _new_draft(
            editor, kind="pair", question="科普讲座要钱吗", answer="不要钱。", basis="第30条"
        )
        too_few = editor.post(
            "/admin/drafts",
            data={"csrf": csrf_from(editor.get("/admin/drafts").text), "kind": "synonym", "words": "讲座"},
        )
        assert too_few.status_code == 422 and "同义词至少要两个词" in too_few.text
    with _client(url, "审核乙", "reviewer-password-1") as reviewer:
        csrf = csrf_from(reviewer.get(f"/admin/drafts/{synonym}").text)
        assert reviewer.post(f"/admin/drafts/{synonym}/approve", data={"csrf": csrf}).status_code == 303
        back = reviewer.post(
            f"/admin/drafts/{returned}/return", data={"csrf": csrf, "comment": "依据不对，请核实"}
        )
        assert back.status_code == 303
        page = reviewer.get(f"/admin/drafts/{returned}").text
        assert "已退回" in page and "依据不对，请核实" in page and "approve-form" not in page
        again = reviewer.post(f"/admin/drafts/{returned}/approve", data={"csrf": csrf})
        assert (
            again.status_code == 403
            and "已已退回" not in again.text
            and "不能再审核" in again.json()["detail"]
        )
        # a reviewer does not draft
        denied = reviewer.post("/admin/drafts", data={"csrf": csrf, "kind": "synonym", "words": "甲、乙"})
        assert denied.status_code == 422 and "不能起草" in denied.text
    text = (settings.knowledge_dir / "synonyms.yaml").read_text(encoding="utf-8")
    assert re.search(r"^  - \[科普讲座, 科学讲座, 知识讲座\]   # 审核人 审核乙", text, re.M)
    assert text.startswith("# 同义词表")  # the staff's comments are kept
    assert not (settings.knowledge_dir / "faq" / "staff.yaml").exists()  # the returned pair is not published


def test_forms_and_pages_need_a_login_and_a_csrf_token(loop) -> None:
    url, _settings, _accounts = loop
    assert httpx.get(url + "/admin/drafts").status_code == 401
    with _client(url, "管理丙", "admin-password-12") as admin:  # an admin drafts and reviews, never both
        own = _new_draft(admin, kind="synonym", words="甲字、乙字")
        page = admin.get(f"/admin/drafts/{own}").text
        assert "approve-form" not in page
        denied = admin.post(
            f"/admin/drafts/{own}/approve", data={"csrf": csrf_from(admin.get("/admin/drafts").text)}
        )
        assert denied.status_code == 403 and "不能审核自己写的草稿" in denied.json()["detail"]
    with _client(url, "编辑甲", "editor-password-1") as editor:
        r = editor.post("/admin/drafts", data={"csrf": "0" * 64, "kind": "synonym", "words": "甲、乙"})
        assert r.status_code == 403 and "表单令牌无效" in r.json()["detail"]


@pytest.fixture
def with_pairs(fresh_settings: Settings, e5_embedder):
    """The loop with the example pairs (a commented YAML file and a CSV file) in knowledge/faq/."""
    import shutil
    from pathlib import Path

    examples = Path(__file__).resolve().parents[1] / "examples" / "faq"
    shutil.copytree(examples, fresh_settings.knowledge_dir / "faq")
    with _staffed(fresh_settings, e5_embedder) as (url, settings, _accounts):
        yield url, settings


def test_a_similar_question_for_an_existing_pair_keeps_the_file_s_comments(with_pairs) -> None:
    url, settings = with_pairs
    pair_file = settings.knowledge_dir / "faq" / "plan-faq.yaml"
    original = pair_file.read_text(encoding="utf-8")
    new = "要点说的是哪一年的事儿来着"
    with _client(url, "编辑甲", "editor-password-1") as editor:
        page = editor.get("/admin/drafts", params={"q": new}).text
        pair_id = re.search(
            r'<option value="(plan-faq#[^"]+)">全民科学素质行动工作要点是哪一年的？', page
        ).group(1)
        draft = _new_draft(editor, kind="similar", pair_id=pair_id, question=new)
        tried = editor.get(f"/admin/drafts/{draft}", params={"q": new}).text
        assert "发布后，这个问题会用这条问答回答" in tried
        csv_pair = re.search(r'<option value="(health-faq#[^"]+)">', page).group(1)
        csv_draft = _new_draft(editor, kind="similar", pair_id=csv_pair, question="狗咬了一口咋弄")
    with _client(url, "审核乙", "reviewer-password-1") as reviewer:
        csrf = csrf_from(reviewer.get(f"/admin/drafts/{draft}").text)
        assert reviewer.post(f"/admin/drafts/{draft}/approve", data={"csrf": csrf}).status_code == 303
        refused = reviewer.post(f"/admin/drafts/{csv_draft}/approve", data={"csrf": csrf})
        assert refused.status_code == 422 and "CSV 和 Excel 文件请在原文件" in refused.text
    text = pair_file.read_text(encoding="utf-8")
    added = [line for line in text.splitlines() if line not in original.splitlines()]
    assert added == [f"      - {new}"]  # one line more; nothing else of the staff's file changed
    assert len(text.splitlines()) == len(original.splitlines()) + 1
    assert text.startswith("# 标准问答：《2020年全民科学素质行动工作要点》（示例材料）")  # comments kept
    assert f"      - {new}\n" in text
    after = httpx.post(url + "/api/ask", json={"question": new}).json()
    assert after["mode"] == "faq" and after["citations"][0]["source_id"] == pair_id
