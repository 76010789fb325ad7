"""What Tesseract's simplified-Chinese data makes of a printed contract, put back: a list of named
fixes, each for one way the scan's text differs from the print. Each is narrow (it changes text
only where the misreading is certain) and ``bench/intake_ocr.py`` scores the seeds' scans without
each, to show what it is worth.

The fixes are those of Debian's chi_sim (Tesseract's "fast" data). tessdata 4.0.0's LSTM model
(7 Dec 2026, the seeds' scans) reads as many characters once full-width forms are folded and
reads a rare glyph of a name the fast data misses, but prints half-width punctuation and misreads
¥, % and the capital numerals its own way, at 1.2 times the CPU: with these fixes it scores
lower, and would need its own.
"""

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

_HAN = r"[\u4e00-\u9fff（）：，。；、]"
# Debian's chi_sim (Tesseract's "fast" data) has no full-width colon, semicolon or brackets, no
# ¥, and none of the capital numerals 叁, 柒, 捌 and 仟 among the characters it can answer: each
# is read as its nearest look-alike, always, and is put back here.
_CAPITAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
# Also, in a Song typeface (underlined or not), others it has but misreads: 壹 as 喜 or 彭, 贰 as
# 起, 拾 as 抬, 捌 as 抽, 仟 as 任.
_CAPITAL_LOOKALIKES = {"参": "叁", "会": "叁", "僚": "叁", "类": "柒", "业": "柒", "当": "柒", "染": "柒"}
_CAPITAL_LOOKALIKES |= {"娄": "柒"}
_CAPITAL_LOOKALIKES |= {"拥": "捌", "制": "捌", "提": "捌", "喜": "壹", "彭": "壹", "起": "贰"}
_CAPITAL_LOOKALIKES |= {"抽": "捌", "抬": "拾", "什": "仟", "任": "仟"}
# An amount in capital numerals (大写), whole: 柒拾万零捌仟元整, 壹佰元伍角.
_CAPITAL_AMOUNT = re.compile(
    rf"(?:零|[{_CAPITAL_DIGITS[1:]}][拾佰仟]?|拾|[万亿])+[元圆](?:整|(?:[{_CAPITAL_DIGITS}][角分])+整?)?"
)


def _brackets(text: str) -> str:
    """An opening full-width bracket read as 《, 〈 or 【 before a closing one, and a half-width
    pair around Chinese: both are the full-width pair a Chinese contract prints."""
    text = re.sub(r"[《〈【]([^《》〈〉【】()（）\n]{1,40})[)）]", r"（\1）", text)
    han = r"[\u4e00-\u9fff]"
    return re.sub(rf"\(([^()（）\n]{{0,40}}{han}[^()（）\n]{{0,40}})\)", r"（\1）", text)


def _colons(text: str) -> str:
    """A colon or semicolon after Chinese (or its closing bracket) read as the half-width one,
    with spaces around it."""
    text = re.sub(r"(?<=[\u4e00-\u9fff）]) ?: ?", "：", text)
    return re.sub(r"(?<=[\u4e00-\u9fff）\d%]) ?;", "；", text)


def _han_spaces(text: str) -> str:
    """Tesseract puts a space (or two) between Chinese characters that print has none between; a
    wider gap is a table's column or the space between two parties, and stays."""
    return re.sub(rf"(?<={_HAN}) {{1,2}}(?={_HAN})", "", text)


def _party_colon(text: str) -> str:
    """The colon after 甲方 or 乙方 (and its role in brackets) read as a semicolon."""
    return re.sub(r"([甲乙]\s*方\s*(?:（[^）\n]{1,12}）)?\s*)[;；]", r"\1：", text)


def _capital_numerals(text: str) -> str:
    """A capital numeral read as its look-alike (叁 as 参, 仟 as 什): put back where the run of
    characters, so read, is a whole amount in capital numerals with at least one capital numeral
    Tesseract did read (委员会万元 is no 叁万元), and only there."""
    chars = _CAPITAL_DIGITS + "拾佰仟万亿元圆整角分" + "".join(_CAPITAL_LOOKALIKES)

    def put_back(found: re.Match) -> str:
        run = found[0]
        if not any(c in _CAPITAL_LOOKALIKES for c in run) or not any(c in "零壹贰肆伍陆玖拾佰" for c in run):
            return run
        fixed = "".join(_CAPITAL_LOOKALIKES.get(c, c) for c in run)
        return fixed if _CAPITAL_AMOUNT.fullmatch(fixed) else run

    return re.sub(f"[{chars}]+", put_back, text)


