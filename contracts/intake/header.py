"""The head of a contract: its parties, title, signing date, term and total.

Each rule reads the shapes Chinese government service contracts are written in (甲方：… on a line
of its own or beside 乙方; 签订日期; 自…至…; 服务期 N 年，自…起; 合同总金额 in Arabic figures and in
大写 numerals), and says how sure it is. Two different values for one field make a conflict for
the reviewer; a value the rules cannot vouch for is not proposed.
"""

import calendar
import datetime as dt
import re
from collections import Counter
from decimal import Decimal, InvalidOperation

import cn2an

from contracts.intake.proposals import Conflict, Extraction, Proposal

# --- Parties --------------------------------------------------------------------------------------

_LABEL = r"[甲乙]\s*方\s*(?:[（(][^）)\n]{1,10}[）)])?\s*[:：]"
# The rest of the line up to the other party's label: "甲方：… 乙方：…" on one line is two parties.
_PARTY = re.compile(
    r"(?P<side>甲\s*方|乙\s*方)\s*(?:[（(][^）)\n]{1,10}[）)])?\s*[:：]\s*(?P<rest>(?:(?!"
    + _LABEL
    + r")[^\n])*)"
)
# An organisation's name ends in the word for what it is.
_ORG_END = re.compile(r"(局|厅|总队|支队|大队|公司|中心|研究院|院|所|委员会|集团|办公室|学校|大学|站)$")
_NAME_STOP = re.compile(r"\t|\s{2,}|\s(?=[甲乙]\s*方)|(?=[甲乙]\s*方)|[（(]\s*(?:盖章|公章|签章)")
_NAME_JUNK = " _　*#|·"


def _party_candidates(text: str) -> dict[str, list[tuple[str, int, int]]]:
    found = {"client": [], "vendor": []}
    for match in _PARTY.finditer(text):
        side = "client" if match["side"].replace(" ", "").startswith("甲") else "vendor"
        rest_start = match.start("rest")
        name = _NAME_STOP.split(match["rest"], maxsplit=1)[0]
        stripped = name.strip(_NAME_JUNK)
        if not (4 <= len(stripped) <= 60) or not _ORG_END.search(stripped):
            continue
        start = rest_start + name.index(stripped)
        found[side].append((stripped, start, start + len(stripped)))
    return found


def _one_glyph_unread(counts: Counter) -> bool:
    """Three or more readings of a name, each once, that differ in one character only: a scan's
    glyph OCR reads another way in each place (华纤, 华玉, 华至 for one word). None is the name."""
    if len(counts) < 3 or max(counts.values()) > 1 or len({len(value) for value in counts}) > 1:
        return False
    differing = {i for i, chars in enumerate(zip(*counts, strict=True)) if len(set(chars)) > 1}
    return len(differing) == 1


def parties(text: str) -> Extraction:
    out = Extraction()
    for name, candidates in _party_candidates(text).items():
        if not candidates:
            continue
        counts = Counter(value for value, _s, _e in candidates)
        # The most frequent; on a tie, the first written (the head of the contract).
        order = {value: i for i, (value, _s, _e) in reversed(list(enumerate(candidates)))}
        best = max(counts, key=lambda value: (counts[value], -order[value]))
        value, start, end = next(c for c in candidates if c[0] == best)
        confidence = counts[best] / len(candidates)
        # A name no reading of which can be trusted is left to the conflict: a wrong name is worse.
        if not _one_glyph_unread(counts):
            proposal = Proposal("parties", name, value, start, end, round(confidence, 2), "party-line")
            out.proposals.append(proposal)
        if len(counts) > 1:
            spans = tuple(next((s, e) for v, s, e in candidates if v == other) for other in counts)
            out.conflicts.append(Conflict(name, tuple(counts), spans))
    return out


# --- Title ----------------------------------------------------------------------------------------

# "服 务 合 同": a heading spaced out letter by letter ends in 合同 too.
_TITLE_END = re.compile(r"(合\s*同\s*书|合\s*同)\s*$")
_NOT_TITLE = re.compile(r"^(版本号|合同编号|项目编号|编号|根据|甲|乙|#)")


