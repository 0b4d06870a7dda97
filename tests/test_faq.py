"""Approved Q&A pairs (issue 15): the three file formats and their Chinese headers, the gate row by row,
stable ids, expiry on an injectable day, and answering — verbatim, cited, never for a negative
question, beating a passage, never rewritten by a model. Over the real path: files on disk, a real
ingest into Chroma with the e5 model, the real Bot."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from kepu.answering import faq as faq_module
from kepu.answering.faq import FAQ_EMERGENCY_MIN_SIM, FAQ_MIN_SIM, FaqMatcher, plain
from kepu.answering.safety import DOCTOR_LINE, EMERGENCY_LINE
from kepu.config import Settings
from kepu.ingest.faq import load_faq
from kepu.ingest.pipeline import ingest
from kepu.kb.embedders import Embedder
from kepu.kb.types import FaqPair
from kepu.service.startup import load_bot
from tests.conftest import admin_login

KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
TODAY = dt.date(2026, 12, 5)
REVIEWED = {"status": "approved", "reviewed_by": "测试审核人", "approved_at": "2026-12-01"}

REGISTER = {
    "question": "青少年科技创新大赛怎么报名？",
    "similar": ["娃想参加科技创新大赛咋报名", "科技创新大赛在哪报名"],
    "negative": ["青少年科技创新大赛是哪个单位负责的"],
    "answer": "测试答案：请关注当地科协和教育部门发布的比赛通知，按通知通过学校报名。",
    "basis": "第10条",
    **REVIEWED,
}
DOG = {
    "question": "被狗咬伤以后伤口要冲洗多久？",
    # "狗咬的伤口": a bite asked about, not one just suffered ("狗咬了……" is an emergency: 120 first)
    "similar": ["狗咬的伤口冲多长时间"],
    "answer": "测试答案：用肥皂水和流动清水交替冲洗伤口约15分钟。",
    "basis": "rabies-dog-bite",
    **REVIEWED,
}


def write_yaml(path: Path, pairs: list[dict]) -> Path:  # type: ignore[type-arg]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"pairs": pairs}, allow_unicode=True), encoding="utf-8")
    return path


# --- files and the gate (no model) -------------------------------------------------------------


def test_a_csv_with_chinese_headers_splits_similar_questions_on_bars_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "问答.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["问题", "相似问法", "负向问法", "答案", "依据", "状态", "审核人", "审核日期", "有效期至"])
        w.writerow(
            [
                "中暑了怎么办",
                "中暑咋整|热晕了怎么办\n天太热人晕倒了",
                "中暑会传染吗",
                "测试答案",
                "heatstroke",
            ]
            + ["approved", "测试审核人", "2026-12-01", "2027-06-30"]
        )
    loaded = load_faq(path, "问答", TODAY)
    assert loaded.read == 1 and not loaded.rejected
    (pair,) = loaded.pairs
    assert pair.similar == ("中暑咋整", "热晕了怎么办", "天太热人晕倒了")
    assert pair.negative == ("中暑会传染吗",) and pair.expires == "2027-06-30" and pair.basis == "heatstroke"
    assert pair.pair_id.startswith("问答#")


def test_an_xlsx_sheet_with_a_title_line_above_the_header(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["科普标准问答（示例）"])
    sheet.append(["问题", "相似问法", "答案", "依据", "状态", "审核人", "审核日期"])
    sheet.append(
        [
            "科技馆免费开放吗",
            "科技馆要不要门票",
            "测试答案",
            "第32条",
            "approved",
            "测试审核人",
            dt.datetime(2026, 12, 1),
        ]
    )
    sheet.append([None, None, None, None, None, None, None])  # an empty row is no row
    sheet.append(["草稿问题", None, "测试答案", "第1条", "draft", None, None])
    path = tmp_path / "场馆.xlsx"
    book.save(path)
    loaded = load_faq(path, "场馆", TODAY)
    assert loaded.read == 2 and loaded.drafts == 1 and not loaded.rejected
    (pair,) = loaded.pairs
    assert (pair.question, pair.row, pair.approved_at) == ("科技馆免费开放吗", 3, "2026-12-01")


def test_bad_rows_are_rejected_naming_the_row_and_field_and_the_others_go_on(tmp_path: Path) -> None:
    rows = [
        dict(REGISTER),
        {**DOG, "approved_at": "明年"},
        {**DOG, "question": "另一个问题", "reviewed_by": ""},
        {**DOG, "question": "第三个问题", "status": "ok"},
        {**DOG, "question": "第四个问题", "colour": "红"},
    ]
    loaded = load_faq(write_yaml(tmp_path / "faq.yaml", rows), "faq", TODAY)
    assert loaded.read == 5 and len(loaded.pairs) == 1
    reasons = [r for _, r in loaded.rejected]
    assert reasons[0].startswith("第2行 字段 approved_at（审核日期）") and "YYYY-MM-DD" in reasons[0]
    assert reasons[1].startswith("第3行 字段 reviewed_by（审核人）：不能为空")
    assert reasons[2].startswith("第4行 字段 status（状态）") and "approved" in reasons[2]
    assert reasons[3].startswith("第5行 字段 colour")
    assert loaded.summary() == "问答对：读取 5 行，收录 1，拒绝 4"


def test_ids_are_stable_when_rows_move_and_an_explicit_id_wins(tmp_path: Path) -> None:
    first = load_faq(write_yaml(tmp_path / "a.yaml", [REGISTER, DOG]), "a", TODAY).pairs
    moved = load_faq(write_yaml(tmp_path / "a.yaml", [DOG, REGISTER]), "a", TODAY).pairs
    assert {p.question: p.pair_id for p in first} == {p.question: p.pair_id for p in moved}
    named = load_faq(write_yaml(tmp_path / "a.yaml", [{**DOG, "id": "dog-wash"}]), "a", TODAY).pairs
    assert named[0].pair_id == "a#dog-wash"


def test_expiry_is_inclusive_of_its_day(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "f.yaml", [{**DOG, "expires": "2026-12-06"}])
    assert len(load_faq(path, "f", dt.date(2026, 12, 6)).pairs) == 1  # its last day
    later = load_faq(path, "f", dt.date(2026, 12, 7))
    assert not later.pairs and later.expired == [(1, DOG["question"])]


def test_a_yaml_file_without_pairs_is_rejected_as_a_whole(tmp_path: Path) -> None:
    from kepu.ingest.errors import FileRejected

    path = tmp_path / "bad.yaml"
    path.write_text("question: 只有一个问题\n", encoding="utf-8")
    with pytest.raises(FileRejected, match="pairs"):
        load_faq(path, "bad", TODAY)


def test_plain_drops_punctuation_spaces_and_final_particles() -> None:
    assert plain("科技馆 免费开放吗？") == plain("科技馆免费开放") == "科技馆免费开放"


def _pair(question: str, similar: tuple[str, ...], answer: str) -> FaqPair:
    return FaqPair("t#1", "t", 1, question, similar, (), answer, "", "测试审核人", "2026-12-01")


def _matcher(pairs: list[FaqPair], **rules) -> FaqMatcher:  # type: ignore[no-untyped-def]
    """A matcher whose concept, attribute and unit checks always agree: only its own rules decide, and
    ``rules`` (names_something, quoted, given_numbers) given by the test."""
    return FaqMatcher(
        pairs,
        None,
        Path("unused"),
        lambda q: None,
        lambda q, t, b: True,
        lambda q: None,
        lambda t: set(),  # type: ignore[arg-type]
        **rules,
    )


CHILD_PILLS = _pair("孩子误吃了药或误喝了消毒水怎么办？", ("小孩误吃大人的药怎么处理",), "立即拨打120。")
STOP_PILLS = _pair("吃降压药血压降到正常了，能停药吗？", (), "不能擅自停药。")
CARE_HOMES = _pair(
    "工作要点对依托敬老院、幸福院开展科普是怎么安排的？", (), "依托农村养老服务机构开展科普宣传。"
)


def test_a_pair_for_a_child_does_not_answer_for_an_old_person() -> None:
    """Who a pair is for is what its own question says: 大人 in a similar question (小孩误吃大人的药)
    does not make the child pair one for adults; 老人 is an adult."""
    assert not FaqMatcher.same_people("老人把两顿的降压药一次吃了怎么办？", CHILD_PILLS)
    assert FaqMatcher.same_people("孩子把奶奶的降压药吃了两片怎么办", CHILD_PILLS)
    assert FaqMatcher.same_people("误吃了药怎么办", CHILD_PILLS)  # says no one: the pair may answer
    # saving oneself is not what a pair on helping someone says
    choking = _pair("大人吃东西噎住、说不出话怎么办？", (), "立即让旁边的人拨打120，站在他身后抱住腰。")
    assert not FaqMatcher.same_people("一个人在家吃东西噎住了，旁边没人，自己咋救自己？", choking)
    assert FaqMatcher.same_people("俺爹吃东西噎住了咋救", choking)


def test_a_pair_on_the_country_does_not_answer_for_the_town() -> None:
    assert not FaqMatcher.same_place("城里的养老院要不要给老人开展消防科普？", CARE_HOMES)
    assert FaqMatcher.same_place("俺们村的敬老院搞啥科普", CARE_HOMES)
    assert FaqMatcher.same_place("从城里回村里搞养殖能不能参加", CARE_HOMES)  # says both
    assert FaqMatcher.same_place("敬老院开展哪些科普", CARE_HOMES)


def test_a_how_to_question_needs_a_pair_that_asks_what_to_do(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    matcher = _matcher([STOP_PILLS, CARE_HOMES])
    overdose = "老人把两顿的降压药一次吃了怎么办？"
    assert not matcher.agrees(overdose, STOP_PILLS)
    assert matcher.agrees("血压正常了降压药能不能停", STOP_PILLS)
    # which time of day asks a time the pair does not give, and so does 哪个月
    assert not matcher.agrees("降压药早上吃好还是晚上吃好？", STOP_PILLS)
    assert not matcher.agrees("敬老院的消防科普宣传一般安排在哪个月搞？", CARE_HOMES)
    monkeypatch.setattr(faq_module, "FAQ_HOW_TO", False)
    assert matcher.agrees(overdose, STOP_PILLS)


def test_a_pair_need_not_write_the_verbs_a_question_uses(e5_bot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """服用 (for 吃) is not in the pair; the things (降压药, 血压) are (FAQ_NOUNS_ONLY). A thing the pair
    lacks still keeps it out (感冒 is not 拉肚子), and so does sharing no concept at all."""
    import kepu.answering.bot as answer_module

    text = STOP_PILLS.question + STOP_PILLS.answer
    asked = "服用降压药后血压已经达标，可以自己把药停掉吗？"
    assert e5_bot._pair_addresses(asked, text)
    assert not e5_bot._pair_addresses("拉肚子要不要吃抗生素？", "感冒了要不要吃抗生素？不要。")
    assert not e5_bot._pair_addresses("服用阿莫西林", text)
    # a person the pair does not name may go unmatched (报考者); a symptom may not (头晕)
    assert e5_bot._pair_addresses("报考者吃降压药血压正常了能停药吗", text)
    assert not e5_bot._pair_addresses("头晕的人吃降压药血压正常了能停药吗", text)
    monkeypatch.setattr(answer_module, "FAQ_NOUNS_ONLY", False)
    assert not e5_bot._pair_addresses(asked, text)


def test_a_pair_need_not_name_where_it_happened_nor_the_symptoms_of_its_illness(e5_bot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A place (村头: FAQ_PLACES) may go unmatched, not a city by name (深圳); the symptoms of an
    illness the pair covers may (FAQ_ILLNESS_SYMPTOMS), not symptoms alone."""
    import kepu.answering.bot as answer_module

    station = "科普中国e站转型升级是哪条？第26条提出推动科普中国e站等基层科普阵地转型升级。"
    assert e5_bot._pair_addresses("管着村头那个科普中国e站，要转型升级是哪条说的", station)
    assert not e5_bot._pair_addresses("深圳的科普中国e站要转型升级是哪条说的", station)
    cold = "感冒了要不要吃抗生素？普通感冒大多是病毒引起的，一般不需要吃抗生素。"
    assert e5_bot._pair_addresses("感冒了嗓子疼流鼻涕要不要吃点抗生素", cold)
    assert not e5_bot._pair_addresses("嗓子疼流鼻涕要不要吃点抗生素", cold)
    monkeypatch.setattr(answer_module, "FAQ_PLACES", False)
    assert not e5_bot._pair_addresses("管着村头那个科普中国e站，要转型升级是哪条说的", station)
    monkeypatch.setattr(answer_module, "FAQ_ILLNESS_SYMPTOMS", False)
    assert not e5_bot._pair_addresses("感冒了嗓子疼流鼻涕要不要吃点抗生素", cold)


