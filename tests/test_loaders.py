from pathlib import Path

import pytest

from kepu.ingest.errors import FileRejected, MetadataError, UnsupportedFileType
from kepu.ingest.loaders import load
from kepu.ingest.metadata import validate

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


# --- WeChat official-account articles (issue 15) ----------------------------------------------------

WECHAT = Path(__file__).resolve().parent / "fixtures" / "wechat" / "heat-article.html"


def test_a_saved_wechat_article_gives_its_title_account_date_and_body_only() -> None:
    """A page saved from mp.weixin.qq.com (the structure of the real pages: #activity-name, #js_name,
    #publish_time filled in by script from `var ct`, #js_content): the body's paragraphs in order,
    without scripts, styles, images, mini-programs, reading counters or the QR-code box."""
    from kepu.ingest.loaders import load

    loaded = load(WECHAT)
    assert loaded.front_matter == {
        "title": "三伏天下地干活，这样防中暑",
        "source": "微信公众号“示例县科协”",
        "account": "示例县科协",
        "published_at": "2026-08-05",
    }
    lines = loaded.text.splitlines()
    assert lines[0] == "天气最热的时候，下地干活的人最容易中暑。"
    assert "如果有人晕倒、叫不醒，立即拨打120。" in lines
    for noise in ("window.__second_open__", "visibility", "阅读", "扫一扫", "报名小程序", "mmbiz"):
        assert noise not in loaded.text


def test_a_wechat_article_with_the_date_in_the_page_and_no_heading(tmp_path: Path) -> None:
    """Some saved pages have the date written into #publish_time and the title only in og:title."""
    from kepu.ingest.loaders import load

    html = WECHAT.read_text(encoding="utf-8")
    html = html.replace(
        '<em id="publish_time" class="rich_media_meta rich_media_meta_text"></em>',
        '<em id="publish_time">2025年3月7日 09:30</em>',
    )
    html = html.replace('id="activity-name"', 'id="other-heading"').replace('var ct = "1785888000";', "")
    page = tmp_path / "saved.html"
    page.write_text(html, encoding="utf-8")
    loaded = load(page)
    assert loaded.front_matter["published_at"] == "2025-03-07"
    assert loaded.front_matter["title"] == "三伏天下地干活，这样防中暑"


def test_a_wechat_article_goes_through_the_approval_gate_with_its_sidecar(
    tmp_path: Path, fake_embedder
) -> None:
    """Ingested with the sidecar's approval (the page gives title and source): a draft sidecar keeps it
    out, an approved one puts it in with the account as its source."""
    import shutil

    from kepu.config import Settings
    from kepu.ingest.pipeline import ingest

    knowledge = tmp_path / "knowledge"
    (knowledge / "science").mkdir(parents=True)
    shutil.copy(WECHAT, knowledge / "science" / WECHAT.name)
    sidecar = WECHAT.with_name(WECHAT.name + ".meta.yaml").read_text(encoding="utf-8")
    side = knowledge / "science" / (WECHAT.name + ".meta.yaml")
    side.write_text(sidecar.replace("status: approved", "status: draft"), encoding="utf-8")
    settings = Settings(
        data_dir=tmp_path / "data", knowledge_dir=knowledge, embedding_cache_dir=tmp_path / "c"
    )
    report = ingest(settings, fake_embedder)
    assert [r.status for r in report.results] == ["draft"]
    side.write_text(sidecar, encoding="utf-8")
    report = ingest(settings, fake_embedder)
    assert report.ok and report.documents == 1
    from kepu.kb.catalog import open_catalog

    catalog = open_catalog(settings)
    record = catalog.load_manifest(catalog.current_version()).documents["heat-article"]  # type: ignore[arg-type]
    assert record.title == "三伏天下地干活，这样防中暑"
    assert record.meta["source"] == "微信公众号“示例县科协”" and record.meta["published_at"] == "2026-08-05"
