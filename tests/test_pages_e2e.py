"""The pages in a real headless browser (Debian's chromium driven by Playwright), under the pages' own
Content-Security-Policy: the tests wait on locators, not on script strings that the policy forbids."""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import pytest

from kepu.answering.safety import EMERGENCY_LINE
from tests.conftest import plan_units_from_text
from tests.support.http_server import serve

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OUTPUT = Path(__file__).resolve().parent / "output"
UNITS = plan_units_from_text()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: `make test` installs it with apt-get (Debian package chromium)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def base(ingested, kb_settings, embedder):
    with serve(kb_settings.model_copy(update={"rate_limit": "10000/minute"}), embedder) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 360, "height": 780}, accept_downloads=True)
    pg = context.new_page()
    yield pg
    context.close()


def test_chat_page_shows_a_cited_answer(page, base) -> None:
    page.goto(base + "/")
    page.fill("#question", "第32条由哪个单位负责？")
    page.click("#send")
    answer = page.locator(".a").last
    answer.wait_for()
    assert "财政部" in answer.locator(".text").inner_text()
    summary = answer.locator("details summary").first
    assert "第32条" in summary.inner_text()
    summary.click()
    assert "完善现代科技馆体系" in answer.locator("blockquote").first.inner_text()
    # an example question and a refusal
    page.click("text=被狗咬了怎么办")
    page.locator(".a").nth(1).wait_for()
    assert "被狗猫咬伤" in page.locator(".a").nth(1).inner_text()
    page.fill("#question", "茅台股票能买吗")
    page.keyboard.press("Enter")
    page.wait_for_selector(".a.refusal")
    assert "暂时无法回答" in page.locator(".a.refusal").inner_text()
    # fits a 360 px phone screen: no horizontal scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(OUTPUT / "chat.png"), full_page=True)


def test_a_vague_question_gets_choices_to_tap(page, base) -> None:
    page.goto(base + "/")
    page.fill("#question", "健康")
    page.click("#send")
    first = page.locator(".a").first
    first.wait_for()
    buttons = first.locator(".choices button")
    assert 2 <= buttons.count() <= 3
    assert "暂时无法回答" not in first.inner_text()  # it asks back; it is not a "cannot answer" note
    choice = buttons.first.inner_text()
    buttons.first.click()  # tapping asks that question
    second = page.locator(".a").nth(1)
    second.wait_for()
    assert page.locator(".q").nth(1).inner_text() == choice
    assert second.get_attribute("data-mode") in ("extractive", "structured", "faq")
    assert second.locator("details.cite").count() >= 1


def test_units_page_alias_lookup_and_csv(page, base) -> None:
    page.goto(base + "/units")
    page.locator("#unit-names option").nth(29).wait_for(state="attached")
    assert page.locator("#plan-select option").count() == 1  # one plan shipped; the selector lists it
    assert "2020年全民科学素质行动工作要点" in page.locator("#plan-select").inner_text()
    page.fill("#unit-input", "团中央")
    page.click("#unit-form button")
    page.wait_for_selector(".unit-items li")
    shown = [
        int(x) for x in page.locator(".unit-items li").evaluate_all("els => els.map(e => e.dataset.item)")
    ]
    assert shown == sorted(n for n, us in UNITS.items() if "共青团中央" in us)
    roles = page.locator(".unit-items li .co").evaluate_all("els => els.map(e => e.dataset.role)")
    assert roles == ["牵头" if UNITS[n][0] == "共青团中央" else "参与" for n in shown]  # first listed leads
    assert "牵头、参与按工作要点的列名顺序认定" in page.inner_text("#unit-result")
    members = page.locator(".member-items li").evaluate_all("els => els.map(e => e.dataset.item)")
    assert [int(x) for x in members] == [1, 2, 5, 6, 8, 39, 40]
    page.screenshot(path=str(OUTPUT / "units.png"), full_page=True)

    with page.expect_download() as info:
        page.click("#unit-csv")
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0][:2] == ["计划", "2020年全民科学素质行动工作要点"]
    assert rows[1][:4] == ["条目", "部分", "小节", "负责方式"]
    named = [int(r[0]) for r in rows[2:] if r[3] == "列名负责"]
    assert named == sorted(n for n, us in UNITS.items() if "共青团中央" in us)


