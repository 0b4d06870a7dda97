"""Real Redis and Chroma servers for tests: started as processes on free loopback ports, stopped,
killed and started again on the same port and data to test failure and recovery."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from tests.support.http_server import free_port

VENV_BIN = Path(sys.executable).parent


# A server (a replica loads the model and its index) is ready within seconds on an idle machine; this
# bound only catches one that never will, on however busy a machine.
READY_WITHIN_S = 180.0


def _wait(
    check, what: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = READY_WITHIN_S
) -> None:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{what} exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}"
            )
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"{what} did not become ready in {timeout_s} s: {log.read_text(errors='replace')[-2000:]}"
    )


class ServerProcess:
    """One server process on a free loopback port; ``start`` waits until ``ready``."""

    name = "server"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"{self.name}.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        raise NotImplementedError

    def environment(self) -> dict[str, str] | None:
        return None  # inherit

    def start(self, wait: bool = True) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                self.command(),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env=self.environment(),
            )
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Wait until a server started with ``start(wait=False)`` is ready (or fail with its log)."""
        assert self.proc is not None, f"{self.name} was not started"
        _wait(self.ready, self.name, self.proc, self.log)

    @property
    def cwd(self) -> Path:
        return self.workdir

    def stop(self) -> None:
        """Stop like an outage: SIGKILL, no goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def terminate(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None


S = TypeVar("S", bound=ServerProcess)


@contextmanager
def started(server: S) -> Iterator[S]:
    """The server, started; terminated afterwards whatever happened."""
    try:
        server.start()
        yield server
    finally:
        server.terminate()


class RedisServer(ServerProcess):
    name = "redis"

    def command(self) -> list[str]:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("需要 redis-server（make system-deps 会安装它）")
        return [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
        ]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ready(self) -> bool:
        import redis

        return bool(redis.Redis(port=self.port, socket_timeout=0.5).ping())


class ChromaServer(ServerProcess):
    name = "chroma"

    def command(self) -> list[str]:
        return [
            str(VENV_BIN / "chroma"),
            "run",
            "--path",
            str(self.workdir / "data"),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ready(self) -> bool:
        return httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200
