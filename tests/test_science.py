"""Science library, rumor checks and the health safety rules, over the real index."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import frontmatter
import pytest

from kepu.answering import safety
from kepu.ingest.errors import MetadataError
from kepu.ingest.metadata import VERDICTS, validate
from tests.test_cli import kepu

pytestmark = pytest.mark.integration
SCIENCE = Path(__file__).resolve().parent.parent / "knowledge" / "science"
FIELDS = {"title", "source", "reviewed_by", "approved_at", "status", "audience", "topics"}


def _articles():
    return [(p, frontmatter.load(p)) for p in sorted(SCIENCE.glob("*.md"))]


def test_library_size_and_front_matter() -> None:
    articles = _articles()
    plain = [(p, a) for p, a in articles if a.get("kind", "science") == "science"]
    rumors = [(p, a) for p, a in articles if a.get("kind") == "rumor"]
    assert len(plain) >= 40 and len(rumors) >= 12
    for path, a in articles:
        assert set(a.metadata) >= FIELDS, path.name
        assert a["status"] == "approved"
        assert "kepu" in a["source"] and "重新审核" in a["reviewed_by"], path.name  # honest about origin
    for path, a in rumors:
        assert a["verdict"] in VERDICTS and a["rumor"], path.name


@pytest.mark.parametrize(
    ("meta", "field"),
    [
        ({"verdict": "谣言"}, "rumor"),
        ({"rumor": "吃醋软化血管"}, "verdict"),
        ({"rumor": "吃醋软化血管", "verdict": "假的"}, "verdict"),
        ({"rumor": "吃醋软化血管", "verdict": "谣言", "subjects": {"醋": []}}, "claims"),
        ({"rumor": "吃醋软化血管", "verdict": "谣言", "claims": [], "subjects": {"醋": []}}, "claims"),
        ({"rumor": "吃醋软化血管", "verdict": "谣言", "claims": ["吃醋能软化血管"]}, "subjects"),
        (
            {
                "rumor": "吃醋软化血管",
                "verdict": "谣言",
                "claims": ["吃醋能软化血管"],
                "subjects": {"醋": "陈醋"},
            },
            "subjects",
        ),
    ],
)
def test_rumor_checks_need_rumor_and_verdict(meta, field) -> None:
    base = {
        "kind": "rumor",
        "title": "吃醋能软化血管吗",
        "status": "approved",
        "reviewed_by": "x",
        "approved_at": "2026-01-01",
    }
    with pytest.raises(MetadataError) as info:
        validate(Path("rumor.md"), {**base, **meta})
    assert field in info.value.reason and "rumor.md" in str(info.value)


def test_a_complete_rumor_check_keeps_its_claims_and_subjects() -> None:
    meta = {
        "kind": "rumor",
        "title": "吃醋能软化血管吗",
        "status": "approved",
        "reviewed_by": "x",
        "approved_at": "2026-01-01",
        "rumor": "吃醋软化血管",
        "verdict": "谣言",
        "claims": ["吃醋能软化血管"],
        "subjects": {"醋": ["陈醋"]},
    }
    raw = validate(Path("rumor.md"), meta).raw
    assert raw["claims"] == ["吃醋能软化血管"] and raw["subjects"] == [["醋", "陈醋"]]


def test_rumor_question_gets_the_verdict_first(bot) -> None:
    ans = bot.answer("听说吃醋能软化血管是真的吗")
    assert ans.answer.startswith("【谣言】")
    assert ans.citations[0].source_id == "rumor-vinegar-vessels"
    assert ans.citations[0].verdict == "谣言"
    nuanced = bot.answer("隔夜菜吃了会不会得癌")
    assert nuanced.citations[0].source_id == "rumor-leftovers-cancer"
    assert nuanced.answer.startswith("【不准确】")


def test_health_answers_end_with_the_doctor_line(bot) -> None:
    ans = bot.answer("高血压平时要注意什么")
    assert ans.mode == "extractive" and ans.citations[0].source_id == "hypertension"
    assert ans.answer.endswith(safety.DOCTOR_LINE)
    assert not bot.answer("台风来了怎么办").answer.endswith(safety.DOCTOR_LINE)


@pytest.mark.parametrize(
    ("question", "source"),
    [
        ("有人溺水了怎么办", "drowning"),
        ("被蛇咬了怎么办", "snakebite"),
        ("家里有人煤气中毒了", "gas-poisoning"),
    ],
)
def test_emergencies_put_120_first_then_approved_steps(bot, question, source) -> None:
    ans = bot.answer(question)
    assert ans.answer.startswith(safety.EMERGENCY_LINE)
    assert "立即拨打120" in ans.answer.splitlines()[0]
    assert ans.citations[0].source_id == source
    article = (SCIENCE / f"{source}.md").read_text(encoding="utf-8")
    steps = [ln.split(". ", 1)[1] for ln in ans.answer.splitlines() if ln[:1].isdigit()]
    donts = [ln[2:] for ln in ans.answer.splitlines() if ln.startswith("· ")]
    assert steps and all(s in article for s in steps + donts)
    assert safety.DOCTOR_LINE not in ans.answer and ans.emergency


@pytest.mark.parametrize(
    "question", ["降压药一天吃几片", "阿莫西林一次吃多少毫克", "退烧药的剂量是多少", "止疼药多吃几粒行不行"]
)
def test_no_doses(bot, question) -> None:
    ans = bot.answer(question)
    assert ans.answer.startswith(safety.DOSE_TEXT)  # never a dose, whatever else is quoted
    assert not any(unit in ans.answer for unit in ("毫克", "mg", "每次1", "每次2"))
    if ans.mode != "refusal":
        assert ans.citations[0].kind == "science"


def test_no_diagnosis(bot) -> None:
    ans = bot.answer("我最近老是头晕是不是得了高血压")
    assert ans.mode == "refusal" and "不能判断" in ans.answer and "医院" in ans.answer


@pytest.mark.parametrize("question", ["甲亢病人吃什么好", "孕妇能不能喝咖啡", "牙疼怎么办"])
def test_uncovered_health_questions_get_an_honest_reply(bot, question) -> None:
    ans = bot.answer(question)
    assert ans.mode == "refusal"
    assert "暂无经过审核的内容" in ans.answer and "120" in ans.answer


def test_sources_lists_documents_and_what_was_left_out(fresh_settings, embedder) -> None:
    from kepu.ingest.pipeline import ingest

    science = fresh_settings.knowledge_dir / "science"
    draft = (SCIENCE / "typhoon.md").read_text(encoding="utf-8").replace("status: approved", "status: draft")
    (science / "typhoon.md").write_text(draft, encoding="utf-8")
    retired = (
        (SCIENCE / "flood.md").read_text(encoding="utf-8").replace("status: approved", "status: retired")
    )
    (science / "flood.md").write_text(retired, encoding="utf-8")
    (science / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    ingest(fresh_settings, embedder)
    out = kepu(fresh_settings, "sources", "--json")
    data = json.loads(out.stdout)
    docs = {d["source_id"]: d for d in data["documents"]}
    assert docs["rumor-msg"]["kind"] == "rumor" and docs["snakebite"]["kind"] == "science"
    assert docs["snakebite"]["reviewed_by"] and docs["snakebite"]["approved_at"] == "2026-11-29"
    left = {d["source_id"]: d for d in data["left_out"]}
    assert left["typhoon"]["status"] == "draft" and left["typhoon"]["title"]
    assert left["flood"]["status"] == "retired"
    assert left["broken"]["status"] == "error" and "PDF" in left["broken"]["reason"]
    assert "typhoon" not in docs and "flood" not in docs
    text = kepu(fresh_settings, "sources").stdout
    assert "未收录 3 个文件" in text and "草稿" in text and "已停用" in text


def test_eval_command_prints_the_metrics_table(ingested, kb_settings) -> None:
    from kepu.evaluation.questions import report_text

    # one process for the JSON contract; the table is printed from the same figures (cmd_eval)
    out = kepu(kb_settings, "eval", "--json", "eval/questions_rumor.yaml")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    table = report_text(data)
    for label in (
        "recall@1",
        "recall@5",
        "MRR",
        "单位查询完全正确率",
        "拒答精确率",
        "拒答召回率",
        "辟谣结论正确率",
        "p95",
    ):
        assert label in table
    assert data["rumor_verdict_accuracy"] is not None and 0 <= data["retrieval"]["mrr"] <= 1


def test_help_of_eval() -> None:
    out = subprocess.run([sys.executable, "-m", "kepu.cli", "eval", "--help"], capture_output=True, text=True)
    assert "示例" in out.stdout


@pytest.mark.parametrize(
    ("question", "right"),
    [
        ("天太热人晕倒了怎么办", "heatstroke"),  # once quoted the burns article
        ("一家子吃完饭都上吐下泻的咋整啊", "food-poisoning"),  # once quoted choking first aid
    ],
)
def test_a_passage_sharing_no_word_is_not_quoted_on_another_passage_s_strength(
    bot, question: str, right: str
) -> None:
    """A strong dense match in one article must not vouch for quoting another that shares no word
    with the question: the answer is the right article or an honest refusal, never the wrong advice."""
    answer = bot.answer(question)
    assert answer.mode == "refusal" or answer.citations[0].source_id == right, answer.answer