# "项目名称：…（2026—2027年度）", "一、项目名称：…。": the name the text gives under its label,
# fuller than a heading that breaks it over lines or leaves its years out.
_NAME_LABEL = re.compile(
    r"^[ \t\u3000]*(?:[\d.]+\s*|[一二三四五六七八九十]+、\s*)?项目名称\s*[:：]\s*"
    r"(?P<name>[^\n。；;]{6,80}?)[。；;]?[ \t\u3000]*$",
    re.M,
)

_NO_NAME = re.compile(r"^\s*(?:详见|见|同|如)|[_＿…]|\.{3}")
# "甲方就“…”项目（以下简称“本项目”）…": the name the preamble defines, which a heading may wrap
# in the province or the department that signs.
_DEFINED_NAME = re.compile(r"[“\"](?P<name>[^”\"\n]{6,80})[”\"]\s*项目\s*[（(]\s*以下简称")


def title(text: str, client: str | None = None) -> Extraction:
    """The project's name under its label (项目名称：) when the text gives one, else the heading
    lines up to the first that ends in 合同, joined: the project's name is what comes before its
    last 项目 (the words after it say what kind of contract this is)."""
    out = Extraction()
    names = {
        re.sub(r"\s+", "", m["name"]).replace("(", "（").replace(")", "）"): m
        for m in _NAME_LABEL.finditer(text)
        # A blank to fill in (项目名称：______) or a pointer elsewhere (详见招标文件) is no name.
        if not _NO_NAME.search(m["name"])
    }
    if len(names) == 1:
        name, m = next(iter(names.items()))
        out.proposals.append(
            Proposal("title", "title", name, m.start("name"), m.end("name"), 0.85, "name-label")
        )
        return out
    defined = {re.sub(r"\s+", "", m["name"]): m for m in _DEFINED_NAME.finditer(text)}
    if len(defined) == 1:
        name, m = next(iter(defined.items()))
        name = name.replace("(", "（").replace(")", "）")
        out.proposals.append(
            Proposal("title", "title", name, m.start("name"), m.end("name"), 0.8, "defined-name")
        )
        return out
    lines, offset = [], 0
    for raw in text.splitlines(keepends=True):
        line = raw.strip()
        start = offset + (raw.index(line) if line else 0)
        offset += len(raw)
        if not line:
            continue
        if _NOT_TITLE.match(line) or len(line) > 80:
            if lines:
                break
            continue
        if client and line == client:
            continue  # the client's name on a line of its own heads the page, not the title
        lines.append((line, start))
        if _TITLE_END.search(line):
            break
        if len(lines) > 5:
            return out
    if not lines or not _TITLE_END.search(lines[-1][0]):
        return out
    joined = re.sub(r"[\s_]+", "", "".join(line for line, _start in lines))
    joined = joined.replace("(", "（").replace(")", "）")
    joined = _TITLE_END.sub("", joined)
    if "项目" in joined:
        joined = joined[: joined.rindex("项目") + 2]
        # "…项目（…）项目": the kind of contract repeats the word.
        joined = re.sub(r"(项目（[^）]+）)项目$", r"\1", joined)
    if len(joined) < 6:
        return out
    end = lines[-1][1] + len(lines[-1][0])
    out.proposals.append(Proposal("title", "title", joined, lines[0][1], end, 0.8, "heading"))
    return out


# --- Dates and term -------------------------------------------------------------------------------

