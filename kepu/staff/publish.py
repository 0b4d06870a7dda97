"""Publishing an approved draft: written into knowledge/ (so it can be kept in version control), then a new
index version is built beside the serving one and the server switches to it — replicas follow the new
version as they do after any ingest.

- A pair goes to ``knowledge/faq/staff.yaml`` (a YAML file of ``pairs:``, status approved, reviewed_by the
  reviewer, approved_at today); its id is the file name and a hash of its question, as for any pair.
- A synonym group goes into ``knowledge/synonyms.yaml``'s ``groups``, inserted as one line before the
  next top-level key so the staff's comments in the file stay as they are. The file is checked by the
  same loader the server uses; a group it refuses (a word already in another group …) is not written.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import yaml

from kepu.errors import ConfigError, StaffError
from kepu.language import Lexicon
from kepu.staff.drafts import DraftView

STAFF_FAQ_FILE = "staff.yaml"
_TOP_KEY_RE = re.compile(r"^[A-Za-z_]+:")


def pair_entry(draft: DraftView, reviewer: str, today: dt.date) -> dict[str, Any]:
    p = draft.payload
    return {
        "question": p["question"],
        "similar": list(p["similar"]),
        "answer": p["answer"],
        "basis": p["basis"],
        "status": "approved",
        "reviewed_by": reviewer,
        "approved_at": today.isoformat(),
    }


def write_pair(knowledge_dir: Path, draft: DraftView, reviewer: str, today: dt.date) -> Path:
    path = knowledge_dir / "faq" / STAFF_FAQ_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {"pairs": []}
    if path.exists():
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict) or not isinstance(loaded.get("pairs", []), list):
            raise StaffError(f"{path} 的格式不对：应为 pairs: 下的列表，请先修好这个文件")
        data = {"pairs": list(loaded.get("pairs") or [])}
    if any(str(e.get("question", "")).strip() == draft.payload["question"] for e in data["pairs"]):
        raise StaffError(f"{path.name} 里已有标准问题“{draft.payload['question']}”，请改为补充相似问法")
    data["pairs"].append(pair_entry(draft, reviewer, today))
    header = "# 工作人员在管理后台起草、另一位审核人批准后发布的标准问答（可以纳入版本管理）。\n"
    _replace(path, header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def write_similar(path: Path, row: int, pair_question: str, question: str) -> Path:
    """Add a similar question to the pair on ``row`` of a YAML pairs file, keeping the file's comments and
    layout (ruamel.yaml round trip). Pairs kept in CSV or Excel are edited there by staff."""
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise StaffError(
            f"这条问答在 {path.name}（第 {row} 行）里：CSV 和 Excel 文件请在原文件的“相似问法”一栏添加后重新导入"
        )
    from ruamel.yaml import YAML

    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 4096
    rt.indent(mapping=2, sequence=4, offset=2)  # "pairs:\n  - question: …\n    similar:\n      - …"
    data = rt.load(path.read_text(encoding="utf-8"))
    entries = data.get("pairs") if hasattr(data, "get") else None
    if not isinstance(entries, list) or not 1 <= row <= len(entries):
        raise StaffError(f"{path.name} 里找不到第 {row} 条问答，文件可能已被改动，请重新导入后再试")
    entry = entries[row - 1]
    question_key = "question" if "question" in entry else "问题"
    if str(entry.get(question_key, "")).strip() != pair_question.strip():
        raise StaffError(
            f"{path.name} 第 {row} 条的标准问题已改动（不再是“{pair_question}”），请重新导入后再试"
        )
    key = next((k for k in ("similar", "相似问法") if k in entry), "similar")
    current = entry.get(key)
    if current is None:
        entry[key] = [question]
    elif isinstance(current, list):
        if question in current:
            raise StaffError(f"“{question}”已经是这条问答的相似问法")
        current.append(question)
    else:  # one cell of questions separated by | or line breaks
        entry[key] = f"{current}|{question}"
    buf = io.StringIO()
    rt.dump(data, buf)
    _replace(path, buf.getvalue())
    return path


def write_synonym(synonyms_path: Path, draft: DraftView, reviewer: str, today: dt.date) -> Path:
    words = draft.payload["words"]
    original = synonyms_path.read_text(encoding="utf-8") if synonyms_path.exists() else "groups:\n"
    lines = original.splitlines(keepends=True)
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("groups:"))
    except StopIteration:
        lines += ["groups:\n"]
        start = len(lines) - 1
    end = next((i for i in range(start + 1, len(lines)) if _TOP_KEY_RE.match(lines[i])), len(lines))
    while end > start + 1 and not lines[end - 1].strip():  # before the blank lines that end the list
        end -= 1
    line = f"  - [{', '.join(words)}]   # 审核人 {reviewer}，{today.isoformat()} 从管理后台发布\n"
    candidate = "".join([*lines[:end], line, *lines[end:]])
    _check_synonyms(synonyms_path, candidate, words)
    _replace(synonyms_path, candidate)
    return synonyms_path


def _check_synonyms(path: Path, text: str, words: list[str]) -> None:
    trial = path.with_name(path.name + ".check")
    trial.write_text(text, encoding="utf-8")
    try:
        lexicon = Lexicon.load(trial, cilin=False)
    except ConfigError as exc:
        raise StaffError(f"同义词表改后无法读取，没有写入：{exc}") from exc
    finally:
        trial.unlink(missing_ok=True)
    if list(words) not in lexicon.groups:
        raise StaffError("同义词没有写进 groups，没有写入；请检查 synonyms.yaml 的格式")


def _replace(path: Path, text: str) -> None:
    """Write through a temporary file and rename: a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
