"""Scale-out benchmark: real redis-server, Chroma server, two `kepu serve` replicas and nginx on
loopback (tests/support/cluster.py), measured with wrk through nginx — two replicas, then one — at fixed
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

from tests.support.cluster import LOAD_ENV, load_report, measure_one_vs_two, running_cluster  # noqa: E402
from tests.support.loadgen import distinct_questions, write_scripts, wrk  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description="kepu scale-out benchmark (two replicas vs one)")
    ap.add_argument("--seconds", type=int, default=60, help="duration of each run (default 60)")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    ap.add_argument("--max-requests", type=int, default=50_000, help="stop a run after this many requests")
    ap.add_argument(
        "--hot",
        type=int,
        default=200,
        help="then, with the answer cache on (in Redis), N hot questions asked again and again (0: skip)",
    )
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
    errors = results["two replicas"]["errors"] + results["one replica"]["errors"]
    if args.hot:
        # A WeChat account hears the same questions again and again: measure them served from the
        # answer cache that both replicas share in Redis.
        with (
            tempfile.TemporaryDirectory() as tmp,
            running_cluster(Path(tmp), ROOT / "data" / "cache") as cluster,
        ):
            ask, _ = write_scripts(Path(tmp), distinct_questions()[: args.hot])
            assert cluster.nginx is not None
            wrk(cluster.nginx.url + "/api/ask", ask, 4, 5)  # fills the cache
            hot = wrk(cluster.nginx.url + "/api/ask", ask, args.connections, args.seconds)
        errors += hot["errors"]
        print(
            f"  {args.hot} hot questions, answer cache in Redis, two replicas: {hot['seconds']:5.1f} s  "
            f"n={hot['requests']:<6} {hot['rps']:7.1f} req/s  p50={hot['p50']:6.1f} ms  p95={hot['p95']:6.1f} ms  "
            f"p99={hot['p99']:6.1f} ms  errors={hot['errors']}"
        )
        print(
            f"  hot (cached) / distinct throughput, two replicas: {hot['rps'] / results['two replicas']['rps']:.2f}"
        )
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
