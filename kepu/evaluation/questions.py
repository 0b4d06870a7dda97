"""Score the bot on a question set (eval/*.yaml) and measure retrieval fusion weights."""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from kepu.answering.answer import Answer
from kepu.answering.bot import Bot
from kepu.answering.retrieve import Retriever
from kepu.kb.types import ALL_MEMBERS
from kepu.text import normalize

RETRIEVAL_TYPES = ("free", "science", "rumor")


def load_questions(files: list[Path]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for f in files:
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or []
        for q in data:
            q.setdefault("file", f.name)
            out.append(q)
    return out


def _items(ans: Answer) -> list[int]:
    return [c.item for c in ans.citations if c.item is not None]


def check(q: dict[str, Any], ans: Answer) -> tuple[bool, str]:
    """Whether an answer is right for its question, and why not."""
    # "Which item mentions X?" asked as a free question may be answered by the exact list of items that
    # mention X: a structured answer is as right as a quote when it cites the expected item.
    listed = q["mode"] == "extractive" and ans.mode == "structured" and "items_any" in q
    # a reviewed Q&A pair stands for its basis: right when the basis is what the question expects
    paired = ans.mode == "faq" and q["mode"] in ("extractive", "structured")
    if ans.mode != q["mode"] and not listed and not paired:
        return False, f"mode {ans.mode} != {q['mode']}"
    items = _items(ans)
    if "items_exact" in q:
        got = set(items)
        if q["type"] == "unit":
            got = {c.item for c in ans.citations if c.item is not None and ALL_MEMBERS not in c.units}
        if got != set(q["items_exact"]):
            missing = sorted(set(q["items_exact"]) - got)
            extra = sorted(got - set(q["items_exact"]))
            return False, f"items missing {missing} extra {extra}"
    if "units_exact" in q:
        units = {u for c in ans.citations for u in c.units}
        if units != set(q["units_exact"]):
            return False, f"units {sorted(units)} != {sorted(q['units_exact'])}"
    if "items_any" in q and (not items or items[0] not in q["items_any"]):
        return False, f"first item {items[:1]} not in {q['items_any']}"
    if "sources_any" in q:
        first = ans.citations[0].source_id if ans.citations else None
        basis = ans.citations[0].basis if ans.citations else None
        if first not in q["sources_any"] and basis not in q["sources_any"]:
            return False, f"first source {first} not in {q['sources_any']}"
    for s in q.get("answer_contains", []):
        if str(s) not in ans.answer:
            return False, f"answer lacks {s!r}"
    if "verdict" in q and not ans.answer.startswith(f"【{q['verdict']}】"):
        return False, f"verdict not first: expected 【{q['verdict']}】"
    return True, ""


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank); 0 for no values."""
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


REFUSAL_TYPES = ("out_of_scope", "science_uncovered")


def _retrieval_rank(bot: Bot, q: dict[str, Any], k: int = 5) -> int | None:
    """Rank (1-based) of the first expected source or item among the top k hits, or None."""
    field, want = _expected(q)
    hits = bot.retriever.search(normalize(q["q"]), k).hits
    return next(
        (h.rank for h in hits if (h.chunk.source_id if field == "source" else h.chunk.item) in want), None
    )


def run_eval(bot: Bot, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Run every question through the real answer path and score it (see README, "评测")."""
    per_type: dict[str, list[bool]] = defaultdict(list)
    latency: dict[str, list[float]] = defaultdict(list)
    all_latency: list[float] = []
    ranks: list[int | None] = []
    unit_exact: list[bool] = []
    verdicts: list[bool] = []
    refused_expected = refused_predicted = refused_both = 0
    failures = []
    for q in questions:
        ans = bot.answer(q["q"])
        ok, why = check(q, ans)
        per_type[q["type"]].append(ok)
        latency[ans.mode].append(ans.latency_ms)
        all_latency.append(ans.latency_ms)
        expect_refusal = q["mode"] == "refusal"
        refused_expected += expect_refusal
        refused_predicted += ans.mode == "refusal"
        refused_both += expect_refusal and ans.mode == "refusal"
        if q["type"] == "unit":
            unit_exact.append(ok)
        if "verdict" in q:
            verdicts.append(ans.answer.startswith(f"【{q['verdict']}】"))
        if ("items_any" in q or "sources_any" in q) and not expect_refusal:
            ranks.append(_retrieval_rank(bot, q))
        if not ok:
            failures.append({"q": q["q"], "type": q["type"], "why": why, "answer": ans.answer[:160]})
    total = sum(sum(v) for v in per_type.values())
    n = sum(len(v) for v in per_type.values())
    in_scope = [ok for t, v in per_type.items() if t not in REFUSAL_TYPES for ok in v]
    wrongly_refused = sum(1 for f in failures if f["why"].startswith("mode refusal"))
    nr = len(ranks) or 1
    return {
        "questions": n,
        "correct": total,
        "accuracy": total / n if n else 0.0,
        "in_scope_refused": wrongly_refused,
        "in_scope": len(in_scope),
        "retrieval": {
            "questions": len(ranks),
            "recall@1": sum(1 for r in ranks if r == 1) / nr,
            "recall@5": sum(1 for r in ranks if r is not None) / nr,
            "mrr": sum(1 / r for r in ranks if r) / nr,
        },
        "unit_exact_match": sum(unit_exact) / len(unit_exact) if unit_exact else None,
        "refusal": {
            "expected": refused_expected,
            "predicted": refused_predicted,
            "precision": refused_both / refused_predicted if refused_predicted else None,
            "recall": refused_both / refused_expected if refused_expected else None,
        },
        "rumor_verdict_accuracy": sum(verdicts) / len(verdicts) if verdicts else None,
        "per_type": {
            t: {"n": len(v), "correct": sum(v), "accuracy": sum(v) / len(v)} for t, v in per_type.items()
        },
        "latency_ms": {
            "all": {
                "n": len(all_latency),
                "p50": percentile(all_latency, 50),
                "p95": percentile(all_latency, 95),
            },
            **{
                m: {
                    "n": len(v),
                    "p50": percentile(v, 50),
                    "p95": percentile(v, 95),
                    "mean": statistics.fmean(v),
                }
                for m, v in latency.items()
            },
        },
        "failures": failures,
    }


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def report_text(result: dict[str, Any], show_failures: bool = False) -> str:
    r, ref = result["retrieval"], result["refusal"]
    lines = [
        f"总计 {result['questions']} 题，答对 {result['correct']} 题，准确率 {result['accuracy']:.1%}；"
        f"范围内问题被误拒 {result['in_scope_refused']}/{result['in_scope']}",
        "",
        "指标                         数值",
        f"检索 recall@1（{r['questions']} 题）      {r['recall@1']:.1%}",
        f"检索 recall@5                 {r['recall@5']:.1%}",
        f"检索 MRR                      {r['mrr']:.3f}",
        f"单位查询完全正确率            {_fmt(result['unit_exact_match'])}",
        f"拒答精确率（{ref['predicted']} 次拒答）       {_fmt(ref['precision'])}",
        f"拒答召回率（应拒 {ref['expected']} 题）       {_fmt(ref['recall'])}",
        f"辟谣结论正确率                {_fmt(result['rumor_verdict_accuracy'])}",
        "",
        "类型              题数  答对  准确率",
    ]
    for t, v in sorted(result["per_type"].items()):
        lines.append(f"{t:<16} {v['n']:>5} {v['correct']:>5}  {v['accuracy']:.1%}")
    lines.append("")
    for m, v in result["latency_ms"].items():
        lines.append(f"延迟 {m:<12} n={v['n']:<4} p50={v['p50']:.2f} ms  p95={v['p95']:.2f} ms")
    if show_failures and result["failures"]:
        lines.append("")
        lines.append("答错的问题：")
        for f in result["failures"]:
            lines.append(f"- [{f['type']}] {f['q']} — {f['why']}\n    {f['answer']!r}")
    return "\n".join(lines)


