"""Safety rules for health questions: emergencies first, no doses, no diagnosis, honest gaps."""

from __future__ import annotations

import re

# Emergencies are recognised by what people describe (kepu/answering/emergency.py); their answers start with this.
EMERGENCY_LINE = "情况紧急时，请立即拨打120急救电话。"

# A health question: answers to it end with DOCTOR_LINE, and without approved material it is refused.
HEALTH_RE = re.compile(
    r"病|药|症|痛|疼|咬|伤|烧|血|医|健康|发烧|咳|中暑|中毒|疫苗|感染|拉肚子|腹泻|呕吐|头晕|过敏|怀孕|孕妇|"
    r"吃了|能吃|能不能吃|喝了|睡不着|失眠|蛰|蜇|叮|抽筋"
)
# What a refusal treats as a health question (the health refusal: 12320 and a doctor, not the plan's
# help): HEALTH_RE, plus eating advice, the body and common conditions that people ask about without a
# word HEALTH_RE lists ("甲亢吃什么好", "娃近视了还能好不"). Only for choosing the refusal's words:
# HEALTH_RE alone still decides the doctor line under an answer.
ASKS_HEALTH_RE = re.compile(
    HEALTH_RE.pattern
    + r"|吃什么好|吃啥好|忌口|补什么|近视|视力|眼睛|牙|皮肤|血压|血糖|血脂|减肥|体重|甲亢|甲状腺|长个|月经|便秘|身子|"
    r"想吐|恶心|晕车|晕船|头昏|心慌|鱼刺"
)
DOCTOR_LINE = "如果症状持续或加重，请及时到正规医院就诊。"
# A reminder to see a doctor already in the quoted text ("…要及时就医", "马上送医院"): one per answer.
# An article's closing "see a doctor if it goes on" sentence (如果出现长期发烧、拉肚子…持续不好或加重，请及时到
# 正规医院就诊): the symptoms it lists are when to see a doctor, not what the article is about.
DOCTOR_TEMPLATE_RE = re.compile(r"如果[^。\n]*(持续|加重)[^。\n]*请及时到正规医院就诊。?")
DOCTOR_REMINDER_RE = re.compile(r"就诊|就医|看医生|(去|到|送)(正规)?医院")


def with_doctor_line(text: str) -> str:
    """``text`` ending with DOCTOR_LINE, unless it already tells to see a doctor."""
    return text if DOCTOR_REMINDER_RE.search(text) else f"{text}\n{DOCTOR_LINE}"


# Asking for a dose: kepu never prescribes one.
DOSE_RE = re.compile(
    r"(吃|服|用|打|喝|抹|涂)[^，。？?]{0,8}(几片|几粒|几颗|几袋|几支|几毫升|几毫克|多少毫克|多少毫升|多少片|多少粒|多少mg|多少ml)|"
    r"剂量|用药量|药量|一次吃多少|一天吃几次|吃几次药"
)
DOSE_TEXT = (
    "用药的剂量因人而异，我不能提供剂量建议。请按医生的处方或药品说明书用药，拿不准时请问医生或药师；"
    "不要自己加量、减量或停药。"
)

# Asking for a diagnosis: kepu informs, it does not diagnose.
DIAGNOSIS_RE = re.compile(
    r"是不是得了|是不是患了|是不是有(什么)?病|得的是什么病|得了什么病|帮我(看看|诊断)|我这是什么病|我是什么病"
)
DIAGNOSIS_TEXT = (
    "我不能判断您得了什么病，诊断需要医生面诊和检查。请尽快到正规医院就诊；情况紧急时请立即拨打120。"
)

UNCOVERED_HEALTH_TEXT = (
    "暂无经过审核的内容能回答这个问题，我不做猜测。"
    "健康问题请咨询医生或拨打12320卫生热线；如遇紧急情况，请立即拨打120。"
)
UNCOVERED_EMERGENCY_TEXT = f"{EMERGENCY_LINE}暂无经过审核的相关急救内容，请听从急救人员和医生的指导。"


# A named condition ("颈椎病", "荨麻疹", "白内障"): when the knowledge base never mentions it, no approved
# article is about it, whatever the retrieval scores say (they only measure closeness to other topics).
CONDITION_RE = re.compile(r"[\u4e00-\u9fff]+(?:病|症|炎|疮|疹|癌|瘤|障|结石|溃疡|瘟|综合征)")


def unknown_conditions(words: list[str], known_text: str) -> list[str]:
    """Condition names among the question's words that the knowledge base never mentions."""
    return [
        w for w in dict.fromkeys(words) if len(w) >= 2 and CONDITION_RE.fullmatch(w) and w not in known_text
    ]
