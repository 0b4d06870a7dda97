"""Several plans in one knowledge base: a GBK national plan for 2021 and a city plan for 2025 beside the
2020 plan (tests/fixtures/plans/), kept apart, selected by year/region, and compared."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from kepu.ingest.pipeline import ingest
from kepu.service.startup import load_bot
from tests.conftest import plan_units_from_text
from tests.support.http_server import serve

pytestmark = pytest.mark.integration
PLANS = Path(__file__).resolve().parent / "fixtures" / "plans"
UNITS_2020 = plan_units_from_text()


@pytest.fixture(scope="module")
def multi(tmp_path_factory, shared_cache, embedder):
    import shutil

    from kepu.config import Settings
    from tests.conftest import KNOWLEDGE

    root = tmp_path_factory.mktemp("multi")
    shutil.copytree(KNOWLEDGE, root / "knowledge")
    settings = Settings(
        data_dir=root / "data", knowledge_dir=root / "knowledge", embedding_cache_dir=shared_cache
    )
    ingest(settings, embedder)
    report = ingest(settings, embedder, [PLANS])
    assert report.ok, [r for r in report.results if r.status == "error"]
    return settings, load_bot(settings, embedder)


def sources(ans) -> set[str]:
    return {c.source_id for c in ans.citations}


def test_plans_parse_including_gbk(multi) -> None:
    _settings, bot = multi
    plans = bot.index.plans
    assert set(plans) == {"2020-work-points", "national-2021-work-points", "city-2025-work-points"}
    p2021 = plans["national-2021-work-points"]
    assert p2021.title == "2021年全民科学素质行动工作要点" and len(p2021.items) == 8
    assert p2021.item(4).units == ("中国科协", "教育部", "自然科学基金委")
    city = plans["city-2025-work-points"]
    assert len(city.items) == 10 and [len(p.sections) for p in city.parts] == [0, 3, 0]


def test_default_is_the_latest_national_plan_and_says_so(multi) -> None:
    _settings, bot = multi
    ans = bot.answer("教育部负责哪些工作")
    assert sources(ans) == {"national-2021-work-points"}
    assert "《2021年全民科学素质行动工作要点》" in ans.answer
    assert {c.item for c in ans.citations if "各成员单位" not in c.units} == {3, 4, 5}


def test_a_year_selects_its_plan_and_2020_answers_stay_the_same(multi, bot) -> None:
    _settings, multi_bot = multi
    for q in (
        "教育部负责哪些工作？",
        "第32条由哪个单位负责？",
        "农民科学素质行动有哪些工作？",
        "这个文件是谁转发的",
    ):
        named = multi_bot.answer(f"2020年{q}")
        alone = bot.answer(q)  # the shipped knowledge base, where 2020 is the only plan
        assert sources(named) == {"2020-work-points"}
        assert named.answer == alone.answer
        assert [c.item for c in named.citations] == [c.item for c in alone.citations]
    ans = multi_bot.answer("2020年教育部负责哪些工作")
    expected = {n for n, us in UNITS_2020.items() if "教育部" in us}
    assert {c.item for c in ans.citations if "各成员单位" not in c.units} == expected


def test_city_plan_units_resolve_within_the_plan(multi) -> None:
    _settings, bot = multi
    ans = bot.answer("某市的工作要点里教育局负责哪些工作")
    assert sources(ans) == {"city-2025-work-points"}
    assert {c.item for c in ans.citations if "各成员单位" not in c.units} == {3, 4}
    assert "市教育局" in ans.answer and "教育部" not in ans.answer
    kx = bot.answer("某市科协负责哪些工作")
    assert "市科协" in kx.answer and "中国科协" not in kx.answer
    assert sources(kx) == {"city-2025-work-points"}
    assert "共10条" in bot.answer("2025年某市工作要点一共多少条").answer
    item = bot.answer("某市工作要点第7条谁负责")
    assert item.citations[0].units == ["市民政局", "市卫生健康委", "市公安局", "市科协"]


def test_counts_items_and_missing_years(multi) -> None:
    _settings, bot = multi
    assert "共8条" in bot.answer("2021年工作要点一共几条").answer
    ans = bot.answer("2021年第3条谁负责")
    assert sources(ans) == {"national-2021-work-points"} and ans.citations[0].units == ["教育部"]
    missing = bot.answer("2023年的工作要点有哪些")
    assert missing.mode == "refusal" and "2023" in missing.answer and "2020、2021、2025" in missing.answer


def test_compare_two_years_for_a_unit(multi) -> None:
    _settings, bot = multi
    ans = bot.answer("2020年和2021年教育部的任务有什么变化")
    assert ans.mode == "structured" and ans.route == "compare"
    assert sources(ans) == {"2020-work-points", "national-2021-work-points"}
    assert "2021年第5条" in ans.answer.split("不再列出")[0]  # new in 2021
    assert "2020年第9条 → 2021年第3条" in ans.answer  # stayed
    assert "2020年第28条" in ans.answer.split("不再列出")[1].split("延续")[0]  # dropped


def test_free_questions_naming_a_plan_quote_only_that_plan(multi) -> None:
    _settings, bot = multi
    ans = bot.answer("2021年科学家进校园是什么")
    assert ans.mode == "extractive" and sources(ans) == {"national-2021-work-points"}


def test_api_plan_selector(multi, embedder) -> None:
    settings, _bot = multi
    with (
        serve(settings.model_copy(update={"rate_limit": "10000/minute"}), embedder) as url,
        httpx.Client(base_url=url) as c,
    ):
        plans = c.get("/api/plans").json()
        assert plans["default"] == "national-2021-work-points" and len(plans["plans"]) == 3
        city = c.get("/api/units/教育局", params={"plan": "city-2025-work-points"}).json()
        assert city["unit"]["name"] == "市教育局" and [i["number"] for i in city["items"]] == [3, 4]
        assert c.get("/api/units/市教育局").status_code == 404  # not a unit of the default plan
        y2020 = c.get("/api/units/教育部", params={"plan": "2020"}).json()
        assert y2020["plan"]["source_id"] == "2020-work-points"
        csv = c.get("/api/export/matrix.csv", params={"plan": "national-2021-work-points"})
        assert (
            csv.content.decode("utf-8-sig").splitlines()[0]
            == "计划,2021年全民科学素质行动工作要点,national-2021-work-points"
        )
        assert c.get("/api/items", params={"plan": "nope"}).status_code == 404