def test_units_page_item_lookup_matrix_and_unknown_unit(page, base) -> None:
    page.goto(base + "/units")
    page.fill("#item-input", "32")
    page.click("#item-form button")
    page.wait_for_selector("#item-result .units")
    assert page.inner_text("#item-result .units") == "负责单位：中国科协、财政部"
    assert page.inner_text("#item-result .lead") == "牵头单位：中国科协（列名第一位）"
    page.fill("#unit-input", "公安部")  # a unit, but not one this plan lists
    page.click("#unit-form button")
    page.wait_for_selector("#unit-result .suggest a")
    assert "公安部不是《2020年全民科学素质行动工作要点》列出的负责单位" in page.inner_text("#unit-result")
    page.fill("#unit-input", "卫生部门")
    page.click("#unit-form button")
    page.wait_for_selector("#unit-result .suggest a")
    assert "找不到单位" in page.inner_text("#unit-result")
    page.click("#show-matrix")
    page.wait_for_selector("table.matrix tbody tr")
    assert page.locator("table.matrix tbody tr").count() == 42
    page.screenshot(path=str(OUTPUT / "matrix.png"), full_page=False)


def test_feedback_and_dashboard(browser, ingested, kb_settings, embedder, tmp_path) -> None:
    from kepu.channels.app import create_app
    from tests.support.http_server import serve_app

    token = "e2e-admin-token-0123456789"
    settings = kb_settings.model_copy(
        update={
            "admin_token": token,
            "rate_limit": "10000/minute",
            "database_url": f"sqlite:///{tmp_path / 'insights.sqlite'}",
            "insights_salt": "an-e2e-salt-of-enough-length",
        }
    )
    app = create_app(settings, embedder)
    with serve_app(app) as url:
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto(url + "/")
        for q in ("被狗咬了怎么办", "甲亢吃什么好", "教育部负责哪些工作？"):
            page.fill("#question", q)
            page.click("#send")
            page.locator(".a").nth(
                ("被狗咬了怎么办", "甲亢吃什么好", "教育部负责哪些工作？").index(q)
            ).wait_for()
        page.locator(".a").first.locator("button[data-useful=false]").click()
        page.wait_for_selector(".thanks")
        app.state.recorder.flush()
        page.goto(url + "/admin")
        page.click("text=使用管理员令牌登录")  # the token field is folded under the account login
        page.fill("#token", token)
        page.click("button[type=submit]")
        page.wait_for_selector("#kpi-total")
        assert page.inner_text("#kpi-total") == "3"
        assert "甲亢" in page.content()  # the gaps table lists the unanswered topic
        page.screenshot(path=str(OUTPUT / "dashboard.png"), full_page=True)
        context.close()


def test_chat_page_streams_when_a_model_is_configured(browser, ingested, kb_settings, embedder) -> None:
    from kepu.channels.app import create_app
    from tests.support.http_server import serve_app
    from tests.support.llm_standin import standin_llm

    llm = standin_llm()
    with serve_app(llm) as llm_url:
        settings = kb_settings.model_copy(
            update={"llm_base_url": llm_url + "/v1", "llm_model": "stand-in", "rate_limit": "10000/minute"}
        )
        with serve_app(create_app(settings, embedder)) as url:
            page = browser.new_page()
            page.goto(url + "/")
            page.wait_for_timeout(300)  # /api/config says a model is configured
            page.fill("#question", "科学辟谣平台是什么？")
            page.click("#send")
            page.wait_for_selector(".a.generative")
            text = page.inner_text(".a.generative .text")
            assert text.startswith("简单说：") and "[1]" in text
            assert llm.state.requests and llm.state.requests[-1].get("stream") is True
            page.locator(".a.generative summary").first.click()
            assert "科学辟谣平台" in page.inner_text(".a.generative blockquote")
            page.close()


# --- emergencies and a phone screen (issue 20) -----------------------------------------------------

PHONE = {"width": 390, "height": 844}
EMERGENCY_Q = "有人溺水了怎么办"
LONG_Q = "教育部负责哪些工作？"  # a structured answer many lines long
ANSWERS = "#log > .a:not(.pending)"


def _ask(page, question: str):  # type: ignore[no-untyped-def]
    """Ask through the form (Enter in the box) and return the new answer once it is on the page."""
    n = page.locator(ANSWERS).count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    page.locator(ANSWERS).nth(n).wait_for()
    return page.locator(ANSWERS).nth(n)


def _assert_in_view(page, answer, *, whole: bool) -> None:  # type: ignore[no-untyped-def]
    """The answer's last line (and the end of its box) is above the input box; with whole=True its first
    line is on screen too."""
    input_top = page.locator("#ask-form").bounding_box()["y"]
    box = answer.bounding_box()
    last_line = answer.locator(".text").evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " const rects = r.getClientRects(); return rects[rects.length - 1].bottom; }"
    )
    assert last_line <= input_top, (last_line, input_top)
    assert box["y"] + box["height"] <= input_top, (box, input_top)
    if whole:
        assert box["y"] >= 0, box