def test_a_health_pair_need_not_name_the_institution_a_question_mentions(e5_bot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """For a pair whose basis is a health article, 药店 is where it happens (FAQ_HEALTH_INSTITUTIONS);
    for a plan pair an institution is what the question is about."""
    import kepu.answering.bot as answer_module

    cold = "感冒了要不要吃抗生素？普通感冒大多是病毒引起的，一般不需要吃抗生素。"
    asked = "伤风了想去药店买点抗生素吃中不中"
    assert e5_bot._pair_addresses(asked, cold, "antibiotics")
    assert not e5_bot._pair_addresses(asked, cold, "第23条")
    monkeypatch.setattr(answer_module, "FAQ_HEALTH_INSTITUTIONS", False)
    assert not e5_bot._pair_addresses(asked, cold, "antibiotics")


YEAR = _pair("全民科学素质行动工作要点是哪一年的？", ("这个工作要点是哪年的",), "是2020年的。")


def test_a_pair_on_which_year_answers_only_a_question_asking_a_time(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    matcher = _matcher([YEAR])
    assert matcher.agrees("这份工作要点针对的是哪个年度？", YEAR)
    assert not matcher.agrees("二零二零年全民科学素质工作总的要求是啥", YEAR)
    monkeypatch.setattr(faq_module, "FAQ_AMOUNT_BOTH_WAYS", False)
    assert matcher.agrees("二零二零年全民科学素质工作总的要求是啥", YEAR)


def test_a_phrase_quoted_from_the_library_must_be_in_the_pair(e5_bot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A run of FAQ_QUOTE_MIN_CHARS characters or more shared with the library names what a question
    asks about; a shorter one, or a title (《…》, a plan's), does not."""
    quoted = e5_bot._quoted_phrases
    assert quoted("推动建立世界公众科学素质促进组织这件事，工作要点里是怎么说的") == (
        "推动建立世界公众科学素质促进组织",
    )
    assert quoted("全民科学素质行动工作要点是哪一年的") == ()  # the plan's title
    phrase = quoted("推动建立世界公众科学素质促进组织")[0]
    monkeypatch.setattr(faq_module, "FAQ_QUOTE_MIN_CHARS", len(phrase))
    assert quoted(phrase) == (phrase,)
    monkeypatch.setattr(faq_module, "FAQ_QUOTE_MIN_CHARS", len(phrase) + 1)
    assert quoted(phrase) == ()
    monkeypatch.undo()
    overall = _pair(
        "2020年全民科学素质工作的总体要求是什么？", (), "坚持目标、问题、效果导向，建设世界科技强国。"
    )
    matcher = _matcher([overall], quoted=e5_bot._quoted_phrases)
    assert not matcher.agrees("推动建立世界公众科学素质促进组织这件事，工作要点里是怎么说的", overall)
    assert matcher.agrees("2020年全民科学素质工作总的要求是啥", overall)


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("让狗咬了一口，出了点血，抹点草木灰就行不？", ["抹点草木灰就行不"]),
        ("他胸口疼得厉害，我是不是该给他吃点止疼药啊", ["我是不是该给他吃点止疼药啊"]),
        ("蛇咬的不是毒蛇，现在也没什么感觉，还要去医院吗", ["还要去医院吗"]),
        ("烫伤了，家里有酱油，用不用抹一点", ["家里有酱油用不用抹一点"]),
        ("被蛇咬了怎么办", []),  # asks what to do, not whether to do one thing
    ],
)
def test_the_clauses_that_ask_whether_to_do_something(question: str, asked: list[str]) -> None:
    matcher = _matcher(
        [], names_something=lambda text: any(w in text for w in ("草木灰", "止疼药", "医院", "酱油"))
    )
    assert matcher.asked_whether(question) == asked


def test_the_plans_own_year_need_not_be_in_a_pair() -> None:
    """With one plan served, its year (2020) is what every question is about; another year is not."""
    survey = _pair("中国公民科学素质调查是第几次？", (), "开展第十一次中国公民科学素质调查。")
    plain_matcher = _matcher([survey])
    given = _matcher([survey], given_numbers=frozenset({"2020"}))
    asked = "2020年搞的中国公民科学素质调查是第几次"
    assert given.agrees(asked, survey) and not plain_matcher.agrees(asked, survey)
    assert not given.agrees("2021年搞的中国公民科学素质调查是第几次", survey)


def test_several_is_not_asking_how_many() -> None:
    assert faq_module.AMOUNT_RE.search("被狗咬了要打几针") and faq_module.AMOUNT_RE.search("要修满几个学分")
    assert not faq_module.AMOUNT_RE.search("烫得起了好几个水泡") and not faq_module.AMOUNT_RE.search(
        "来了十几个人"
    )


# --- answering (e5, real ingest) ---------------------------------------------------------------


@pytest.fixture
def faq_settings(tmp_path: Path, shared_cache: Path) -> Settings:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE / "plan", knowledge / "plan")
    shutil.copy(KNOWLEDGE / "units.yaml", knowledge / "units.yaml")
    for name in ("rabies-dog-bite.md", "heatstroke.md"):
        (knowledge / "science").mkdir(exist_ok=True)
        shutil.copy(KNOWLEDGE / "science" / name, knowledge / "science" / name)
    write_yaml(knowledge / "faq" / "test-faq.yaml", [{**REGISTER, "expires": "2026-12-06"}, DOG])
    return Settings(data_dir=tmp_path / "data", knowledge_dir=knowledge, embedding_cache_dir=shared_cache)


def test_a_pair_answers_verbatim_cited_and_beats_a_passage(
    faq_settings: Settings, e5_embedder: Embedder
) -> None:
    report = ingest(faq_settings, e5_embedder, today=TODAY)
    assert report.ok and report.faq_pairs == 2 and report.to_dict()["faq"]["accepted"] == 2
    bot = bot_on(TODAY, faq_settings, e5_embedder)
    ans = bot.answer("狗咬的伤口冲多长时间")  # the article addresses it too: the pair wins
    assert ans.mode == "faq" and ans.route == "faq"
    assert ans.answer.startswith(DOG["answer"]) and ans.answer.endswith(DOCTOR_LINE)  # a health answer
    (cite,) = ans.citations
    assert (cite.kind, cite.title, cite.basis) == ("faq", DOG["question"], "rabies-dog-bite")
    assert cite.source_id.startswith("test-faq#")
    out = bot.answer("娃想参加科技创新大赛咋报名").to_dict()
    assert out["mode"] == "faq" and out["citations"][0]["kind"] == "faq" and out["citations"][0]["item"] == 10


def test_a_negative_question_is_never_answered_by_the_pair(
    faq_settings: Settings, e5_embedder: Embedder
) -> None:
    bot = ingested_bot(faq_settings, e5_embedder)
    ans = bot.answer("青少年科技创新大赛是哪个单位负责的")
    assert ans.mode != "faq" and "第10条" in ans.answer  # the plan answers it exactly


def test_a_pair_that_expires_tomorrow_is_served_today_and_not_after_the_next_days_ingest(
    faq_settings: Settings, e5_embedder: Embedder
) -> None:
    ingest(faq_settings, e5_embedder, today=TODAY)
    bot = load_bot(faq_settings, e5_embedder)
    bot.faq.today = lambda: TODAY
    assert bot.answer("青少年科技创新大赛怎么报名").mode == "faq"
    bot.faq.today = lambda: dt.date(2026, 12, 7)  # past its date, not yet re-ingested: not served
    assert bot.answer("青少年科技创新大赛怎么报名").mode != "faq"
    report = ingest(faq_settings, e5_embedder, today=dt.date(2026, 12, 7))
    assert report.faq_pairs == 1 and [r.message for r in report.by_status("expired")] == [
        "第1行“青少年科技创新大赛怎么报名？”已过期，未收录"
    ]
    assert len(load_bot(faq_settings, e5_embedder).faq.pairs) == 1
    # the day after: nothing changed, so no new version
    again = ingest(faq_settings, e5_embedder, today=dt.date(2026, 12, 8))
    assert not again.changed


def test_an_expired_article_leaves_the_index_at_the_next_ingest(
    faq_settings: Settings, e5_embedder: Embedder
) -> None:
    path = faq_settings.knowledge_dir / "science" / "heatstroke.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("status: approved", "status: approved\nexpires: 2026-12-06", 1), encoding="utf-8"
    )
    assert "heatstroke" in load_bot_after(faq_settings, e5_embedder, TODAY).kb.by_source
    report = ingest(faq_settings, e5_embedder, today=dt.date(2026, 12, 7))
    (expired,) = [r for r in report.by_status("expired") if r.source_id == "heatstroke"]
    assert "已过期（有效期至 2026-12-06）" in expired.message
    assert "heatstroke" not in load_bot(faq_settings, e5_embedder).kb.by_source
    assert not ingest(faq_settings, e5_embedder, today=dt.date(2026, 12, 8)).changed


