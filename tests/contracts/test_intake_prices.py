"""The price list's rules (contracts.intake.prices), each on tables of our own writing in the
layouts contracts use: cells between tabs (a .txt, a .docx), markdown-ish pipes, and a PDF's
text layer laid out in spaces."""

import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from contracts.intake import extract
from contracts.intake.header import total
from contracts.intake.prices import prices
from contracts.seeds import SEED_CONTRACTS

INTAKE = Path(__file__).resolve().parents[2] / "contracts" / "intake"


def rows(text, known=None):
    return [p.value for p in prices(text, known).proposals]


def short(items):
    return [(i["category"], i["name"], i["amount"]) for i in items]


TABS = (
    "附件：服务清单及报价\n"
    "类别\t服务名称\t服务说明\t金额（万元）\t小计（万元）\n"
    "机房运维\t空调巡检\t每月巡检一次，记录温湿度。\t1.5\t4\n"
    "\t供电检查\t检查配电柜、UPS。\t2.5\t\n"
    "终端运维\t打印机维修\t现场维修。\t0.8\t0.8\n"
    "合计\t\t\t4.8\t4.8\n"
    "\n"
    "其他约定：以上价格含税。\n"
)


def test_tab_rows_carry_the_merged_category_and_read_wan_yuan_columns():
    assert short(rows(TABS)) == [
        ("机房运维", "空调巡检", Decimal("15000")),
        ("机房运维", "供电检查", Decimal("25000")),
        ("终端运维", "打印机维修", Decimal("8000")),
    ]
    first = prices(TABS).proposals[0]
    assert first.quote(TABS).startswith("机房运维\t空调巡检")
    assert first.value["description"] == "每月巡检一次，记录温湿度。"
    assert prices(TABS).conflicts == []


def test_a_row_that_lost_its_empty_leading_cells_at_a_page_break_is_matched_by_content():
    text = TABS.replace("\t供电检查\t检查配电柜、UPS。\t2.5\t\n", "\n供电检查\t检查配电柜、UPS。\t2.5\n")
    assert short(rows(text))[1] == ("机房运维", "供电检查", Decimal("25000"))


def test_a_merged_row_with_a_category_and_no_item_name_is_an_item_of_that_name():
    text = "类别\t服务名称\t金额（元）\n项目管理\t\t6000\n"
    assert short(rows(text)) == [("项目管理", "项目管理", Decimal("6000"))]


PIPES = """报价明细（单位：万元）

| 序号 | 服务内容 | 金额 |
|---|---|---|
| 一 | 网络设备维护 |  |
| 1 | 交换机 巡检 | 3 |
| 2 | 防火墙策略(年度)优化 | 1.25 |
| 小计 |  | 4.25 |
| 二 | 应用系统维护 |  |
| 3 | 门户网站维护 | 2 |
| 合计 |  | 6.25 |
"""


def test_pipe_rows_with_numbered_items_heading_rows_and_a_caption_in_wan_yuan():
    assert short(rows(PIPES)) == [
        ("网络设备维护", "交换机巡检", Decimal("30000")),
        ("网络设备维护", "防火墙策略（年度）优化", Decimal("12500")),
        ("应用系统维护", "门户网站维护", Decimal("20000")),
    ]
    assert prices(PIPES).conflicts == []


def test_a_subtotal_or_grand_total_that_the_rows_do_not_add_up_to_is_a_conflict():
    wrong_subtotal = PIPES.replace("| 小计 |  | 4.25 |", "| 小计 |  | 5 |")
    (conflict,) = prices(wrong_subtotal).conflicts
    assert conflict.field == "price_list" and conflict.values == (Decimal("42500.00"), Decimal("50000"))
    wrong_total = PIPES.replace("| 合计 |  | 6.25 |", "| 合计 |  | 7 |")
    (conflict,) = prices(wrong_total).conflicts
    assert conflict.values == (Decimal("62500.00"), Decimal("70000.00"))
    assert wrong_total[slice(*conflict.spans[1])].startswith("| 合计")


SPACES = """
  序号    名称                 单位    数量      单价（元）     总价（元）
  1       视频存储扩容服务     台      4         12,500.00      50,000.00
  2       运维管理平台授权     套      1         ¥30000         ¥30000
  3       驻场服务             人月    12        8000           96000
          合计                                                  176,000.00
"""


