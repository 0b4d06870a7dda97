import pytest

from kepu.text import HOW_TO_RE, item_refs, normalize

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("第二十六条由哪个单位负责？", "第26条由哪个单位负责?"),
        ("第四十一項講的是什麼", "第41条讲的是什么"),
        ("第９条", "第9条"),
        ("26条是谁负责", "第26条是谁负责"),
        ("衛健委負責哪些工作", "卫健委负责哪些工作"),
        ("第 32 条", "第32条"),
    ],
)
def test_normalize_item_refs_traditional_and_full_width(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", ["自然科学基金委负责哪一条", "有哪几条", "说一点", "2020年工作要点"])
def test_words_that_are_not_item_references_stay(raw: str) -> None:
    assert item_refs(normalize(raw)) == []


def test_item_refs_in_order_without_duplicates() -> None:
    assert item_refs(normalize("第三条和第32条，还有第三条")) == [3, 32]


@pytest.mark.parametrize(
    ("question", "how_to"),
    [
        ("被蛇咬了怎么办", True),
        ("屋里烧炭人叫不醒有什么办法", True),
        ("老人家冲凉好易跌亲有什么好法子", True),
        ("有什么办法查到第32条", True),  # asks how, though not first aid: compose prefers steps
        # a first-aid course's words, and 做些啥 once the language layer has made it 做些什么
        ("成年人异物卡喉，旁人应如何施救？", True),
        ("应当如何进行胸外按压？", True),
        ("脚背上挨了一口蛇咬，眼下该做些什么？", True),
        ("蛇咬人有什么特点", False),
        ("这个办法是哪一年出的", False),
    ],
)
def test_a_question_asking_what_to_do(question: str, how_to: bool) -> None:
    assert bool(HOW_TO_RE.search(question)) is how_to
