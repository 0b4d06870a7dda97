"""Answers over the real index: exact structured answers, cited extracts, refusals."""

from __future__ import annotations

import pytest

from kepu.kb.types import ALL_MEMBERS
from tests.conftest import plan_units_from_text, use_fake_embedder

# Routing and composing: the fake embedder (tests/support/fakes.py); tests of retrieval quality ask e5_bot.
pytestmark = pytest.mark.unit
use_fake_embedder(globals())

UNITS = plan_units_from_text()
ALL_UNIT_NAMES = sorted({u for units in UNITS.values() for u in units} - {ALL_MEMBERS})


def items_of(unit: str) -> set[int]:
    return {n for n, units in UNITS.items() if unit in units}


def named_items(ans) -> set[int]:
    return {c.item for c in ans.citations if ALL_MEMBERS not in c.units}


@pytest.mark.parametrize("unit", ALL_UNIT_NAMES)
def test_every_unit_gets_its_complete_item_list(bot, unit: str) -> None:
    ans = bot.answer(f"{unit}负责哪些工作？")
    assert ans.mode == "structured"
    assert named_items(ans) == items_of(unit)
    for n in items_of(unit):
        assert f"第{n}条" in ans.answer
    # items of all member units are listed separately and cited too
    assert {c.item for c in ans.citations if ALL_MEMBERS in c.units} == {1, 2, 5, 6, 8, 39, 40}
    assert "各成员单位" in ans.answer


@pytest.mark.parametrize(
    ("alias", "unit"),
    [
        ("卫健委", "卫生健康委"),
        ("国家卫生健康委员会", "卫生健康委"),
        ("中国科学技术协会", "中国科协"),
        ("中宣部", "中央宣传部"),
        ("团中央", "共青团中央"),
        ("人社部", "人力资源社会保障部"),
        ("应急管理部", "应急部"),
        ("中国科学院", "中科院"),
        ("衛健委", "卫生健康委"),
    ],
)
def test_units_under_their_aliases(bot, alias: str, unit: str) -> None:
    ans = bot.answer(f"{alias}有哪些任务")
    assert named_items(ans) == items_of(unit)
    public = bot.index.units.resolve(unit).public()
    assert ans.answer.startswith(public)  # named as people know it (卫健委), not by the official name
    assert all(unit in c.units for c in ans.citations if c.units != ["各成员单位"])  # the plan's name


@pytest.mark.parametrize("question", ["第32条由哪个单位负责？", "第三十二条是谁负责的", "32条哪些部门负责"])
def test_who_is_responsible_for_an_item(bot, question: str) -> None:
    ans = bot.answer(question)
    assert ans.mode == "structured"
    assert [c.item for c in ans.citations] == [32]
    assert ans.citations[0].units == ["中国科协", "财政部"]
    assert "中国科协" in ans.answer and "财政部" in ans.answer


def test_item_that_does_not_exist(bot) -> None:
    ans = bot.answer("第50条讲什么")
    assert ans.mode == "refusal" and not ans.citations
    assert "共42条" in ans.answer


def test_programme_responsibility(bot) -> None:
    ans = bot.answer("科学辟谣平台由哪些单位负责")
    assert ans.mode == "structured"
    assert [c.item for c in ans.citations] == [4]
    assert set(ans.citations[0].units) == set(UNITS[4])


def test_section_contents(bot) -> None:
    ans = bot.answer("农民科学素质行动有哪些工作")
    assert ans.mode == "structured"
    assert [c.item for c in ans.citations] == [14, 15, 16, 17, 18]


def test_counts_and_document_facts(bot) -> None:
    assert "共42条" in bot.answer("工作要点一共有多少条？").answer
    assert "纲要办发〔2020〕1号" in bot.answer("文号是多少").answer
    facts = bot.answer("这个文件是谁转发的")
    assert facts.mode == "structured"
    assert "广东省全民科学素质纲要实施工作办公室" in facts.answer and "2020年4月24日" in facts.answer


def test_unit_count(bot) -> None:
    ans = bot.answer("中国科协负责多少条")
    assert f"共{len(items_of('中国科协'))}条" in ans.answer


def test_two_units_together(bot) -> None:
    ans = bot.answer("教育部和卫健委共同负责哪些工作")
    both = items_of("教育部") & items_of("卫生健康委")
    assert named_items(ans) == both


def test_free_question_quotes_the_item(bot) -> None:
    ans = bot.answer("科学辟谣平台是什么？")
    assert ans.mode == "extractive"
    assert ans.citations[0].item == 4
    assert "科学辟谣平台" in ans.answer and "第4条" in ans.answer


def test_science_question_quotes_approved_article(bot) -> None:
    ans = bot.answer("中暑了该怎么预防")
    assert ans.mode == "extractive" and not ans.emergency
    assert ans.citations[0].source_id == "heatstroke"
    assert ans.citations[0].kind == "science"
    # quoted sentences come from the article itself
    from pathlib import Path

    from kepu.answering.safety import DOCTOR_LINE

    article = Path("knowledge/science/heatstroke.md").read_text(encoding="utf-8")
    *quoted, last = ans.answer.splitlines()[1:]
    assert quoted and all(line in article for line in quoted)
    assert last == DOCTOR_LINE


def test_a_bite_is_an_emergency_answered_with_the_helper_steps_in_order(bot) -> None:
    import re
    from pathlib import Path

    from kepu.answering.safety import DOCTOR_LINE, EMERGENCY_LINE

    ans = bot.answer("被狗咬了怎么办")
    assert ans.emergency and ans.answer.startswith(EMERGENCY_LINE)
    assert ans.citations[0].source_id == "rabies-dog-bite"
    article = Path("knowledge/science/rabies-dog-bite.md").read_text(encoding="utf-8")
    steps = [ln for ln in ans.answer.splitlines() if re.match(r"\d+\. ", ln)]
    assert [int(ln.split(".")[0]) for ln in steps] == list(range(1, len(steps) + 1))
    assert all(ln.split(". ", 1)[1] in article for ln in steps)
    assert DOCTOR_LINE not in ans.answer  # no "wait and see" under an emergency


def test_an_emergency_that_states_a_first_aid_myth_gets_120_the_verdict_then_the_steps(bot) -> None:
    from kepu.answering.safety import EMERGENCY_LINE

    ans = bot.answer("被蛇咬了要用嘴吸毒吗")
    first, second, *rest = ans.answer.splitlines()
    assert ans.emergency and first == EMERGENCY_LINE and second.startswith("【谣言】")
    assert [c.source_id for c in ans.citations] == ["rumor-snakebite-suction", "snakebite"]
    assert any(line.startswith("在等待急救的同时") for line in rest)  # the approved steps follow
    plain = bot.answer("被蛇咬了怎么办")  # no myth stated: no verdict
    assert "【" not in plain.answer and plain.citations[0].source_id == "snakebite"