_DATE = r"(?P<{0}y>\d{{4}})\s*年\s*(?P<{0}m>\d{{1,2}})\s*月\s*(?P<{0}d>\d{{1,2}})\s*日"
# 2024.11.12, 2024-11-12, 2024/11/12 (one separator throughout): how a date is often filled in
# by hand beside a seal, on a line of its own under the label.
_NUMERIC_DATE = r"(?P<ny>\d{4})\s*(?P<sep>[.\-/])\s*(?P<nm>\d{1,2})\s*(?P=sep)\s*(?P<nd>\d{1,2})(?!\d)"
# "二〇二五年十二月八日": a date written out in numerals, as a signing date often is.
_CN_DATE = (
    r"(?P<cy>[〇○零一二三四五六七八九]{4})\s*年\s*(?P<cm>[一二三四五六七八九十]{1,2})\s*月"
    r"\s*(?P<cd>[一二三四五六七八九十]{1,3})\s*日"
)
_SIGNED = re.compile(
    r"(?:签订|签约|签署)(?:日期|时间)\s*[:：]\s*(?:"
    + _DATE.format("a")
    + "|"
    + _NUMERIC_DATE
    + "|"
    + _CN_DATE
    + ")"
)
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}
# The signatures' block: a line that seals or signs, then within a few lines the date it was
# signed on, on a line of its own ("2025年9月3日", "日期：2025年9月3日").
_SEAL_LINE = re.compile(r"盖章|签字|签章|签名")
_SEAL_DATE = re.compile(
    r"^\s*(?:(?:签订|签署|签字|签章)?日期\s*[:：]\s*)?(?:" + _DATE.format("a") + "|" + _CN_DATE + r")\s*$"
)
SEAL_REACH = 3


def _seal_dates(text: str) -> list[tuple[dt.date, int, int]]:
    """The dates written under the signatures, when the text names no signing date."""
    found, offset, lines = [], 0, []
    for line in text.splitlines(keepends=True):
        lines.append((line, offset))
        offset += len(line)
    for i, (line, _at) in enumerate(lines):
        if not _SEAL_LINE.search(line):
            continue
        for following, at in lines[i + 1 : i + 1 + SEAL_REACH]:
            m = _SEAL_DATE.match(following.rstrip("\n"))
            if m and (day := _date(m, "a") if m["ay"] else _cn_date(m)):
                found.append((day, at + m.start("ay" if m["ay"] else "cy"), at + m.end()))
                break
    return found


# "自…至…", or "服务期限为…至…" with the term's name in place of 自.
_RANGE = re.compile(
    r"(?:自|(?:服务|合同)期限?\s*(?:为|是|[:：])\s*)\s*"
    + _DATE.format("a")
    + r"\s*(?:起\s*)?至\s*"
    + _DATE.format("b")
)
# The count in figures or in words: "服务期 1 年", "服务期为两年", "服务期限为十二个月".
_COUNT = r"(?P<n>\d{1,2}|[一二两三四五六七八九十]{1,3})"
_FROM_FOR = re.compile(
    r"(?:服务期|合同期限?|期限)\s*(?:为\s*)?"
    + _COUNT
    + r"\s*(?P<unit>年|个月)\s*[，,]?\s*自\s*"
    + _DATE.format("a")
    + r"\s*起"
)
# "合同期限为 12 个月", "服务时间：合同生效之日起12个月": a span from the contract's start alone.
# "服务期限：自项目终验合格之日起12个月": a span from an event the text names (acceptance, the
# equipment going live), which has no date yet: the months alone, for the reviewer.
_SPAN_ONLY = re.compile(
    r"(?:合同期限|服务期限?|服务时间)\s*(?:为|[:：])?\s*(?:自?(?P<event>[^。；;，,\n]{0,20}?)之日起)?\s*"
    + _COUNT
    + r"\s*(?P<unit>年|个月)"
)
# "服务期为12个月，自本项目初验合格之日起计算": the event said after the months.
_EVENT_AFTER = re.compile(r"\s*[，,]?\s*(?:自|从)(?P<event>[^。；;，,\n]{1,20}?)之日起")
_FROM_EFFECT = re.compile(r"^(?:本)?合同(?:签订)?生效$|^(?:本)?合同签订$")
_ON_SIGNING = re.compile(r"(?:签字|盖章|签章|公章)[^。\n]{0,30}(?:之日起|后)生效")


