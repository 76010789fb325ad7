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


def blank_scan(pages: int, size=(1240, 1754), resolution=150) -> bytes:
    """An image-only PDF of blank pages (A4 at 150 dpi by default): a scan with no text layer."""
    from PIL import Image

    images = [Image.new("L", size, 255) for _ in range(pages)]
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=resolution, save_all=True, append_images=images[1:])
    return out.getvalue()


FAKE_TESSERACT = """#!{python}
# Stands in for tesseract: notes when it starts and ends and with which OMP_THREAD_LIMIT, sleeps
# as long as its page is told to, and prints the page's number as its text.
import os, sys, time
page = int(sys.argv[1].rsplit("-", 1)[1].split(".")[0])
def note(what):
    with open(os.environ["FAKE_LOG"], "a") as log:
        log.write(f"{{what}} {{page}} {{time.monotonic()}} {{os.environ.get('OMP_THREAD_LIMIT')}}\\n")
note("start")
time.sleep(float(os.environ.get(f"FAKE_SLEEP_{{page}}", "0")))
if os.environ.get("FAKE_FAIL") == str(page):
    sys.exit(1)
print(f"第{{page}}页")
note("end")
"""


@pytest.fixture
def fake_tesseract(tmp_path, monkeypatch):
    """A tesseract of our own first on PATH; returns the lines it logged."""
    import sys

    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "tesseract"
    script.write_text(FAKE_TESSERACT.format(python=sys.executable))
    script.chmod(0o755)
    log = tmp_path / "tesseract.log"
    log.touch()
    monkeypatch.setenv("PATH", f"{folder}:{__import__('os').environ['PATH']}")
    monkeypatch.setenv("FAKE_LOG", str(log))

    def lines():
        return [line.split() for line in log.read_text().splitlines()]

    return lines


needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils is not installed")


@needs_poppler
def test_pages_are_read_in_parallel_single_threaded_and_told_in_page_order(
    fake_tesseract, monkeypatch, settings
):
    settings.INTAKE_OCR_PROCESSES = 2
    monkeypatch.setenv("FAKE_SLEEP_1", "1.5")  # page 1 ends after page 2
    told = []
    read = read_contract("扫描件.pdf", blank_scan(3), progress=lambda n, of: told.append((n, of)))
    assert read.kind == "ocr" and read.pages == 3
    assert [line for line in read.text.splitlines() if line] == ["第1页", "第2页", "第3页"]
    assert told == [(1, 3), (2, 3), (3, 3)]
    log = fake_tesseract()
    assert {line[3] for line in log} == {"1"}  # OMP_THREAD_LIMIT for each process
    events = [(line[0], int(line[1])) for line in sorted(log, key=lambda line: float(line[2]))]
    assert events.index(("start", 2)) < events.index(("end", 1))  # two at once
    assert events.index(("end", 2)) < events.index(("start", 3))  # never three
    assert events.index(("end", 2)) < events.index(("end", 1))


@needs_poppler
def test_at_most_the_processes_setting_run_at_once(fake_tesseract, monkeypatch, settings):
    settings.INTAKE_OCR_PROCESSES = 1
    monkeypatch.setenv("FAKE_SLEEP_1", "0.5")
    read_contract("扫描件.pdf", blank_scan(2))
    events = [(line[0], int(line[1])) for line in sorted(fake_tesseract(), key=lambda line: float(line[2]))]
    assert events == [("start", 1), ("end", 1), ("start", 2), ("end", 2)]


@needs_poppler
def test_a_read_past_the_overall_time_limit_is_refused_and_its_processes_ended(
    fake_tesseract, monkeypatch, settings
):
    import time

    settings.INTAKE_OCR_SECONDS = 2
    for page in (1, 2, 3):
        monkeypatch.setenv(f"FAKE_SLEEP_{page}", "60")
    started = time.monotonic()
    with pytest.raises(UnreadableContract, match="longer than 2 s"):
        read_contract("扫描件.pdf", blank_scan(3))
    assert time.monotonic() - started < 15
    assert all(line[0] == "start" for line in fake_tesseract())  # killed, none ended


