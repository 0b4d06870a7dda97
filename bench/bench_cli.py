"""Benchmark: how long a one-shot `kepu ask` takes from a cold process, as a ratio to merely importing
FastAPI and chromadb (what any process of this stack pays), both measured here in one run.

Goal (issue 13): a structured question (`kepu ask "第32条由哪个单位负责？"`) takes no longer than that
import — ratio <= 1.0 — because it loads only the plan index (no model, no vector store, no BM25).
A free question, which needs all of them, is reported for comparison. Median of --repeat whole
processes each. Run with `make bench` or `.venv/bin/python bench/bench_cli.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RATIO_GOAL = 1.0
STRUCTURED = "第32条由哪个单位负责？"
FREE = "被狗咬了怎么办"


def timed(cmd: list[str], env: dict[str, str], repeat: int) -> float:
    """Median wall time of ``repeat`` runs of a whole process."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description="kepu CLI start-up benchmark")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "KEPU_DATA_DIR": tmp, "KEPU_KNOWLEDGE_DIR": str(ROOT / "knowledge")}
        subprocess.run([str(BIN / "kepu"), "ingest"], env=env, check=True, capture_output=True)
        kepu = str(BIN / "kepu")
        imports = timed([sys.executable, "-c", "import fastapi, chromadb"], env, args.repeat)
        structured = timed([kepu, "ask", STRUCTURED], env, args.repeat)
        free = timed([kepu, "ask", FREE], env, args.repeat)
    result = {
        "import_fastapi_chromadb_s": round(imports, 3),
        "ask_structured_s": round(structured, 3),
        "ask_free_s": round(free, 3),
        "structured_ratio": round(structured / imports, 2),
        "free_ratio": round(free / imports, 2),
        "goal_structured_ratio": RATIO_GOAL,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"import fastapi+chromadb {imports:.2f} s; kepu ask (structured) {structured:.2f} s = "
            f"{structured / imports:.2f}x (goal <= {RATIO_GOAL}); kepu ask (free) {free:.2f} s = "
            f"{free / imports:.2f}x  [median of {args.repeat} processes each]"
        )
    return 0 if structured / imports <= RATIO_GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
