"""SLA terms: each "N 分钟/小时/个工作日/日 内 + 响应/到达现场/解决" of the text (and "响应时间
不超过 N 分钟", "当日内予以答复", "N 小时内，若电话…不能解决…赶赴现场", a table of targets by
grade), with the case it applies to (a severity, or a kind of request: a major fault, a warranty
repair, a question the phone did not solve, one waiting on another unit or the finance
department...), the hours it is counted in when its paragraph says (7×24, 5×8, 7×8; "" when it
does not, for the reviewer to choose), and the penalty clause it is priced by when a clause
restates it or prices that clock being late.

The case is what the sentence says before the target, since the previous target (a list
"30 分钟响应、2 小时到达现场" shares its case); a paragraph that is about maintaining software
makes its faults software faults. "7×24 小时" and "每天 24 小时" are hours of service, not
targets, "可以在 10 分钟之内排除" is a plan's branch, not a promise, and a case the portal has no
name for ("需要厂家配合的", "一级故障") is not proposed as one for every request.
When the contract grades its faults (紧急故障 / 严重故障 / 一般故障 defined on lines of their
own) and a target names no grade, it is proposed for each grade, as the portal stores it.
Two targets for one clock and case are a conflict for the reviewer, and neither is proposed.
"""

import re
from dataclasses import dataclass, replace

from contracts.intake.penalties import penalties
from contracts.intake.proposals import Conflict, Extraction, Proposal
from contracts.intake.sentences import Flat, flatten, number

# What a term's value holds: contracts.seeds.parts.sla(...) dicts, and the hours it is counted in.
TERM_FIELDS = ("clock", "target", "unit", "severity", "condition", "note", "clause", "coverage")
NOTE_CHARS = 300
MAX_TARGET = 100_000

_UNITS = {
    "分钟": "minutes",
    "小时": "hours",
    "工作日": "working_days",
    "日历日": "calendar_days",
    "自然日": "calendar_days",
    "日": "calendar_days",
    "天": "calendar_days",
}
_VERBS = [
    ("response", r"响应|答复|回复|回应"),
    ("arrival", r"到达现场|赶到现场|赶赴现场|抵达现场|到现场|到场|上门|赶到|到达"),
    # "8小时内恢复；": restoring, said alone at the end of its clause.
    (
        "resolution",
        r"排除故障|维修或更换|解决|排除|修复|恢复(?:正常|运行|系统|服务|业务|(?=[，,。；;]))|维修|处理完毕",
    ),
]
_VERB = "|".join(f"(?P<{clock}>{words})" for clock, words in _VERBS)
_AMOUNT = (
    r"(?P<n>\d{1,6}|[一二两三四五六七八九十半]{1,3})\s*个?\s*"
    r"(?P<unit>分钟|小时|工作日|日历日|自然日|日|天)"
)
_FILLER = (
    r"(?:应|需|要|必须|须|将|会|即|立即|进行|予以|做出|作出|给予|免费|负责|及时|完成)*"
    r"(?:(?:指|委|选)?派(?:遣|出)?(?:专业|专职)?(?:技术|维修|运维|服务)?(?:人员|工程师))?"
)
_TARGET = re.compile(
    r"(?P<over>(?:不得|不能|不应|不可)?超过\s*)?"
    + _AMOUNT
    + r"\s*(?:之?内)?\s*[，,]?\s*(?:仍|还|尚)?(?:无法|未能|不能|没有|未)?\s*"
    + _FILLER
    # "30 分钟内电话响应", "4 小时内现场解决": how the clock is met, before it.
    + r"\s*(?:电话|远程|在线|现场)?\s*(?:"
    + _VERB
    + r")(?!时间|时限)"
)
# "响应时间不超过 30 分钟", "故障修复时间：4 小时以内": the clock named before its target.
_TIME_OF = re.compile(
    r"(?:(?P<response>响应)|(?P<arrival>到场|到达现场)|(?P<resolution>修复|解决|排除故障|故障排除|恢复))"
    r"(?:时间|时限)\s*(?:应|须|需)?\s*(?:为|是|[:：]|不超过|不得超过|不大于|小于等于|≤|<=|在)?\s*"
    + _AMOUNT
    + r"\s*(?:以内|之内|内)?"
)
# "收到通知起 2 小时内，若电话咨询服务不能解决问题，乙方应即刻指派技术人员赶赴现场".
_PHONE_THEN_SITE = re.compile(
    _AMOUNT
    + r"\s*之?内\s*[，,]?\s*(?:若|如|如果)?[^。；;]{0,8}(?:电话|远程)[^。；;]{0,10}(?:不能|无法|未能)解决"
    r"[^。；;]{0,30}?(?:赶赴|赶到|到达|前往|抵达)现场"
)
_SAME_DAY = re.compile(
    r"当(?:日|天)内?\s*(?:予以|给予|作出|做出)?\s*(?:(?P<response>答复|回复|响应)|(?P<resolution>解决))"
)
# Hours of service (7×24), a plan's "if it can be fixed in…", a rhythm (每天 24 小时), a time
# ahead of an event (提前 2 小时到场): not targets.
_NOT_BEFORE = re.compile(r"(?:[×xX*＊]\s*|(?:可以|能够?|可)\s*在?\s*|每\s*(?:天|日|周)\s*|全天\s*|提前\s*)$")
_SENTENCE = re.compile(r"[^。；;]+[。；;]?")
# A case the sentence sets apart but the portal has no name for ("需要厂家配合的故障"): the
# target is not proposed as one for every request.
_UNNAMED_CASE = re.compile(
    r"[需须]要?[^，。；;,]{0,10}(?:配合|协调)|第三方"
    # Grades by number ("一级故障", "P1") the portal cannot map to its three.
    r"|[一二三四五1-5]\s*级(?:故障|事件|问题)|P[0-4]\b|[ⅠⅡⅢⅣ]+\s*级"
)
# An item that opens on its grade ("2. 一般故障（Ⅱ级）：指…。乙方应在…"): its targets in later
# sentences that name no case of their own are that grade's.
_ITEM_GRADE = re.compile(
    r"^\s*(?:[（(]?[0-9一二三四五六七八九十]+[)）、.．]\s*)?(?:紧急|严重|一般)(?:故障|事件|问题)"
    r"(?:\s*[（(][^）)]{0,8}[)）])?\s*[:：]"
)
# A deadline for fixing a weakness, a rectification, a report or a course is not an incident's.
_NOT_INCIDENT = re.compile(r"漏洞|隐患|整改|培训|提交|报送")
# A paragraph without one of these has no target: the rules are not run on it.
_ANY_DURATION = re.compile(
    r"分钟|小时|工作日|日历日|自然日|当日|当天|[\d一二两三四五六七八九十]\s*个?\s*[日天]"
)
# What may stand between two targets of one list: they share the case said before the first.
_LIST_GAP = re.compile(r"^[\s、，,和及或并且]*$")

