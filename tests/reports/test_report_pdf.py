"""The report's PDF body (reports.rendering) rendered by WeasyPrint and read back with pdftotext."""

import datetime as dt
import re
import subprocess

import pytest
from django.utils import translation

from reports.building import build_data
from reports.pdf import write_pdf
from reports.rendering import chinese_number, report_html
from tests.reports.report_data import june, set_term

pytestmark = pytest.mark.django_db

JUNE = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
SIGNATURE = {
    "vendor_org": "甲科技有限公司",
    "vendor_by": "王经理",
    "vendor_at": "2026-07-02",
    "client_org": "甲市公安局",
    "client_by": "",
    "client_at": "",
    "note": "",
}


def pdf_text(pdf: bytes, tmp_path, *, layout=True) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def june_data(contract_a):
    june(contract_a)
    return build_data(contract_a, "monthly", *JUNE)


def test_the_monthly_pdf_has_the_chinese_headings_and_the_right_figures(june_data, tmp_path):
    narrative = {"summary": "完成六月例行巡检。", "plan": "七月开展数据备份演练。"}
    text = pdf_text(write_pdf(report_html(june_data, narrative, signature=SIGNATURE)), tmp_path)

    for heading in (
        "甲市运维服务 月报",
        "一、运行概况",
        "二、本月工作",
        "三、工作任务统计",
        "四、工作日志",
        "五、巡检情况",
        "六、故障处理（描述、解决方法与处理结果）",
        "七、违约事项与违约金",
        "八、下月工作计划",
    ):
        assert heading in text, heading
    # The header (code and period) and the footer of the frame, on the first page.
    first_page = text.split("\f")[0]
    assert "A-2026-OM" in first_page and "2026年6月" in first_page
    assert re.search(r"第\s*1\s*页\s*/\s*共\s*\d+\s*页", first_page)
    lines = text.splitlines()

    def line_with(label):
        return next(line for line in lines if label in line)

    # 4 incidents with a known outcome, 3 met: 3 / (3 + 1) = 75.0%.
    assert re.search(r"SLA 达成率\s+75\.0%", line_with("SLA 达成率"))
    # 6 incidents, 4 resolved by 06-30: 66.7%; 3 of 4 inspections done: 75.0%.
    assert re.search(r"故障总数\s+6\s+期末未解决\s+2", line_with("故障总数"))
    assert re.search(r"故障处理完成率\s+66\.7%", line_with("已解决"))
    assert re.search(r"漏检\s+1\s+巡检完成率\s+75\.0%", line_with("漏检"))
    # One breach in June: 1 day × 0.3% × ¥708,000 = ¥2,124.00.
    assert re.search(r"本期违约金（乙方）\s+¥2,124\.00", line_with("本期违约金"))
    flat = squeeze(text)
    assert "乙方违约金合计 ¥2,124.00" in flat
    assert re.search(r"未按时巡检 乙方 1 0 ¥2,124\.00", flat)
    # The work log and every fault's description, solution and outcome (seed 000).
    assert "恢复人口库连接" in flat
    assert "A-2026-OM-" in flat and "人口库连接中断" in flat
    assert "受理系统无法连接人口库。" in flat and "重启数据库监听并切换备用链路。" in flat
    assert "业务于 09:00 恢复。" in flat
    assert "完成六月例行巡检。" in flat and "七月开展数据备份演练。" in flat
    # Not a draft: no draft mark.
    assert "草稿" not in text


def test_a_narrative_with_html_prints_as_text_with_its_line_breaks(june_data, tmp_path):
    narrative = {"summary": '第一行<script>alert("x")</script>\n第二行 <b>粗体</b> & <img src=x>', "plan": ""}
    html = report_html(june_data, narrative)
    assert "<script>" not in html and "<b>粗体" not in html and "<img" not in html
    text = pdf_text(write_pdf(html), tmp_path, layout=False)
    assert '第一行<script>alert("x")</script>\n第二行 <b>粗体</b> & <img src=x>' in text
    # The plan left empty says so.
    assert "（乙方未填写。）" in text