@needs_poppler
def test_a_page_tesseract_cannot_read_fails_the_read(fake_tesseract, monkeypatch, settings):
    monkeypatch.setenv("FAKE_FAIL", "2")
    with pytest.raises(UnreadableContract, match="could not read a page"):
        read_contract("扫描件.pdf", blank_scan(3))


@needs_poppler
def test_a_page_larger_than_a3_is_refused_before_it_is_rasterised(fake_tesseract):
    # 2000 × 2000 pixels at 72 dpi: a page 2000 points (70 cm) on each side.
    with pytest.raises(UnreadableContract, match="A3"):
        read_contract("扫描件.pdf", blank_scan(1, size=(2000, 2000), resolution=72))
    assert fake_tesseract() == []


# --- What Tesseract makes of a printed contract, put back (each fix on a line of our own) ---------


def cleaned(text, only):
    from contracts.intake.ocr_fixes import OCR_FIXES
    from contracts.intake.ocr_fixes import ocr_cleaned as _ocr_cleaned

    return _ocr_cleaned(text, skip=[name for name, _fix in OCR_FIXES if name != only])


def test_brackets_read_as_angle_or_half_width_become_the_full_width_pair():
    assert cleaned("某区分局 〈网络安全大队) 2026年度", "brackets") == "某区分局 （网络安全大队） 2026年度"
    assert cleaned("总价 〈小写 ¥52,000.00 元) 。", "brackets") == "总价 （小写 ¥52,000.00 元） 。"
    assert cleaned("(大写) 伍万贰仟元整", "brackets") == "（大写） 伍万贰仟元整"
    # A list's number and a bracket of Latin text stay as printed; a book title keeps its 《》.
    assert cleaned("(2) 按照《民法典》执行 (Email)", "brackets") == "(2) 按照《民法典》执行 (Email)"


def test_a_colon_or_semicolon_after_chinese_becomes_full_width():
    assert cleaned("签订日期: 2026年5月6日", "colons") == "签订日期：2026年5月6日"
    assert cleaned("甲方（盖章） : 某县公安局", "colons") == "甲方（盖章）：某县公安局"
    assert cleaned("应及时解决;\n按月支付 20%;", "colons") == "应及时解决；\n按月支付 20%；"
    assert cleaned("https://example.cn 10:30 a;b", "colons") == "https://example.cn 10:30 a;b"


def test_spaces_between_chinese_characters_are_dropped():
    assert cleaned("服 务 期 满 后 30 日 内", "han_spaces") == "服务期满后 30 日内"
    # A wide gap is a table's column (or the space between two parties' seals): it stays.
    assert cleaned("视 频 运 维   前 端 巡 检", "han_spaces") == "视频运维   前端巡检"


def test_the_colon_after_a_party_read_as_a_semicolon():
    assert cleaned("乙方（服务方）;某某科技有限公司", "party_colon") == "乙方（服务方）：某某科技有限公司"
    assert cleaned("甲方；某县公安局", "party_colon") == "甲方：某县公安局"


def test_capital_numerals_tesseract_cannot_answer_are_put_back_in_an_amount():
    # chi_sim has no 叁, 柒, 捌 or 仟: it answers 参, 类, 制, 什 (and 抬 for 拾).
    line = "大写：参万类什制佰抬元整"
    assert cleaned(line, "capital_numerals") == "大写：叁万柒仟捌佰拾元整"
    assert cleaned("（大写）业万贰什元整", "capital_numerals") == "（大写）柒万贰仟元整"
    assert cleaned("大写：起拾喜万零陆佰元整", "capital_numerals") == "大写：贰拾壹万零陆佰元整"
    assert cleaned("大写：陆拾抽万陆任元整（含税）", "capital_numerals") == "大写：陆拾捌万陆仟元整（含税）"
    assert cleaned("承担责任", "capital_numerals") == "承担责任"
    assert cleaned("人民币娄拾染万元整", "capital_numerals") == "人民币柒拾柒万元整"
    assert cleaned("染色与娄底", "capital_numerals") == "染色与娄底"
    # The same characters outside a whole amount are words, and stay.
    words = "参加会议的单位提供制度，什么类别"
    assert cleaned(words, "capital_numerals") == words
    assert cleaned("委员会万元", "capital_numerals") == "委员会万元"