def test_a_refusal_of_a_health_question_points_to_a_doctor_not_to_the_plan(bot) -> None:
    """Issue 17: a farmer asking about an illness the library lacks is told 12320 and a doctor, even
    when the question has no word of the old health pattern; a question about anything else gets the
    plan's help."""
    from kepu.answering.safety import UNCOVERED_HEALTH_TEXT

    for q in ("甲亢吃什么好", "俺家孩子玩手机眼睛近视了还能好不", "一坐车就晕车想吐有啥好办法没"):
        ans = bot.answer(q)
        assert ans.mode == "refusal" and ans.answer.startswith(UNCOVERED_HEALTH_TEXT), q
    other = bot.answer("周杰伦的新歌叫什么")
    assert other.mode == "refusal" and "12320" not in other.answer


def test_what_the_library_never_says_is_refused_not_quoted_from_a_neighbour(bot) -> None:
    """Found asking questions of my own at the review (2026-12-07): leg cramps and 缺钙 were answered
    from the mental-health article's sleep advice, a fish bone (卡了刺) from the worms article's line on
    raw fish. The library has no article on either: 缺钙 is a condition (synonyms.yaml illness_words)
    and 卡了刺 is 卡了鱼刺 (dialect_words), so each gets the health refusal."""
    from kepu.answering.safety import UNCOVERED_HEALTH_TEXT

    for q in ("晚上睡觉老是腿抽筋是缺钙不", "娃吃鱼卡了刺咽不下去咋整"):
        ans = bot.answer(q)
        assert ans.mode == "refusal" and ans.answer.startswith(UNCOVERED_HEALTH_TEXT), q


def test_emergency_points_to_120_first(bot) -> None:
    ans = bot.answer("被蛇咬了怎么办")
    assert ans.answer.startswith("情况紧急时，请立即拨打120")
    assert ans.citations[0].source_id == "snakebite"


@pytest.mark.parametrize(
    "question",
    [
        "明天广州天气怎么样",
        "茅台股票能买吗",
        "写一首关于春天的诗",
        "周杰伦的新歌叫什么",
        "深圳房价多少钱一平",
    ],
)
def test_out_of_scope_is_refused_politely(bot, question: str) -> None:
    ans = bot.answer(question)
    assert ans.mode == "refusal"
    assert ans.citations == []
    assert "我可以回答" in ans.answer


def test_plan_year_not_held(bot) -> None:
    ans = bot.answer("2021年的工作要点有哪些")
    assert ans.mode == "refusal"
    assert "2021" in ans.answer and "2020" in ans.answer


def test_uncovered_health_question_says_so(bot) -> None:
    ans = bot.answer("甲亢病人吃什么好")
    assert ans.mode == "refusal"
    assert "暂无经过审核的内容" in ans.answer and "120" in ans.answer


def test_empty_question(bot) -> None:
    ans = bot.answer("   ")
    assert ans.mode == "refusal"


def test_items_a_unit_handles_alone(bot) -> None:
    ans = bot.answer("哪些工作由中国科协单独负责")
    alone = {n for n, units in UNITS.items() if units == ["中国科协"]}
    assert {c.item for c in ans.citations} == alone == {41, 42}


def test_unit_with_most_items(bot) -> None:
    counts = {u: len(items_of(u)) for u in ALL_UNIT_NAMES}
    leader = max(counts, key=counts.get)
    ans = bot.answer("哪个单位负责的工作最多")
    assert ans.mode == "structured"
    assert f"最多的是{leader}（{counts[leader]}条）" in ans.answer


def test_number_of_units(bot) -> None:
    ans = bot.answer("一共有多少个负责单位")
    assert f"共列出{len(ALL_UNIT_NAMES)}个负责单位" in ans.answer
    assert all(u in ans.answer for u in ALL_UNIT_NAMES)


def test_unit_within_a_section(bot) -> None:
    ans = bot.answer("教育部在青少年科学素质行动中负责什么")
    assert named_items(ans) == items_of("教育部") & {9, 10, 11, 12, 13}


@pytest.mark.integration  # retrieval quality: the real model (make test-fast leaves it out)
def test_unit_mentioned_inside_a_name_is_not_a_unit_question(e5_bot) -> None:
    ans = e5_bot.answer("中科院科学节是什么")
    assert ans.mode == "extractive"
    assert ans.citations[0].item == 8


@pytest.mark.parametrize(
    ("question", "keyword"),
    [
        ("哪些条目提到了留守儿童", "留守儿童"),
        ("涉及防灾减灾的有哪几条", "防灾减灾"),
        ("关于科技馆的条目有哪些", "科技馆"),
        ("科普中国e站是哪一条", "科普中国e站"),
        ("哪些条和青少年有关", "青少年"),
    ],
)
def test_which_items_mention_something_is_exact_and_complete(bot, question, keyword) -> None:
    from tests.conftest import PLAN_TEXT

    expected = []
    for line in PLAN_TEXT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line[:3].rstrip(".").isdigit() and keyword in line.rsplit("（", 1)[0]:
            expected.append(int(line.split(".", 1)[0]))
    ans = bot.answer(question)
    assert ans.mode == "structured" and ans.route == "mentions"
    assert [c.item for c in ans.citations] == expected and expected
    assert f"共{len(expected)}条" in ans.answer


def test_mention_count(bot) -> None:
    ans = bot.answer("工作要点里提到疫情防控的有几条")
    assert ans.answer.endswith("第6、7、8、11、19、30条。")


def test_outline_and_document_number_questions(bot) -> None:
    outline = bot.answer("2020年全民科学素质行动工作要点的主要内容")
    assert outline.mode == "structured" and "共42条，分4个部分、13个小节" in outline.answer
    doc = bot.answer("纲要办发〔2020〕1号是什么文件")
    assert doc.route == "doc" and "2020年全民科学素质行动工作要点" in doc.answer
    # asking whether the document says something is asking what its items say, not about the document
    rumors = bot.answer("文件里有没有说要定期发布科学谣言榜")
    assert rumors.route != "doc" and rumors.citations[0].item == 4, rumors.answer
    assert bot.answer("这个文件是什么时候发布的").route == "doc"


def test_plan_title_words_do_not_pick_a_section(bot) -> None:
    # "科学素质行动" is in the plan's own title and in section titles: it names no section
    assert bot.answer("全民科学素质行动工作要点讲了什么").route == "count"


def test_a_claim_is_answered_only_from_an_article_about_its_subject(e5_bot, monkeypatch) -> None:
    """榴莲 and 山竹 are in no article: the food-poisoning article shares 中毒, not the claim's subject.
    (螃蟹 was the example until the crab-and-persimmon rumor check joined the library.)"""
    import kepu.answering.extractive as gate_module

    bot = e5_bot
    monkeypatch.setattr(bot, "answers", None)  # no cached answers: each ask goes through the gate
    for claim in ("榴莲跟山竹一块儿吃会中毒", "多吃大蒜能杀死新冠病毒"):
        assert bot.answer(claim).mode == "refusal", claim
    monkeypatch.setattr(gate_module, "GATE_TOPIC", False)  # the rule is what refuses them
    assert bot.answer("榴莲跟山竹一块儿吃会中毒").mode != "refusal"
    # a how-to question is not a claim: its first word may be the setting (脖子, 地里)
    assert bot.answer("地震了咋办").mode != "refusal"


