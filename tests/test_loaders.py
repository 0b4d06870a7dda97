from pathlib import Path

import pytest

from ingest.errors import FileRejected, MetadataError, UnsupportedFileType
from ingest.loaders import load
from ingest.metadata import validate

pytestmark = pytest.mark.unit

TEXT = "被蜜蜂蜇伤后，要先用卡片刮出毒刺，再用肥皂水冲洗。"


def test_gbk_text_is_detected_not_garbled(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes(((TEXT + "\n出现呼吸困难要立即拨打120。\n") * 3).encode("gbk"))
    loaded = load(path)
    assert TEXT in loaded.text
    assert loaded.encoding == "gb18030"


def test_utf8_bom_and_markdown_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes("\ufeff---\ntitle: 蜜蜂蜇伤\nstatus: draft\n---\n# 蜜蜂蜇伤\n".encode() + TEXT.encode())
    loaded = load(path)
    assert loaded.front_matter == {"title": "蜜蜂蜇伤", "status": "draft"}
    assert TEXT in loaded.text


def test_docx(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph(TEXT)
    path = tmp_path / "a.docx"
    document.save(str(path))
    assert TEXT in load(path).text


def test_pdf(tmp_path: Path) -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "a.pdf"
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 12)
    c.drawString(50, 800, TEXT)
    c.save()
    assert TEXT in load(path).text


def test_html_drops_scripts(tmp_path: Path) -> None:
    path = tmp_path / "a.html"
    path.write_text(
        f"<html><head><script>var x=1;</script></head><body><p>{TEXT}</p></body></html>", encoding="utf-8"
    )
    text = load(path).text
    assert TEXT in text and "var x" not in text


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        ("broken.pdf", b"%PDF-1.4 this is not a pdf", FileRejected, "PDF"),
        ("broken.docx", b"PK not a zip", FileRejected, "Word"),
        ("empty.txt", b"", FileRejected, "文件为空"),
        ("blank.md", b"   \n\n", FileRejected, "没有正文"),
        ("table.xlsx", b"whatever", UnsupportedFileType, "不支持的文件类型“.xlsx”"),
    ],
)
def test_bad_files_are_rejected_with_a_chinese_reason(tmp_path: Path, name, content, error, message) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error) as info:
        load(path)
    assert message in info.value.reason
    assert name in str(info.value)


APPROVED = {
    "title": "蜜蜂蜇伤",
    "status": "approved",
    "reviewed_by": "某某疾控中心",
    "approved_at": "2026-11-01",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reviewed_by": None}, "reviewed_by"),
        ({"approved_at": None}, "approved_at"),
        ({"approved_at": "去年"}, "approved_at"),
        ({"status": "ok"}, "status"),
        ({"status": None}, "status"),
        ({"title": ""}, "title"),
        ({"kind": "poem"}, "kind"),
    ],
)
def test_approval_gate_names_the_file_and_field(change, field) -> None:
    meta = {k: v for k, v in {**APPROVED, **change}.items() if v is not None}
    with pytest.raises(MetadataError) as info:
        validate(Path("science/bee.md"), meta)
    assert field in info.value.reason
    assert "science/bee.md" in str(info.value)


def test_drafts_need_no_reviewer_and_dates_are_normalised() -> None:
    import datetime as dt

    assert validate(Path("x.md"), {"title": "草稿", "status": "draft"}).status == "draft"
    ok = validate(Path("x.md"), {**APPROVED, "approved_at": dt.date(2026, 11, 1)})
    assert ok.raw["approved_at"] == "2026-11-01"


def test_plan_needs_a_year() -> None:
    with pytest.raises(MetadataError, match="year"):
        validate(Path("p.txt"), {"kind": "plan", "title": "要点", "status": "approved", "year": "二〇二〇"})