def _date(match, prefix) -> dt.date | None:
    try:
        return dt.date(int(match[f"{prefix}y"]), int(match[f"{prefix}m"]), int(match[f"{prefix}d"]))
    except ValueError:
        return None


def _cn_date(match) -> dt.date | None:
    try:
        year = int("".join(str(_CN_DIGITS[c]) for c in match["cy"]))
        month, day = (int(cn2an.cn2an(match[k], "smart")) for k in ("cm", "cd"))
        return dt.date(year, month, day)
    except (ValueError, KeyError, TypeError):
        return None


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months(match) -> int | None:
    """The term's months from its count and unit ("两年" → 24); None for a count that is none."""
    try:
        count = int(cn2an.cn2an(match["n"], "smart"))
    except (ValueError, KeyError, TypeError):
        return None
    months = count * (12 if match["unit"] == "年" else 1)
    return months if 0 < months <= 120 else None


def _distinct(out: Extraction, name: str, found: list[tuple[dt.date, int, int]], rule: str, group: str):
    values = Counter(value for value, _s, _e in found)
    if not values:
        return
    value, start, end = found[0]
    confidence = 0.95 if len(values) == 1 else 0.5
    out.proposals.append(Proposal(group, name, value, start, end, confidence, rule))
    if len(values) > 1:
        spans = tuple(next((s, e) for v, s, e in found if v == other) for other in values)
        out.conflicts.append(Conflict(name, tuple(values), spans))


def dates(text: str) -> Extraction:
    out = Extraction()
    signed = [
        (d, m.start(), m.end())
        for m in _SIGNED.finditer(text)
        if (d := _cn_date(m) if m["cy"] else _date(m, "a" if m["ay"] else "n"))
    ]
    sealed = [] if signed else _seal_dates(text)
    if signed:
        _distinct(out, "signed_on", signed, "signing-date", "term")
    elif len({day for day, _s, _e in sealed}) == 1:
        day, start, end = sealed[0]
        out.proposals.append(Proposal("term", "signed_on", day, start, end, 0.7, "seal-date"))
    starts, ends = [], []
    for m in _RANGE.finditer(text):
        first, last = _date(m, "a"), _date(m, "b")
        if first and last and first < last:
            starts.append((first, m.start(), m.end()))
            ends.append((last, m.start(), m.end()))
    for m in _FROM_FOR.finditer(text):
        first = _date(m, "a")
        if first:
            months = _months(m)
            if not months:
                continue
            starts.append((first, m.start(), m.end()))
            ends.append((add_months(first, months) - dt.timedelta(days=1), m.start(), m.end()))
    _distinct(out, "starts_on", starts, "term-dates", "term")
    _distinct(out, "ends_on", ends, "term-dates", "term")
    if not starts:
        spans = list(_SPAN_ONLY.finditer(text))
        months = {_months(m) for m in spans} - {None}
        if len(months) == 1:
            m, n = spans[0], months.pop()
            out.proposals.append(Proposal("term", "term_months", n, m.start(), m.end(), 0.8, "term-span"))
            # In force on signing, the term runs from the signing date the text gives.
            signed_on = out.value("signed_on")
            effect = _ON_SIGNING.search(text)
            after = _EVENT_AFTER.match(text, m.end())
            event = m["event"] or (after["event"] if after else "")
            from_event = event and not _FROM_EFFECT.search(event)
            if signed_on and effect and not from_event:
                ends = add_months(signed_on, n) - dt.timedelta(days=1)
                out.proposals.append(
                    Proposal(
                        "term", "starts_on", signed_on, effect.start(), effect.end(), 0.8, "term-from-signing"
                    )
                )
                out.proposals.append(
                    Proposal("term", "ends_on", ends, m.start(), m.end(), 0.8, "term-from-signing")
                )
    return out


# --- The total ------------------------------------------------------------------------------------

