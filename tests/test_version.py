"""One version string: pyproject.toml's, shown by `kepu --version` and the OpenAPI document."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import kepu
from kepu.channels.app import create_app
from kepu.config import Settings

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.unit


def test_one_version_everywhere(tmp_path: Path) -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert kepu.__version__ == declared
    shown = subprocess.run(
        [str(Path(sys.executable).with_name("kepu")), "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0 and shown.stdout.strip() == f"kepu {declared}"
    app = create_app(Settings(data_dir=tmp_path))
    assert app.version == declared == app.openapi()["info"]["version"]
    # the newest released section of the changelog is this version
    released = re.findall(r"^## (\d+\.\d+\.\d+)", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)
    assert released[0] == declared