def test_space_aligned_columns_with_quantity_times_unit_price():
    found = rows(SPACES)
    assert [(i["name"], i["quantity"], i["unit"], i["unit_price"], i["amount"]) for i in found] == [
        ("视频存储扩容服务", Decimal(4), "台", Decimal("12500.00"), Decimal("50000.00")),
        ("运维管理平台授权", Decimal(1), "套", Decimal("30000.00"), Decimal("30000.00")),
        ("驻场服务", Decimal(12), "人月", Decimal("8000.00"), Decimal("96000.00")),
    ]
    assert all(i["category"] == "" for i in found)  # the table has no category column
    assert prices(SPACES).conflicts == []


def test_a_row_whose_quantity_times_unit_price_is_not_its_amount_is_a_conflict():
    text = "序号\t名称\t数量\t单价\t总价\n1\t备份一体机\t2\t15000\t32000\n"
    found = prices(text)
    assert found.proposals[0].confidence < 0.9
    assert [c.values for c in found.conflicts if c.field == "service_item"] == [
        (Decimal("32000.00"), Decimal("30000.00"))
    ]


def test_a_row_priced_by_the_quantity_and_unit_price_alone_is_their_product():
    text = "序号\t名称\t数量\t单价（万元）\n1\t应急演练\t2\t0.5\n"
    assert rows(text)[0]["amount"] == Decimal("10000.00")


def test_an_amount_in_capital_numerals_is_read_through_cn2an():
    text = "服务项目\t金额\n等保测评配合\t贰万伍仟元整\n"
    assert short(rows(text)) == [("", "等保测评配合", Decimal("25000.00"))]


def test_a_description_that_says_how_many_person_months_gives_quantity_and_unit_price():
    text = (
        "分项\t运维工作\t工作内容说明\t金额（万元）\n开发\t报表定制\t本次需提供2个人月的报表定制开发。\t3\n"
    )
    (item,) = rows(text)
    assert (item["quantity"], item["unit"], item["unit_price"]) == (Decimal(2), "人月", Decimal("15000.00"))
    capped = text.replace("本次需提供2个人月", "单次不超过2个人月")
    assert "quantity" not in rows(capped)[0]
    twice = text.replace("本次需提供2个人月的报表定制开发。", "2人月开发，1人月测试。")
    assert "quantity" not in rows(twice)[0]


def test_tables_that_are_not_price_lists_propose_nothing():
    payments = "序号\t付款项目\t支付比例\t金额（元）\n1\t首付款\t30%\t30000\n"
    staff = "序号\t姓名\t岗位名称\t费用\n1\t张三\t工程师\t1000\n"
    no_money = "序号\t服务名称\t服务内容\n1\t机房巡检\t每日一次。\n"
    prose = "乙方应按月提交运维报告，金额以结算为准。\n"
    assert [rows(t) for t in (payments, staff, no_money, prose)] == [[], [], [], []]


def test_rows_without_an_amount_or_a_name_are_not_items():
    text = "序号\t名称\t金额（元）\n1\t巡检服务\t\n2\t\t5000\n\t（续上表说明文字）\t\n3\t备件更换\t待定\n"
    assert rows(text) == []


def test_the_price_list_against_the_contracts_total_and_its_total_row():
    head = "本合同总金额：（大写）伍万元整（小写 ¥50,000.00 元）。\n"
    table = "类别\t服务名称\t金额（元）\n运维\t巡检\t20000\n\t维修\t30000\n合计\t\t50000\n"
    assert extract(head + table).conflicts == []
    short_list = head + table.replace("\t维修\t30000\n", "\t维修\t25000\n")
    assert {p.confidence for p in extract(short_list).proposals if p.field == "service_item"} == {0.6}
    assert {p.confidence for p in extract(head + table).proposals if p.field == "service_item"} == {0.9}
    fields = sorted((c.field, c.values) for c in extract(short_list).conflicts)
    assert fields == [
        ("price_list", (Decimal("45000.00"), Decimal("50000.00"))),
        ("price_list", (Decimal("45000.00"), Decimal("50000.00"))),
    ]
    other_total = head + table.replace("合计\t\t50000", "合计\t\t60000").replace("20000", "30000")
    conflicts = extract(other_total).conflicts
    assert ("total", (Decimal("50000.00"), Decimal("60000.00"))) in [(c.field, c.values) for c in conflicts]
    # Given the header's proposals directly, the same.
    assert prices(other_total, total(other_total)).conflicts == conflicts