def _rgb(css: str) -> tuple[int, ...]:
    return tuple(int(x) for x in css[css.index("(") + 1 : css.index(")")].split(",")[:3])


def test_emergency_answer_on_a_phone_calls_120_and_is_in_view(browser, base) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(base + "/")

    with page.expect_response("**/api/ask") as first_response:
        normal = _ask(page, "第32条由哪个单位负责？")
    assert "财政部" in normal.inner_text()
    # the time taken is in the JSON, not in what the public reads
    assert first_response.value.json()["latency_ms"] >= 0 and "毫秒" not in normal.inner_text()
    refusal = _ask(page, "茅台股票能买吗")
    assert "暂时无法回答" in refusal.locator(".note").inner_text()
    for a in (normal, refusal):  # non-emergency answers: no call button, no tel: link
        assert a.locator("a[href^='tel:']").count() == 0
        assert "emergency" not in (a.get_attribute("class") or "")
    long = _ask(page, LONG_Q)
    assert long.bounding_box()["height"] > 300
    _assert_in_view(page, long, whole=False)  # a long answer: its end clears the input box

    with page.expect_response("**/api/ask") as response:
        answer = _ask(page, EMERGENCY_Q)
    data = response.value.json()  # the page renders the core's flag, and the core sets it
    assert data["emergency"] is True and data["answer"].startswith(EMERGENCY_LINE)
    assert page.evaluate("window.scrollY") > 0  # the log is longer than the screen: it had to scroll
    # the first thing in the answer is the 120 call link, styled as an emergency
    first = answer.locator(":scope > *").first
    assert first.evaluate("e => e.tagName") == "A"
    assert first.get_attribute("href") == "tel:120"
    assert "120" in first.get_attribute("aria-label")
    assert answer.inner_text().splitlines()[0] == "立即拨打120"
    assert "emergency" in answer.get_attribute("class")
    assert answer.locator(".note").count() == 0
    call = first.bounding_box()
    assert call["height"] >= 44 and call["width"] >= 44  # a thumb-sized target
    r, g, b = _rgb(first.evaluate("e => getComputedStyle(e).backgroundColor"))
    assert r >= 150 and g <= 80 and b <= 80, (r, g, b)  # red
    assert _rgb(first.evaluate("e => getComputedStyle(e).color")) == (255, 255, 255)
    note_bg = refusal.evaluate("e => getComputedStyle(e).backgroundColor")
    assert first.evaluate("e => getComputedStyle(e).backgroundColor") != note_bg
    # the 120 line is not repeated as text; the approved steps follow
    text = answer.locator(".text").inner_text()
    assert "情况紧急时" not in text and "落水" in text
    _assert_in_view(page, answer, whole=True)
    page.screenshot(path=str(OUTPUT / "emergency-390x844.png"))
    context.close()


def test_emergency_refusal_looks_like_an_emergency_not_a_refusal(browser, base) -> None:
    from kepu.answering.answer import Answer
    from kepu.answering.safety import UNCOVERED_EMERGENCY_TEXT

    question = "工地上有人休克了"
    refusal = Answer(question, UNCOVERED_EMERGENCY_TEXT, "refusal", route="out_of_scope", emergency=True)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.route("**/api/ask", lambda route: route.fulfill(json=refusal.to_dict()))
    page.goto(base + "/")
    answer = _ask(page, question)
    assert answer.get_attribute("data-mode") == "refusal"
    assert answer.locator(".note").count() == 0  # not 暂时无法回答
    first = answer.locator(":scope > *").first
    assert first.get_attribute("href") == "tel:120"
    r, g, b = _rgb(first.evaluate("e => getComputedStyle(e).backgroundColor"))
    assert r >= 150 and g <= 80 and b <= 80, (r, g, b)
    # the box is not the yellow refusal note either
    assert _rgb(answer.evaluate("e => getComputedStyle(e).backgroundColor")) == (255, 255, 255)
    assert answer.locator(".text").inner_text() == UNCOVERED_EMERGENCY_TEXT.split("。", 1)[1]
    _assert_in_view(page, answer, whole=True)
    page.screenshot(path=str(OUTPUT / "emergency-refusal-390x844.png"))
    context.close()


