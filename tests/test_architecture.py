"""The layers of ARCHITECTURE.md hold: a module imports only from layers below its own.

The contract lives in pyproject.toml ([tool.importlinter]); import-linter checks it on the real import
graph of kepu/, including imports inside functions."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.unit


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_layers_hold() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "imported", "reported"),
    [
        # the knowledge base importing a channel: up the layers
        ("kb/types.py", "kepu.channels.app", "kepu.kb.types -> kepu.channels.app"),
        # a channel reaching past the service seam into retrieval
        ("channels/api.py", "kepu.answering.retrieve", "kepu.channels.api -> kepu.answering.retrieve"),
    ],
)
def test_a_broken_rule_is_caught(tmp_path: Path, module: str, imported: str, reported: str) -> None:
    # the check can fail, and its report names the offending import
    shutil.copytree(ROOT / "kepu", tmp_path / "kepu", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    source = tmp_path / "kepu" / module
    source.write_text(source.read_text() + f"\n\nimport {imported}  # noqa: E402,F401\n")
    result = _lint(tmp_path)
    assert result.returncode == 1, result.stdout
    assert "1 kept, 1 broken" in result.stdout
    assert reported in result.stdout


def test_the_architecture_document_names_files_that_exist() -> None:
    # ARCHITECTURE.md is the newcomer's map: every module it names must be where it says
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:kepu/)?[\w/]+\.py)`", text)) | set(
        re.findall(r"\b((?:kepu/)[\w/]+/)", text)
    )
    assert len(named) > 30

    def exists(name: str) -> bool:
        if (ROOT / name).exists() or (ROOT / "kepu" / name).exists():
            return True
        # a bare module name, in the section of its package
        return "/" not in name and any(any((ROOT / top).rglob(name)) for top in ("kepu", "tests"))

    missing = [n for n in sorted(named) if not exists(n)]
    assert missing == []
