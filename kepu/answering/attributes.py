"""Questions about things the plan does not hold, and yes/no questions about a unit and a task.

The plan says who is responsible for what; it does not give a unit's head, phone numbers, web sites,
addresses, opening hours, event dates, budgets, how to apply, or what has come of the work since. Such a question gets an honest
partial answer — what the plan does say about the subject, labelled as such, and that it does not say
the asked thing — or a refusal when it says nothing about the subject (kepu/answering/bot.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (label used in the answer, how people ask for it). First match wins.
ATTRIBUTES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        (
            "负责人",
            r"(主任|负责人|领导|部长|局长|主席|书记|院长|馆长|一把手|团长)(是谁|叫什么|是哪位|姓什么|是哪个)|谁是.{0,8}(主任|负责人|领导|部长|局长|主席)",
        ),
        ("联系电话", r"电话|热线|联系方式|手机号"),
        (
            "网址",
            r"官网|网址|网站|网页|公众号|微信号|app|APP|小程序|在线平台叫|(从|在)哪(里|儿)?(能|可以)?(看到|看|查到|查)",
        ),
        (
            "开放时间",
            r"(开放|开门|营业)的?时间|几点钟?(开门|关门|开放|开)|营业时间|周几开放|哪天开放|"
            r"(周末|周六|周日|星期.|礼拜.|节假日|过年|晚上|早上)(开门|开放|开着|关门)|开门不|开不开门",
        ),
        ("处罚", r"罚款|罚多少|罚钱|处罚|会被罚|要罚"),
        (
            "时间",
            r"(几月几号|几月几日|几号|哪天|哪一天|几月份|什么时候|何时|啥时候)(开幕|开始|举办|举行|召开|结束|截止|报名|开)?|(开幕|开始|举办|举行|召开|结束|截止).{0,4}(几号|哪天|时间)|开了几天|哪一年(颁布|定|设立|成立|开始)|从哪天",
        ),
        (
            "地址",
            r"(办公|详细|具体|通讯|通信|联系)?地址|办公地点|在哪(里|儿)?(办|开|比|举办|举行|召开|买|建)?$|在哪(里|儿)?(办|开|比|举办|举行|召开|买|建|能)|在什么地方|在哪个地方|设在哪|哪里能买|在哪能",
        ),
        ("经费", r"多少钱|经费|预算|拨了多少|补多少|补贴|花了多少|投入多少|拨款|资金"),
        (
            "报名或申请办法",
            r"报名|申请|申报|怎么参加|如何参加|怎么预约|预约|怎么请|请到|什么条件|哪些条件|啥条件|怎么加入|如何加入",
        ),
        # "哪几家单位" asks which, not how many
        ("人数", r"(?<!哪)(多少|几)(个)?(工作人员|人员|人|家|所|座)(?!民)|一共有多少(家|所|人)"),
        ("主题", r"主题是"),
        # how often an event comes or is held: the plan names activities, never their frequency
        (
            "举办次数",
            r"(一年|每年|一个月|每月|一季度)(来|办|搞|开|举办|举行|组织)(几|多少)(回|次|趟|场)(?!月经|例假)|"
            r"多久(办|搞|开|举办|举行|组织)一(回|次|趟|场)",
        ),
        # whether something has happened by now: the plan sets out 2020's work, it reports no outcome
        (
            "进展或结果",
            r"已经.{0,16}了(吗|没|没有)[？?]*$|(出台|建成|落实|完成|实现|纳入|开通|上线|办成)了(吗|没|没有)[？?]*$|"
            # the same asked in a clause of its own ("……现在建成了没有，纳入国家应急管理体系了吗？")
            r"(出台|建成|建好|落实|完成|实现|开通|上线|办成)了(没|没有)[，,。；;]|纳入.{1,12}了(吗|没|没有)[？?]*$|"
            r"进展(如何|怎么样|到哪)|最新一期|现在.{0,6}(怎么样了|到哪一步)",
        ),
        ("名单", r"都有谁|名单|评上了?谁|获奖的|哪几所|哪些(大学|学校|高校)"),
        # what an activity teaches in detail: the plan names activities, not their lessons
        ("具体内容", r"具体(给.{0,6})?(讲|教|学|说)(些|了)?(啥|什么|哪些)"),
        # 编制（面向2035年的）规划 is drawing up a plan, not a staffing quota, and so is a plan named
        # first ("规划纲要……如何推进编制")
        (
            "工资待遇",
            r"工资|待遇|薪水|^(?!.*(规划|纲要|方案|计划).{0,16}编制).*编制(?!.{0,16}(规划|纲要|方案|计划|工作))",
        ),
    )
)

# "X负责Y吗": a yes/no question about a unit and a task.
YESNO_RE = re.compile(
    r"(吗|(?<![什怎那这多])么|没有|不)[?？。!！]*$|是不是|有没有|参不参与|参不参加|负不负责|管不管|有份吗|有份没|是否"
)
# Words of a yes/no question that are about responsibility, not about the task.
DUTY_WORDS_RE = re.compile(
    r"负责|参与|参加|牵头|承担|主管|管不管|管|有份|有没有份|负不负责|参不参与|参不参加|是不是|是否|有没有|要不要|"
    r"这件事|这个事|这项工作|这事|的工作|工作|负责的|办的|搞的|做的|任务|哪几条|哪些|哪条|几条|工作要点|要点|文件|"
    r"里面|里头|里|中|有活|活儿|活|事儿|事情|吗|么|呢|啊|嘞|哩|咧|呀|嘛|的|了|是|由|在|和|与|这个|那个|事|[?？,，。!！、]"
)


# "挑战杯那个比赛": a demonstrative and a category word after a name only say what kind of thing it is.
APPOSITIVE_RE = re.compile(r"(那个|这个|那种|这种)(比赛|大赛|活动|项目|会议|工程|平台)")


# How the plan's own text speaks of an attribute, where it does at all: "确保政策、资金等保障有力" is
# what the plan says of money (it gives no amount).
WRITTEN: dict[str, re.Pattern[str]] = {"经费": re.compile(r"资金|经费|预算|投入")}


@dataclass(frozen=True)
class Asked:
    label: str  # the attribute in words (负责人, 网址 …)
    words: str  # the words that asked for it (removed before finding the subject)


def asked_attribute(question: str) -> Asked | None:
    for label, pattern in ATTRIBUTES:
        m = pattern.search(question)
        if m:
            return Asked(label, m.group(0))
    return None


def yes_no_task(question: str, unit_names: list[str]) -> str | None:
    """The task of a "X负责Y吗" question (the words left once the unit and the duty words are gone),
    or None when it is not such a question or names no task."""
    if not YESNO_RE.search(question):
        return None
    rest = question
    for name in sorted(unit_names, key=len, reverse=True):
        rest = rest.replace(name, " ")
    rest = APPOSITIVE_RE.sub(" ", rest)
    task = DUTY_WORDS_RE.sub(" ", rest)
    task = re.sub(r"\s+", " ", task).strip()
    return task if len(task.replace(" ", "")) >= 2 else None
