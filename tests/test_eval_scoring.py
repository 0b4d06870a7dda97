"""How a hard-negative answer is scored (kepu/evaluation/trust.py): grounded means the cited text names the
subject, with one exception for "X负责Y吗" about a task the plan never mentions."""

from __future__ import annotations

import pytest

from kepu.answering.answer import Answer, Citation
from kepu.evaluation.trust import score_hard_negative

pytestmark = pytest.mark.unit


def _item(n: int, text: str) -> Citation:
    return Citation("2020-work-points", "工作要点", "plan", n, None, ["卫生健康委"], text)


NO = "《2020年全民科学素质行动工作要点》中没有写到卫生健康委负责“发放健康码”。卫生健康委负责的是第8条。"
OWN_ITEM = _item(8, "普及健康生活方式，提高全民健康素养水平。")


def test_a_no_to_a_task_the_plan_never_mentions_is_grounded_by_the_units_own_items() -> None:
    q = {"q": "卫健委负责发放健康码吗", "subject": ["健康码"], "expect": "refuse", "yes": False}
    row = score_hard_negative(q, Answer(q["q"], NO, "structured", [OWN_ITEM], route="unit_yes_no"))
    assert row["ok"] and row["grounded"]
    # a "yes" to it is neither
    yes = Answer(q["q"], "是的。第8条写到了这项工作", "structured", [OWN_ITEM], route="unit_yes_no")
    assert not score_hard_negative(q, yes)["grounded"]


def test_the_exception_does_not_cover_a_task_other_units_have() -> None:
    # the plan has the task (items_any): "没有写到" must cite the items that have it to be grounded
    q = {
        "q": "卫健委负责发放健康码吗",
        "subject": ["健康码"],
        "expect": "answer",
        "yes": False,
        "items_any": [3],
    }
    row = score_hard_negative(q, Answer(q["q"], NO, "structured", [OWN_ITEM], route="unit_yes_no"))
    assert not row["grounded"] and not row["ok"]
    cited = [_item(3, "发放健康码的科普"), OWN_ITEM]
    assert score_hard_negative(q, Answer(q["q"], NO, "structured", cited, route="unit_yes_no"))["ok"]


def test_a_quote_that_only_shares_the_topic_is_not_grounded() -> None:
    q = {"q": "吃烧烤烤焦的肉会致癌吗", "subject": ["烤焦", "烧烤"], "expect": "refuse"}
    quote = Citation(
        "rumor-msg", "味精吃多了会致癌吗？", "science", None, None, [], "味精不会致癌。", verdict="谣言"
    )
    row = score_hard_negative(q, Answer(q["q"], "【谣言】这是谣言。", "extractive", [quote]))
    assert not row["grounded"] and row["wrong_verdict"] and not row["ok"]
