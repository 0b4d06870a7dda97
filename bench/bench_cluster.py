"""Scale-out benchmark: real redis-server, Chroma server, two `kepu serve` replicas and nginx on
loopback (tests/cluster.py), measured with wrk through nginx — two replicas, then one — at fixed
concurrency with distinct questions and the answer and query-vector caches off.

    .venv/bin/python bench/bench_cluster.py [--seconds 60] [--connections 16]

Prints requests, errors (goal: zero), p50/p95/p99 and throughput of each, and the two/one throughput
ratio. On the 2-core development machine everything (wrk, nginx, Redis, Chroma, both replicas) shares
the same two cores, so the ratio shows what a second replica adds when CPU is the limit; on separate
hosts each replica brings its own cores.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.cluster import LOAD_ENV, load_report, measure_one_vs_two, running_cluster  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description="kepu scale-out benchmark (two replicas vs one)")
    ap.add_argument("--seconds", type=int, default=60, help="duration of each run (default 60)")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    ap.add_argument("--max-requests", type=int, default=50_000, help="stop a run after this many requests")
    args = ap.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_cluster(Path(tmp), ROOT / "data" / "cache", LOAD_ENV) as cluster,
    ):
        results = measure_one_vs_two(
            cluster,
            Path(tmp),
            seconds_two=args.seconds,
            seconds_one=args.seconds,
            connections=args.connections,
            max_requests=args.max_requests,
        )
    print(load_report(results, args.connections))
    return 0 if results["two replicas"]["errors"] == 0 and results["one replica"]["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