def test_a_huge_table_is_read_up_to_its_bound():
    from contracts.intake.prices import MAX_ROWS

    text = "名称\t金额（元）\n" + "巡检\t100\n" * (MAX_ROWS + 500)
    assert len(rows(text)) == MAX_ROWS


def test_no_rule_names_a_seeds_service_item_or_category():
    code = "\n".join(path.read_text(encoding="utf-8") for path in INTAKE.glob("*.py"))
    names = set()
    for seed in SEED_CONTRACTS:
        for item in seed["service_items"]:
            names |= {item["name"], item["category"]}
            names |= set(re.findall(r"[\u4e00-\u9fff]{4,}", item["name"]))
    found = sorted(name for name in names if len(name) >= 4 and name in code)
    assert not found, f"the price list's rules name a seed's {found}"


# A PDF's text layer as pdftotext -layout gives it: a cell wrapped over lines, the header's unit
# under it, a description that ends in a figure just before the amount.
WRAPPED = """附件：服务清单及报价

类别       服务名称       服务说明                 金额       小计
                                                  （万元）   （万元）
网络运维   核心交换机     每季度巡检一次，共涉及 120  6          9
设施       巡检           台设备。
           防火墙策略维护 每月一次策略优化，涉及     3
                          防火墙 2
                          台。
项目管理                  按月提交运维报告         1          1
合计                                              10         10

其他约定：以上价格含税。
"""


def test_pdf_layout_rows_gather_their_wrapped_cells_and_re_read_a_figure_that_breaks_the_sum():
    found = prices(WRAPPED)
    assert short(p.value for p in found.proposals) == [
        ("网络运维设施", "核心交换机巡检", Decimal("60000")),
        ("网络运维设施", "防火墙策略维护", Decimal("30000")),
        ("项目管理", "项目管理", Decimal("10000")),  # the words under 服务说明 describe it
    ]
    assert found.proposals[0].value["description"].startswith("每季度巡检一次，共涉及 120")
    assert found.proposals[1].value["description"] == "每月一次策略优化，涉及防火墙2台。"
    assert found.conflicts == []
    # Without the 小计 and 合计 to settle it the first reading stands, and what it takes for the
    # 小计 does not add up: the reviewer is told.
    unchecked = WRAPPED.replace("6          9", "6").replace("合计" + " " * 46 + "10         10", "")
    found = prices(unchecked)
    assert found.proposals[0].value["amount"] == Decimal("1200000.00")
    assert [c.field for c in found.conflicts] == ["price_list"]


def render_pdf(rows, before="", after="") -> bytes:
    from django.utils.html import escape
    from weasyprint import HTML

    cell = "border:1px solid #000;padding:2px;vertical-align:top"
    body = "".join(
        "<tr>" + "".join(f'<td style="{cell}">{escape(c)}</td>' for c in row) + "</tr>" for row in rows
    )
    style = "font-family: 'Noto Sans CJK SC'; font-size: 10pt"
    html = (
        f'<html lang="zh-CN"><body style="{style}"><p>{escape(before)}</p>'
        f'<table style="border-collapse:collapse">{body}</table><p>{escape(after)}</p></body></html>'
    )
    return HTML(string=html).write_pdf()


OWN_ROWS = [
    ("类别", "服务名称", "服务说明", "金额（万元）", "小计（万元）"),
    (
        "机房基础设施运维",
        "精密空调与新风系统巡检",
        "每月巡检一次，记录温湿度和告警，发现问题及时处理并形成巡检记录。",
        "1.5",
        "4",
    ),
    ("", "不间断电源供电检查", "检查配电柜、UPS 蓄电池组，本年度共涉及 12", "2.5", ""),
    ("终端运维", "打印机维修", "现场维修，更换易损件。", "0.8", "0.8"),
    ("合计", "", "", "4.8", "4.8"),
]
OWN_ITEMS = [
    ("机房基础设施运维", "精密空调与新风系统巡检", Decimal("15000")),
    ("机房基础设施运维", "不间断电源供电检查", Decimal("25000")),
    ("终端运维", "打印机维修", Decimal("8000")),
]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")
def test_a_price_table_in_a_pdf_read_through_its_text_layer():
    from contracts.intake.reading import read_contract

    read = read_contract("合同.pdf", render_pdf(OWN_ROWS, "附件：服务清单及报价", "其他约定：以上价格含税。"))
    assert read.kind == "pdf"
    found = prices(read.text)
    assert short(p.value for p in found.proposals) == OWN_ITEMS
    assert found.conflicts == []