def _times_sign(text: str) -> str:
    """The × of a service pattern (7天×8小时) read as a look-alike (义, 勾, 乂, X), perhaps with
    the line wrapped around it: between a count of days and a count of hours it is the × (not
    又, a word there: 3天又8小时 is a time)."""
    return re.sub(r"(\d\s?天)\s*[义勾乂Xx]\s*(?=\d{1,2}\s*小时)", r"\1×", text)


# A share of a sum: "合同总价的", "服务费用的", "价款的" just before the figure.
_OF_SUM = r"(?:总价|总额|总金额|价款|费用|金额)的\s?"


def _percent_sign(text: str) -> str:
    """% read as 96 or 94 in a share of a sum (合同总价的394。 for 3%, 0.196计算 for 0.1%): a bare
    figure of the sum, with no unit after it, is a percentage. Figures followed by a digit, a
    unit or %, and those of another shape, stay."""
    return re.sub(
        rf"({_OF_SUM})(\d{{1,3}}(?:\.\d{{1,2}})?)9[46](?=\s?(?:[。，；;、计作）)]|,(?!\d)|的违约金))",
        r"\1\2%",
        text,
    )


def _per_mille(text: str) -> str:
    """千 read as 干 or 于 in 千分之 (干分之 and 于分之 are no words), and a capital numeral after
    a fraction read as its look-alike (千分之参作为违约金 for 千分之叁)."""
    text = re.sub(r"[干于](?=分之)", "千", text)
    lookalikes = "".join(_CAPITAL_LOOKALIKES)
    return re.sub(
        rf"(?<=[百千万]分之)([{lookalikes}])(?=[的作计，。；,;、\s])",
        lambda found: _CAPITAL_LOOKALIKES[found[1]],
        text,
    )


def _vendor_party(text: str) -> str:
    """乙 read as 忆 in 乙方 (忆方 is no word but in 记忆方法, 回忆方式)."""
    return re.sub(r"(?<![记回追])忆(?=方)", "乙", text)


def _roman_one(text: str) -> str:
    """A list's first item "I." read as a bracket or a bar ([一次性验收：…) when the next item
    is "II.": the first of a Roman-numbered list."""
    return re.sub(r"^[\[\]|l]\.?(?=[\u4e00-\u9fff][^\n]*\n(?:\s*\n)*\s*II\s?[.、．])", "I.", text, flags=re.M)


def _stray_quotes(text: str) -> str:
    """The gap around a figure set apart by spaces read as a closing quote: 签订合同 ”10 ”个工作日.
    A closing quote never follows a space, nor a figure and a space."""
    text = re.sub(r"(?<=\s)[”“](?=\d)", "", text)
    return re.sub(r"(?<=\d) [”“](?=\s*[\u4e00-\u9fff])", " ", text)


def _rule_quotes(text: str) -> str:
    """A table's vertical rule read as a quote and a bar (紧急故障“| 严重影响…): the quote is the
    rule's own stroke; a cell's text is set apart from the rule by a space."""
    return re.sub(r" ?[“”]\|", " |", text)


def _wrapped_lines(text: str) -> str:
    """A sentence wrapped at the page's edge, whole again: a line as long as the page's full
    lines, not ending a sentence, joins the next (a clause whose amount is on the next line is
    one clause). A table's row (a column gap, a cell's rule), a form's (甲方：… 乙方：…) or a short
    line stays a line."""
    lines = text.split("\n")
    lengths = sorted(len(re.sub(r"\s", "", line)) for line in lines if line.strip())
    if not lengths:
        return text
    full = 0.85 * lengths[int(0.9 * (len(lengths) - 1))]
    out = []
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        out.append(line)
        joins = (
            following.strip()
            and len(re.sub(r"\s", "", line)) >= full
            and not re.search(r"[。；;：:！!？?]\s*$", line)
            and not re.search(r"\S\s{3,}\S|\|", line + "\n" + following)
            and len(re.findall(r"[:：]", line)) < 2  # two labelled fields side by side: a form's row
        )
        if not joins:
            out.append("\n")
        elif re.search(r"[A-Za-z0-9]$", line.rstrip()) and re.match(r"\s*[A-Za-z]", following):
            out.append(" ")
    return "".join(out)[:-1]


