"""The language layer, emergency recognition, the answerability gate and claim matching, one by one
(no model: jieba and the data files only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kepu.answering import claims, first_aid
from kepu.answering.answerability import (
    CLAIM_RE,
    anchored,
    compounds,
    generic_words,
    key_concepts,
    states_something,
    topic,
    uncovered,
)
from kepu.answering.emergency import EmergencyRecognizer, default_recognizer
from kepu.errors import ConfigError
from kepu.kb.types import Chunk
from kepu.language import Lexicon
from kepu.text import Tokenizer, normalize
from tests.conftest import KNOWLEDGE

pytestmark = pytest.mark.unit

LIBRARY = "".join(p.read_text(encoding="utf-8") for p in (KNOWLEDGE / "science").glob("*.md")) + (
    KNOWLEDGE / "plan" / "2020-work-points.txt"
).read_text(encoding="utf-8")


def known(word: str) -> bool:
    return word in LIBRARY


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load(KNOWLEDGE / "synonyms.yaml")


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Tokenizer:
    return Tokenizer(tmp_path_factory.mktemp("jieba"))


# --- language layer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "mandarin"),
    [
        ("俾狗咬咗点算", "被狗咬了怎么办"),
        ("食咗有毒嘅菌点算", "吃了有毒的菌怎么办"),
        ("俺爹突然嘴歪了", "我爹突然嘴歪了"),
        ("食物中毒怎么办", "食物中毒怎么办"),  # 食 is Mandarin here: not a Cantonese question
        ("唔好食生嘅食物", "不要吃生的食物"),  # 食物 keeps its 食 even in Cantonese
        ("娃娃发烧了", "娃娃发烧了"),  # a doubled character is a word, not two dialect words
        ("俺家娃让马蜂蛰了", "我家孩子让马蜂蜇了"),  # 蛰 for 蜇: voice input's homophone
        # jieba cuts 大黄狗 as 大黄 (a medicinal plant) / 狗: the bite is a dog's
        ("邻居家的大黄狗咬了俺一口", "邻居家的狗咬了我一口"),
        ("娃吃鱼卡了刺", "孩子吃鱼卡了鱼刺"),  # a fish bone, which the library has no article on
    ],
)
def test_dialect_is_rewritten_as_mandarin(lexicon: Lexicon, said: str, mandarin: str) -> None:
    assert lexicon.rewrite(normalize(said), known) == mandarin


def test_colloquial_words_expand_to_the_librarys_words(lexicon: Lexicon) -> None:
    assert {"拉肚子", "呕吐", "食物中毒"} <= set(lexicon.expand("一家子都上吐下泻", known))
    assert "蘑菇" in lexicon.expand("山上捡的菌子能吃不", known)
    assert "免费开放" in lexicon.expand("科技馆进去要门票不", known)
    # 留守娃 is 留守孩子 once dialect is Mandarin; the plan writes 留守儿童
    assert "留守儿童" in lexicon.expand(lexicon.rewrite("给留守娃搞志愿服务", known), known)
    assert "医院" in lexicon.expand("俺们镇上的卫生院要不要搞健康科普", known)  # item 30 writes 医院
    # a word the library already uses pulls in no Cilin sense of it ("蘑菇" also means "to dawdle")
    assert "纠缠" not in lexicon.expand("蘑菇能吃吗", known)


def test_cilin_adds_synonyms_only_onto_library_words() -> None:
    with_cilin = Lexicon.load(KNOWLEDGE / "synonyms.yaml", cilin=True)
    without = Lexicon.load(KNOWLEDGE / "synonyms.yaml", cilin=False)
    assert with_cilin.cilin and not without.cilin
    # 闹肚子 is in Cilin's 腹泻 group; every word Cilin adds is one the library uses
    added = with_cilin.expand("闹肚子", known)
    assert added and all(known(w) for w in added)


def test_a_broken_synonym_file_is_a_clear_chinese_error(tmp_path: Path) -> None:
    bad = tmp_path / "synonyms.yaml"
    bad.write_text("groups: [[只有一个词]]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="至少要有两个词"):
        Lexicon.load(bad, cilin=False)
    bad.write_text("groups: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="不是有效的 YAML"):
        Lexicon.load(bad, cilin=False)
    assert Lexicon.load(tmp_path / "absent.yaml", cilin=False).groups == []


def test_the_lexicon_is_built_once_per_version_of_the_staff_file(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.yaml"
    path.write_text("groups: [[菌子, 蘑菇]]\n", encoding="utf-8")
    first = Lexicon.load(path, cilin=False)
    assert Lexicon.load(path, cilin=False) is first  # unchanged file: the same instance
    path.write_text("groups: [[菌子, 蘑菇], [打呼噜, 打鼾]]\n", encoding="utf-8")
    edited = Lexicon.load(path, cilin=False)
    assert edited is not first and ["打呼噜", "打鼾"] in edited.groups  # staff's edit is read


# --- emergencies ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "kind"),
    [
        ("我爹突然嘴歪了说话不利索", "stroke"),
        ("我妈胸口疼得厉害一直冒冷汗", "heart_attack"),
        ("孩子掉河里了", "drowning"),
        # a house under water is the flood's; a child under water is still a drowning
        ("发大水了房子被淹了咋办往哪跑", "flood"),
        ("洪水把路冲了被困在村里出不去", "flood"),
        ("村里发大水了孩子被淹了", "drowning"),
        ("老人吃汤圆噎住了", "choking"),
        ("孩子发高烧突然翻白眼抽起来了", "febrile_seizure"),
        ("切菜切到手腕了血一直往外喷", "bleeding"),
        ("我爸打完农药回来就吐浑身是汗", "poisoning_pesticide"),
        # no 完/了 after 打, and 地里 … 晕 also fits heat stroke: the pesticide comes first
        ("地里打药以后头晕想吐咋办", "poisoning_pesticide"),
        # collapsed in the sun, hot to the touch: heat stroke first, though he does not answer (not CPR)
        ("嗯我们工地上有个工友大太阳底下干活突然晕倒了就是身上很烫叫他也不太清醒怎么办", "heatstroke"),
        ("屋里烧炭取暖早上叫不醒了", "poisoning_gas"),
        # a smell of gas with someone down: the gas steps (windows open, carried out), not CPR first
        ("屋里煤气味好重人晕过去了", "poisoning_gas"),
        ("燃气漏了俺爹倒在厨房里", "poisoning_gas"),
        ("老汉儿遭电打了还趴在电线上头", "electric_shock"),
        ("被蛇咬了一口", "snakebite"),
        ("有个人倒在地上叫不醒也没呼吸了", "not_breathing"),
        # the universal choking sign: hands at the throat, face going purple (not CPR first)
        ("饭桌上老头突然不吭声了两手掐着脖子脸都憋紫了", "choking"),
        # the words of a first-aid course (气道异物梗阻), not only people's words
        ("成年人进食时发生气道异物梗阻、无法发声，应当如何施救？", "choking"),
        ("吃饭时一块肉把气管堵住了", "choking"),
        ("成年人进食时异物卡喉、无法发声，旁人应如何施救？", "choking"),
        ("开水泼到娃身上了", "burn"),
        ("手上的口子血止不住", "bleeding"),
        # drunk and cannot be woken: on his side, watched (the alcohol article), not CPR; but a drunk
        # person who has stopped breathing gets CPR
        ("俺家老头子喝多了躺地上叫不醒咋整", "alcohol_poisoning"),
        ("喝醉了叫不醒也没有呼吸了", "not_breathing"),
        ("早上发现婆婆在生炉子的屋里昏着叫不醒", "poisoning_gas"),
        # a coal-heated kang and coal smoke: carbon monoxide, not an unexplained collapse
        ("东北这边冬天烧炕，今早俺去喊俺舅起床，他屋里一股煤烟味，人咋叫都叫不醒，咋整？", "poisoning_gas"),
        ("下地的时候让蛇给咬了", "snakebite"),
        ("下菜窖拿白菜的人晕在里头了", "confined_space"),  # bad air: not CPR for whoever climbs in
        ("炒菜的时候热油溅了一手", "burn"),
        # the cause before the symptom: foam at the mouth after drinking pesticide is the poisoning
        ("邻居家老头喝农药了正在吐白沫", "poisoning_pesticide"),
        # a fit on a building site is a fit, not heat stroke by setting (工地 … 倒)
        ("工地上有个工友突然倒地上手脚一抽一抽的口吐白沫", "seizure"),
        # a child and a handful of pills: 好多/一把 with pills counted, not 好多药 over an illness
        ("俺家娃吃了好多药片咋办", "poisoning_medicine"),
        ("孩子一下吞了一把药丸", "poisoning_medicine"),
        # household chemicals as people name them (八四 for 84消毒液), a bottle between 把 and the name
        ("那个就是我家小孩把洗衣台上那瓶八四喝了一口嗯现在怎么办啊", "poisoning_medicine"),
        ("娃把厕所里的洁厕灵喝了一口，怎么办？", "poisoning_medicine"),
        # 装在 (where a gas alarm goes) is a knowledge word only as 装在哪
        ("娃把装在矿泉水瓶里的洁厕灵喝了一口，这可咋整？", "poisoning_medicine"),
        ("手被开水烫了起了个大水泡", "burn"),
        ("下地让蛇咬伤了", "snakebite"),
        ("邻居家的狗咬了俺娃一口咋整", "dog_bite"),
        ("胸口闷得慌、压着疼了快半个钟头，我自己骑电动车去卫生院行不行？", "heart_attack"),
        ("大黄狗把娃咬了", "dog_bite"),
        # a bite that drew blood, however little, needs the rabies steps (流了点血 is no cut here)
        ("俺在村口晒场上晒麦子，让邻居家的大黄狗咬了腿一口，流了点血，咋整？", "dog_bite"),
    ],
)
def test_emergencies_are_recognised_by_what_people_describe(words: str, kind: str) -> None:
    found = default_recognizer().recognize(words)
    assert found is not None and found.kind == kind


@pytest.mark.parametrize(
    "words",
    [
        "胸口有点闷是不是没睡好",
        "怎么预防中风",
        "中风以后在家里咋康复锻炼",
        "去年溺水的事故多吗",
        "晚上睡觉小腿老抽筋是不是缺钙",
        "切菜把手指头划了个小口子流了点血",
        "煤气费在哪交",
        "冬天烧炕要注意啥",
        "太阳底下干活头有点晕是不是中暑了",
        "狗咬人是不是因为饿了",
        # questions about airways that describe no one choking now
        "气道异物梗阻的急救方法叫什么名字",
        "慢阻肺是不是气道堵塞引起的",
        "打药要穿戴些啥",
        "第32条由哪个单位负责？",
        # no Heimlich for a fish bone, no tourniquet for a nosebleed, no scald in a dish or a pan fire
        "吃鱼的时候一根鱼刺卡在嗓子眼了咋弄出来",
        "鱼刺卡喉了咋办",
        "小孩流鼻血止不住仰着头对不对",
        "怀孕了能不能吃火锅麻辣烫",
        "炒菜油锅着火了能不能泼水",
        # a claim to check, not a person in danger now
        "心梗发作时使劲咳嗽能自救，是真的吗",
        "娃吃了好多药还是咳嗽",
        "八四消毒液能洗菜吗",
        "煤气报警器装在哪",
        "闻着有点煤气味咋回事",
        "天然气漏了会不会爆炸",
        # a pan fire is no scald; a blister from an insect is no burn; a snake named in a comparison
        "炒菜时油锅起火了，能不能泼一盆水灭火？",
        "胳膊上被一种红黑相间的小虫子爬过，起了一道水泡，说是隐翅虫，怎么处理？",
        "被蜈蚣咬了手，要不要像被蛇咬那样赶紧用嘴把毒吸出来？",
        # how to give chest compressions is a question about first aid, not chest pain
        "给大人做胸外按压，一分钟按多少下，往下按多深？",
    ],
)
def test_look_alikes_are_not_emergencies(words: str) -> None:
    assert default_recognizer().recognize(words) is None


def test_an_acute_sign_overrides_knowledge_wording() -> None:
    r = default_recognizer()
    assert r.recognize("听说煤气中毒了要开窗") is None  # asked about, nobody in danger
    assert r.recognize("听说煤气中毒了要开窗，我妈现在叫不醒") is not None


def test_every_kind_names_articles_that_exist() -> None:
    r = EmergencyRecognizer.load()
    for kind in r.kinds:
        assert kind.articles, kind.name
        for article in kind.articles:
            assert (KNOWLEDGE / "science" / f"{article}.md").exists(), (kind.name, article)


# --- answerability --------------------------------------------------------------------------------


def test_key_concepts_leave_out_generic_words(lexicon: Lexicon, tokenizer: Tokenizer) -> None:
    words = [c.word for c in key_concepts("吃烧烤烤焦的肉会致癌吗", tokenizer, lexicon, known=known)]
    assert "烤焦" in words and "致癌" not in words and "吃" not in words
    assert {"致癌", "身体", "吃"} <= generic_words()
    assert [c.word for c in key_concepts("隔夜菜能吃吗", tokenizer, lexicon, known=known)] == ["隔夜菜"]
    # how a question refers to the plan (部署, 单位) is not what it asks about
    plan = key_concepts("要点对科学辟谣平台作了哪些部署，由哪些单位负责", tokenizer, lexicon, known=known)
    assert "平台" in [c.word for c in plan] and not {"部署", "单位"} & {c.word for c in plan}
    # 把手 in "把手烫了" is 把 + 手, and a verb with 点 (抹点, 灌点) says a little of something
    burn = {c.word for c in key_concepts("把手烫了要不要抹点酱油", tokenizer, lexicon, known=known)}
    assert "酱油" in burn and not {"把手", "抹点"} & burn


def test_a_peoples_word_the_library_never_uses_leaves_its_own_words_to_check(
    lexicon: Lexicon, tokenizer: Tokenizer
) -> None:
    """猫抓了 is a curated word none of whose equivalents the articles write (they say 猫咬伤或抓伤): it
    cannot be checked itself, and it no longer hides the thing it names, 猫."""
    assert "猫抓了" in lexicon.terms("被猫抓了出血了怎么办")
    assert not any(known(a) for a in lexicon.aliases("猫抓了"))
    assert [c.word for c in key_concepts("被猫抓了出血了怎么办", tokenizer, lexicon, known=known)] == ["猫"]
    # a curated word the library does use is still the concept, whole
    assert [c.word for c in key_concepts("娃拉稀了咋整", tokenizer, lexicon, known=known)] == ["拉稀"]


def test_a_dialect_word_is_as_weak_as_its_mandarin_and_people_of_a_kind_are_one(lexicon: Lexicon) -> None:
    """娃 is 孩子 (Cilin's only sense of 娃 is a doll, Bi01A): it says who, like 孩子. A claim about
    婴儿 is stated by a question about 娃 or 宝宝 (both Ab04, children), not by one about 老人."""
    assert lexicon.weak("娃") and lexicon.weak("孩子") and not lexicon.weak("蜂蜜")
    assert lexicon.person_kind_in("婴儿", "不满一岁的娃不能喝蜂蜜水")
    assert lexicon.person_kind_in("婴儿", "宝宝能不能吃")
    assert not lexicon.person_kind_in("婴儿", "老人不能喝蜂蜜水")
    assert not lexicon.person_kind_in("蜂蜜", "蜂蜜水")  # names no person
    # a child named by age, whatever the word for him (孙子 is a grandson, not Cilin's child class)
    assert lexicon.person_kind_in("婴儿", "想给八个月的孙子喂点蜂蜜水")
    assert lexicon.person_kind_in("婴儿", "孙子还不到一岁能吃蜂蜜吗")
    assert not lexicon.person_kind_in("婴儿", "孙子能吃蜂蜜吗")
    assert not lexicon.person_kind_in("老人", "想给八个月的孙子喂点蜂蜜水")  # an age says child, not old
    assert not lexicon.person_kind_in("蜂蜜", "八个月的孙子")  # names no person


def test_a_thing_jieba_tags_as_a_verb_is_still_a_concept(
    lexicon: Lexicon, tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kepu.answering.answerability as answerability

    q = "听说喝隔夜的开水会致癌是真的吗"
    assert ("开水", "v") in tokenizer.tagged(q)  # jieba's tag
    assert "开水" in [c.word for c in key_concepts(q, tokenizer, lexicon, known=known)]
    # a place word stays a setting, whatever Cilin says of it
    car = "俺媳妇怀着孩子再车上晕的厉害能吃晕车片不"
    assert "车上" not in [c.word for c in key_concepts(car, tokenizer, lexicon, known=known)]
    monkeypatch.setattr(answerability, "GATE_THING_TAG", False)
    assert "开水" not in [c.word for c in key_concepts(q, tokenizer, lexicon, known=known)]


def test_eating_a_food_raw_is_a_concept(lexicon: Lexicon, tokenizer: Tokenizer) -> None:
    """生吃 is what a raw-egg claim is about: a check on soy milk and eggs that never says it is not."""
    q = "我爸每天早上打两个生鸡蛋冲着喝，说生吃比煮熟了营养高，是这样吗？"
    (raw,) = [c for c in key_concepts(q, tokenizer, lexicon, known=known) if c.word == "生吃"]
    assert raw.covered_by("生吃淡水鱼虾") and not raw.covered_by("豆浆和鸡蛋一起吃")
    assert "吃生的" in lexicon.aliases("生吃")  # as people say it


def test_fillers_name_nothing_and_taking_medicine_is_said_many_ways(
    lexicon: Lexicon, tokenizer: Tokenizer
) -> None:
    words = [c.word for c in key_concepts("俺们这旮旯有人好吃野味", tokenizer, lexicon, known=known)]
    assert "旮旯" not in words
    pills = [c for c in key_concepts("是否可以自行停止服药", tokenizer, lexicon, known=known)]
    assert any(c.covered_by("吃降压药血压降到正常了，能停药吗") for c in pills)


def test_an_illness_the_staff_listed_is_one_concept(lexicon: Lexicon, tokenizer: Tokenizer) -> None:
    assert lexicon.illness("骨质疏松") and lexicon.illness("缺钙") and not lexicon.illness("浓茶")
    words = [c.word for c in key_concepts("常喝浓茶会导致骨质疏松吗", tokenizer, lexicon, known=known)]
    assert words == ["浓茶", "骨质疏松"]  # not 骨质 as jieba cuts it
    # an illness the library never names stays a concept, so no document answers for it
    assert "更年期" in [
        c.word for c in key_concepts("是不是更年期到了要不要吃药", tokenizer, lexicon, known=known)
    ]


def test_a_verb_written_with_its_thing_names_the_thing(
    lexicon: Lexicon, tokenizer: Tokenizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kepu.answering.answerability as answerability
    from kepu.answering.answerability import inner_thing

    assert inner_thing("吃火锅", tokenizer, lexicon) == "火锅"
    assert inner_thing("坐电梯", tokenizer, lexicon) == "电梯"
    # a thing of its own is not split: 电饭锅 is not 饭锅, 电磁炉 is not 电磁
    assert inner_thing("电饭锅", tokenizer, lexicon) is None
    assert inner_thing("电磁炉", tokenizer, lexicon) is None
    q = "怀孕了能不能吃火锅麻辣烫"
    assert "火锅" in [c.word for c in key_concepts(q, tokenizer, lexicon, known=known)]
    monkeypatch.setattr(answerability, "GATE_INNER_THING", False)
    assert "火锅" not in [c.word for c in key_concepts(q, tokenizer, lexicon, known=known)]


def test_being_pregnant_said_many_ways_is_one_concept(lexicon: Lexicon, tokenizer: Tokenizer) -> None:
    for q in (
        "怀着孩子能不能少喝点啤酒",
        "俺儿媳妇有身子了能下地打农药不",
        "刚怀上孩子能喝酒吗",
        "怀孕了能喝酒吗",
    ):
        (pregnant,) = [c for c in key_concepts(q, tokenizer, lexicon, known=known) if "孕妇" in c.aliases]
        assert pregnant.covered_by("孕妇不要去打农药"), q


def test_a_concept_is_covered_directly_or_through_an_alias(lexicon: Lexicon, tokenizer: Tokenizer) -> None:
    concepts = key_concepts("一家子都上吐下泻", tokenizer, lexicon, known=known)
    assert not uncovered(concepts, "食物中毒的人常常会呕吐、腹泻。")
    charred = key_concepts("吃烧烤烤焦的肉会致癌吗", tokenizer, lexicon, known=known)
    msg = "味精的主要成分是谷氨酸钠，没有证据表明会致癌。"
    assert [c.word for c in uncovered(charred, msg)] == ["烧烤", "烤焦"]  # 烧烤 is a thing (GATE_THING_TAG)


def test_the_topic_is_the_first_concept_and_a_claims_subject_may_be_a_word_the_library_lacks(
    lexicon: Lexicon, tokenizer: Tokenizer
) -> None:
    def concepts(q: str):  # type: ignore[no-untyped-def]
        return key_concepts(q, tokenizer, lexicon, known=known)

    crab = "榴莲跟山竹一块儿吃会中毒"  # 榴莲 is in no article: only a claim makes it the subject
    assert CLAIM_RE.search(crab)
    assert topic(concepts(crab), known, nouns=True).word == "榴莲"  # type: ignore[union-attr]
    assert topic(concepts(crab), known, nouns=False).word == "中毒"  # type: ignore[union-attr]
    # a how-to question: the setting (锄地) is not what it is about, and it states no claim
    storm = "在地里锄地突然打雷了咋整"
    assert not CLAIM_RE.search(storm)
    assert topic(concepts(storm), known, nouns=False).word == "打雷"  # type: ignore[union-attr]
    # concepts come in the order the question says them
    assert [c.word for c in concepts("胸口疼还出冷汗")][:1] == ["胸口疼"]
    assert topic([], known) is None


@pytest.mark.parametrize(
    ("question", "states"),
    [
        ("山里逮的野兔子能吃不", True),  # a yes/no question in people's words
        ("同事是乙肝携带者和他一个桌吃饭会传染吗", True),
        ("地震的时候躲到门框底下最安全", True),  # a bare statement: no question word at all
        ("孩子磨牙是不是肚子里有虫", True),
        ("崴脚了怎么办", False),  # how-to questions state nothing to check
        ("被困在电梯里了咋办", False),
        ("做心肺复苏一分钟要按多少下", False),
        ("这可怎么", False),  # 么 of 怎么 is no yes/no particle
    ],
)
def test_a_yes_no_question_or_a_bare_statement_puts_something_forward(question: str, states: bool) -> None:
    assert states_something(question) is states


def test_people_body_parts_and_symptoms_are_weak_concepts(lexicon: Lexicon) -> None:
    """Cilin's people (A) and body parts (Bk), and the staff's weak_words with their synonyms."""
    for word in ("婴儿", "孕妇", "肚子", "眼睛", "发烧", "想吐", "恶心", "拉稀"):
        assert lexicon.weak(word), word
    for word in ("疫苗", "醋", "门框", "中风", "凉拌菜", "洋葱"):
        assert not lexicon.weak(word), word
    without = Lexicon.load(KNOWLEDGE / "synonyms.yaml", cilin=False)
    assert without.weak("发烧") and not without.weak("肚子")  # body parts come from Cilin only


def test_things_and_their_kinds(lexicon: Lexicon) -> None:
    assert lexicon.thing("醋") and lexicon.thing("狗") and not lexicon.thing("肚子")
    assert lexicon.only_thing("洋葱") and not lexicon.only_thing("疙瘩")  # 疙瘩 is also a feeling
    assert lexicon.kind_in("西瓜", "糖尿病人可以适量吃水果")  # 西瓜 is a 水果
    assert not lexicon.kind_in("洋葱", "流感是病毒引起的呼吸道传染病")


def test_a_passage_must_share_the_questions_thing_not_only_its_body_part(
    lexicon: Lexicon, tokenizer: Tokenizer
) -> None:
    vinegar = key_concepts("每天喝一小杯醋能减肥瘦肚子吗", tokenizer, lexicon, known=known)
    assert "醋" in [c.word for c in vinegar]  # a one-character thing is a concept
    worms = "孩子经常肚子疼、吃饭不香、变瘦，要及时去医院。"
    assert not uncovered([c for c in vinegar if c.word == "肚子"], worms)
    assert not anchored(vinegar, worms)
    assert anchored(vinegar, "喝醋不能减肥")
    # only weak concepts: nothing more to share ("拉肚子了咋整")
    loose = key_concepts("拉肚子了咋整", tokenizer, lexicon, known=known)
    assert loose and all(c.weak for c in loose) and anchored(loose, "腹泻时要多喝水")
    assert anchored([], "任何文字")
    # an illness the library never names is still the question's thing: the shared symptoms do not
    # make the gas-poisoning article about 偏头痛 (and 头痛 inside it is not the question's word)
    migraine = key_concepts("偏头痛一犯就恶心想吐咋办", tokenizer, lexicon, known=known)
    assert [c.word for c in migraine][0] == "偏头痛" and "头痛" not in [c.word for c in migraine]
    gas = "煤气中毒轻的会头疼、头晕、恶心、呕吐。"
    assert not anchored(migraine, gas, known) and anchored(migraine, "偏头痛发作时恶心想吐", known)
    # a voice-typing leftover the dictionary does not know (各输, 冲冲) cannot be matched anywhere
    drip = key_concepts("每年春秋各输一次液能冲冲血管", tokenizer, lexicon, known=known)
    assert anchored([c for c in drip if c.word in ("各输", "冲冲")], "任何文字", known)
    # 冲血管 is the people's phrase for the rumor checks' 软化血管 (synonyms.yaml phrases)
    (flush,) = [c for c in drip if c.word == "冲血管"]
    assert flush.covered_by("吃醋能软化血管吗") and not flush.covered_by("中风是脑子里的血管突然堵住")
    # people's words for a ride (坐大巴) are the articles' (坐车)
    bus = key_concepts("一坐大巴就想吐头昏眼花", tokenizer, lexicon)
    assert anchored(bus, "坐车想吐时可以开窗")


def test_a_named_programme_is_a_concept(lexicon: Lexicon, tmp_path: Path) -> None:
    """The plan's programme and unit names are jieba user words: proper names (nz), so a question about
    中学生英才计划 is about it, not about 学生 and 条件 (once it was answered from the snakebite article)."""
    names = Tokenizer(tmp_path, user_words=["中学生英才计划"])
    words = [c.word for c in key_concepts("中学生英才计划选拔学生的条件是什么", names, lexicon, known=known)]
    assert words[0] == "中学生英才计划"


def test_a_comparison_is_not_what_the_question_is_about(lexicon: Lexicon, tokenizer: Tokenizer) -> None:
    words = [
        c.word for c in key_concepts("娃被蜜蜂蛰了手肿得跟馒头似的咋整", tokenizer, lexicon, known=known)
    ]
    assert "馒头" not in words and "蜜蜂" in words


def test_a_vaccine_is_named_by_what_it_prevents(lexicon: Lexicon, tokenizer: Tokenizer) -> None:
    q = "闺女十几岁了，HPV疫苗啥时候打合适"
    found = compounds(q, key_concepts(q, tokenizer, lexicon, known=known))
    assert [(name.word, head.word) for name, head in found] == [("hpv疫苗", "疫苗")]
    name, head = found[0]
    child = "国家免疫规划疫苗是政府免费提供的"
    assert head.covered_by(child) and not name.covered_by(child)
    # a vaccine the synonyms name whole (狂犬疫苗 = 狂犬病疫苗) is one concept, no compound
    rabies = "被狗咬了要打狂犬疫苗吗"
    assert compounds(rabies, key_concepts(rabies, tokenizer, lexicon, known=known)) == []
    assert compounds("地震了咋办", key_concepts("地震了咋办", tokenizer, lexicon, known=known)) == []


def test_latin_words_are_concepts(lexicon: Lexicon, tokenizer: Tokenizer) -> None:
    words = [c.word for c in key_concepts("女孩子打了HPV疫苗以后怀不上孩子", tokenizer, lexicon, known=known)]
    assert "hpv" in words and "疫苗" in words
    assert "2020" not in [c.word for c in key_concepts("2020年的工作", tokenizer, lexicon, known=known)]


# --- claims ---------------------------------------------------------------------------------------

MSG = Chunk(
    "rumor-msg#0",
    "rumor-msg",
    "味精吃多了会致癌吗？",
    "science",
    "",
    "",
    verdict="谣言",
    claims=("味精吃多了会致癌", "味精有毒"),
    subjects=(("味精", "谷氨酸钠", "鸡精"),),
)


@pytest.mark.parametrize(
    ("question", "claim"),
    [
        ("听说味精吃多了会得癌是真的不", "味精吃多了会致癌"),
        ("谷氨酸钠有毒吗", "味精有毒"),
        ("鸡精比味精更健康吗", None),  # about 味精, but not a claim the check rules on
        ("味精会让人掉头发吗", None),
        ("吃烧烤烤焦的肉会致癌吗", None),  # the claim's words, but not its subject
        ("腌菜跟味精一样吃多了会致癌吗", None),  # 味精 only as a comparison: the question is about 腌菜
    ],
)
def test_a_verdict_needs_the_subject_and_the_claim(
    lexicon: Lexicon, tokenizer: Tokenizer, question: str, claim: str | None
) -> None:
    found = claims.match(question, MSG, tokenizer.words, lexicon)
    assert (found.claim if found else None) == claim


def test_claim_match_threshold_boundary(lexicon: Lexicon, tokenizer: Tokenizer) -> None:
    """CLAIM_MATCH = 1.0: every own word of the claim. One of two is not enough."""
    two = Chunk(
        "c#0", "c", "t", "science", "", "", verdict="谣言", claims=("醋能软化血管",), subjects=(("醋",),)
    )
    assert claims.claim_words("醋能软化血管", two.subjects, tokenizer.words) == ["软化", "血管"]
    assert claims.match("醋能软化血管吗", two, tokenizer.words, lexicon) is not None
    assert claims.match("醋对血管好吗", two, tokenizer.words, lexicon) is None  # 1 of 2 words
    assert claims.CLAIM_MATCH == 1.0


# --- first aid ------------------------------------------------------------------------------------


def test_steps_are_rebuilt_whole_from_overlapping_chunks_and_renumbered() -> None:
    a = Chunk("x#0", "x", "题目", "science", "1. 先拨打120。\n2. 让病人躺下", "怎么做", section="怎么做")
    b = Chunk(
        "x#1", "x", "题目", "science", "2. 让病人躺下，解开衣领。\n4. 守着病人。", "怎么做", section="怎么做"
    )
    c = Chunk("x#2", "x", "题目", "science", "不要给病人喂水。", "不要做", section="不要做")
    text, quoted = first_aid.emergency_text([a, b, c], "有人晕倒了", "立即拨打120")
    lines = text.splitlines()
    assert lines[0] == "立即拨打120"
    assert [ln for ln in lines if ln[:2] in ("1.", "2.", "3.", "4.")] == [
        "1. 先拨打120。",
        "2. 让病人躺下，解开衣领。",
        "3. 守着病人。",
    ]
    assert "· 不要给病人喂水。" in lines and "如果症状持续" not in text