_CONDITIONS = [
    # Not "故障保修": a fault reported for repair.
    # "部件需返厂维修的，修复时限为 10 个工作日": a repair the maker does, on its own clock.
    ("warranty_repair", r"维保期|保修期|质保期|免费维修|免费保修|返厂(?:维修|检修|修理)"),
    ("major_fault", r"重大(?:紧急)?故障|大面积故障|重大事故"),
    ("phone_unresolved", r"(?:电话|远程)[^，。；;,]{0,10}(?:不能|无法|未能)解决"),
    # "需协调供电、运营商等其他单位处理的故障": the other units named by example first.
    (
        "other_unit",
        r"(?:协调|需要?|须|涉及|配合)[^，。；;,]{0,16}?(?:其它|其他)(?:单位|部门|厂商|厂家)|(?:其它|其他)(?:单位|部门)(?:配合|协调)",
    ),
    ("finance_department", r"财政(?:厅|局|部门)"),
    ("software_fault", r"软件[^，。；;,]{0,6}(?:故障|问题)"),
    ("consultation", r"咨询|一般问题|使用问题"),
]
_CONDITION_RULES = [(name, re.compile(words)) for name, words in _CONDITIONS]
# "紧急故障", and the grade in brackets after its number: "一级（紧急）故障".
_SEVERITIES = [
    ("emergency", re.compile(r"紧急[）)]?(?:故障|事件|问题|级)")),
    ("severe", re.compile(r"严重[）)]?(?:故障|事件|问题|级)")),
    ("general", re.compile(r"一般[）)]?(?:故障|事件|级)")),
]
_MAJOR = re.compile(r"重大紧急故障")
# A paragraph about maintaining software: its faults are software faults.
_SOFTWARE_WORK = re.compile(r"软件(?:的)?(?:安装|维护|运维|运行维护)")
_HARDWARE = re.compile(r"硬件|设备故障|网络故障")
_FAULT = re.compile(r"故障")
_FAULT_REPORT = re.compile(r"故障|报修|报障")
# The grades a contract defines, each on a line of its own ("紧急故障\t严重影响…").
_GRADE_LINE = {
    "emergency": re.compile(r"^[\s\-*]*紧急故障[\s:：]", re.M),
    "severe": re.compile(r"^[\s\-*]*严重故障[\s:：]", re.M),
    "general": re.compile(r"^[\s\-*]*一般故障[\s:：]", re.M),
}
# Grades by number defined on lines of their own, exactly three ("一级故障：…", "二级故障：…",
# "三级故障：…"): the first is the worst, so they are the portal's three, in order. Four or more
# numbered grades do not map, and stay unproposed (_UNNAMED_CASE).
_NUMBERED_GRADE_LINE = re.compile(r"^[\s\-*]*(?P<n>[一二三四五1-5])\s*级(?P<what>故障|事件)[\s:：]", re.M)
_NUMBERED_NAMES = {"一": "紧急", "1": "紧急", "二": "严重", "2": "严重", "三": "一般", "3": "一般"}