# Figures, perhaps after the character ¥ and its first digit became (丰154000 for ¥6154000, or
# 习,154,000 for ¥1,154,000), right after a colon, a space or 小写.
_FIGURE = r"(?:(?<=[:：\s写])(?P<g>[\u4e00-\u9fffA-Za-z]))?(?<![\d,.])(?P<n>,?\d[\d,]*(?:\.\d{1,2})?)\s*元"
_CAPITALS = r"大写[）)]?[:：]?\s*(?P<c>[零壹贰叁肆伍陆柒捌玖拾佰仟万亿]{2,30}[元圆]整?)"
_FIGURES_THEN_CAPITALS = re.compile(rf"{_FIGURE}[^。；;\n]{{0,20}}?{_CAPITALS}")
_CAPITALS_THEN_FIGURES = re.compile(rf"{_CAPITALS}[^。；;\n]{{0,20}}?{_FIGURE}")


def _figures_from_capitals(text: str) -> str:
    """An amount printed in figures and in capitals whose figures lost their first digits: ¥ and
    the digit after it read as one Chinese character (¥6 as 丰) or as nothing, as chi_sim, which
    has no ¥, does. Only when the figures read are the capitals' last digits is the capitals'
    value written back as the figures."""
    from contracts.intake.header import capital_amount

    def put_back(found: re.Match) -> str:
        value = capital_amount(found["c"])
        try:
            read = Decimal(found["n"].replace(",", ""))
        except InvalidOperation:
            return found[0]
        if value is None or value == read or value % 1 or read % 1:
            return found[0]
        whole, kept = str(int(value)), str(int(read))
        if not (len(whole) > len(kept) and whole.endswith(kept)):
            return found[0]
        start = found.start("g") if found["g"] else found.start("n")
        decimals = found["n"][found["n"].index(".") :] if "." in found["n"] else ""
        offset = found.start()
        return found[0][: start - offset] + f"¥{whole}{decimals}" + found[0][found.end("n") - offset :]

    text = _FIGURES_THEN_CAPITALS.sub(put_back, text)
    return _CAPITALS_THEN_FIGURES.sub(put_back, text)


def _signing_date(text: str) -> str:
    """签 read as 等 (the same bamboo top) in 签约日期, 签订日期, 签署日期: 等约日期 is no word."""
    return re.sub(r"等(?=\s?[约订署]\s?日\s?期)", "签", text)


def _yuan_sign(text: str) -> str:
    """¥ read as Y before a figure."""
    return re.sub(r"(?<![A-Za-z])Y(?=\s?\d)", "¥", text)


def _share_pavilion(text: str) -> str:
    """享 read as 亭 (the same top, 了 for 丁 under it) after 共 or 分: 共亭 and 分亭 are no
    words, 共享 (to share) and 分享 are."""
    return re.sub(r"(?<=[共分])亭", "享", text)


def _stray_and(text: str) -> str:
    """A 和 read into the gap of a justified line before 警 where no 和 can stand: 出警 (to turn
    out to an incident) and 其他警种 (other police branches) are words, 出和警 and 其他和警种
    are not."""
    text = re.sub(r"(?<=出)和(?=警)", "", text)
    return re.sub(r"(?<=其他)和(?=警种)", "", text)


# In order; bench/intake_ocr.py scores the seeds' scans without each, to show what it is worth.
OCR_FIXES: list[tuple[str, Callable[[str], str]]] = [
    ("brackets", _brackets),
    ("colons", _colons),
    ("han_spaces", _han_spaces),
    ("party_colon", _party_colon),
    ("capital_numerals", _capital_numerals),
    ("times_sign", _times_sign),
    ("percent_sign", _percent_sign),
    ("per_mille", _per_mille),
    ("vendor_party", _vendor_party),
    ("roman_one", _roman_one),
    ("stray_quotes", _stray_quotes),
    ("rule_quotes", _rule_quotes),
    ("wrapped_lines", _wrapped_lines),
    ("figures_from_capitals", _figures_from_capitals),
    ("yuan_sign", _yuan_sign),
    ("signing_date", _signing_date),
    ("share_pavilion", _share_pavilion),
    ("stray_and", _stray_and),
]


def ocr_cleaned(text: str, skip=()) -> str:
    """What Tesseract makes of a printed contract, put back: each of OCR_FIXES but those in
    ``skip``."""
    for name, fix in OCR_FIXES:
        if name not in skip:
            text = fix(text)
    return text