def test_a_statement_in_other_words_is_answered_only_from_an_article_about_its_topic(
    e5_bot, monkeypatch
) -> None:
    """No claim word CLAIM_RE lists, but a statement all the same: the salt-and-sugar article (血脂高)
    and the gas-poisoning one (中毒) are not about eggs or masks (GATE_TOPIC_STATEMENTS)."""
    import kepu.answering.extractive as gate_module

    bot = e5_bot
    monkeypatch.setattr(bot, "answers", None)
    said = ("吃鸡蛋升胆固醇，血脂高的人一个鸡蛋都不能吃", "一直戴口罩会缺氧，还会二氧化碳中毒")
    for statement in said:
        assert bot.answer(statement).mode == "refusal", statement
    # the rule is what refuses them (with the topic test for claims only, as it was before how-to
    # questions got it too)
    monkeypatch.setattr(gate_module, "GATE_TOPIC_CLAIMS_ONLY", True)
    monkeypatch.setattr(gate_module, "GATE_TOPIC_STATEMENTS", False)
    assert all(bot.answer(s).mode != "refusal" for s in said)
    monkeypatch.setattr(gate_module, "GATE_TOPIC_STATEMENTS", True)
    # a yes/no question whose topic the library has is still answered
    assert bot.answer("同事是乙肝携带者和他一个桌吃饭会传染吗").citations[0].source_id == "hepatitis-b"


def test_a_claimed_benefit_must_be_named_by_the_article(e5_bot, monkeypatch) -> None:
    """ "喝酒能暖身子不" claims a benefit of drinking: the alcohol article is about drinking but says
    nothing of warming up, so it is not quoted as the answer; without GATE_EFFECT it was."""
    import kepu.answering.extractive as gate_module

    bot = e5_bot
    monkeypatch.setattr(bot, "answers", None)
    for q in ("喝酒能暖身子不", "每天喝一小杯醋能减肥瘦肚子吗"):
        assert bot.answer(q).mode == "refusal", q
    assert bot.answer("喝骨头汤能补钙吗").citations[0].source_id == "rumor-bone-soup"  # it names 补钙
    # a stated claim (CLAIM_RE: 就能, 能防) claims its benefit as much as a yes/no question does
    stated = "冬天喝两口酒身子就暖和了，能防冻"
    assert bot.answer(stated).mode == "refusal"
    # a harm it threatens too: the convulsions article is about fevers, not about brains burnt by one
    harm = "孩子发高烧会把脑子烧坏"
    assert bot.answer(harm).mode == "refusal"
    # "能把…杀光" claims what a thing can do: the respiratory article never says 艾草 kills anything
    assert bot.answer("家里熏艾草能把新冠病毒都杀光").mode == "refusal"
    monkeypatch.setattr(gate_module, "GATE_EFFECT", False)
    assert bot.answer("喝酒能暖身子不").citations[0].source_id == "alcohol"
    assert bot.answer(stated).citations[0].source_id == "alcohol"
    assert bot.answer(harm).mode != "refusal"


def test_attributes_of_the_issuing_office_and_of_things_the_plan_never_names(e5_bot) -> None:
    """国家纲要办 issued the plan and is named nowhere else: the answer says the plan does not hold its
    head, and what the document does say of it (not items 39 and 40, which share only 纲要). A programme
    the plan never names (科普示范县) asked with 申报 gets no item that shares only 全国 or 条件."""
    head = e5_bot.answer("国家纲要办的主任是谁")
    assert head.route == "attribute" and "没有写到国家纲要办的负责人" in head.answer, head.answer
    assert "印发" in head.answer and [c.item for c in head.citations] == [None]
    assert "纲要办的地址" in e5_bot.answer("纲要办在哪里办公").answer
    assert "没有写到中国科协的地址" in e5_bot.answer("科协的办公地址在哪").answer  # 办公 is part of the ask
    county = e5_bot.answer("评全国科普示范县要满足哪些条件，怎么申报？")
    assert county.mode == "refusal", county.answer
    # the money of the whole plan's work: the plan gives no amount; item 40 is where it speaks of 资金
    money = e5_bot.answer("2020年国家给全民科学素质工作拨了多少钱")
    assert money.route == "attribute" and "没有写到" in money.answer
    assert [c.item for c in money.citations] == [40] and "资金" in money.answer


def test_who_is_responsible_for_a_named_thing_the_plan_never_writes(e5_bot, monkeypatch) -> None:
    """全国科普讲解大赛 is in no item; an item with 全国 and another contest's 大赛 is not its answer."""
    import kepu.answering.structured.responsibility as who_module

    contest = "2020年工作要点里，全国科普讲解大赛是哪个部门负责的？"
    assert e5_bot.answer(contest).mode == "refusal"
    youth = e5_bot.answer("青少年科技创新大赛是谁负责的")
    assert youth.route == "responsibility" and youth.citations[0].item == 10
    monkeypatch.setattr(e5_bot, "answers", None)
    monkeypatch.setattr(who_module, "GATE_WHO_PHRASE", False)
    assert e5_bot.answer(contest).mode == "refusal"  # GATE_WHO_ALL refuses it too: no item has 讲解
    monkeypatch.setattr(who_module, "GATE_WHO_ALL", False)  # without both rules it was answered
    assert e5_bot.answer(contest).route == "responsibility"


@pytest.mark.parametrize(
    ("question", "kept", "source", "rule"),
    [
        # a how-to question's topic (GATE_TOPIC for every question, not claims only): a rat bite is not
        # a dog or cat bite, and the dog-bite article shares 狂犬疫苗, not 老鼠
        (
            "被老鼠咬了一口要不要打狂犬疫苗",
            "被狗咬了要不要打狂犬疫苗",
            "rabies-dog-bite",
            ("GATE_TOPIC_CLAIMS_ONLY", True),
        ),
        # a vaccine named by what it prevents (GATE_COMPOUND): the flu article names 流感疫苗 and 肺炎,
        # not 肺炎疫苗
        ("七十多岁的老人要不要打肺炎疫苗", "流感疫苗每年都要打吗", "influenza", ("GATE_COMPOUND", False)),
        # an illness the library never mentions (GATE_FOREIGN_DISEASE): the HIV and hepatitis B
        # articles say how their own virus spreads, not dengue or Helicobacter
        (
            "蚊子叮人会传播登革热，是真的吗",
            "蚊子叮咬会传播艾滋病吗",
            "hiv-aids",
            ("GATE_FOREIGN_DISEASE", False),
        ),
        # a creature the library never mentions (GATE_FOREIGN_ANIMAL): the snake article is close in
        # meaning, but it is about snakes
        (
            "被蜈蚣咬了手，要不要像被蛇咬那样赶紧用嘴把毒吸出来？",
            "被蛇咬了怎么办",
            "snakebite",
            ("GATE_FOREIGN_ANIMAL", False),
        ),
        # an illness the library does know (乙肝) is no more answered by an article on another one
        ("蚊子会不会传染乙肝", "蚊子叮咬会传播艾滋病吗", "hiv-aids", ("GATE_FOREIGN_DISEASE", False)),
        (
            "幽门螺杆菌一家人一起吃饭会传染吗",
            "和乙肝病人一起吃饭会传染吗",
            "hepatitis-b",
            ("GATE_FOREIGN_DISEASE", False),
        ),
    ],
)
def test_a_question_is_answered_only_from_an_article_about_its_thing(
    e5_bot, monkeypatch, question: str, kept: str, source: str, rule: tuple[str, bool]
) -> None:
    """Refused with the rule; the article's own question is still answered from it; without the rule
    the article was quoted for the question."""
    import kepu.answering.extractive as gate_module

    monkeypatch.setattr(e5_bot, "answers", None)
    assert e5_bot.answer(question).mode == "refusal"
    assert e5_bot.answer(kept).citations[0].source_id == source
    monkeypatch.setattr(gate_module, *rule)  # the rule is what refuses it
    assert e5_bot.answer(question).citations[0].source_id == source


