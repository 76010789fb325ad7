"""An uploaded contract's text (contracts.intake.reading): a GB 18030 .txt, a .docx built here,
a PDF with its text layer (rendered by WeasyPrint here), and a scan of it read by Tesseract;
files that are none of these are refused with a reason."""

import io
import shutil
import subprocess
import zipfile

import pytest
from django.utils.html import escape

from contracts.intake import extract
from contracts.intake.reading import UnreadableContract, read_contract

CONTRACT = (
    "某市公安局视频专网运维服务项目合同\n"
    "甲方（委托方）：某市公安局\n"
    "乙方（服务方）：某某信息技术有限公司\n"
    "本合同总金额：（大写）壹佰贰拾叁万肆仟伍佰元整（小写 ¥1,234,500.00 元）。\n"
)


def docx(paragraphs, table_rows=()) -> bytes:
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    body = "".join(f"<w:p><w:r><w:t>{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    if table_rows:
        rows = "".join(
            "<w:tr>"
            + "".join(f"<w:tc><w:p><w:r><w:t>{escape(c)}</w:t></w:r></w:p></w:tc>" for c in row)
            + "</w:tr>"
            for row in table_rows
        )
        body += f"<w:tbl>{rows}</w:tbl>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "word/document.xml", f'<?xml version="1.0"?><w:document {ns}><w:body>{body}</w:body></w:document>'
        )
    return buffer.getvalue()


def pdf_of(text: str) -> bytes:
    from weasyprint import HTML

    lines = "".join(f"<p>{escape(line)}</p>" for line in text.splitlines())
    style = "font-family: 'Noto Sans CJK SC'; font-size: 14pt"
    html = f'<html lang="zh-CN"><body style="{style}">{lines}</body></html>'
    return HTML(string=html).write_pdf()


def test_a_text_file_in_utf8_or_gb18030_with_its_sha256():
    read = read_contract("合同.txt", CONTRACT.encode("gb18030"))
    assert read.text == CONTRACT and read.kind == "txt" and len(read.sha256) == 64
    assert read_contract("a.txt", CONTRACT.encode()).sha256 != read_contract("a.txt", b"x").sha256


def test_a_docx_gives_its_paragraphs_and_table_rows():
    data = docx(CONTRACT.splitlines(), [("序号", "名称", "金额"), ("1", "日常巡检", "5.4")])
    read = read_contract("合同.docx", data)
    assert read.kind == "docx"
    assert extract(read.text).value("vendor") == "某某信息技术有限公司"
    assert "1\t日常巡检\t5.4" in read.text


def test_a_docx_with_an_entity_declaration_is_refused():
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    doctype = '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">]>'
    bomb = f'<?xml version="1.0"?>{doctype}<w:document {ns}><w:body>&a;</w:body></w:document>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", bomb)
    with pytest.raises(UnreadableContract):
        read_contract("x.docx", buffer.getvalue())


@pytest.mark.parametrize(
    "name, data",
    [
        ("x.exe", b"MZ"),
        ("x.pdf", b"not a pdf"),
        ("x.docx", b"PK not a zip"),
        ("x.txt", b"\xff\xfe\x00\xd8" * 3),
    ],
)
def test_what_is_not_a_contract_text_is_refused_with_a_reason(name, data):
    with pytest.raises(UnreadableContract) as refused:
        read_contract(name, data)
    assert str(refused.value)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is not installed")
def test_a_pdf_is_read_from_its_text_layer():
    read = read_contract("合同.pdf", pdf_of(CONTRACT))
    assert read.kind == "pdf" and read.pages == 1
    assert extract(read.text).value("total") is not None


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr (chi_sim) is not installed")
def test_a_scanned_pdf_is_read_by_ocr_with_its_progress(tmp_path):
    from PIL import Image

    (tmp_path / "c.pdf").write_bytes(pdf_of(CONTRACT))
    subprocess.run(
        ["pdftoppm", "-r", "300", "-gray", "-png", str(tmp_path / "c.pdf"), str(tmp_path / "p")], check=True
    )
    page = Image.open(next(tmp_path.glob("p*.png")))
    scan = io.BytesIO()
    page.save(scan, "PDF", resolution=300)  # an image and no text: a scan
    told = []
    read = read_contract("扫描件.pdf", scan.getvalue(), progress=lambda n, of: told.append((n, of)))
    assert read.kind == "ocr" and told == [(1, 1)]
    found = extract(read.text)
    assert found.value("client") == "某市公安局"
    assert found.value("vendor") == "某某信息技术有限公司"
