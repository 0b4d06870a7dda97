"""Load generation with wrk (a C client: it takes little of the CPU the servers need), shared by the
benchmarks and the cluster load test. All traffic stays on loopback and every run stops by itself."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from kepu.evaluation.questions import load_questions

ROOT = Path(__file__).resolve().parents[2]

LUA = r"""
local bodies = {%(bodies)s}
local max_per_thread = %(max_per_thread)d
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
  done_here = (done_here or 0) + 1
  if max_per_thread > 0 and done_here >= max_per_thread then wrk.thread:stop() end
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


def distinct_questions() -> list[str]:
    """Every question of eval/*.yaml in four wordings ("请问……", "……？", "我想问一下，……"): each request
    of a run is a different string, so no cache can help."""
    base = [q["q"] for q in load_questions(sorted((ROOT / "eval").glob("*.yaml")))]
    variants = [
        (q, f"请问{q}", q.rstrip("？?") if q.endswith(("？", "?")) else f"{q}？", f"我想问一下，{q}")
        for q in base
    ]
    return list(dict.fromkeys(v for group in zip(*variants, strict=True) for v in group))


def write_scripts(folder: Path, questions: list[str], max_per_thread: int = 0) -> tuple[Path, Path]:
    """The wrk scripts: POST /api/ask bodies walking ``questions``, and a plain GET. With
    ``max_per_thread``, each wrk thread also stops after that many responses (a bound on count as
    well as on time)."""
    ask = folder / "ask.lua"
    bodies = ", ".join(lua_string(json.dumps({"question": q}, ensure_ascii=False)) for q in questions)
    ask.write_text(LUA % {"bodies": bodies, "max_per_thread": max_per_thread}, encoding="utf-8")
    get = folder / "get.lua"
    get.write_text(LUA % {"bodies": "", "max_per_thread": max_per_thread}, encoding="utf-8")
    return ask, get


def wrk(url: str, script: Path, connections: int, seconds: int) -> dict:  # type: ignore[type-arg]
    """One wrk run: requests, seconds, p50/p95/p99 (ms), errors (non-200 and socket errors), rps."""
    if shutil.which("wrk") is None:
        raise RuntimeError("需要 wrk：apt-get install wrk（make system-deps 会安装）")
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