def _numbered_grades_named(flat: Flat) -> Flat:
    """``flat`` with "一级故障" written "紧急故障" (and 二级 严重, 三级 一般) when the text
    defines exactly those three grades; the words have the same length, so spans hold."""
    defined = {_NUMBERED_NAMES.get(m["n"], "?") for m in _NUMBERED_GRADE_LINE.finditer(flat.text)}
    if defined != {"紧急", "严重", "一般"}:
        return flat
    text = re.sub(r"(?P<n>[一二三1-3])级(?=故障|事件)", lambda m: _NUMBERED_NAMES[m["n"]], flat.text)
    return replace(flat, text=text)


_COVERAGE = [
    ("7x24", re.compile(r"7\s*(?:天)?\s*[×xX*＊]\s*24|全天候|24\s*小时值班")),
    ("5x8", re.compile(r"5\s*(?:天)?\s*[×xX*＊]\s*8")),
    ("7x8", re.compile(r"7\s*(?:天)?\s*[×xX*＊]\s*8(?!\d)")),
]


@dataclass(frozen=True)
class _Target:
    clock: str
    target: int
    unit: str
    severity: str
    condition: str
    coverage: str
    start: int  # in the flat text
    end: int
    note: str
    confidence: float
    rule: str
    clause: str = ""
    in_clause: str = ""  # the kind of the penalty clause whose text holds it


def _case(segment: str) -> tuple[str, str]:
    """(severity, condition) said in ``segment``: the last named of each."""
    conditions = [
        (m.end(), name)
        for name, rule in _CONDITION_RULES
        for m in rule.finditer(segment)
        # "提供电话咨询服务，接到报修后 30 分钟内响应": the target is the fault's, not the question's.
        if name != "consultation" or not _FAULT_REPORT.search(segment, m.end())
    ]
    condition = max(conditions)[1] if conditions else ""
    graded = _MAJOR.sub("", segment)
    severities = [(m.end(), name) for name, rule in _SEVERITIES for m in rule.finditer(graded)]
    severity = max(severities)[1] if severities else ""
    return severity, condition


def _coverage(paragraph: str) -> str:
    found = {name for name, rule in _COVERAGE if rule.search(paragraph)}
    return found.pop() if len(found) == 1 else ""


def _amount(match) -> tuple[int, str] | None:
    if match["n"] == "半":
        return (30, "minutes") if match["unit"] == "小时" else None
    value = number(match["n"])
    if value is None or value != int(value) or not 1 <= value <= MAX_TARGET:
        return None
    return int(value), _UNITS[match["unit"]]


def _clock(match) -> str:
    return next(clock for clock, _words in _VERBS if match[clock])