def bot_on(today: dt.date, settings: Settings, embedder: Embedder):  # type: ignore[no-untyped-def]
    """A bot whose clock reads ``today``: a pair's expiry is checked against it, not the machine's
    date (a pair expiring 2026-12-06 made these tests fail from 2026-12-07 on)."""
    bot = load_bot(settings, embedder)
    bot.faq.today = lambda: today
    return bot


def ingested_bot(settings: Settings, embedder: Embedder):  # type: ignore[no-untyped-def]
    """The knowledge ingested on TODAY and a bot whose clock reads TODAY."""
    ingest(settings, embedder, today=TODAY)
    return bot_on(TODAY, settings, embedder)


def load_bot_after(settings: Settings, embedder: Embedder, today: dt.date):  # type: ignore[no-untyped-def]
    ingest(settings, embedder, today=today)
    return load_bot(settings, embedder)


def test_a_model_never_rewrites_a_pair(faq_settings: Settings, e5_embedder: Embedder) -> None:
    """With a model configured (the local OpenAI-compatible stand-in, through the real client), a
    pair's answer is given as written and the model is not even asked."""
    from tests.support.http_server import serve_app
    from tests.support.llm_standin import standin_llm

    ingest(faq_settings, e5_embedder, today=TODAY)
    app = standin_llm()
    app.state.mode = "good"
    with serve_app(app) as url:
        settings = faq_settings.model_copy(update={"llm_base_url": url + "/v1", "llm_model": "stand-in"})
        bot = bot_on(TODAY, settings, e5_embedder)
        assert bot.generator is not None
        ans = bot.answer("狗咬的伤口冲多长时间")
        assert ans.mode == "faq" and ans.answer.startswith(DOG["answer"])
        assert app.state.requests == []
        assert bot.answer("中暑了怎么办").mode == "generative"  # the model is live for passages