def test_incident_and_work_log_text_is_escaped_too(contract_a, tmp_path):
    june(contract_a)
    data = build_data(contract_a, "monthly", *JUNE)
    data["incidents"]["list"][0]["description"] = "<h1>伪造标题</h1>"
    data["work_log"][0]["handling"] = "<script>x</script>"
    html = report_html(data, {})
    assert "<h1>伪造标题" not in html and "&lt;h1&gt;伪造标题&lt;/h1&gt;" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_a_draft_is_marked_as_one(june_data, tmp_path):
    text = pdf_text(write_pdf(report_html(june_data, {}, draft=True)), tmp_path)
    assert "草稿 · 未经甲方签认" in text
    # The fixed mark repeats on every page.
    pages = text.split("\f")[:-1]
    assert len(pages) > 1 and all("草稿" in page for page in pages)


def test_an_empty_period_renders_a_pdf_that_says_nothing_happened(contract_a, tmp_path):
    set_term(contract_a)
    data = build_data(contract_a, "monthly", dt.date(2026, 8, 1), dt.date(2026, 8, 31))
    text = squeeze(pdf_text(write_pdf(report_html(data, {})), tmp_path))
    assert "本报告期内没有故障、巡检、工作日志或其他服务记录。" in text
    assert "本期无故障。" in text and "本期无工作日志。" in text and "本期无违约事项。" in text
    assert "SLA 达成率 —" in text


def test_rendering_reads_nothing_and_is_chinese_whatever_the_language(june_data, django_assert_num_queries):
    with django_assert_num_queries(0), translation.override("en"):
        html = report_html(june_data, {"summary": "x"}, signature=SIGNATURE)
    assert '<html lang="zh-CN">' in html and "一、运行概况" in html and "甲市运维服务 月报" in html
    assert "紧急" in html and "已解决" in html  # code labels in Chinese
    # The same snapshot renders the same page: nothing is read from the clock or the database.
    assert report_html(june_data, {"summary": "x"}, signature=SIGNATURE) == html


@pytest.mark.parametrize(
    ("kind", "start", "end", "headings"),
    [
        (
            "weekly",
            dt.date(2026, 6, 1),
            dt.date(2026, 6, 7),
            ["周报", "三、人员考勤", "五、巡检结果", "八、下周工作计划"],
        ),
        (
            "quarterly",
            dt.date(2026, 5, 29),
            dt.date(2026, 6, 30),
            ["季度报告", "三、SLA 达成情况", "四、运行趋势"],
        ),
        (
            "half_yearly",
            dt.date(2026, 5, 29),
            dt.date(2026, 6, 30),
            ["半年巡检报告", "四、异常项与未通过的检查"],
        ),
        (
            "annual",
            dt.date(2026, 5, 29),
            dt.date(2027, 5, 28),
            ["年度报告", "五、人员结构", "十、不足与整改措施", "十一、建议"],
        ),
    ],
)
def test_each_kind_renders_its_own_sections(contract_a, tmp_path, kind, start, end, headings):
    june(contract_a)
    pdf = write_pdf(report_html(build_data(contract_a, kind, start, end), {}))
    text = pdf_text(pdf, tmp_path)
    for heading in [*headings, "违约事项与违约金"]:
        assert heading in text, heading


def test_the_pdf_embeds_the_cjk_font(june_data, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(write_pdf(report_html(june_data, {})))
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert any(re.search(r"Noto-?Sans-?CJK-?SC", row) for row in rows)
    # Every font is embedded (the "emb" column).
    assert rows and all(" yes " in row for row in rows)


def test_section_numbers():
    assert [chinese_number(n) for n in (1, 9, 10, 11, 20, 23)] == ["一", "九", "十", "十一", "二十", "二十三"]