def test_a_document_with_every_concept_outweighs_low_retrieval_scores(e5_bot, monkeypatch) -> None:
    """A voice-style question full of fillers misses the retrieval thresholds; the rabies article has
    both of its concepts (猫, and 口子 as 伤口), so it is answered (GATE_COMPLETE_SUPPORT). One concept
    is not enough (COMPLETE_MIN_CONCEPTS): 楼 alone would let the flood article answer a fire."""
    import kepu.answering.extractive as gate_module

    monkeypatch.setattr(e5_bot, "answers", None)
    cat = "那个我被我家猫抓了一道口子出了点血嗯要怎么处理啊就是"
    fire = "楼里着火了是往楼上跑还是往楼下跑"
    assert e5_bot.answer(cat).citations[0].source_id == "rabies-dog-bite"
    assert e5_bot.answer(fire).mode == "refusal"
    # who and which body part need not be in the document (爪子): 狗 and 挠破 (= 抓伤) are
    claw = "娃他爸喂狗的时候手让狗爪子挠破了皮，要咋弄？"
    assert e5_bot.answer(claw).citations[0].source_id == "rabies-dog-bite"
    # the flood article is about another disaster (GATE_FOREIGN_EVENT); without that rule too, the
    # boundary alone keeps it out
    monkeypatch.setattr(gate_module, "GATE_FOREIGN_EVENT", False)
    assert e5_bot.answer(fire).mode == "refusal"
    monkeypatch.setattr(gate_module, "COMPLETE_MIN_CONCEPTS", 1)
    assert e5_bot.answer(fire).citations[0].source_id == "flood"  # what the boundary keeps out
    monkeypatch.setattr(gate_module, "GATE_COMPLETE_SUPPORT", False)
    assert e5_bot.answer(cat).mode == "refusal"
    assert e5_bot.answer(claw).mode == "refusal"


def test_a_rumor_in_peoples_words_gets_its_checks_verdict(e5_bot) -> None:
    """娃 after 的 is 孩子 (的娃 is no word, though the library writes 的娃娃), and the check's claim
    "不满一岁的婴儿不能喝蜂蜜水" is stated about a child of the same kind: its verdict is given."""
    assert "孩子" in e5_bot.people("老人都说不满一岁的娃不能喝蜂蜜水")
    ans = e5_bot.answer("老人都说不满一岁的娃不能喝蜂蜜水，这是真的还是老迷信？")
    assert ans.answer.startswith("【属实】") and ans.citations[0].source_id == "rumor-infant-honey"
    assert "食物" in e5_bot.people("吃了变质的食物")  # a word the library uses keeps its character


def test_symptoms_listed_only_in_when_to_see_a_doctor_do_not_make_an_article_about_them(
    e5_bot, monkeypatch
) -> None:
    """The HIV article names 发烧 and 拉肚子 only in its closing "如果出现长期发烧、拉肚子…请及时到正规医院
    就诊": a child's diarrhoea and fever are not answered from it (GATE_DOCTOR_LINE)."""
    import kepu.answering.extractive as gate_module

    monkeypatch.setattr(e5_bot, "answers", None)
    child = "俺家娃拉肚子拉了两天了还发烧咋整"
    assert e5_bot.answer(child).citations[0].source_id == "food-poisoning"
    monkeypatch.setattr(gate_module, "GATE_DOCTOR_LINE", False)
    assert e5_bot.answer(child).citations[0].source_id == "hiv-aids"


def test_a_document_with_every_concept_is_preferred_among_the_first_few(e5_bot, monkeypatch) -> None:
    """Item 28 (农村…科技教育硬件) ranks first on 农村 and 培训; item 11 says 加大农村学校科技辅导员培训力度.
    Given both among the first GATE_SOURCES documents, the one with every concept is quoted."""
    import kepu.answering.extractive as gate_module
    from kepu.answering.retrieve import Retrieval
    from kepu.kb.types import SearchHit

    bot = e5_bot
    q = "农村学校的科技辅导员有没有培训"
    item = {c.item: c for c in bot.kb.chunks if c.kind == "plan" and c.item in (11, 28)}
    hits = [SearchHit(1, 0.03, item[28], dense_score=0.886), SearchHit(2, 0.02, item[11], dense_score=0.87)]
    retrieval = Retrieval(hits, [], 0.5, 0.886)
    concepts = bot.concepts(q)
    assert bot._addressing(retrieval, concepts, q).chunk.item == 11
    monkeypatch.setattr(gate_module, "GATE_PREFER_COMPLETE", False)
    assert bot._addressing(retrieval, concepts, q).chunk.item == 28


def test_a_complete_document_a_little_further_down_replaces_a_partial_one(e5_bot, monkeypatch) -> None:
    """Item 11 ranks fourth or fifth for this question on an index built with HNSW_SEARCH_EF 400: a
    complete document down to GATE_COMPLETE_SOURCES replaces a partial one, when retrieval itself was
    confident (``further``), and never answers where none of the first GATE_SOURCES was accepted."""
    import kepu.answering.extractive as gate_module
    from kepu.answering.retrieve import Retrieval
    from kepu.kb.types import SearchHit

    bot = e5_bot
    q = "农村学校的科技辅导员有没有培训"
    order = [28, 29, 27, 14, 11]
    assert gate_module.GATE_SOURCES < len(order) <= gate_module.GATE_COMPLETE_SOURCES
    item = {c.item: c for c in bot.kb.chunks if c.kind == "plan" and c.item in order}
    hits = [SearchHit(i + 1, 0.03, item[n], dense_score=0.88) for i, n in enumerate(order)]
    retrieval = Retrieval(hits, [], 0.5, 0.88)
    concepts = bot.concepts(q)
    assert bot._addressing(retrieval, concepts, q).chunk.item == 11
    assert bot._addressing(retrieval, concepts, q, further=False).chunk.item == 28
    # beyond GATE_SOURCES a complete document does not answer alone: three articles that are not
    # accepted, then items 14 and 11
    first = {c.source_id: c for c in bot.kb.chunks if c.source_id in ("cpr", "earthquake", "burns")}
    others = [SearchHit(i + 1, 0.03, chunk, dense_score=0.88) for i, chunk in enumerate(first.values())]
    assert len(others) == 3 == gate_module.GATE_SOURCES
    assert bot._addressing(Retrieval([*others, *hits[3:]], [], 0.5, 0.88), concepts, q) is None
    # the boundary: one place further than GATE_COMPLETE_SOURCES is too far
    monkeypatch.setattr(gate_module, "GATE_COMPLETE_SOURCES", len(order) - 1)
    assert bot._addressing(retrieval, concepts, q).chunk.item == 28


