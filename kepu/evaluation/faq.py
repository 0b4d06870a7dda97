"""Scoring a Q&A-pair set (eval/faq_*.yaml): each question names the approved pair whose answer is
right for it (``pair``: that pair's standard question), or ``pair: null`` for a look-alike or an
unrelated question that no pair may answer.

- precision: answers given from a pair (mode "faq") that came from the right pair;
- recall: questions with a right pair that got its answer;
- wrong pairs: look-alikes answered from a pair, and questions answered from another pair.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from kepu.answering.bot import Bot


def run_faq_eval(bot: Bot, questions: list[dict[str, Any]]) -> dict[str, Any]:
    failures: list[dict[str, Any]] = []
    answered = right = expected = found = 0
    per_style: dict[str, list[bool]] = defaultdict(list)
    for q in questions:
        ans = bot.answer(q["q"])
        got = ans.citations[0].title if ans.mode == "faq" and ans.citations else None
        want = q["pair"]
        answered += got is not None
        right += got is not None and got == want
        expected += want is not None
        found += want is not None and got == want
        ok = got == want
        per_style[q.get("style", "—")].append(ok)
        if not ok:
            why = "missed its pair" if got is None else f"answered from “{got}”"
            failures.append({"q": q["q"], "why": why, "expected": want, "answer": ans.answer[:120]})
    return {
        "set": "faq",
        "questions": len(questions),
        "answered": answered,
        "precision": right / answered if answered else None,
        "recall": found / expected if expected else None,
        "wrong_pairs": answered - right,
        "expected": expected,
        "per_style": {s: {"n": len(v), "correct": sum(v)} for s, v in sorted(per_style.items())},
        "failures": failures,
    }


def faq_report_text(name: str, r: dict[str, Any], pct, show_failures: bool = False) -> str:  # type: ignore[no-untyped-def]
    lines = [
        f"{name}：{r['questions']} 题，标准问答作答 {r['answered']} 题",
        f"  精确率（用对了问答对） {pct(r['precision'])}",
        f"  召回率（该用问答对的用上了） {pct(r['recall'])}（{r['expected']} 题）",
        f"  用错的问答对 {r['wrong_pairs']}",
    ]
    lines += [f"  {s:<12} {v['correct']}/{v['n']}" for s, v in r["per_style"].items()]
    if show_failures:
        lines += [f"  - {f['q']} — {f['why']}（应为 {f['expected']}）" for f in r["failures"]]
    return "\n".join(lines)
