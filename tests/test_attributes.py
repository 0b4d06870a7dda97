"""What a question asks of its subject (kepu/answering/attributes.py): the words that ask an attribute the plan
does not hold, and the look-alike words that do not."""

from __future__ import annotations

import pytest

from kepu.answering.attributes import asked_attribute

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("question", "label"),
    [
        ("科普工作人员有没有编制", "工资待遇"),
        # 编制 a plan, however many words come between, is drawing it up
        ("为下一阶段（到2035年）编制全民科学素质规划，要点安排了哪些配套工作？", None),
        ("面向2035年的全民科学素质行动规划纲要，工作要点要求如何推进编制？", None),
        ("乡镇科普员能不能解决编制", "工资待遇"),
        # whether the work is done yet, asked in a clause of its own
        ("国家应急科普快速响应机制现在建成了没有，纳入国家应急管理体系了吗？", "进展或结果"),
        ("应急科普快速响应机制纳入了哪个体系", None),
        ("全国一共有多少家科技馆", "人数"),
        # 哪几家 asks which units, which the plan does say; 哪几所 (universities) asks a list it does not
        ("俺家娃想参加青少年科技创新大赛，文件里这个比赛是哪几家单位牵头的？", None),
        ("科普学分制试点是哪几所大学", "名单"),
        ("应急科普中央厨房建成以后，老百姓从哪里能看到里面的内容？", "网址"),
        ("科协的办公地址在哪", "地址"),
        ("“水上交通安全知识进校园”具体给学生讲些啥？", "具体内容"),
        ("水上交通安全知识进校园是哪一条", None),
    ],
)
def test_what_a_question_asks_of_its_subject(question: str, label: str | None) -> None:
    asked = asked_attribute(question)
    assert (asked.label if asked else None) == label