def test_an_article_about_one_disaster_does_not_answer_another(e5_bot, monkeypatch) -> None:
    import kepu.answering.extractive as gate_module
    from kepu.answering.answerability import events

    assert events("楼里着火了能往下跳吗") == {"火灾"} and events("地震来了怎么避险") == {"地震"}
    assert events("打雷时怎样防雷电") == {"雷电"} and events("被狗咬了怎么办") == set()
    fire = e5_bot.answer("楼里着火了能往下跳吗")
    assert "earthquake" not in [c.source_id for c in fire.citations]
    quake = e5_bot.answer("地震了住六楼能不能往下跳")  # 往下跳 is 跳楼 (synonyms.yaml)
    assert [c.source_id for c in quake.citations] == ["earthquake"] and "不要跳楼" in quake.answer
    # being trapped in a lift is an accident of its own; trapped by an earthquake is the earthquake's
    assert events("被困在电梯里了咋办") == {"电梯困人"} and events("地震时被困在电梯里") == {
        "地震",
        "电梯困人",
    }
    assert e5_bot.answer("被困在电梯里了咋办").mode == "refusal"
    monkeypatch.setattr(gate_module, "GATE_FOREIGN_EVENT", False)
    assert "earthquake" in [c.source_id for c in e5_bot.answer("楼里着火了能往下跳吗").citations]


def test_a_condition_named_by_its_level_is_an_illness_of_its_own(e5_bot) -> None:
    from kepu.answering.answerability import Concept
    from kepu.answering.extractive import CONDITION_RE

    assert CONDITION_RE.match("低血糖") and CONDITION_RE.match("高血脂") and not CONDITION_RE.match("血糖")
    assert e5_bot._foreign_disease(Concept("低血糖", frozenset({"低血糖"}), noun=True))
    assert not e5_bot._foreign_disease(Concept("血糖", frozenset({"血糖"}), noun=True))
    low = e5_bot.answer("没有糖尿病也老犯低血糖，心慌手抖是咋回事")
    assert "diabetes" not in [c.source_id for c in low.citations]


def test_a_quote_must_share_the_questions_thing(e5_bot, monkeypatch) -> None:
    """Sharing only a body part (肚子 with the hand-washing article's worms) or naming a thing the
    library never mentions (洋葱 and the flu article) is not answering. The belly question is checked
    on the rule itself (GATE_ANCHOR): which articles retrieval brings near it changed with the
    retrieval libraries' versions, and the one it brings now shares 醋 (GATE_EFFECT refuses that one,
    test_a_claimed_benefit_must_be_named_by_the_article). Without GATE_FOREIGN_THING the onion
    question is quoted."""
    import kepu.answering.extractive as gate_module
    from kepu.answering.answerability import anchored

    bot = e5_bot
    monkeypatch.setattr(bot, "answers", None)
    belly, onion = "每天喝一小杯醋能减肥瘦肚子吗", "床头放半个切开的洋葱能把感冒病毒吸走"
    assert bot.answer(belly).mode == "refusal"
    assert bot.answer(onion).mode == "refusal"
    concepts = bot.concepts(bot.people(belly))
    worms = bot._document_text(bot.kb.by_source["hand-washing-kids"][0])
    assert "肚子" in worms and not anchored(concepts, worms, bot.known)
    assert anchored(concepts, bot._document_text(bot.kb.by_source["salt-oil-sugar"][0]), bot.known)  # 醋
    # a claim (能把…), so the topic test refuses it too: off, to see GATE_FOREIGN_THING
    monkeypatch.setattr(gate_module, "GATE_TOPIC", False)
    assert bot.answer(onion).mode == "refusal"
    monkeypatch.setattr(gate_module, "GATE_FOREIGN_THING", False)
    assert bot.answer(onion).mode != "refusal"
    # a thing of a kind the article names is still answered: 西瓜 is a 水果
    assert bot.answer("糖尿病人能吃西瓜吗").citations[0].source_id == "diabetes"


def test_an_illness_is_foreign_only_when_every_sense_names_one(e5_bot) -> None:
    """GATE_FOREIGN_DISEASE's boundary: a word whose Cilin senses are all illnesses (登革热), or whose
    name ends like one (螺杆菌, 胃炎, 艾滋病: whether or not the library has it), a measure's level
    (低血糖: CONDITION_RE) or an illness the staff listed (骨质疏松); not 疙瘩 (also a lump, a knot),
    not 血糖 (a measure, not an illness)."""

    def foreign(word: str) -> bool:
        concept = next(c for c in e5_bot.concepts(word + "怎么办") if c.word == word)
        return e5_bot._foreign_disease(concept)

    words = ("登革热", "螺杆菌", "胃炎", "疙瘩", "低血糖", "血糖", "骨质疏松", "艾滋病")
    assert [w for w in words if foreign(w)] == ["登革热", "螺杆菌", "胃炎", "低血糖", "骨质疏松", "艾滋病"]


def test_yes_no_and_attribute_questions_answer_what_the_plan_says(e5_bot) -> None:
    """The issue's examples: a yes/no task answered from the items' text, citing them; an attribute the
    plan does not hold said so, with the unit's or subject's items; never the unit's item list alone."""
    no = e5_bot.answer("应急部负责编写教材吗")
    assert no.answer.startswith("《2020年全民科学素质行动工作要点》中没有写到应急部")
    assert [c.item for c in no.citations] == [3, 4, 16, 19, 30]  # the unit's own items, named in the text
    yes = e5_bot.answer("教育部负责科技辅导员培训吗")
    # the items that name the whole task (11 and 27 say 科技辅导员培训); not 28, which has 科技…培训 only
    assert yes.answer.startswith("是的") and [c.item for c in yes.citations] == [11, 27]
    contest_yes = e5_bot.answer("教育部负责青少年科技创新大赛吗")
    assert contest_yes.answer.startswith("是的") and [c.item for c in contest_yes.citations] == [10]
    # no item names 教材 with 农民 and 职业: the head noun is never the concept allowed to be missing
    farmers = e5_bot.answer("人社部负责农民职业教材吗")
    assert farmers.route == "unit_yes_no" and "没有写到" in farmers.answer and farmers.citations
    # a task written word for word is found where it is written; one whose concepts are thin is not
    # found in items sharing only its last word (大赛)
    day = e5_bot.answer("中国科协负责全国科普日吗")
    assert day.answer.startswith("是的") and [c.item for c in day.citations] == [8]
    contest_no = e5_bot.answer("科技部负责科普讲解大赛吗")
    assert "没有写到" in contest_no.answer and "写到这项工作的条目" not in contest_no.answer
    site = e5_bot.answer("中国科协的官网是什么")
    assert site.route == "attribute" and "没有写到中国科协" in site.answer and "网址" in site.answer
    # what has come of the work since: the plan sets out 2020's work and reports no outcome
    done = e5_bot.answer("科学辟谣平台建成了没")
    assert done.route == "attribute" and "没有写到科学辟谣平台的进展或结果" in done.answer
    assert [c.item for c in done.citations] == [4]
    contest = e5_bot.answer("怎么给孩子报名青少年科技创新大赛")
    assert contest.route == "attribute" and "报名或申请办法" in contest.answer
    assert "青少年科技创新大赛" in "".join(c.text for c in contest.citations)


