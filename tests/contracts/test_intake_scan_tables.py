"""A scanned page's bordered tables rebuilt from their ruling lines and Tesseract's word boxes
(contracts.intake.scan_tables): a price list of our own printed by WeasyPrint, scanned and read
gives its rows; the grid, its merged cells and a row broken by the page on drawn images."""

import io
import shutil
import subprocess
import time
from decimal import Decimal

import pytest
from PIL import Image, ImageDraw

from contracts.intake import extract
from contracts.intake.reading import read_contract
from contracts.intake.scan_tables import Word, find_tables, rebuilt, rows_rejoined

STYLE = """
@page { size: A4; margin: 25mm; }
body { font-family: 'Noto Serif CJK SC'; font-size: 12pt; line-height: 1.6; }
table { border-collapse: collapse; width: 100%; font-size: 10.5pt; }
td { border: 0.6pt solid #000; padding: 2pt 4pt; vertical-align: top; }
"""

# A category merged over two rows; a name that wraps over three lines in its narrow column.
PRICE_LIST = """
<p>附件二：机房及安防设备维保报价明细（单位：元）</p>
<table>
<tr><td>类别</td><td style="width: 14%">名称</td><td>说明</td><td>数量</td><td>单价</td><td>金额</td></tr>
<tr><td rowspan="2">机房设施</td><td>精密空调季度保养</td><td>每季度一次滤网清洗与冷媒检测</td>
<td>4</td><td>2,350</td><td>9,400</td></tr>
<tr><td>不间断电源蓄电池更换</td><td>更换老化电池组并出具检测报告</td><td>2</td><td>6,125</td><td>12,250</td></tr>
<tr><td>安防设备</td><td>门禁读卡器</td><td>故障件更换</td><td>7</td><td>480</td><td>3,360</td></tr>
<tr><td>合计</td><td></td><td></td><td></td><td></td><td>25,010</td></tr>
</table>
<p>以上价格含税。</p>
"""


def scan_of(html: str, folder, dpi: int = 300) -> bytes:
    """The page printed (WeasyPrint), rasterised and saved as an image-only PDF: a scan."""
    from weasyprint import HTML

    page = f'<html lang="zh-CN"><head><style>{STYLE}</style></head><body>{html}</body></html>'
    (folder / "printed.pdf").write_bytes(HTML(string=page).write_pdf())
    rasterise = ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", "1", "-l", "1"]
    subprocess.run([*rasterise, folder / "printed.pdf", folder / "p"], check=True)
    out = io.BytesIO()
    Image.open(next(folder.glob("p*.png"))).save(out, "PDF", resolution=dpi)
    return out.getvalue()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr (chi_sim) is not installed")
def test_a_scanned_price_list_gives_its_rows_with_their_amounts(tmp_path):
    read = read_contract("报价单.pdf", scan_of(PRICE_LIST, tmp_path))
    assert read.kind == "ocr"
    items = [p.value for p in extract(read.text).proposals if p.field == "service_item"]
    assert [(i["category"], i["amount"]) for i in items] == [
        ("机房设施", Decimal("9400.00")),
        ("机房设施", Decimal("12250.00")),  # its category is the merged cell above
        ("安防设备", Decimal("3360.00")),
    ]
    assert items[1]["name"] == "不间断电源蓄电池更换"  # wrapped over three lines in its cell
    assert (items[0]["quantity"], items[0]["unit_price"]) == (Decimal(4), Decimal("2350.00"))