def test_a_price_table_in_a_docx_read_as_tab_separated_rows():
    from contracts.intake.reading import read_contract
    from tests.contracts.test_intake_reading import docx

    read = read_contract("合同.docx", docx(["附件：服务清单及报价"], OWN_ROWS))
    found = prices(read.text)
    assert short(p.value for p in found.proposals) == OWN_ITEMS
    assert found.conflicts == []


def test_headers_name_their_columns_in_many_words():
    text = "费用类别\t服务名称\t服务费（元/年）\n软件\t平台维护\t12000\n"
    assert short(rows(text)) == [("软件", "平台维护", Decimal("12000.00"))]
    text = "序号\t名称\t规格型号\t单位\t数量\t单价（万元）\t合价（万元）\n1\t备份服务器\tX1\t台\t2\t1.5\t3\n"
    (item,) = rows(text)
    assert (item["quantity"], item["unit"], item["unit_price"], item["amount"]) == (
        Decimal(2),
        "台",
        Decimal("15000.00"),
        Decimal("30000.00"),
    )


def test_of_several_tables_the_one_that_is_the_total_is_the_price_list():
    head = "本合同总金额：人民币伍万元整（¥50,000.00 元）。\n"
    detail = "类别\t服务名称\t金额（元）\n运维\t巡检\t20000\n\t维修\t30000\n合计\t\t50000\n\n正文。\n"
    summary = "分类汇总：\n服务类别\t项目名称\t金额（元）\n运维\t运维服务费\t50000\n"
    found = extract(head + detail + summary)
    assert [p.value["name"] for p in found.proposals if p.field == "service_item"] == ["巡检", "维修"]
    assert found.conflicts == []


# Narrow columns: pdftotext leaves a single space between headings and between cells.
DENSE = """分项   运维工作     工作内容说明                                  金额 小计
                                                      (万元) (万元)
机房运 空调巡检      每月巡检一次，记录温湿度和告警，发现问题及时处理并形成 1.5      4.5
维                巡检记录。
     供电检查     检查配电柜和不间断电源。                        2.5
   蓄电池 更换 更换老化的蓄电池组，本年度共涉及 12 组，每组单独验收。 0.5
合计                                                          4.5     4.5
"""


def test_pdf_layout_with_cells_a_single_space_apart():
    found = prices(DENSE)
    assert short(p.value for p in found.proposals) == [
        ("机房运维", "空调巡检", Decimal("15000")),
        ("机房运维", "供电检查", Decimal("25000")),
        ("机房运维", "蓄电池更换", Decimal("5000")),
    ]
    assert found.conflicts == []


def test_a_name_that_reads_as_a_sentence_is_not_proposed():
    text = "序号\t名称\t金额（元）\n1\t依据《规范》，完成测评\t5000\n2\t" + "很长的名称" * 9 + "\t100\n"
    assert rows(text) == []


def test_pdf_layout_category_column_after_the_row_number():
    text = """序号  类别      名称        金额（元）
1     机房      空调巡检    15000
      运维
2               供电检查    25000
3     终端      打印机维修  8000
"""
    assert short(rows(text)) == [
        ("机房运维", "空调巡检", Decimal("15000")),
        ("机房运维", "供电检查", Decimal("25000")),
        ("终端", "打印机维修", Decimal("8000")),
    ]


def test_a_categorys_first_row_keeps_its_amount_when_its_subtotal_disagrees():
    text = DENSE.replace("1.5      4.5", "1.5      4").replace("     供电检查", "网络运 供电检查")
    found = prices(text)
    assert found.proposals[0].value["amount"] == Decimal("15000.00")
    assert [c.values for c in found.conflicts] == [(Decimal("15000.00"), Decimal("40000"))]