def test_the_yuan_sign_read_as_y():
    assert cleaned("小写 Y 52,000.00 元，TYPE 3", "yuan_sign") == "小写 ¥ 52,000.00 元，TYPE 3"


def test_a_scanned_amount_reads_as_its_text_once_cleaned():
    from contracts.intake.ocr_fixes import ocr_cleaned as _ocr_cleaned

    ocr = "本合同总金额: (大写) 伍拾参万类什元整 〈小写 Y537,000.00 元) 。"
    assert extract(_ocr_cleaned(ocr)).value("total") == extract(
        "本合同总金额：（大写）伍拾叁万柒仟元整（小写 ¥537,000.00 元）。"
    ).value("total")


def test_a_closing_quote_read_in_the_gap_around_a_figure_is_dropped():
    assert cleaned("验收合格后 ”15 ”个工作日内", "stray_quotes") == "验收合格后 15 个工作日内"
    assert cleaned("详见“附件2”。", "stray_quotes") == "详见“附件2”。"


def test_a_quote_glued_to_a_tables_rule_is_the_rules_stroke():
    assert cleaned("重大故障“| 全部业务中断的故障。", "rule_quotes") == "重大故障 | 全部业务中断的故障。"
    assert cleaned("等级 ”| 说明", "rule_quotes") == "等级 | 说明"
    # A quote that closes a word before a cell's rule is not read so: it keeps its place.
    assert cleaned("称“值守”。 | 说明", "rule_quotes") == "称“值守”。 | 说明"


def test_the_times_sign_of_a_service_pattern_read_as_a_look_alike():
    assert cleaned("设 5天义8小时值守岗 1 个", "times_sign") == "设 5天×8小时值守岗 1 个"
    assert cleaned("其中 6 天勾12 小时", "times_sign") == "其中 6 天×12 小时"
    # Wrapped around the sign: one pattern again.
    wrapped = "值守岗 1 个，7天\n勾8小时值守岗 3 个"
    assert cleaned(wrapped, "times_sign") == "值守岗 1 个，7天×8小时值守岗 3 个"
    assert cleaned("第3天又8小时后", "times_sign") == "第3天又8小时后"
    assert cleaned("每天又有新的任务，义务", "times_sign") == "每天又有新的任务，义务"


def test_a_percent_sign_read_as_96_or_94_in_a_share_of_a_sum():
    line = "每逾期一日按合同总价的0.296计算，累计不超过合同总价的894。"
    assert cleaned(line, "percent_sign") == "每逾期一日按合同总价的0.2%计算，累计不超过合同总价的8%。"
    assert cleaned("扣除服务费用的1594的违约金", "percent_sign") == "扣除服务费用的15%的违约金"
    # An amount, a count, or a share already read with its sign, stays.
    kept = "合同总价的1094元；合同总额的2%；金额的96个；合同总价的10%。合同金额的594,000元"
    assert cleaned(kept, "percent_sign") == kept


def test_a_fraction_per_mille_read_with_look_alikes():
    line = "每日按合同总额的干分之参作为违约金"
    assert cleaned(line, "per_mille") == "每日按合同总额的千分之叁作为违约金"
    assert cleaned("按于分之五计", "per_mille") == "按千分之五计"
    assert cleaned("千分之提高效率；干部参加", "per_mille") == "千分之提高效率；干部参加"


def test_the_vendor_party_read_with_a_look_alike_of_yi():
    assert cleaned("2、忆方未按时巡检的", "vendor_party") == "2、乙方未按时巡检的"
    assert cleaned("记忆方法与回忆方式", "vendor_party") == "记忆方法与回忆方式"


def test_a_roman_one_read_as_a_bracket_before_the_second_item():
    text = "按下列第1种方式：\n\n[按月验收：每月一次。\n\nII.年度验收：每年一次。"
    expected = "按下列第1种方式：\n\nI.按月验收：每月一次。\n\nII.年度验收：每年一次。"
    assert cleaned(text, "roman_one") == expected
    # A bracketed note is no list's first item.
    assert cleaned("[注]见附件。\n二、其他", "roman_one") == "[注]见附件。\n二、其他"


