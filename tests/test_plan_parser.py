import pytest
import yaml

from kepu.ingest.errors import PlanParseError
from kepu.ingest.plan_parser import parse_plan
from kepu.kb.plan_index import event_names
from kepu.kb.types import ALL_MEMBERS
from tests.conftest import PLAN_TEXT, plan_units_from_text

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def plan():
    meta = yaml.safe_load(PLAN_TEXT.with_name(PLAN_TEXT.name + ".meta.yaml").read_text(encoding="utf-8"))
    return parse_plan(PLAN_TEXT.read_text(encoding="utf-8"), meta, "2020-work-points")


def test_all_42_items_in_order(plan) -> None:
    assert [i.number for i in plan.items] == list(range(1, 43))


def test_units_match_the_text_for_every_item(plan) -> None:
    expected = plan_units_from_text()
    assert {i.number: list(i.units) for i in plan.items} == expected


def test_parts_and_sections(plan) -> None:
    assert [p.number for p in plan.parts] == [1, 2, 3, 4]
    assert [len(p.sections) for p in plan.parts] == [3, 4, 6, 0]
    assert plan.parts[3].items == (39, 40, 41, 42)
    farmers = plan.parts[1].sections[1]
    assert farmers.title == "（二）实施农民科学素质行动"
    assert farmers.items == (14, 15, 16, 17, 18)
    # section numbering restarts in each part
    assert [s.number for s in plan.parts[2].sections] == [1, 2, 3, 4, 5, 6]


def test_item_text_keeps_body_brackets_and_splits_trailing_units(plan) -> None:
    item = plan.item(14)
    assert "（2019—2022年）" in item.body
    assert item.units == ("农业农村部", "教育部", "全国妇联", "中国科协")
    assert item.section == "（二）实施农民科学素质行动"
    assert item.part.startswith("二、")


def test_all_member_items(plan) -> None:
    assert [i.number for i in plan.items if i.units == (ALL_MEMBERS,)] == [1, 2, 5, 6, 8, 39, 40]


def test_document_facts(plan) -> None:
    assert plan.forwarder == "广东省全民科学素质纲要实施工作办公室"
    assert plan.forward_date == "2020年4月24日"
    assert plan.doc_number == "纲要办发〔2020〕1号"
    assert plan.forward_title == "转发国家纲要办《关于印发<2020年全民科学素质行动工作要点>的通知》的通知"
    assert plan.title == "2020年全民科学素质行动工作要点"
    assert plan.preamble.startswith("2020年是决胜全面建成小康社会")
    assert "请结合我省实际认真贯彻落实" in plan.notice


CITY_PLAN = """2025年某市全民科学素质工作要点
一、强化组织保障
1.健全工作机制，定期召开联席会议。（市科协、市教育局）
2.完善考核办法。
（各成员单位）
二、重点人群
（一）青少年
3.开展科技节活动。（市教育局、团市委）
（二）老年人
4.开展老年人防诈骗科普。（市民政局）
"""


def test_another_plan_in_the_same_style_parses_without_national_assumptions() -> None:
    plan = parse_plan(CITY_PLAN, {"title": "2025年某市全民科学素质工作要点", "year": 2025}, "city-2025")
    assert [i.number for i in plan.items] == [1, 2, 3, 4]
    assert plan.item(2).units == (ALL_MEMBERS,)  # a wrapped item line
    assert plan.item(3).units == ("市教育局", "团市委")
    assert plan.item(4).section == "（二）老年人"
    assert plan.forwarder is None and plan.doc_number is None


def test_text_without_items_is_rejected_with_the_file_named() -> None:
    with pytest.raises(PlanParseError, match="notes.txt.*没有找到编号条目"):
        parse_plan("只是一段说明文字。", {"title": "说明"}, "notes", "notes.txt")


def test_named_events_are_read_from_the_plans_enumerations() -> None:
    """Item 8 lists its events without quotes: the first loses the verb before it, the last what
    follows 等, a date prefix gives a second name; words that only end like a name (周) are not one."""
    body = (
        "统筹开展5·30科技工作者日、全国科普日、科技活动周、中科院科学节、全民健身科技志愿服务神州行等"
        "科普活动。加强科技、教育、文化工作。"
    )
    assert event_names(body) == [
        "5·30科技工作者日",
        "科技工作者日",
        "全国科普日",
        "科技活动周",
        "中科院科学节",
        "全民健身科技志愿服务神州行",
    ]
    assert event_names("推动“振兴杯”全国青年职业技能大赛、中国技能大赛") == [
        "振兴杯全国青年职业技能大赛",
        "中国技能大赛",
    ]
    assert event_names("开展科普日活动，每周一次") == []  # no enumeration
