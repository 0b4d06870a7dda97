"""The scale-out topology of deploy/docker-compose.yml, run natively on loopback: a real redis-server,
a real Chroma server, N `kepu serve` replicas and nginx with deploy/nginx/kepu-locations.conf in front.
Used by the cluster tests and bench/bench_cluster.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.servers import ChromaServer, RedisServer, ServerProcess

ROOT = Path(__file__).resolve().parents[2]
LOCATIONS = ROOT / "deploy" / "nginx" / "kepu-locations.conf"
WECHAT_TOKEN = "kepu-cluster-token"
WECHAT_APP_ID = "wx00cluster000000"
WECHAT_AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


class Replica(ServerProcess):
    name = "replica"

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        super().__init__(workdir)
        self.env = env

    def command(self) -> list[str]:
        return [sys.executable, "-m", "kepu.cli", "serve", "--port", str(self.port)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ready(self) -> bool:
        return httpx.get(self.url + "/readyz", timeout=2).status_code == 200

    def environment(self) -> dict[str, str]:
        return {**os.environ, **self.env, "KEPU_DATA_DIR": str(self.workdir / "data")}

    @property
    def cwd(self) -> Path:
        return ROOT


class Nginx(ServerProcess):
    name = "nginx"

    def __init__(self, workdir: Path, upstreams: list[str]) -> None:
        super().__init__(workdir)
        self.upstreams = upstreams

    def command(self) -> list[str]:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        conf = self.workdir / "nginx.conf"
        servers = "\n".join(f"        server {u} max_fails=1 fail_timeout=5s;" for u in self.upstreams)
        user = "user root;" if os.geteuid() == 0 else ""
        conf.write_text(
            f"""{user}