def _expected(q: dict[str, Any]) -> tuple[str, set[Any]]:
    if "sources_any" in q:
        return "source", set(q["sources_any"])
    return "item", set(q.get("items_any", []))


def sweep(bot: Bot, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Retrieval quality of free questions for a grid of fusion weights (one process, same index)."""
    qs = [q for q in questions if q["type"] in RETRIEVAL_TYPES]
    rows = []
    weights = [
        (1.0, 0.0),
        (0.0, 1.0),
        (1.0, 0.5),
        (1.0, 1.0),
        (0.5, 1.0),
        (1.0, 2.0),
        (2.0, 1.0),
        (1.0, 0.75),
    ]
    grid = [(lw, dw, 60) for lw, dw in weights] + [(1.0, 1.0, k) for k in (10, 30, 100)]
    for lw, dw, rrf_k in grid:
        settings = bot.settings.model_copy(update={"lexical_weight": lw, "dense_weight": dw, "rrf_k": rrf_k})
        retriever = Retriever(bot.kb, bot.retriever.embedder, settings)
        ranks = []
        for q in qs:
            field, want = _expected(q)
            hits = retriever.search(normalize(q["q"]), 10).hits
            rank = next(
                (h.rank for h in hits if (h.chunk.source_id if field == "source" else h.chunk.item) in want),
                None,
            )
            ranks.append(rank)
        n = len(ranks) or 1
        rows.append(
            {
                "lexical_weight": lw,
                "dense_weight": dw,
                "rrf_k": rrf_k,
                "questions": len(ranks),
                "top1": sum(1 for r in ranks if r == 1) / n,
                "top3": sum(1 for r in ranks if r is not None and r <= 3) / n,
                "mrr": sum(1 / r for r in ranks if r) / n,
            }
        )
    return rows
