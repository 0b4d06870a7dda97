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
import json
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

from bot.evaluate import load_questions  # noqa: E402

LUA = r"""
local bodies = {%(bodies)s}
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end
function init(args)
  errors = 0
  n = id * math.floor(#bodies / 2)
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  if #bodies == 0 then return wrk.format(nil) end
  n = n + 1
  return wrk.format("POST", nil, nil, bodies[(n %% #bodies) + 1])
end
function response(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end
function done(summary, latency, requests)
  local e = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  for _, t in ipairs(threads) do e = e + t:get("errors") end
  io.write(string.format('{"requests": %%d, "seconds": %%f, "p50": %%f, "p95": %%f, "p99": %%f, "errors": %%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, e))
end
"""


def lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url: str, script: Path, connections: int, seconds: int) -> dict:
    threads = min(connections, 2)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("{"))
    result = json.loads(line)
    result["rps"] = result["requests"] / result["seconds"]
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description="kepu HTTP benchmark (wrk)")
    ap.add_argument("--seconds", type=int, default=10, help="duration of each run")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("需要 wrk：apt-get install wrk（make bench 会自动安装）")
    base_questions = [q["q"] for q in load_questions(sorted((ROOT / "eval").glob("*.yaml")))]
    # Every request of a run is a different string (no cache can help): each question also comes as
    # "请问……", "……？" and "我想问一下，……", enough for a 10-second run without repeats.
    variants = [
        (q, f"请问{q}", q.rstrip("？?") if q.endswith(("？", "?")) else f"{q}？", f"我想问一下，{q}")
        for q in base_questions
    ]
    questions = list(dict.fromkeys(v for group in zip(*variants, strict=True) for v in group))
    with tempfile.TemporaryDirectory() as tmp:
        ask_lua = Path(tmp) / "ask.lua"
        bodies = ", ".join(lua_string(json.dumps({"question": q}, ensure_ascii=False)) for q in questions)
        ask_lua.write_text(LUA % {"bodies": bodies}, encoding="utf-8")
        get_lua = Path(tmp) / "get.lua"
        get_lua.write_text(LUA % {"bodies": ""}, encoding="utf-8")
        env = {
            **os.environ,
            "KEPU_DATA_DIR": str(Path(tmp) / "data"),
            "KEPU_KNOWLEDGE_DIR": str(ROOT / "knowledge"),
            "KEPU_RATE_LIMIT": "1000000/minute",
            # distinct questions must cost what they cost: no query-vector cache in this measurement
            "KEPU_QUERY_CACHE_SIZE": "0",
        }
        kepu = [sys.executable, "-m", "bot.cli"]
        subprocess.run([*kepu, "ingest"], env=env, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen([*kepu, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while True:
                try:
                    with urllib.request.urlopen(base + "/readyz", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                if time.time() > deadline:
                    raise SystemExit("server did not become ready")
                time.sleep(0.2)
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