def test_a_sentence_wrapped_at_the_page_edge_is_one_line_again():
    text = (
        "二、付款：服务期满后 20 个工作日内，甲方向乙方支付\n"
        "45000.00 元（大写：肆万伍仟元整）。\n"
        "\n"
        "三、其他约定事项均以本合同正文所载条款为准执行。\n"
        "甲方（盖章）：某县公安局      乙方（盖章）：某某科技有限公司\n"
        "联系人：\n"
    )
    assert cleaned(text, "wrapped_lines") == (
        "二、付款：服务期满后 20 个工作日内，甲方向乙方支付45000.00 元（大写：肆万伍仟元整）。\n"
        "\n"
        "三、其他约定事项均以本合同正文所载条款为准执行。\n"
        "甲方（盖章）：某县公安局      乙方（盖章）：某某科技有限公司\n"
        "联系人：\n"
    )


def test_a_form_row_of_two_labelled_fields_is_not_joined_to_the_next_line():
    text = (
        "本合同由双方于签订之日起生效，一式四份，双方各执两份。\n"
        "甲方：某县公安局交通警察大队 乙方：某某信息科技有限公司\n"
        "法定代表人或授权代表：\n"
    )
    assert cleaned(text, "wrapped_lines") == text


def test_figures_that_lost_their_first_digits_take_the_capitals_value():
    # ¥ and the first digit read as one character, or as nothing; the capitals say the amount.
    line = "人民币小写：丰154000元，人民币大写：贰佰壹拾伍万肆仟元整"
    expected = "人民币小写：¥2154000元，人民币大写：贰佰壹拾伍万肆仟元整"
    assert cleaned(line, "figures_from_capitals") == expected
    line = "（大写）壹佰壹拾伍万元整（小写习,150,000.00 元）"
    assert cleaned(line, "figures_from_capitals") == "（大写）壹佰壹拾伍万元整（小写¥1150000.00 元）"
    line = "（大写）壹拾贰万元整（小写：20000.00 元）"
    assert cleaned(line, "figures_from_capitals") == "（大写）壹拾贰万元整（小写：¥120000.00 元）"
    # Figures that are not the capitals' last digits are a different misreading: left as read.
    same = "小写：35000元，大写：叁万陆仟元整；支付 8000 元（大写：捌仟元整）"
    assert cleaned(same, "figures_from_capitals") == same


def test_the_signing_date_whose_first_character_was_read_as_deng():
    assert cleaned("等约日期：2026年5月6日", "signing_date") == "签约日期：2026年5月6日"
    assert cleaned("等订日期: 2026年5月6日", "signing_date") == "签订日期: 2026年5月6日"
    assert cleaned("等待日期确定后", "signing_date") == "等待日期确定后"


def test_a_text_longer_than_a_contract_is_refused_with_a_reason():
    from django.utils import translation

    from contracts.intake import flow
    from contracts.intake.reading import MAX_CHARS

    with pytest.raises(UnreadableContract) as refused:
        read_contract("contract.txt", ("甲方应按时付款。" * (MAX_CHARS // 8 + 1)).encode())
    with translation.override("zh-hans"):
        assert "400,000" in flow.reason_for(refused.value)
    assert read_contract("contract.txt", "甲方应按时付款。".encode()).text == "甲方应按时付款。"


def test_xiang_read_as_ting_after_gong_or_fen():
    assert cleaned("各部门的信息共亭平台", "share_pavilion") == "各部门的信息共享平台"
    assert cleaned("经验分亭会", "share_pavilion") == "经验分享会"
    assert cleaned("公园凉亭一座", "share_pavilion") == "公园凉亭一座"


def test_a_he_read_into_the_gap_before_jing():
    assert cleaned("统计平均出和警时长", "stray_and") == "统计平均出警时长"
    assert cleaned("协助其他和警种开展工作", "stray_and") == "协助其他警种开展工作"
    assert cleaned("辅警和警察", "stray_and") == "辅警和警察"