def test_a_yes_no_task_missing_a_concrete_thing_is_not_found_and_people_ask_with_guan_bu_guan(
    e5_bot,
) -> None:
    """Item 14 trains farmers but never says 手机: "农民手机培训" is not found there (a thing is never the
    modifier allowed to be missing, as 技能 is). "管不管" asks the same as "负责…吗", and "挑战杯那个比赛嘞"
    names 挑战杯 (item 12)."""
    for q in ("农业农村部负责农民手机培训吗", "农业农村部管不管农民手机培训"):
        phone = e5_bot.answer(q)
        assert phone.route == "unit_yes_no" and "没有写到农业农村部负责“农民手机培训”" in phone.answer, q
    farmers = e5_bot.answer("农业农村部管不管农民培训")
    assert farmers.answer.startswith("是的") and [c.item for c in farmers.citations] == [14]
    cup = e5_bot.answer("团中央管不管挑战杯那个比赛嘞")
    assert cup.answer.startswith("是的") and [c.item for c in cup.citations] == [12]
    # nor is a word the plan never uses: items with 防控 or 宣传 alone do not have 近视防控, 爱牙日
    eyes = e5_bot.answer("要点里中小学生近视防控的科普是教育部负责吗？")
    assert eyes.route == "unit_yes_no" and "没有写到教育部负责" in eyes.answer
    teeth = e5_bot.answer("全国爱牙日的宣传是卫健委在要点里负责的吗？")
    assert teeth.route == "unit_yes_no" and "没有写到卫健委负责" in teeth.answer
    assert e5_bot.answer("农业农村部负责农民技能培训吗").answer.startswith("是的")  # 技能: the plan's word
    # a task in everyday words only (农村, 健康, 讲座 name no concept) is still a yes/no question, not a
    # request for the unit's whole item list
    talks = e5_bot.answer("卫健委管不管农村健康讲座")
    assert talks.route == "unit_yes_no" and "没有写到卫健委负责“农村健康讲座”" in talks.answer
    assert e5_bot.answer("科技部负责搞讲座吗").answer.startswith("是的")  # item 37: 科普讲座
    left_behind = e5_bot.answer("那个 妇联管不管村里留守娃的事啊")  # 娃 = 孩子 = the plan's 儿童
    assert left_behind.answer.startswith("是的") and 11 in [c.item for c in left_behind.citations]


def test_an_attribute_question_about_a_named_event_cites_where_the_plan_names_it(e5_bot) -> None:
    """The plan lists its events unquoted (item 8): the event is the subject, not its pieces (全国, 科技)
    nor the unit in its name (中科院); the item is shown where it names the event. A contest the plan
    never names is not answered with items that share 全国 and 大赛."""
    day = e5_bot.answer("全国科普日是几月几号")
    assert day.route == "attribute" and "没有写到全国科普日的时间" in day.answer
    assert [c.item for c in day.citations] == [8] and "全国科普日" in day.answer.split("第8条")[1]
    fest = e5_bot.answer("中科院科学节在哪办，进去要门票吗")
    assert "没有写到中科院科学节的地址" in fest.answer and [c.item for c in fest.citations] == [8]
    # the name as the question writes it, where the plan writes it too (not only the programme 科普中国)
    station = e5_bot.answer("我们村想建个科普中国e站，找哪个部门申请")
    assert "没有写到科普中国e站" in station.answer and [c.item for c in station.citations] == [26]
    # a name the plan never writes: 全国 and 大赛 alone are other contests (items 10 and 19)
    assert e5_bot.answer("全国科普讲解大赛怎么报名").mode == "refusal"
    # a unit's staff word: 当科普信息员 names 信息员, still found in items 26 and 38
    aide = e5_bot.answer("当科普信息员一个月能有多少补贴？")
    assert aide.route == "attribute" and [c.item for c in aide.citations] == [26, 38]
    # 编制 a plan is drawing it up, not a question about staffing
    assert e5_bot.answer("编制面向2035年规划纲要那部分有哪几条").route == "section"


def test_one_doctor_reminder_per_answer(bot) -> None:
    """Issue 17: a quote that already tells to see a doctor gets no second, generic reminder."""
    from kepu.answering.safety import DOCTOR_LINE, DOCTOR_REMINDER_RE, with_doctor_line

    assert with_doctor_line("多喝水。") == f"多喝水。\n{DOCTOR_LINE}"
    assert with_doctor_line("红肿越来越大要及时就医。") == "红肿越来越大要及时就医。"
    plain = bot.answer("中暑了怎么办")  # the quoted steps say nothing of a doctor: the line is added
    assert plain.answer.endswith(DOCTOR_LINE) and plain.answer.count(DOCTOR_LINE) == 1
    for q in ("孩子发烧了咋办", "被马蜂蛰了肿得老高咋办", "高血压能停药吗"):
        ans = bot.answer(q)
        body = ans.answer.removesuffix(DOCTOR_LINE)
        assert DOCTOR_LINE not in body, q  # at most one, at the end
        # the line is there exactly when the quote has no reminder of its own
        assert (body != ans.answer) != bool(DOCTOR_REMINDER_RE.search(body)), q


def test_quoted_steps_are_complete_or_renumbered_and_said_so() -> None:
    from kepu.answering.compose import faithful_steps

    whole = ["1. 先冲洗。", "2. 再消毒。", "要及时就医。"]
    assert faithful_steps(whole) == (whole, "")  # 1, 2 in order: quoted as written
    assert faithful_steps(["没有编号的句子。"]) == (["没有编号的句子。"], "")
    lines, note = faithful_steps(["2. 打开窗户。", "3. 转移到通风处。", "注意保暖。"])
    assert lines == ["1. 打开窗户。", "2. 转移到通风处。", "注意保暖。"]
    assert note == "（节选原文第2、3步，已重新编号）"
    lines, note = faithful_steps(["1、甲。", "2、乙。", "4、丁。"])  # a gap
    assert lines == ["1. 甲。", "2. 乙。", "3. 丁。"] and "第1、2、4步" in note
    lines, note = faithful_steps(["2. 甲。", "1. 乙。"])  # two lists of one article
    assert lines == ["1. 甲。", "2. 乙。"] and note == "（节选原文中的几个步骤，已重新编号）"