def _paragraph_targets(flat: Flat, start: int, end: int, heading: str) -> list[_Target]:
    text = flat.text
    paragraph = text[start:end]
    if not _ANY_DURATION.search(paragraph):
        return []
    coverage = _coverage(paragraph)
    software = bool(_SOFTWARE_WORK.search(heading + paragraph)) and not _HARDWARE.search(paragraph)
    found = []
    lead = _ITEM_GRADE.match(paragraph)
    item_severity = _case(lead.group())[0] if lead else ""
    for sentence in _SENTENCE.finditer(text, start, end):
        matches = []
        for match in _PHONE_THEN_SITE.finditer(text, sentence.start(), sentence.end()):
            matches.append((match, "arrival", "phone_unresolved", "sla-phone-then-site", 0.75))
        for match in _TIME_OF.finditer(text, sentence.start(), sentence.end()):
            matches.append((match, _clock(match), None, "sla-time-of", 0.85))
        for match in _TARGET.finditer(text, sentence.start(), sentence.end()):
            if any(m.start("n") == match.start("n") for m, *_rest in matches):
                continue
            if _NOT_BEFORE.search(text[sentence.start() : match.start()]):
                continue
            matches.append((match, _clock(match), None, "sla-target", 0.9))
        for match in _SAME_DAY.finditer(text, sentence.start(), sentence.end()):
            matches.append((match, _clock(match), None, "sla-same-day", 0.85))
        matches.sort(key=lambda m: m[0].start())
        case, previous_end = ("", ""), sentence.start()
        for match, clock, condition, rule, confidence in matches:
            segment = text[previous_end : match.start()]
            if _NOT_INCIDENT.search(text[sentence.start() : match.start()]):
                continue
            if not (_LIST_GAP.match(segment) and previous_end > sentence.start()):
                case = _case(segment)
                if lead and case == ("", ""):
                    case = (item_severity, "")
            severity, said = case
            if condition is None:
                condition = said
            if rule == "sla-same-day":
                amount = (1, "same_day")
                # A same-day reply is to a question; a fault's same-day fix is not a consultation.
                if condition == "consultation" and _FAULT.search(segment):
                    condition = ""
            else:
                amount = _amount(match)
                if condition == "consultation" and clock != "response":
                    condition = ""
            if amount is None or (not condition and _UNNAMED_CASE.search(segment)):
                continue
            if not condition and software and _FAULT.search(sentence.group()):
                condition, confidence = "software_fault", 0.75
            note = sentence.group().strip()[:NOTE_CHARS]
            found.append(
                _Target(
                    clock,
                    *amount,
                    severity,
                    condition,
                    coverage,
                    match.start(),
                    match.end(),
                    note,
                    confidence,
                    rule,
                )
            )
            previous_end = match.end()
    return found


# A table of targets: a header row naming the clocks ("故障级别 | 响应时间 | 到场时间 | 解决时间"),
# then one row per grade or case with a duration in each clock's column.
_HEADER_CELL = re.compile(
    r"^(?:故障)?(?:(?P<response>响应)|(?P<arrival>到场|到达现场|到达)|(?P<resolution>解决|修复|排除|恢复))"
    r"(?:时间|时限)?(?:要求)?$"
)
_BARE_GRADE = {"紧急": "emergency", "严重": "severe", "一般": "general"}
# A grade cell that numbers the grade and names it in brackets: "一级（紧急）", "P1(严重)".
_BRACKETED_GRADE = re.compile(r"[（(]\s*(紧急|严重|一般)\s*[)）]\s*$")
_CELL = re.compile(r"^(?:≤|<=|不超过|不大于)?\s*" + _AMOUNT + r"\s*(?:之?内|以内)?$")


def _cells(line: str) -> list[str]:
    cells = line.strip().strip("|").split("|") if "|" in line else line.split("\t")
    return [cell.strip() for cell in cells]


def _table_targets(flat: Flat) -> list[_Target]:
    found, columns, offset = [], None, 0
    for line in flat.text.split("\n"):
        cells = _cells(line)
        headers = [_HEADER_CELL.match(cell) for cell in cells]
        if sum(1 for h in headers if h) >= 2:
            columns = {i: _clock(h) for i, h in enumerate(headers) if h}
        elif columns and len(cells) > max(columns) and cells[0]:
            severity, condition = _case(cells[0])
            bracketed = _BRACKETED_GRADE.search(cells[0])
            severity = severity or _BARE_GRADE.get(cells[0] if not bracketed else bracketed[1], "")
            if severity or condition:
                position = offset
                for i, cell in enumerate(cells):
                    cell_start = line.find(cell, position - offset) + offset if cell else position
                    position = cell_start + len(cell)
                    match = _CELL.match(cell)
                    amount = _amount(match) if match and i in columns else None
                    if amount is None:
                        continue
                    found.append(
                        _Target(
                            columns[i],
                            *amount,
                            severity,
                            condition,
                            "",
                            cell_start,
                            cell_start + len(cell),
                            line.strip()[:NOTE_CHARS],
                            0.85,
                            "sla-table",
                        )
                    )
        elif "\t" not in line and "|" not in line:
            columns = None
        offset += len(line) + 1
    return found


# The kinds of breach that price a clock's lateness (contracts.obligations); a clause "未按要求
# 响应" that names arriving on site too prices the arrival.
_ON_SITE = re.compile(r"到达现场|赶到现场|到场")
_CLOCK_KINDS = {
    "response": ("late_response", "sla_response"),
    "arrival": ("sla_arrival",),
    "resolution": ("sla_resolution",),
}