def grid(size=(1654, 1200), rows=(100, 200, 300, 400), columns=(100, 400, 900, 1500), merged=()):
    """A white page with a table's rules drawn 2 px thick; ``merged``: (row, column) cells with
    no rule above them (merged with the cell above)."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for r, y in enumerate(rows):
        for c in range(len(columns) - 1):
            if (r, c) not in merged:
                draw.rectangle([columns[c], y, columns[c + 1], y + 1], fill=0)
    for x in columns:
        draw.rectangle([x, rows[0], x + 1, rows[-1]], fill=0)
    return image


def test_the_grid_of_a_table_and_its_merged_cells():
    image = grid(merged={(2, 0)})
    draw = ImageDraw.Draw(image)
    draw.text((120, 600), "ABCDEFGHIJ 1234567890 " * 5, fill=0)  # text is no rule
    draw.rectangle([120, 800, 600, 801], fill=0)  # an underline alone is no table
    (table,) = find_tables(image)
    assert [abs(a - b) <= 2 for a, b in zip(table.ys, (100, 200, 300, 400), strict=True)] == [True] * 4
    assert len(table.xs) == 4 and not table.open_top and not table.open_bottom
    owners = table.owners()
    assert owners[2, 0] == (1, 0) and owners[2, 1] == (2, 1)
    words = [
        Word("机房", 150, 230, 250, 260, 0),  # the merged cell's text, in its upper half
        Word("空调", 500, 230, 600, 260, 0),
        Word("9,400", 1000, 230, 1100, 260, 0),
        Word("电源", 500, 330, 600, 360, 1),
        Word("蓄电池", 500, 362, 620, 392, 2),  # the cell's second line
        Word("12,250", 1000, 330, 1120, 360, 1),
    ]
    assert table.rows(words) == [["机房", "空调", "9,400"], ["", "电源蓄电池", "12,250"]]


def test_a_page_without_rules_has_no_table():
    image = Image.new("L", (1654, 2339), 255)
    ImageDraw.Draw(image).text((200, 200), "Article 1 ---- services " * 8, fill=0)
    assert find_tables(image) == []


def test_a_table_broken_by_the_page_is_open_and_its_row_joined_again():
    bottom = grid(size=(1654, 600), rows=(100, 200, 300), columns=(100, 400, 1500))
    ImageDraw.Draw(bottom).rectangle([100, 300, 101, 560], fill=0)  # rules on past the last one
    ImageDraw.Draw(bottom).rectangle([1500, 300, 1501, 560], fill=0)
    (table,) = find_tables(bottom)
    assert table.open_bottom and not table.open_top
    pages = rows_rejoined(
        ["正文\n| 名称 | 金额 |\n| 巡检 | 5 |\n\n\f", "\n| 服务 |  |\n| 维修 | 7 |\n"],
        [(False, True), (True, False)],
    )
    assert pages == ["正文\n| 名称 | 金额 |\n| 巡检服务 | 5 |", "| 维修 | 7 |\n"]


def test_a_tables_loose_lines_are_replaced_by_its_rows():
    image = grid(rows=(100, 200, 300), columns=(100, 400, 1500))
    tables = find_tables(image)
    tsv = "\n".join(
        [
            "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
            "5\t1\t1\t1\t1\t1\t100\t20\t200\t30\t90\t前言",
            "5\t1\t2\t1\t1\t1\t150\t130\t100\t30\t90\t名称",
            "5\t1\t2\t1\t1\t2\t500\t130\t100\t30\t90\t金额",
            "5\t1\t2\t1\t2\t1\t150\t230\t100\t30\t90\t巡检",
            "5\t1\t2\t1\t2\t2\t500\t230\t100\t30\t90\t5",
            "5\t1\t3\t1\t1\t1\t100\t500\t200\t30\t90\t后记",
        ]
    )
    text = "前言\n\n名称 | 金额\n\n巡检 5\n\n后记\n"
    assert rebuilt(text, tsv, tables) == "前言\n\n| 名称 | 金额 |\n| 巡检 | 5 |\n\n后记\n"
    assert rebuilt("前言\n名称\n", tsv, tables) == "前言\n名称\n"  # lines that do not match: kept


def test_finding_a_pages_tables_takes_little_time():
    image = grid(size=(1654, 2339), rows=tuple(range(200, 2200, 100)), columns=(237, 500, 1000, 1439))
    draw = ImageDraw.Draw(image)
    for y in range(220, 2200, 100):
        draw.text((260, y), "service item 12.5 " * 12, fill=0)
    started = time.process_time()
    for _ in range(5):
        (table,) = find_tables(image)
    assert len(table.ys) == 20
    assert (time.process_time() - started) / 5 < 0.3  # CPU seconds a page (some 0.02 here)


def test_what_tesseract_read_of_a_rule_beside_a_word_goes():
    (table,) = find_tables(grid())
    # A figure whose box is as wide as six digits (16 px each, as the table's other figures),
    # read with a seventh: the rule before it, as 1. A figure that begins with 1 is wider.
    assert table.off_the_rules(Word("1260000", 1000, 230, 1092, 252, 0), 16).text == "260000"
    assert table.off_the_rules(Word("1260000", 1000, 230, 1104, 252, 0), 16).text == "1260000"
    assert table.off_the_rules(Word("171000", 1000, 230, 1088, 252, 0), 16).text == "171000"
    assert table.off_the_rules(Word("12,250", 1000, 230, 1082, 252, 0), 16).text == "12,250"
    assert table.off_the_rules(Word("1260000", 1000, 230, 1092, 252, 0)).text == "1260000"
    # A quote and a bar read across a column's rule (at x 400 and 401) are no word; a quote
    # inside a cell stays.
    assert table.off_the_rules(Word("“|", 377, 230, 405, 274, 0)).text == ""
    assert table.off_the_rules(Word("“", 600, 230, 620, 274, 0)).text == "“"
    # A quantity of 1 and the price beside it read as one figure across the rule between them.
    one, price = table.split_at_rule(Word("1150000", 850, 230, 1010, 252, 0))
    assert (one.text, price.text) == ("1", "150000") and one.centre[0] < 900 < price.centre[0]
    assert table.split_at_rule(Word("150000", 910, 230, 1010, 252, 0))[0].text == "150000"


def test_table_rows_are_set_aside_while_the_text_is_cleaned():
    from contracts.intake.ocr_fixes import ocr_cleaned
    from contracts.intake.scan_tables import put_back, set_aside

    prose = "本合同服务期限自合同签订之日起计算共十二个月期满后双方另行协商续签事宜并\n书面确认。\n"
    rows = "".join(f"| 设备巡检{n} | {'每月对前端设备逐一检查并记录' * 6} | 1.5 |\n" for n in range(3))
    text = prose * 3 + rows + "以上价格含税。"
    aside, runs = set_aside(text)
    read = put_back(ocr_cleaned(aside), runs)
    # The long rows do not count as the page's full lines: the wrapped sentences are joined.
    assert read.count("续签事宜并书面确认。") == 3
    assert read.endswith(rows + "以上价格含税。")
    # Without setting them aside they would.
    assert "续签事宜并书面确认。" not in ocr_cleaned(text)


def test_only_price_lists_and_their_continuations_are_rebuilt():
    from contracts.intake.scan_tables import PageTables, chosen

    def page(rows, lines=("正文", "T", "尾注"), span=(1, 1)):
        return PageTables(list(lines), [span], [rows], [(False, False)], (0, len(lines) - 1))

    signatures = page([["甲方（盖章）：某县公安局", "乙方（盖章）：某公司"]])
    prices = page([["序号", "名称", "金额"], ["1", "巡检", "5"]], lines=("正文", "T"), span=(1, 1))
    going_on = page([["2", "维修", "7"]], lines=("T", "尾注"), span=(0, 0))
    texts = chosen([signatures, prices, going_on, None])
    assert texts[0] == "正文\nT\n尾注"  # Tesseract's lines kept
    assert texts[1] == "正文\n| 序号 | 名称 | 金额 |\n| 1 | 巡检 | 5 |"
    assert texts[2] == "| 2 | 维修 | 7 |\n尾注"  # no header: it goes on from the page before
    assert texts[3] is None
    assert chosen([signatures, going_on])[1] == "T\n尾注"
    # A table right under the list (other columns, no line between) is the list's too.
    two = PageTables(
        ["A", "", "B", "后记"],
        [(0, 0), (2, 2)],
        [[["1", "巡检", "5"]], [["维修", "7"]]],
        [(False, False)] * 2,
        (0, 3),
    )
    assert chosen([prices, two])[1] == "| 1 | 巡检 | 5 |\n\n| 维修 | 7 |\n后记"
    assert chosen([signatures, two])[1] == "A\n\nB\n后记"


def test_a_word_whose_box_spans_the_next_word_is_clipped_to_its_own_column():
    # "3.5" boxed over both figures (the next word's box inside its own): its centre would lie
    # in the last column.
    words = [Word("维护", 500, 230, 600, 260, 0), Word("3.5", 1000, 230, 1480, 260, 0)]
    words.append(Word("7.25", 1200, 230, 1480, 260, 0))
    three = find_tables(grid(columns=(100, 400, 900, 1150, 1500)))[0]
    assert three.rows(words) == [["", "维护", "3.5", "7.25"]]


def test_the_piece_of_a_table_a_page_break_leaves_at_the_top_is_a_table_open_there():
    image = Image.new("L", (1654, 800), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle([100, 300, 1500, 301], fill=0)  # the piece's one rule, at its foot
    for x in (100, 400, 900, 1500):
        draw.rectangle([x, 80, x + 1, 300], fill=0)  # from the page's margin down to it
    draw.rectangle([100, 320, 1500, 321], fill=0)  # the next table, apart from it
    draw.rectangle([100, 500, 1500, 501], fill=0)
    for x in (100, 600, 1500):
        draw.rectangle([x, 320, x + 1, 500], fill=0)
    piece, following = find_tables(image)
    assert piece.open_top and not piece.open_bottom and len(piece.xs) == 4
    assert abs(piece.ys[0] - 80) <= 2 and abs(piece.ys[1] - 300) <= 2
    assert len(following.xs) == 3 and not following.open_top
    # One rule with a mark hanging under it is no table.
    lone = Image.new("L", (1654, 800), 255)
    ImageDraw.Draw(lone).rectangle([100, 300, 1500, 301], fill=0)
    ImageDraw.Draw(lone).rectangle([700, 300, 701, 380], fill=0)
    assert find_tables(lone) == []


def test_a_rows_quantity_unit_price_and_amount_are_made_to_agree_or_not_proposed():
    from contracts.intake.price_columns import header_roles
    from contracts.intake.scan_tables import priced

    roles = header_roles(["序号", "名称", "单位", "数量", "单价", "金额"])
    # A quantity of 1 lost into the unit price beside it; read as 工.
    assert priced(["2", "巡检", "次", "", "130000", "30000"], roles)[3:] == ["1", "30000", "30000"]
    assert priced(["2", "巡检", "次", "工", "30000", "30000"], roles)[3:] == ["1", "30000", "30000"]
    # A spurious leading 1 on the unit price or the amount.
    assert priced(["2", "巡检", "次", "4", "12500", "10000"], roles)[3:] == ["4", "2500", "10000"]
    assert priced(["2", "巡检", "次", "4", "2500", "110000"], roles)[3:] == ["4", "2500", "10000"]
    # Agreeing as read: unchanged; beyond repair: no amount to propose.
    assert priced(["2", "巡检", "次", "3", "150", "450"], roles)[3:] == ["3", "150", "450"]
    assert priced(["2", "巡检", "次", "3", "150", "460"], roles)[3:] == ["3", "", ""]


def test_a_quote_read_from_the_rule_before_a_figure_goes():
    (table,) = find_tables(grid())
    assert table.off_the_rules(Word("“2.4", 902, 230, 960, 252, 0)).text == "2.4"
    assert table.off_the_rules(Word("“2.4", 1000, 230, 1060, 252, 0)).text == "“2.4"  # no rule near
    assert table.off_the_rules(Word("“运维", 902, 230, 960, 252, 0)).text == "“运维"
    assert table.off_the_rules(Word("“|2.4", 1000, 230, 1060, 252, 0)).text == "2.4"  # read with a bar


def test_a_total_row_whose_label_lost_its_second_character_is_the_total():
    from contracts.intake.scan_tables import PageTables, chosen

    rows = [["类别", "名称", "金额"], ["巡检", "机房巡检", "3"], ["合", "", "3"]]
    page = PageTables(["| x |"], [(0, 0)], [rows], [(False, False)], (0, 0))
    (text,) = chosen([page])
    assert text.splitlines()[-1] == "| 合计 |  | 3 |"