def test_the_similarity_boundary(faq_settings: Settings, e5_embedder: Embedder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A paraphrase is answered at FAQ_MIN_SIM and not when the threshold is just above its score."""
    bot = ingested_bot(faq_settings, e5_embedder)
    match = bot.faq.match("科技创新大赛到哪里去报名")
    assert match is not None and FAQ_MIN_SIM <= match.score < 1.0
    monkeypatch.setattr(faq_module, "FAQ_MIN_SIM", match.score + 1e-6)
    assert bot.faq.match("科技创新大赛到哪里去报名") is None


def test_sources_show_the_reviewer_and_list_what_is_due(
    faq_settings: Settings, e5_embedder: Embedder
) -> None:
    """`kepu sources` says what the metadata says about review (never a bare "已审核"), and `--due`
    lists what must be reviewed or expires within 30 days: here the pair that expires tomorrow."""
    from kepu.kb.catalog import open_catalog
    from kepu.kb.sources import due_report, sources_report, sources_text

    ingest(faq_settings, e5_embedder, today=TODAY)
    catalog = open_catalog(faq_settings)
    manifest = catalog.load_manifest(catalog.current_version())  # type: ignore[arg-type]
    text = sources_text(sources_report(manifest))
    assert "已审核" not in text and "审核人：示例材料，未经专业机构审核" in text
    assert "test-faq.yaml（2 对）" in text
    due = due_report(manifest, TODAY)
    assert [(r["kind"], r["title"], r["label"], r["date"]) for r in due] == [
        ("faq", REGISTER["question"], "到期", "2026-12-06")
    ]
    assert due_report(manifest, TODAY - dt.timedelta(days=31)) == []  # 32 days ahead: not yet due


def test_the_dashboard_lists_what_is_due(faq_settings: Settings, e5_embedder: Embedder) -> None:
    """/admin shows the same list as `kepu sources --due`: the pair that expires on 2026-12-06 (past
    dates stay listed, so the test holds on any day it runs)."""
    from fastapi.testclient import TestClient

    from kepu.channels.app import create_app

    ingest(faq_settings, e5_embedder, today=TODAY)
    token = "due-dashboard-token-0123456789"
    app = create_app(faq_settings.model_copy(update={"admin_token": token}), e5_embedder)
    with TestClient(app) as c:
        page = admin_login(c, {"token": token}, follow_redirects=True).text
    section = page[page.index('id="due"') : page.index("</table>", page.index('id="due"'))]
    assert "30 天内需要复审或到期的材料" in section
    assert "2026-12-06" in section and "到期" in section and "标准问答" in section
    assert REGISTER["question"] in section and DOG["question"] not in section


BITE = {
    "question": "被狗咬伤了怎么办？",
    "similar": ["被狗咬了咋办"],
    "negative": ["被狗咬了要打几针狂犬疫苗"],
    "answer": "测试答案：用肥皂水和流动清水交替冲洗伤口约15分钟，尽快去打狂犬疫苗。不要涂牙膏、草木灰。",
    "basis": "rabies-dog-bite",
    **REVIEWED,
}


def test_an_emergency_gets_120_first_then_the_pair_written_for_it(
    faq_settings: Settings, e5_embedder: Embedder, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A recognised emergency (a dog bite) is answered 120 first, then the pair whose basis is the
    situation's first-aid article, at FAQ_EMERGENCY_MIN_SIM and not just above the question's score;
    a question that does not ask what to do gets no pair."""
    write_yaml(faq_settings.knowledge_dir / "faq" / "bite.yaml", [BITE])
    bot = ingested_bot(faq_settings, e5_embedder)
    question = "在村口让野狗咬了腿咋整"
    ans = bot.answer(question)
    assert ans.emergency and ans.mode == "faq" and ans.citations[0].title == BITE["question"]
    assert ans.answer == f"{EMERGENCY_LINE}\n{BITE['answer']}"  # 120 first; no doctor line after it
    match = bot.faq.match_emergency(bot.people(question), "rabies-dog-bite")
    assert match is not None and FAQ_EMERGENCY_MIN_SIM <= match.score < 1.0
    monkeypatch.setattr(faq_module, "FAQ_EMERGENCY_MIN_SIM", match.score + 1e-6)
    steps = bot.answer(question)  # the article's steps instead, still 120 first
    assert (
        steps.mode == "extractive" and steps.route == "emergency" and steps.answer.startswith(EMERGENCY_LINE)
    )
    monkeypatch.undo()
    shots = bot.answer("让狗咬了血流不止要打几针狂犬疫苗")
    assert shots.emergency and shots.mode != "faq"


def test_in_an_emergency_a_question_whether_to_do_something_gets_the_pair_only_if_it_names_it(
    faq_settings: Settings, e5_embedder: Embedder, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """ "要不要抹点牙膏" after a dog bite: the pair for the situation says 不要涂牙膏, so it answers
    (FAQ_EMERGENCY_YES_NO); a clause that names nothing is read with the one before it; a thing the
    pair does not name (破伤风) gets the article's steps, 120 first either way."""
    write_yaml(faq_settings.knowledge_dir / "faq" / "bite.yaml", [BITE])
    bot = ingested_bot(faq_settings, e5_embedder)
    paste = "让狗咬了一口，要不要抹点牙膏"
    assert bot.faq.asked_whether(bot.people(paste)) == ["要不要抹点牙膏"]
    ans = bot.answer(paste)
    assert ans.emergency and ans.mode == "faq" and ans.answer.startswith(EMERGENCY_LINE)
    later = bot.answer("让狗咬了，家里有牙膏，要不要给他抹一点")
    assert later.emergency and later.mode == "faq"
    tetanus = bot.answer("让狗咬了一口，要不要打破伤风针")
    assert tetanus.emergency and tetanus.mode == "extractive" and tetanus.answer.startswith(EMERGENCY_LINE)
    monkeypatch.setattr(faq_module, "FAQ_EMERGENCY_YES_NO", False)
    assert bot.answer(paste).mode == "extractive"


BURN = {
    "question": "被开水或热油烫伤了怎么办？",
    "similar": ["开水烫了手咋办"],
    "answer": "测试答案：立即用流动的凉水冲伤处15到20分钟，不要抹酱油。",
    "basis": "burns",
    **REVIEWED,
}


def test_in_an_emergency_a_chemical_the_pair_does_not_name_gets_the_articles_steps(
    faq_settings: Settings, e5_embedder: Embedder, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A scald gets the pair on scalds; 硫酸 on the hand is a chemical burn the pair does not name
    (CHEMICAL_RE): 120 first, then the burns article's steps, which say to rinse chemicals long."""
    shutil.copy(KNOWLEDGE / "science" / "burns.md", faq_settings.knowledge_dir / "science" / "burns.md")
    write_yaml(faq_settings.knowledge_dir / "faq" / "burn.yaml", [BURN])
    bot = ingested_bot(faq_settings, e5_embedder)
    scald = bot.answer("手让开水烫了咋办")
    assert scald.emergency and scald.mode == "faq"
    acid = "干活时手上溅到了硫酸，烧伤了咋办"
    steps = bot.answer(acid)
    assert steps.emergency and steps.mode == "extractive" and "化学品" in steps.answer
    monkeypatch.setattr(faq_module, "CHEMICAL_RE", re.compile("(?!)"))
    assert bot.faq.match_emergency(bot.people(acid), "burns") is not None  # the rule is what stops it
