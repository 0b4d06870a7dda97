"""Read supported files into text, detecting the encoding of text formats."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
from charset_normalizer import from_bytes

from kepu.ingest import wechat_article
from kepu.ingest.errors import FileRejected, UnsupportedFileType

SUPPORTED = (".md", ".txt", ".docx", ".pdf", ".html", ".htm")
# Encodings charset-normalizer may report for Chinese text; GB18030 is the superset that decodes them all.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "cp936"}


@dataclass
class Loaded:
    text: str
    front_matter: dict[str, Any] = field(default_factory=dict)
    encoding: str | None = None


def decode(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode text bytes: UTF-8 (with or without BOM) first, else the detected encoding."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw).best()
    if best is None or best.encoding is None:
        raise FileRejected(path, "无法识别文件编码，请另存为 UTF-8 或 GB18030 后重试")
    encoding = best.encoding.lower().replace("-", "").replace("_", "")
    if encoding in _GB_FAMILY or encoding.startswith("gb"):
        encoding = "gb18030"
    try:
        return raw.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError) as exc:
        raise FileRejected(path, f"按 {encoding} 解码失败：{exc}") from exc


def _load_text(path: Path) -> Loaded:
    text, enc = decode(path.read_bytes(), path)
    return Loaded(text=text, encoding=enc)


def _load_md(path: Path) -> Loaded:
    text, enc = decode(path.read_bytes(), path)
    try:
        post = frontmatter.loads(text)
    except Exception as exc:  # the YAML parser raises several types; all mean the same to the user
        raise FileRejected(path, f"front matter 不是合法的 YAML：{exc}") from exc
    return Loaded(text=post.content, front_matter=dict(post.metadata), encoding=enc)


def _load_html(path: Path) -> Loaded:
    from bs4 import BeautifulSoup

    text, enc = decode(path.read_bytes(), path)
    soup = BeautifulSoup(text, "html.parser")
    if wechat_article.is_wechat_article(soup):  # a saved mp.weixin.qq.com page
        body_text, page = wechat_article.read(soup)
        return Loaded(text=body_text, front_matter=page, encoding=enc)
    for tag in soup(["script", "style", "noscript"]):
        tag.decompose()
    body = soup.body or soup
    lines = [line.strip() for line in body.get_text("\n").splitlines()]
    return Loaded(text="\n".join(line for line in lines if line), encoding=enc)


def _load_docx(path: Path) -> Loaded:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise FileRejected(path, f"无法打开 Word 文档（文件可能已损坏）：{exc}") from exc
    except Exception as exc:  # zipfile.BadZipFile and friends from a corrupt archive
        raise FileRejected(path, f"无法打开 Word 文档（文件可能已损坏）：{exc}") from exc
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" ".join(cell.text for cell in row.cells))
    return Loaded(text="\n".join(parts))


def _load_pdf(path: Path) -> Loaded:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(path.read_bytes()))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, OSError) as exc:
        raise FileRejected(path, f"无法读取 PDF（文件可能已损坏）：{exc}") from exc
    except Exception as exc:  # pypdf raises assorted errors on broken streams
        raise FileRejected(path, f"无法读取 PDF（文件可能已损坏）：{exc}") from exc
    text = "\n".join(pages)
    if not text.strip():
        raise FileRejected(path, "PDF 中没有可提取的文字（可能是扫描件，请先做文字识别）")
    return Loaded(text=text)


_LOADERS = {
    ".md": _load_md,
    ".txt": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".docx": _load_docx,
    ".pdf": _load_pdf,
}


def load(path: Path) -> Loaded:
    """Load one file; raise FileRejected (with a Chinese reason) if it cannot be used."""
    loader = _LOADERS.get(path.suffix.lower())
    if loader is None:
        raise UnsupportedFileType(
            path, f"不支持的文件类型“{path.suffix or '（无扩展名）'}”，支持：{'、'.join(SUPPORTED)}"
        )
    if path.stat().st_size == 0:
        raise FileRejected(path, "文件为空")
    loaded = loader(path)
    if not loaded.text.strip():
        raise FileRejected(path, "文件没有正文内容")
    return loaded