worker_processes 1;
pid {self.workdir}/nginx.pid;
error_log {self.workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {self.workdir}/body;
    proxy_temp_path {self.workdir}/proxy;
    fastcgi_temp_path {self.workdir}/fastcgi;
    uwsgi_temp_path {self.workdir}/uwsgi;
    scgi_temp_path {self.workdir}/scgi;
    upstream kepu_app {{
{servers}
        keepalive 32;
        keepalive_timeout 4s;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        include {LOCATIONS};
    }}
}}
""",
            encoding="utf-8",
        )
        return [binary, "-p", str(self.workdir), "-c", str(conf), "-g", "daemon off;"]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ready(self) -> bool:
        return httpx.get(self.url + "/healthz", timeout=2).status_code == 200


class Cluster:
    def __init__(
        self,
        root: Path,
        knowledge: Path,
        embedding_cache: Path,
        replicas: int = 2,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.root = root
        self.knowledge = knowledge
        self.redis = RedisServer(root / "redis")
        self.chroma = ChromaServer(root / "chroma")
        self.embedding_cache = embedding_cache
        self.env = {
            "KEPU_CHROMA_URL": self.chroma.url,
            "KEPU_REDIS_URL": self.redis.url,
            "KEPU_KNOWLEDGE_DIR": str(knowledge),
            "KEPU_EMBEDDING_CACHE_DIR": str(embedding_cache),
            "KEPU_INDEX_POLL_S": "1",
            "KEPU_SHARED_RETRY_S": "1",
            "KEPU_RATE_LIMIT": "1000000/minute",
            "KEPU_WECHAT_USER_RATE": "1000000/minute",
            "KEPU_WECHAT_TOKEN": WECHAT_TOKEN,
            "KEPU_WECHAT_APP_ID": WECHAT_APP_ID,
            "KEPU_WECHAT_AES_KEY": WECHAT_AES,
            "KEPU_INSIGHTS_ENABLED": "false",
            "OMP_NUM_THREADS": "1",
            **(extra_env or {}),
        }
        self.replicas = [Replica(root / f"replica{i + 1}", self.env) for i in range(replicas)]
        self.nginx: Nginx | None = None

    def ingest(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **self.env, "KEPU_DATA_DIR": str(self.root / "ingest-job")}
        return subprocess.run(
            [sys.executable, "-m", "kepu.cli", "ingest", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            cwd=ROOT,
        )

    def start(self, with_nginx: bool = True) -> None:
        self.redis.start()
        self.chroma.start()
        done = self.ingest()
        if done.returncode != 0:
            raise RuntimeError(f"kepu ingest failed: {done.stdout}\n{done.stderr}")
        for replica in self.replicas:  # started together: each loads the model and its index
            replica.start(wait=False)
        for replica in self.replicas:
            replica.wait_ready()
        if with_nginx:
            self.nginx = Nginx(self.root / "nginx", [f"127.0.0.1:{r.port}" for r in self.replicas])
            self.nginx.start()

    def stop(self) -> None:
        for part in [self.nginx, *self.replicas, self.chroma, self.redis]:
            if part is not None:
                part.terminate()


@contextmanager
def running_cluster(
    root: Path, embedding_cache: Path, extra_env: dict[str, str] | None = None
) -> Iterator[Cluster]:
    """A started cluster over a private copy of knowledge/ (tests may change it), stopped afterwards."""
    knowledge = root / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    cluster = Cluster(root, knowledge, embedding_cache, extra_env=extra_env)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


# The load test measures what the replicas compute: no answer cache and no query-vector cache, so
# every request costs what a new question costs (the questions are all distinct strings anyway).
LOAD_ENV = {"KEPU_ANSWER_CACHE_SIZE": "0", "KEPU_QUERY_CACHE_SIZE": "0"}


def measure_one_vs_two(
    cluster: Cluster,
    folder: Path,
    *,
    seconds_two: int,
    seconds_one: int | None,
    connections: int,
    max_requests: int,
) -> dict[str, dict]:  # type: ignore[type-arg]
    """wrk at fixed concurrency through nginx: first against both replicas, then (unless
    ``seconds_one`` is None) against one (a second nginx whose upstream is the first replica only).
    Each run is bounded in time and in count."""
    from tests.support.loadgen import distinct_questions, write_scripts, wrk

    assert len(cluster.replicas) >= 2
    threads = min(connections, 2)
    ask, _ = write_scripts(folder, distinct_questions(), max_per_thread=max_requests // threads)
    both = cluster.nginx or Nginx(folder / "nginx-both", [f"127.0.0.1:{r.port}" for r in cluster.replicas])
    if cluster.nginx is None:
        both.start()
    one = Nginx(folder / "nginx-one", [f"127.0.0.1:{cluster.replicas[0].port}"])
    if seconds_one is not None:
        one.start()
    try:
        wrk(both.url + "/api/ask", ask, 4, 2)  # warm-up
        results = {"two replicas": wrk(both.url + "/api/ask", ask, connections, seconds_two)}
        if seconds_one is not None:
            results["one replica"] = wrk(one.url + "/api/ask", ask, connections, seconds_one)
    finally:
        if seconds_one is not None:
            one.terminate()
        if cluster.nginx is None:
            both.terminate()
    if "one replica" in results:
        two_rps, one_rps = results["two replicas"]["rps"], results["one replica"]["rps"]
        results["ratio"] = {"throughput two/one": two_rps / one_rps}
    return results


def load_report(results: dict[str, dict], connections: int) -> str:  # type: ignore[type-arg]
    lines = [f"wrk through nginx, {connections} connections, distinct questions, caches off:"]
    for name in ("two replicas", "one replica"):
        if name not in results:
            continue
        r = results[name]
        lines.append(
            f"  {name:<13} {r['seconds']:5.1f} s  n={r['requests']:<6} {r['rps']:7.1f} req/s  "
            f"p50={r['p50']:6.1f} ms  p95={r['p95']:6.1f} ms  p99={r['p99']:6.1f} ms  errors={r['errors']}"
        )
    if "ratio" in results:
        lines.append(f"  throughput two/one replicas: {results['ratio']['throughput two/one']:.2f}")
    return "\n".join(lines)