def test_the_sentence_that_answers_what_was_asked_is_quoted() -> None:
    from kepu.answering.compose import DISTINCT_MAX_SHARE, distinctive_sentence

    sents = [f"老人跌倒的第{i}个原因。" for i in range(9)] + ["老人起床要慢，先坐半分钟。"]
    idf = {"起床": 5.0, "老人": 2.0, "分钟": 4.0}.get

    def pick(tokens: set[str], quoted: list[str], title: str = "") -> str | None:
        return distinctive_sentence(sents, tokens, quoted, lambda t: idf(t) or 1.0, title)

    # 起床 is in one sentence of ten: that sentence is added to a quote that lacks it
    assert pick({"老人", "起床"}, sents[:3]) == sents[-1]
    assert pick({"老人", "起床"}, [sents[0], sents[-1]]) is None  # already quoted
    assert pick({"老人"}, sents[:3]) is None  # the article's topic picks out nothing
    assert pick({"起床"}, sents[:3], title="起床的讲究") is None  # nor does a word of its title
    assert pick({"一分钟"}, sents[:3]) == sents[-1]  # a word it never writes, by its parts (分钟)
    assert pick({"起"}, sents[:3]) is None  # one character picks out nothing
    # a quoted sentence with the rarest word (头晕) does not stop 起床 from picking out its own
    dizzy = [*sents[:-1], "老人头晕时要坐下。", sents[-1]]
    idf2 = {"头晕": 9.0, "起床": 5.0}.get
    chosen = distinctive_sentence(dizzy, {"头晕", "起床"}, [dizzy[0], dizzy[-2]], lambda t: idf2(t) or 1.0)
    assert chosen == dizzy[-1]
    # the boundary: a word in DISTINCT_MAX_SHARE of the sentences is rare, in one more it is not
    limit = int(DISTINCT_MAX_SHARE * 10)
    common = [f"起床{i}。" for i in range(limit)] + [f"别的{i}。" for i in range(10 - limit)]
    assert distinctive_sentence(common, {"起床"}, common[-2:], lambda t: 1.0) == common[0]
    more = [f"起床{i}。" for i in range(limit + 1)] + [f"别的{i}。" for i in range(9 - limit)]
    assert distinctive_sentence(more, {"起床"}, more[-2:], lambda t: 1.0) is None


def test_a_question_that_asks_an_amount_gets_the_sentence_that_gives_it() -> None:
    from kepu.answering.compose import amount_sentence
    from kepu.text import ASKS_AMOUNT_RE

    sents = [
        "心脏突然停止跳动，几分钟内没人抢救就很难救活。",
        "3. 按压的位置在胸口正中间。",  # a step's own number is not a figure
        "5. 给成人按压时，要压下去5到6厘米，每分钟按压100到120次。",
        "每次停下来不要超过10秒。",
    ]
    tokens = {"心肺复苏", "一分钟", "按"}
    assert ASKS_AMOUNT_RE.search("做心肺复苏一分钟要按多少下")
    assert ASKS_AMOUNT_RE.search("青菜要泡多久") and ASKS_AMOUNT_RE.search("一天吃几次")
    assert not ASKS_AMOUNT_RE.search("第几条由哪个单位负责") and not ASKS_AMOUNT_RE.search("被狗咬了怎么办")
    # how many people or things is an amount; which ones (哪几个) and several (好几个, 十几斤) are not
    assert ASKS_AMOUNT_RE.search("工作要点里给每个乡镇配几个科普员")
    assert not ASKS_AMOUNT_RE.search("哪几个部门负责") and not ASKS_AMOUNT_RE.search("被狗咬了好几天了")
    assert not ASKS_AMOUNT_RE.search("戒烟以后人胖了十几斤")
    # the figure that shares the question's words (分, 钟, 按) beats a figure that shares none (10秒)
    assert amount_sentence(sents, tokens, [sents[0], sents[3]], "心肺复苏怎么做") == sents[2]
    assert amount_sentence(sents, tokens, [sents[2]], "心肺复苏怎么做") is None  # already quoted
    # the numbered step without a figure and sentences sharing nothing are never picked
    assert amount_sentence(sents[1:2] + sents[3:], tokens, [], "心肺复苏怎么做") is None
    assert amount_sentence(["要浸泡10分钟左右。"], {"青菜", "泡"}, [], "怎么洗菜") == "要浸泡10分钟左右。"


def test_an_answer_never_shows_steps_out_of_context(e5_bot) -> None:
    import re

    bot = e5_bot  # which sentences are quoted depends on real retrieval
    for question in ("俺娃拉肚子拉了两天了咋整", "中暑了怎么办", "煤气中毒了咋办", "流鼻血了咋整"):
        ans = bot.answer(question)
        numbers = [int(m.group(1)) for m in re.finditer(r"^(\d+)\. ", ans.answer, re.M)]
        assert numbers == list(range(1, len(numbers) + 1)), (question, ans.answer)
    assert "（节选原文第" in bot.answer("俺娃拉肚子拉了两天了咋整").answer
    # an amount asked is answered with the sentence that gives it, not only the article's summary
    assert "每分钟按压100到120次" in bot.answer("做心肺复苏一分钟要按多少下").answer
    assert "浸泡10分钟左右" in bot.answer("买回来的青菜要泡多久才能把农药泡掉").answer


def test_an_attribute_answer_names_its_subject_as_the_question_does(e5_bot) -> None:
    """The subject is the question's own phrase as the plan writes it, not a list of its concepts."""
    head = e5_bot.answer("应急科普快速响应机制的负责人是谁")
    assert "没有写到应急科普快速响应机制的负责人" in head.answer and [c.item for c in head.citations] == [3]
    phone = e5_bot.answer("农村中学科技馆的电话是多少")
    assert "没有写到农村中学科技馆的联系电话" in phone.answer
    hours = e5_bot.answer("科技馆免费开放的时间是几点")
    assert (
        hours.route == "attribute" and "开放时间" in hours.answer and 32 in [c.item for c in hours.citations]
    )
    often = e5_bot.answer("科普大篷车一年来几回")
    assert often.route == "attribute" and "没有写到科普大篷车的举办次数" in often.answer


def test_subject_phrase_falls_back_to_the_concepts_when_they_are_apart(e5_bot) -> None:
    from kepu.answering.answerability import Concept

    concepts = [Concept("科技馆", frozenset({"科技馆"})), Concept("大篷车", frozenset({"大篷车"}))]
    plan = e5_bot.index.default_plan()
    assert e5_bot._subject_phrase("科技馆开门 大篷车", concepts, plan) == "科技馆、大篷车"


def test_a_question_about_the_plan_itself_is_not_answered_with_any_item(e5_bot) -> None:
    """Every item contains the plan's own name (科学素质, 行动): a question whose things are only those
    words is not answered by whichever item ranks first; it is told what it can ask instead."""
    from kepu.answering import compose

    for question in (
        "科学素质行动跟咱老百姓有啥关系",
        "全民科学素质行动对普通人有什么好处",
        "老年人科学素质怎么提高",
    ):
        ans = e5_bot.answer(question)
        assert ans.mode == "refusal" and not ans.citations, (question, ans.answer)
        assert ans.choices == list(compose.PLAN_ITSELF_CHOICES)
    # a group the plan has a section for, or a thing besides the name, is still answered from the items
    farmers = e5_bot.answer("怎么提高农民的科学素质")
    assert farmers.mode == "extractive" and farmers.citations[0].section == "（二）实施农民科学素质行动"
    left_behind = e5_bot.answer("今年的工作要点里，对农村留守儿童有些啥关爱安排")
    assert left_behind.mode == "extractive" and "留守儿童" in left_behind.citations[0].text