_TOTAL_HEAD = re.compile(r"(合同总(?:金额|价款|价)|费用总额|合同价款总额|合同价款|合同金额)")
_ARABIC = re.compile(
    r"[¥￥]\s*(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)|小写[^\d¥￥\n]{0,6}[¥￥]?\s*(?P<m>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*元"
)
_CAPITAL = re.compile(
    r"(?P<c>[零壹贰叁肆伍陆柒捌玖拾佰仟万亿\s]{2,40}元(?:[零壹贰叁肆伍陆柒捌玖]角)?(?:[零壹贰叁肆伍陆柒捌玖]分)?整?)"
)
# A sentence about a share of the total, a penalty or a deposit is not the total.
_NOT_TOTAL = re.compile(r"%|％|百分之|违约|的\s*\d|之\s*\d|保函|扣除")


def capital_amount(text: str) -> Decimal | None:
    """大写 numerals → yuan (贰拾万零伍佰元整 → 200500), through cn2an."""
    words = re.sub(r"\s+", "", text).removesuffix("整")
    jiao = fen = 0
    if "角" in words or "分" in words:
        match = re.search(r"元(?:(.)角)?(?:(.)分)?$", words)
        if match:
            jiao = cn2an.cn2an(match[1], "normal") if match[1] else 0
            fen = cn2an.cn2an(match[2], "normal") if match[2] else 0
            words = words[: match.start() + 1]
    words = words.removesuffix("元")
    if not words or set(words) - set("零壹贰叁肆伍陆柒捌玖拾佰仟万亿"):
        return None
    try:
        # "normal" takes the 零 written between units (伍拾万零叁仟), which "strict" refuses.
        yuan = cn2an.cn2an(words, "normal")
    except (ValueError, KeyError):
        return None
    return Decimal(yuan) + Decimal(jiao) / 10 + Decimal(fen) / 100


def _arabic(match) -> Decimal | None:
    raw = (match["n"] or match["m"] or "").replace(",", "")
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def total(text: str) -> Extraction:
    """The contract's total: the first statement of it, in figures, checked against the 大写
    beside it when there is one (they must agree)."""
    out = Extraction()
    found = []
    for head in _TOTAL_HEAD.finditer(text):
        # The sentence of the heading, or the next lines when the heading stands alone.
        line_end = text.find("\n", head.end())
        window_end = (
            head.end() + 300 if text[head.end() : line_end].strip(" :：()（）货物与服务") == "" else line_end
        )
        window = text[head.start() : window_end if window_end > 0 else len(text)]
        sentence = re.split(r"[。；;]", window)[0] if text[head.end() : line_end].strip() else window
        if _NOT_TOTAL.search(sentence[: sentence.find("¥") if "¥" in sentence else 40]):
            continue
        figure = _ARABIC.search(sentence)
        words = _CAPITAL.search(sentence)
        if figure is None and words is None:
            continue
        value = _arabic(figure) if figure else None
        spoken = capital_amount(words["c"]) if words else None
        if value is not None and spoken is not None and value != spoken:
            out.conflicts.append(Conflict("total", (value, spoken), ((0, 0), (0, 0))))
            continue
        amount = value if value is not None else spoken
        if amount is None or amount <= 0:
            continue
        confidence = 0.97 if value is not None and spoken is not None else 0.8
        parts = [m for m in (figure, words) if m]
        start = head.start() + min(m.start() for m in parts)
        end = head.start() + max(m.end() for m in parts)
        found.append((amount.quantize(Decimal("0.01")), start, end, confidence))
    if not found:
        return out
    amounts = Counter(a for a, _s, _e, _c in found)
    amount, start, end, confidence = found[0]
    if len(amounts) > 1:
        out.conflicts.append(Conflict("total", tuple(amounts), tuple((s, e) for _a, s, e, _c in found)))
        confidence = min(confidence, 0.5)
    out.proposals.append(Proposal("total", "total", amount, start, end, confidence, "total-sentence"))
    return out


def extract_header(text: str) -> Extraction:
    out = parties(text)
    client = out.value("client")
    return out.extend(title(text, client)).extend(dates(text)).extend(total(text))