def test_streamed_answers_on_a_phone_end_above_the_input(browser, ingested, kb_settings, embedder) -> None:
    from kepu.channels.app import create_app
    from tests.support.http_server import serve_app
    from tests.support.llm_standin import standin_llm

    llm = standin_llm()
    with serve_app(llm) as llm_url:
        settings = kb_settings.model_copy(
            update={"llm_base_url": llm_url + "/v1", "llm_model": "stand-in", "rate_limit": "10000/minute"}
        )
        with serve_app(create_app(settings, embedder)) as url:
            context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
            page = context.new_page()
            page.goto(url + "/")
            page.wait_for_selector("#ask-form[data-streaming=true]")  # /api/config: a model is configured
            first = _ask(page, "科学辟谣平台是什么？")
            assert "generative" in first.get_attribute("class")
            long = _ask(page, LONG_Q)
            _assert_in_view(page, long, whole=False)
            answer = _ask(page, EMERGENCY_Q)  # the flag comes in the stream's `final` event
            assert answer.locator(":scope > *").first.get_attribute("href") == "tel:120"
            assert "emergency" in answer.get_attribute("class")
            assert page.evaluate("window.scrollY") > 0
            _assert_in_view(page, answer, whole=True)
            page.screenshot(path=str(OUTPUT / "emergency-streamed-390x844.png"))
            context.close()


def test_the_staff_loop_from_a_gap_to_a_published_answer(browser, fresh_settings, embedder, tmp_path) -> None:
    """Issue 16's loop in Chromium: a citizen marks an answer 👎; the editor finds it among the gaps,
    drafts a pair from it and tries it; the reviewer approves; the chat page answers with the pair."""
    from kepu.channels.app import create_app
    from tests.support.http_server import serve_app
    from tests.support.staffing import staffed

    question = "村里想办科普讲座可以找谁帮忙？"
    answer = "可以联系所在县（市、区）的科协。（示例答案，待专业机构审核）"
    settings, _ = staffed(
        fresh_settings, embedder, tmp_path / "insights.sqlite", insights_salt="an-e2e-salt-of-enough-length"
    )
    app = create_app(settings, embedder)
    with serve_app(app) as url:
        citizen = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        citizen.goto(url + "/")
        citizen.fill("#question", question)
        citizen.click("#send")
        citizen.locator(".a").first.wait_for()
        assert citizen.locator(".a").first.get_attribute("data-mode") != "faq"
        citizen.locator(".a").first.locator("button[data-useful=false]").click()  # 👎: it did not help
        citizen.wait_for_selector(".thanks")
        app.state.recorder.flush()

        def log_in(name: str, password: str):  # type: ignore[no-untyped-def]
            page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            page.goto(url + "/admin")
            page.fill("#username", name)
            page.fill("#password", password)
            page.click("#login-form button[type=submit]")
            page.wait_for_selector("#whoami")
            return page

        editor = log_in("编辑甲", "editor-password-1")
        editor.wait_for_selector("#gap-clusters-list .gap-cluster")
        editor.screenshot(path=str(OUTPUT / "staff-gaps.png"), full_page=True)
        editor.click(f".gap-cluster:has-text('{question}') >> text=写成问答对")
        editor.wait_for_selector("#pair-form")
        assert editor.input_value("#question") == question  # the gap's wording, ready to edit
        editor.fill("#answer", answer)
        editor.fill("#basis", "第30条")
        editor.click("#pair-form button[type=submit]")
        editor.wait_for_selector("#draft-content")
        editor.fill("#q", "想在村里办个科普讲座该找谁")
        editor.click("#try-form button[type=submit]")
        editor.wait_for_selector("#trial-verdict")
        assert "会用这条问答回答" in editor.inner_text("#trial-verdict")
        assert editor.locator("#approve-form").count() == 0  # not by its own author
        assert editor.evaluate("document.documentElement.scrollWidth") <= 390  # fits a phone
        editor.screenshot(path=str(OUTPUT / "staff-draft.png"), full_page=True)
        draft_url = editor.url.split("?")[0]

        reviewer = log_in("审核乙", "reviewer-password-1")
        reviewer.goto(draft_url)
        reviewer.click("#approve-form button[type=submit]")
        reviewer.wait_for_selector("text=已发布")
        reviewer.screenshot(path=str(OUTPUT / "staff-approved.png"), full_page=True)

        citizen.fill("#question", question)
        citizen.click("#send")
        second = citizen.locator(".a").nth(1)
        second.wait_for()
        assert second.get_attribute("data-mode") == "faq" and answer in second.inner_text()
        citizen.screenshot(path=str(OUTPUT / "staff-published-answer.png"), full_page=True)