def _tie_to_clauses(targets: list[_Target], flat: Flat, clauses: list[tuple]) -> list[_Target]:
    """A target written inside a penalty clause is priced by it: a restatement of a target the
    text sets elsewhere ties that one to the clause; one set only there is kept, tied."""

    def holder(target):
        start, end = flat.span(target.start, target.end)
        return next((kind for kind, s, e, _words in clauses if s <= start and end <= e), "")

    marked = [replace(t, in_clause=holder(t)) for t in targets]
    kept = [t for t in marked if not t.in_clause]
    for target in (t for t in marked if t.in_clause):
        same = [
            i
            for i, other in enumerate(kept)
            if (other.clock, other.target, other.unit) == (target.clock, target.target, target.unit)
            and not other.in_clause
        ]
        if same and not (target.severity or target.condition):
            for i in same:
                kept[i] = replace(kept[i], clause=target.in_clause)
        else:
            kept.append(replace(target, clause=target.in_clause, confidence=min(target.confidence, 0.8)))
    # A clause that prices a clock being late ("未按要求响应的…") prices that clock's targets, when
    # it is the only clause that does.
    for i, target in enumerate(kept):
        wanted = ("late_consultation",) if target.condition == "consultation" else _CLOCK_KINDS[target.clock]
        on_site = target.clock == "arrival"
        pricing = [
            kind
            for kind, _s, _e, words in clauses
            if kind in wanted or (on_site and kind == "late_response" and _ON_SITE.search(words))
        ]
        if not target.clause and len(pricing) == 1:
            kept[i] = replace(target, clause=pricing[0])
    return kept


def _graded(targets: list[_Target], text: str) -> list[_Target]:
    grades = [name for name, rule in _GRADE_LINE.items() if rule.search(text)]
    if len(grades) < 2:
        return targets
    out = []
    for target in targets:
        if target.severity or target.condition:
            out.append(target)
            continue
        out += [replace(target, severity=grade, confidence=min(target.confidence, 0.8)) for grade in grades]
    # A grade's own target wins over the one for every grade.
    own = {(t.clock, t.severity) for t in targets if t.severity and not t.condition}
    return [t for t in out if t in targets or (t.clock, t.severity) not in own]


def _merged(values: list[str]) -> str:
    named = {v for v in values if v}
    return named.pop() if len(named) == 1 else ""


def sla_terms(text: str, clauses: Extraction | None = None, flat: Flat | None = None) -> Extraction:
    """The SLA terms of ``text``; ``clauses`` is what ``penalties(text)`` found and ``flat`` is
    ``flatten(text)``, when the caller has them already."""
    out = Extraction()
    flat = flat or flatten(text)
    if clauses is None:
        clauses = penalties(text, flat)
    flat = _numbered_grades_named(flat)
    targets, heading = [], ""
    for start, end in flat.paragraphs():
        paragraph = flat.text[start:end]
        targets += _paragraph_targets(flat, start, end, heading)
        heading = paragraph if len(paragraph.strip()) <= 40 else ""
    targets += _table_targets(flat)
    if not targets:
        return out
    spans = [
        (p.value["kind"], p.start, p.end, p.value["text"])
        for p in clauses.proposals
        if p.field == "penalty_clause"
    ]
    targets = _graded(_tie_to_clauses(targets, flat, spans), flat.text)
    cases: dict[tuple, list[_Target]] = {}
    for target in targets:
        cases.setdefault((target.clock, target.severity, target.condition), []).append(target)
    for (clock, severity, condition), found in cases.items():
        readings = {}
        for target in found:
            readings.setdefault((target.target, target.unit), target)
        if len(readings) > 1:
            out.conflicts.append(
                Conflict(
                    f"sla_term:{clock}:{severity}:{condition}",
                    tuple(readings),
                    tuple(flat.span(t.start, t.end) for t in readings.values()),
                )
            )
            continue
        first = found[0]
        value = {
            "clock": clock,
            "target": first.target,
            "unit": first.unit,
            "severity": severity,
            "condition": condition,
            "note": first.note,
            "clause": _merged([t.clause for t in found]),
            "coverage": _merged([t.coverage for t in found]),
        }
        confidence = max(t.confidence for t in found)
        out.proposals.append(
            Proposal("sla", "sla_term", value, *flat.span(first.start, first.end), confidence, first.rule)
        )
    return out
