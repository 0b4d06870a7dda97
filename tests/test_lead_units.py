"""Staff details that follow how government documents work (issue 17): the first unit listed leads (牵头),
answers use the short names people know, a unit the plan does not name is told so, and the exports carry
the roles, a frozen header row and column widths. The expected roles are read from the plan's raw text
(tests/conftest.plan_units_from_text), not from the parser."""

from __future__ import annotations

import io

import httpx
import pytest
from openpyxl import load_workbook

from kepu.channels import exports as export
from kepu.config import Settings
from tests.conftest import plan_units_from_text, use_fake_embedder
from tests.support.http_server import serve

pytestmark = pytest.mark.integration
use_fake_embedder(globals())
UNITS = plan_units_from_text()
LED_BY = {n: us[0] for n, us in UNITS.items() if us != ["各成员单位"]}


@pytest.fixture(scope="module")
def client(ingested, kb_settings: Settings, embedder):
    settings = kb_settings.model_copy(update={"rate_limit": "10000/minute"})
    with serve(settings, embedder) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c


def test_the_first_unit_listed_leads_an_item(bot) -> None:
    ans = bot.answer("第32条由谁牵头？")
    assert ans.answer.startswith("《2020年全民科学素质行动工作要点》第32条由中国科协牵头，参与单位：财政部。")
    assert "列名顺序" in ans.answer  # says where the lead comes from
    assert [c.item for c in ans.citations] == [32]
    sole = next(n for n, us in UNITS.items() if len(us) == 1 and us != ["各成员单位"])
    assert f"第{sole}条由" in bot.answer(f"第{sole}条是哪个单位牵头的").answer
    assert "单独负责" in bot.answer(f"第{sole}条是哪个单位牵头的").answer
    members = next(n for n, us in UNITS.items() if us == ["各成员单位"])
    assert "没有列出牵头单位" in bot.answer(f"第{members}条由谁牵头").answer


def test_what_a_unit_leads(bot) -> None:
    ans = bot.answer("中国科协牵头的工作有哪些？")
    led = sorted(n for n, lead in LED_BY.items() if lead == "中国科协")
    joined = sorted(n for n, us in UNITS.items() if "中国科协" in us[1:])
    assert f"牵头的共{len(led)}条" in ans.answer
    for n in led:
        assert f"第{n}条：" in ans.answer
    assert f"参与（不牵头）的共{len(joined)}条：第{'、'.join(map(str, joined))}条" in ans.answer
    assert sorted(c.item for c in ans.citations) == sorted(led + joined)
    none = bot.answer("卫健委牵头了哪些工作")  # 卫生健康委 takes part in 9 items and leads none
    assert none.answer.startswith("《2020年全民科学素质行动工作要点》中没有由卫健委牵头的条目。")
    assert not any(LED_BY.get(c.item) == "卫生健康委" for c in none.citations)


def test_public_answers_use_short_names_and_roles(bot) -> None:
    ans = bot.answer("团中央负责哪些工作")
    assert ans.answer.startswith("团中央在")
    assert "共青团中央" not in ans.answer and "中国共产主义青年团" not in ans.answer
    assert "人社部" in ans.answer and "人力资源社会保障部" not in ans.answer  # co-units too
    assert "（参与；牵头：教育部" in ans.answer  # item 11: 教育部 is listed first
    assert all("共青团中央" in c.units for c in ans.citations if c.units != ["各成员单位"])  # plan's names


@pytest.mark.parametrize(
    "question", ["公安部负责哪些工作？", "外交部管啥", "住建部干什么的", "公安局管科普不"]
)
def test_a_unit_the_plan_does_not_name(bot, question: str) -> None:
    ans = bot.answer(question)
    assert ans.mode == "refusal" and ans.route == "unit_absent" and not ans.citations
    assert "不是《2020年全民科学素质行动工作要点》列出的负责单位" in ans.answer


def test_a_listed_unit_is_never_absent(bot) -> None:
    for question in ("卫生部负责什么", "环保部负责什么", "团中央有什么任务"):  # old names and aliases
        assert bot.answer(question).route == "unit"


def test_units_api_roles_and_absent_unit(client) -> None:
    data = client.get("/api/units/团中央").json()
    assert data["unit"]["short"] == "团中央"
    assert data["unit"]["lead_items"] == sum(1 for lead in LED_BY.values() if lead == "共青团中央")
    for it in data["items"]:
        expected = "单独负责" if UNITS[it["number"]] == ["共青团中央"] else None
        assert it["lead"] == LED_BY[it["number"]]
        assert it["role"] == expected or it["role"] == (
            "牵头" if LED_BY[it["number"]] == "共青团中央" else "参与"
        )
    r = client.get("/api/units/公安部")
    assert r.status_code == 404
    body = r.json()
    assert body["detail"].startswith("公安部不是《2020年全民科学素质行动工作要点》列出的负责单位")
    assert body["suggestions"] and all(
        s in {u for us in UNITS.values() for u in us} for s in body["suggestions"]
    )
    unknown = client.get("/api/units/不存在的单位").json()
    assert unknown["detail"].startswith("找不到单位")  # not a unit at all: the old message


def test_exports_carry_roles_freeze_the_header_and_size_columns(client) -> None:
    ws = load_workbook(io.BytesIO(client.get("/api/export/units/团中央.xlsx").content)).active
    assert ws["A1"].value == "计划" and ws["B1"].value == "2020年全民科学素质行动工作要点"  # metadata kept
    header = [c.value for c in ws[2]]
    assert header[:7] == ["条目", "部分", "小节", "负责方式", "牵头或参与", "牵头单位", "共同负责单位"]
    assert ws.freeze_panes == "B3"  # the header row stays in view, with the metadata line above it
    assert all(c.font.bold for c in ws[2]) and not ws["A1"].font.bold
    for row in ws.iter_rows(min_row=3, values_only=True):
        if row[3] == "列名负责":
            assert row[5] == LED_BY[int(row[0])]
            assert row[4] == ("牵头" if row[5] == "共青团中央" else "参与")
    widths = {c: ws.column_dimensions[c].width for c in "ABCDEFGH"}
    assert widths["H"] == export.MAX_COLUMN_WIDTH  # the item text: capped, and it wraps
    assert widths["A"] == export.MIN_COLUMN_WIDTH  # "条目" and numbers
    assert widths["B"] > 30  # a part title in Chinese is wide
    matrix = load_workbook(io.BytesIO(client.get("/api/export/matrix.xlsx").content)).active
    head = [c.value for c in matrix[2]]
    assert head[3] == "牵头单位"
    leads = {int(r[0]): r[3] for r in matrix.iter_rows(min_row=3, values_only=True)}
    assert leads == {n: LED_BY.get(n) or None for n in UNITS}
    csv_lines = client.get("/api/export/units/团中央.csv").content.decode("utf-8-sig").splitlines()
    assert csv_lines[1].startswith("条目,部分,小节,负责方式,牵头或参与,牵头单位")


def test_text_width_counts_chinese_twice() -> None:
    assert export.text_width("条目") == 4 and export.text_width("32") == 2 and export.text_width("") == 0


def test_units_asked_together_are_one_block_without_blank_lines(bot) -> None:
    ans = bot.answer("卫健委跟教育部一起负责哪几条")
    both = sorted(n for n, us in UNITS.items() if "卫生健康委" in us and "教育部" in us)
    assert ans.answer.startswith(
        f"卫健委、教育部在《2020年全民科学素质行动工作要点》中共同列为负责单位的共{len(both)}条"
    )
    assert "\n\n" not in ans.answer
