"""HTTP benchmark: starts `kepu serve` on loopback and measures it with one client, wrk.

    .venv/bin/python bench/bench_http.py [--seconds 10]

/api/ask gets distinct questions (all questions of eval/*.yaml in four wordings; each of wrk's two
threads walks its own half) at concurrency 1 and 16, with the server's query-vector cache off; /healthz at concurrency 16. Prints throughput, p50/p95/p99
latency, errors (non-200 responses and socket errors), and the ask/healthz throughput ratio. Goal on the
2-core machine: /api/ask p95 <= 100 ms at concurrency 16 with no errors. wrk (Debian package `wrk`)
is a C client, so it takes little of the CPU that the server needs. All traffic stays on 127.0.0.1
and every run stops by itself.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.loadgen import distinct_questions, write_scripts, wrk  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, seconds: float) -> None:
    """Poll /readyz until the server answers 200, or give up after ``seconds``."""
    deadline = time.time() + seconds
    while True:
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.time() > deadline:
            raise SystemExit("服务没有就绪（/readyz 一直不是 200）")
        time.sleep(0.2)


def main() -> int:
    ap = argparse.ArgumentParser(description="kepu HTTP benchmark (wrk)")
    ap.add_argument("--seconds", type=int, default=10, help="duration of each run")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("需要 wrk：apt-get install wrk（make bench 会自动安装）")
    # Every request of a run is a different string (no cache can help).
    questions = distinct_questions()
    with tempfile.TemporaryDirectory() as tmp:
        ask_lua, get_lua = write_scripts(Path(tmp), questions)
        env = {
            **os.environ,
            "KEPU_DATA_DIR": str(Path(tmp) / "data"),
            "KEPU_KNOWLEDGE_DIR": str(ROOT / "knowledge"),
            "KEPU_RATE_LIMIT": "1000000/minute",
            # distinct questions must cost what they cost: no query-vector cache in this measurement
            "KEPU_QUERY_CACHE_SIZE": "0",
            "KEPU_ANSWER_CACHE_SIZE": "0",
        }
        kepu = [sys.executable, "-m", "kepu.cli"]
        subprocess.run([*kepu, "ingest"], env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen([*kepu, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base, 60)
            wrk(base + "/api/ask", ask_lua, 4, 2)  # warm-up
            results = {
                "ask c=1": wrk(base + "/api/ask", ask_lua, 1, args.seconds),
                "ask c=16": wrk(base + "/api/ask", ask_lua, 16, args.seconds),
                "healthz c=16": wrk(base + "/healthz", get_lua, 16, args.seconds),
            }
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(
        f"{len(questions)} distinct questions, {args.seconds} s per run; server: kepu serve on 127.0.0.1; client: wrk"
    )
    for name, r in results.items():
        print(
            f"  {name:<13} n={r['requests']:<6} {r['rps']:7.1f} req/s  p50={r['p50']:6.1f} ms  "
            f"p95={r['p95']:6.1f} ms  p99={r['p99']:6.1f} ms  errors={r['errors']}"
        )
    ratio = results["ask c=16"]["rps"] / results["healthz c=16"]["rps"]
    print(f"  ask/healthz throughput ratio (c=16): {ratio:.3f}")
    print(f"  ask p95 at c=16 / goal 100 ms: {results['ask c=16']['p95'] / 100:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
