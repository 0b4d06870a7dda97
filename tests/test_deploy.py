"""The deployment files name only settings that exist, and the compose topology is the one tested
natively in tests/test_cluster.py (nginx, two replicas, Redis, a Chroma server, an ingestion job)."""

from __future__ import annotations

import re

import pytest
import yaml

from kepu.config import Settings
from tests.conftest import ROOT

pytestmark = pytest.mark.unit

DEPLOY = ROOT / "deploy"
SETTING_RE = re.compile(r"\bKEPU_([A-Z0-9_]+)")
# Read by the test suite, not by the service (tests/test_llm.py's live-provider test).
TEST_ONLY = {"LIVE_LLM_API_KEY", "LIVE_LLM_BASE_URL", "LIVE_LLM_MODEL"}


def _fields() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


@pytest.mark.parametrize(
    "path",
    ["docker-compose.yml", "kepu.env.example", "OPERATIONS.md", "README.md", "Dockerfile", "../README.md"]
    + [f"systemd/{p.name}" for p in (ROOT / "deploy" / "systemd").glob("*.service")],
)
def test_every_setting_named_exists(path: str) -> None:
    named = set(SETTING_RE.findall((DEPLOY / path).read_text(encoding="utf-8")))
    unknown = sorted(n for n in named if n not in _fields() | TEST_ONLY and not n.endswith("_"))
    assert not unknown, f"{path} names settings that do not exist: {unknown}"


def test_compose_topology() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"nginx", "app1", "app2", "redis", "chroma", "ingest"} <= set(services)
    for app in ("app1", "app2"):
        env = services[app]["environment"]
        assert env["KEPU_REDIS_URL"].startswith("redis://") and env["KEPU_CHROMA_URL"].startswith("http://")
        assert services[app]["depends_on"]["ingest"]["condition"] == "service_completed_successfully"
    assert services["ingest"]["command"] == ["kepu", "ingest"]
    upstream = (DEPLOY / "nginx" / "kepu.conf").read_text(encoding="utf-8")
    assert "upstream kepu_app" in upstream and "app1:8000" in upstream and "app2:8000" in upstream
    assert "proxy_pass http://kepu_app;" in (DEPLOY / "nginx" / "kepu-locations.conf").read_text(
        encoding="utf-8"
    )