def test_the_plan_outline_cites_the_plan(e5_bot) -> None:
    ans = e5_bot.answer("工作要点主要讲了什么？")
    assert ans.route == "count" and [c.kind for c in ans.citations] == ["plan"]
    assert ans.citations[0].item is None and "共42条" in ans.citations[0].text


def test_asking_who_is_answered_with_an_item_only_if_it_has_the_subject(e5_bot) -> None:
    """The question "谁负责青少年近视防控" used to get item 10 (青少年科技后备人才): 近视 is in no item."""
    ans = e5_bot.answer("谁负责青少年近视防控")
    assert ans.mode == "refusal" and not ans.citations
    kept = e5_bot.answer("科普大篷车归谁管")  # item 13 names 科普大篷车
    assert kept.route == "responsibility" and [c.item for c in kept.citations] == [13]


def test_the_plan_s_own_words_are_not_the_subject_of_an_attribute_question(e5_bot) -> None:
    """ "工作要点里给科普场馆拨了多少钱" asks about 科普场馆; 工作 of 工作要点 names the plan (it was
    answered "没有写到工作、场馆的经费")."""
    ans = e5_bot.answer("工作要点里给科普场馆拨了多少钱")
    assert ans.route == "attribute" and "没有写到科普场馆的经费" in ans.answer
    assert all("场馆" in c.text for c in ans.citations)


def test_the_examples_of_the_answerability_issue(e5_bot) -> None:
    """Issue 19's table, question by question: no verdict from an unrelated check, no quote from an
    article that only shares a word, and what the plan does not hold said so."""
    charred = e5_bot.answer("吃烧烤烤焦的肉会致癌吗")
    assert (
        charred.answer.startswith("【属实】") and charred.citations[0].source_id == "rumor-charred-barbecue"
    )
    raw = e5_bot.answer("吃了生的鱼虾容易长寄生虫是真的吗")
    assert not raw.answer.startswith("【谣言】") and "寄生虫" in raw.answer
    tea = e5_bot.answer("常喝浓茶会导致骨质疏松吗")  # 骨质疏松 is an illness (synonyms.yaml illness_words)
    assert not tea.answer.startswith("【") and "alcohol" not in [c.source_id for c in tea.citations]
    assert "没有写到国家纲要办的负责人" in e5_bot.answer("国家纲要办主任是谁").answer
    site = e5_bot.answer("中国科协的官网是什么")
    assert "没有写到中国科协的网址" in site.answer and 35 not in [c.item for c in site.citations]
    assert "没有写到应急部负责“编写教材”" in e5_bot.answer("应急部负责编写教材吗").answer
    sign_up = e5_bot.answer("怎么给孩子报名青少年科技创新大赛")
    assert "没有写到青少年科技创新大赛的报名" in sign_up.answer and [c.item for c in sign_up.citations] == [
        10
    ]


def test_who_does_a_task_needs_an_item_that_names_all_of_it(e5_bot, monkeypatch) -> None:
    """Staff get an item number back: item 10 (青少年…教育) does not say who does 编程 or 人工智能."""
    import kepu.answering.structured.responsibility as who_module

    q = "青少年编程和人工智能教育，要点里安排哪个部门负责？"
    assert e5_bot.answer(q).mode == "refusal"
    rumor_desk = e5_bot.answer("科学辟谣平台由哪个单位负责")
    assert rumor_desk.route == "responsibility" and [c.item for c in rumor_desk.citations] == [4]
    monkeypatch.setattr(who_module, "GATE_WHO_ALL", False)
    assert [c.item for c in e5_bot.answer(q).citations] == [10]


def test_an_amount_the_plan_does_not_give_is_said_so(e5_bot, monkeypatch) -> None:
    """Asked how many, a quoted item with no figure at all comes after "工作要点没有写到具体的数量"; an item
    with a figure, or a question that asks no amount, is quoted as it is."""
    import kepu.answering.extractive as gate_module

    monkeypatch.setattr(e5_bot, "answers", None)
    village = e5_bot.answer("工作要点里说了给每个村配多少科普员没有")
    assert village.answer.startswith(gate_module.NO_AMOUNT_TEXT) and village.citations[0].item == 38
    assert village.passages == []  # a model does not rewrite the caveat away
    plain = e5_bot.answer("工作要点里说了给每个村配科普员没有")  # no amount asked
    assert plain.citations[0].item == 38 and gate_module.NO_AMOUNT_TEXT not in plain.answer
    days = e5_bot.answer("科普日要搞多少天")  # item 8 has figures (5·30): no claim that it has none
    assert days.citations[0].item == 8 and gate_module.NO_AMOUNT_TEXT not in days.answer
    monkeypatch.setattr(gate_module, "PLAN_NO_AMOUNT", False)
    assert gate_module.NO_AMOUNT_TEXT not in e5_bot.answer("工作要点里说了给每个村配多少科普员没有").answer


def test_under_a_big_tree_in_a_storm_gets_the_tree_sentence(e5_bot) -> None:
    """jieba cuts 大树底下 as 大 / 树底下; the staff phrase 大树底下 -> 大树下 (synonyms.yaml) makes the
    lightning article's own sentence about trees the first one quoted."""
    ans = e5_bot.answer("打雷天能在大树底下躲雨不")
    assert ans.citations[0].source_id == "lightning"
    assert ans.answer.split("\n")[1].endswith(
        "雷雨天不要在大树下、电线杆下、铁塔下避雨，这些地方最容易招雷。"
    )


DETERMINISM_SCRIPT = """
from kepu.answering.compose import science_extract
from kepu.kb.types import Chunk
idf = {"甲": 0.1, "乙": 0.2, "丙": 0.3, "丁": 0.6}.__getitem__
article = [Chunk("a#0", "a", "测试", "science", "丁在此。甲乙丙在此。", "")]
text, quoted, _ = science_extract(article, ["a#0"], {"甲", "乙", "丙", "丁"}, list, idf, limit=1)
print(quoted)
"""


def test_the_quoted_sentence_does_not_depend_on_the_processs_string_hashing() -> None:
    """0.1 + 0.2 + 0.3 is 0.6 or 0.6000000000000001 depending on the order a set gives, and str
    hashing (so set order) differs between processes: two sentences that tie on the question's words
    must be chosen the same way in every process (math.fsum), or answers differ between replicas."""
    import os
    import subprocess
    import sys

    outs = {
        subprocess.run(
            [sys.executable, "-c", DETERMINISM_SCRIPT],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in range(6)
    }
    assert outs == {"['丁在此。']"}
