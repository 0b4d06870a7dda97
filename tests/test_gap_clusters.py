"""Gaps grouped by meaning (issue 16, part 2): the unanswered and 👎 questions in groups with a typical
wording, counts, first/last seen, the nearest material and whether the library knows the words."""

from __future__ import annotations

import datetime as dt
import math

import httpx
import numpy as np
import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from kepu.config import Settings
from kepu.insights.clusters import CLUSTER_MIN_SIM, cluster_gaps
from kepu.insights.models import Asked, Base, Flagged
from tests.conftest import admin_login
from tests.support.http_server import serve

T0 = dt.datetime(2026, 12, 1, 8, 0)


def _row(
    question: str,
    minutes: int = 0,
    refused: bool = True,
    feedback: int | None = None,
    start: dt.datetime = T0,
) -> Asked:
    return Asked(
        answer_id=f"{question}-{minutes}",
        at=start + dt.timedelta(minutes=minutes),
        channel="web",
        question=question,
        question_key=question,
        topic="",
        mode="refusal" if refused else "extractive",
        route="",
        latency_ms=1.0,
        refused=refused,
        feedback=feedback,
    )


def _at_angle(cos: float) -> np.ndarray:
    return np.array([cos, math.sqrt(max(0.0, 1 - cos * cos)), 0.0])


def test_questions_join_a_group_at_the_threshold_and_not_below() -> None:
    vectors = {
        "甲": np.array([1.0, 0.0, 0.0]),
        "甲的说法": _at_angle(CLUSTER_MIN_SIM + 1e-6),  # just at the threshold: same meaning
        "乙": np.array([CLUSTER_MIN_SIM - 1e-3, 0.0, math.sqrt(1 - (CLUSTER_MIN_SIM - 1e-3) ** 2)]),  # below
        "答了": np.array([1.0, 0.0, 0.0]),
    }
    rows = [_row("甲", 0), _row("甲", 5), _row("甲的说法", 10, refused=False, feedback=-1), _row("乙", 20)]
    rows.append(_row("答了", 30, refused=False, feedback=1))  # answered and liked: not a gap
    groups = cluster_gaps(rows, lambda q: vectors[q])
    assert [(g.questions, g.count, g.refused, g.disliked) for g in groups] == [
        (["甲", "甲的说法"], 3, 2, 1),
        (["乙"], 1, 1, 0),
    ]
    assert groups[0].first == T0 and groups[0].last == T0 + dt.timedelta(minutes=10)
    assert cluster_gaps([_row("答了", refused=False)], lambda q: vectors[q]) == []


def test_the_typical_wording_is_the_one_closest_to_the_others() -> None:
    vectors = {"中": np.array([1.0, 0.0, 0.0]), "左": _at_angle(0.97), "右": np.array([0.97, -0.243, 0.0])}
    rows = [_row("左", 0), _row("左", 1), _row("中", 2), _row("右", 3)]  # 左 is asked most, 中 is central
    (group,) = cluster_gaps(rows, lambda q: vectors[q], min_sim=0.85)
    assert group.typical == "中" and group.questions[0] == "左"


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory, e5_ingested, e5_settings: Settings, e5_embedder):
    db = tmp_path_factory.mktemp("gaps") / "insights.sqlite"
    url = f"sqlite:///{db}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    start = dt.datetime.now() - dt.timedelta(hours=1)  # inside the dashboard's default 30 days
    questions = ["痛经疼得厉害咋缓解", "痛经疼得厉害咋缓解", "来月经肚子疼得厉害怎么缓解", "科技馆几点开门"]
    disliked = _row("狗咬了要不要打针", 9, refused=False, feedback=-1, start=start)
    disliked.sources, disliked.items = "rabies-dog-bite", "2020-work-points#32"
    thin = _row("流敢疫苗几月份打最好", 11, refused=False, start=start)
    thin.sources = "influenza"
    flag = Flagged(answer_id=thin.answer_id, at=thin.at, reason="出处没有讲到：流敢（按相近程度放行）")
    with Session(engine) as s, s.begin():
        s.add_all([_row(q, i, start=start) for i, q in enumerate(questions)] + [disliked, thin, flag])
    token = "gap-clusters-admin-token-0123456789"
    settings = e5_settings.model_copy(
        update={
            "database_url": url,
            "admin_token": token,
            "insights_enabled": False,
            "rate_limit": "10000/minute",
        }
    )
    with serve(settings, e5_embedder) as base, httpx.Client(base_url=base, timeout=60) as c:
        admin_login(c, {"token": token})
        yield c.get("/admin").text


def test_the_dashboard_groups_gaps_by_meaning_with_the_nearest_material(dashboard: str) -> None:
    listing = dashboard.split('id="gap-clusters-list"')[1].split("<h2")[0]
    rows = listing.split('class="panel gap-cluster"')[1:]
    assert len(rows) == 3  # the two wordings about period pain are one group; the 👎 answer is a gap too
    pain = next(r for r in rows if "痛经" in r)
    museum = next(r for r in rows if "科技馆几点开门" in r)
    assert "3 次" in pain and "来月经肚子疼得厉害怎么缓解" in pain  # 3 times, the other wording shown
    assert "相似度" in pain and "《" in pain  # the nearest article, with its cosine
    assert "科技馆几点开门" in museum and "工作要点第" in museum  # the plan item on 科技馆
    assert "先看最相近的材料" in museum  # the library knows 科技馆: a similar question may be the fix


def test_the_dashboard_shows_titles_hit_counts_and_answers_to_review(dashboard: str) -> None:
    review = dashboard.split('id="disliked"')[1].split("</table>")[0]
    assert "狗咬了要不要打针" in review and "被狗猫咬伤" in review  # the article's title, not rabies-dog-bite
    assert "《2020年全民科学素质行动工作要点》第32条" in review
    hits = dashboard.split('id="source_hits"')[1].split("</table>")[0]
    assert "<td>rabies-dog-bite</td><td>1</td>" in hits.replace("\n", "")
    assert hits.count("<td>0</td>") > 100  # every document of the index is listed, unused ones too
    cited = dashboard.split('id="cited"')[1].split("</table>")[0]
    assert "rabies-dog-bite" not in cited and "被狗猫咬伤" in cited


def test_answers_let_through_on_a_thin_margin_are_listed_for_review(dashboard: str) -> None:
    listed = dashboard.split('id="thin_margin"')[1].split("</table>")[0]
    assert "流敢疫苗几月份打最好" in listed and "出处没有讲到：流敢" in listed


def test_a_thin_margin_is_marked_on_the_answer_and_kept_out_of_its_json(e5_bot) -> None:
    ans = e5_bot.answer("流敢疫苗几月份打最好")  # a typo of 流感: answered from the flu article on closeness
    assert ans.mode == "extractive" and ans.review == "出处没有讲到：流敢（按相近程度放行）"
    assert "review" not in ans.to_dict()
    assert e5_bot.answer("流感疫苗几月份打最好").review == ""  # the article has every concept
