"""Inspection schedules and report duties: what the vendor checks how often, and which periodic
reports it owes, with their deadlines when the text gives them.

An inspection is read where a frequency (每日, 每周, 每月, 每季度, 每半年, "按月、季度频率")
stands in one clause with an inspection word (巡检, 检查, 检测, 巡查); a monthly plan due "在当月
第N个工作日之前" is a schedule by the N-th working day. What a heightened period asks ("重大节日…
每日N、N、N时巡检") is not a schedule: heightened periods are declared per event, and their
rounds are set there. One schedule per kind: the text repeats its duties.

A report duty is read from its name (周报, 月报, 季度报告, 半年…报告, 年报, 年度总结) and the
deadline in its sentence ("服务期满后 N 个工作日内提交"); where the text is silent the offset is left
empty (None): the report is then due as its kind says (``reports.kinds``), which this lower app
cannot import. Whether a late report is a priced breach is the reviewer's to link: breach_kind "".
"""

import re

from contracts.intake.duties import NUM, number, on_unwrapped, sentence_span
from contracts.intake.proposals import Extraction, Proposal

# The values of InspectionSchedule.Kind (inspections is a higher app: its strings, not its enum).
DAILY, SEVERAL_DAILY, WEEKLY = "daily", "several_daily", "weekly"
MONTHLY_DAY, MONTHLY_WORKING_DAY, QUARTERLY, HALF_YEARLY = (
    "monthly_day",
    "monthly_working_day",
    "quarterly",
    "half_yearly",
)
SCHEDULE_NAMES = {
    DAILY: "每日巡检",
    SEVERAL_DAILY: "每日多次巡检",
    WEEKLY: "每周巡检",
    MONTHLY_DAY: "月度巡检",
    MONTHLY_WORKING_DAY: "月度工作计划",
    QUARTERLY: "季度巡检",
    HALF_YEARLY: "半年度巡检",
}

# A colon ends a clause, not a time of day ("9:30").
_CLAUSE = re.compile(r"[，,。；;\n]|(?<!\d)[：:]|[：:](?!\d)")
_INSPECT = re.compile(r"巡检|巡查|巡视|检查|检测")
# The bureau checking the vendor's work, staff or training is not the vendor's inspection round.
_NOT_A_ROUND = re.compile(r"甲方[^，,。；;]{0,8}?(?:每|按|定期|将)|考核|考勤|培训|座谈|验收|抽查|抽调")
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
# "每周三", "每月10日": the day the round falls on, where the text gives it.
# "每周星期四": the week, then the day by its full name.
_ON_WEEKDAY = re.compile(
    r"每周\s*(?:星期|礼拜)?\s*(?P<d>[一二三四五六日天])(?![天次])|每个?星期\s*(?P<e>[一二三四五六日天])"
)
_ON_DAY = re.compile(r"每个?月\s*(?P<n>\d{1,2})\s*(?:日|号)")
_HEIGHTENED = re.compile(r"重大节日|重要活动|重大活动|重保|安保|特殊时期|敏感时期|保障期|节假日")
_HOUR = r"\d{1,2}(?:[:：]\d{2})?"
_FREQUENCY = [
    # "每周检查7天" is every day of the week, not a weekly round.
    (
        SEVERAL_DAILY,
        re.compile(r"每[日天]\s*(?P<times>" + _HOUR + r"(?:\s*[、,，和及]\s*" + _HOUR + r")+)\s*(?:时|点)"),
    ),
    (DAILY, re.compile(r"每[日天](?!\s*[、,，和及])|每周\s*(?:巡检|检查)?\s*7\s*天")),
    (WEEKLY, re.compile(r"每周(?!\s*(?:巡检|检查)?\s*\d\s*天)|每个?星期")),
    (MONTHLY_DAY, re.compile(r"每个?月(?!\s*[、,，和及])")),
    (QUARTERLY, re.compile(r"每个?季度?")),
    (HALF_YEARLY, re.compile(r"每半年")),
]
_PERIOD = r"(?:日|天|周|月|季度?|半年度?|年)"
# "按周、月频率提供巡检报告", "按季度提供巡检报告": each period of the list.
_PERIOD_LIST = re.compile(
    r"按\s*(?P<list>" + _PERIOD + r"(?:\s*[、,，和及]\s*" + _PERIOD + r")*)\s*"
    r"(?:的?\s*(?:频率|频次|周期)|(?=(?:提供|提交|报送|编制|出具)[^，,。；;]{0,8}?报告))"
)
_LIST_KIND = {"日": DAILY, "天": DAILY, "周": WEEKLY, "月": MONTHLY_DAY, "季": QUARTERLY, "季度": QUARTERLY}
_NTH_WORKING_DAY = re.compile(
    r"每个?月[^。；;\n]{0,20}?(?:当月)?第\s*(?P<n>" + NUM + r")\s*个?工作日\s*(?:之前|以前|前|内"
    # "每月第一个工作日对平台进行一次巡检": on that day, a round of inspection.
    r"|(?=[^。；;\n]{0,30}?(?:巡检|巡查|检查)))"
)
# A time of day after 每日: "9:30", "上午9时", "下午3点半".
_AT = re.compile(
    r"(?P<pm>下午|晚上|傍晚|晚)?\s*(?P<h>\d{1,2})\s*(?:[:：]\s*(?P<m>\d{2})|(?:时|点)(?P<half>半)?)"
)
# "每日巡检3次", "每天两次": several rounds a day, whose times the text must then give.
_TIMES_A_DAY = re.compile(r"(?P<n>[2-9两二三四五六])\s*次")


def _times(raw: str) -> list[str] | None:
    times = []
    for part in re.split(r"\s*[、,，和及]\s*", raw):
        hour, _sep, minute = part.replace("：", ":").partition(":")
        if not hour.isdigit() or int(hour) > 23 or (minute and (not minute.isdigit() or int(minute) > 59)):
            return None
        times.append(f"{int(hour):02d}:{int(minute or 0):02d}")
    return sorted(set(times)) if len(set(times)) == len(times) else None


def _daily_times(rest: str) -> list[str] | None:
    """The times of day written after 每日 in its clause: [] for none, None when the text asks
    for several rounds a day without saying when (no schedule can be proposed)."""
    times = []
    for at in _AT.finditer(rest[:30]):
        hour = int(at["h"]) + (12 if at["pm"] and int(at["h"]) < 12 else 0)
        minute = int(at["m"]) if at["m"] else 30 if at["half"] else 0
        if hour > 23 or minute > 59:
            return None
        times.append(f"{hour:02d}:{minute:02d}")
    times = sorted(set(times))
    wanted = _TIMES_A_DAY.search(rest[:30])
    if wanted and len(times) != number(wanted["n"]):
        return None
    return times


def _list_kinds(raw: str) -> list[str]:
    kinds = []
    for part in re.split(r"\s*[、,，和及]\s*", raw):
        if part.startswith("半年"):
            kinds.append(HALF_YEARLY)
        elif part in _LIST_KIND:
            kinds.append(_LIST_KIND[part])
    return kinds


def _clauses(text: str):
    start = 0
    for m in _CLAUSE.finditer(text):
        yield start, text[start : m.start()]
        start = m.end()
    yield start, text[start:]


def _sentence_of(text: str, start: int) -> str:
    left, right = sentence_span(text, start, start)
    return text[left:right]


def inspections(text: str) -> Extraction:
    out = Extraction()
    seen = set()

    def propose(kind, start, end, confidence, rule, **extra):
        if kind in seen:
            return
        seen.add(kind)
        what = _sentence_of(text, start).strip(" -*#\t")[:200]
        value = {"name": SCHEDULE_NAMES[kind], "kind": kind, "what": what, **extra}
        proposal = Proposal("inspections", "inspection_schedule", value, start, end, confidence, rule)
        out.proposals.append(proposal)

    for m in _NTH_WORKING_DAY.finditer(text):
        n = number(m["n"])
        if n and 1 <= n <= 15:  # InspectionSchedule's limit: the N-th working day stays in its month
            propose(MONTHLY_WORKING_DAY, m.start(), m.end(), 0.75, "nth-working-day", nth_working_day=n)
    for offset, clause in _clauses(text):
        if not _INSPECT.search(clause) or _NOT_A_ROUND.search(clause):
            continue
        if _NTH_WORKING_DAY.search(_sentence_of(text, offset)):
            continue
        if _HEIGHTENED.search(_sentence_of(text, offset)):
            continue  # a heightened period's rounds, declared with the period
        listed = _PERIOD_LIST.search(clause)
        if listed:
            for kind in _list_kinds(listed["list"]):
                propose(kind, offset + listed.start(), offset + listed.end(), 0.8, "period-list")
            continue
        for kind, pattern in _FREQUENCY:
            m = pattern.search(clause)
            if not m:
                continue
            extra = {}
            if kind == SEVERAL_DAILY:
                times = _times(m["times"])
                if not times or len(times) < 2:
                    continue
                extra["times_of_day"] = times
            elif kind == DAILY:
                times = _daily_times(clause[m.end() :])
                if times is None:
                    break  # several rounds a day at times the text does not give
                if len(times) > 1:
                    kind = SEVERAL_DAILY
                if times:
                    extra["times_of_day"] = times
            elif kind == WEEKLY:
                day = _ON_WEEKDAY.search(clause)
                if day:
                    extra["weekday"] = _WEEKDAYS[day["d"] or day["e"]]
            elif kind == MONTHLY_DAY:
                day = _ON_DAY.search(clause)
                if day and 1 <= int(day["n"]) <= 31:
                    extra["day_of_month"] = int(day["n"])
            propose(kind, offset + m.start(), offset + m.end(), 0.8, "frequency-inspection", **extra)
            break
    return out


# --- Report duties --------------------------------------------------------------------------------

# The codes of reports.kinds.
# A report's name may say what it is of, in a word or two: "月度运维报告", "年度运维工作总结".
_OF = r"(?:工作|运维|服务|技术|运行|分析)*"
_REPORTS = [
    ("weekly", re.compile(r"周报|每周[^，,。；;]{0,10}?报告|周工作报告")),
    # "每月3日前向甲方报送上月巡检报告": the day and the recipient between.
    (
        "monthly",
        re.compile(rf"月报|每个?月[^，,。；;]{{0,16}}?报告|月度{_OF}报告|上个?月[^，,。；;]{{0,6}}?报告"),
    ),
    ("quarterly", re.compile(rf"季报|季度{_OF}报告|每个?季度?[^，,。；;]{{0,10}}?报告")),
    ("half_yearly", re.compile(rf"半年报|半年度?(?:{_OF}|巡检)(?:报告|总结)")),
    ("annual", re.compile(rf"(?<!半)年报|(?<!半)年度{_OF}(?:报告|总结)|(?<!半)年终总结")),
]
# The codes of reports.kinds this module proposes (tests/reports checks them against the registry).
REPORT_KINDS = tuple(code for code, _pattern in _REPORTS)
_REPORT_WORD = re.compile(r"报告|[周月季年]报|总结")
_LIST_REPORT = {
    WEEKLY: "weekly",
    MONTHLY_DAY: "monthly",
    QUARTERLY: "quarterly",
    HALF_YEARLY: "half_yearly",
}
# The deadlines after a period (or the term) ends, each read as days after its last day (what
# ReportRequirement.due_offset counts): "合同结束后 20 日内向甲方提交", "次月前3个工作日内",
# "次月10日前" (a month, quarter, half year or year ends on a month's last day: the 10th is 10
# days on), "下周一前提交上周周报" (a week ends on Sunday: Monday is 1 day on).
_AFTER_END = (
    r"(?:结束|期满|届满|终止|截止)\s*(?:之日)?\s*后\s*(?P<n>\d{1,3})\s*个?\s*"
    r"(?P<unit>工作日|日历日|自然日|日|天)\s*内"
)
_SUBMIT = r"(?:提交|报送|提供|上报|交付)"
_DEADLINE = re.compile(_AFTER_END + r"[^。；;]{0,12}?" + _SUBMIT)
# "服务期满后 7 日内，乙方提交年度总结": the deadline ends the clause before the report's.
_DEADLINE_BEFORE = re.compile(_AFTER_END + r"\s*$")
_NEXT_WORKING = re.compile(
    r"(?:次月|下月|下个月|次周|下周)\s*(?:前|第)\s*(?P<n>\d{1,2})\s*个\s*工作日\s*(?:内|前|之前)"
)
_NEXT_MONTH_DAY = re.compile(r"(?:次月|下月|下个月|每月)\s*(?P<n>\d{1,2})\s*(?:日|号)\s*(?:前|之前|以前)")
_NEXT_WEEKDAY = re.compile(r"(?:次周|下周|每周)\s*(?P<d>[一二三四五])\s*(?:前|之前|以前)?(?!\s*至)")
# "每月5日前提交上月月报": 每 is the next period's only when the report is of the last one.
_LAST_PERIOD = re.compile(r"上一?个?(?:周|月|季度?|半年|年度?)")
_MONTH_ENDED = ("monthly", "quarterly", "half_yearly", "annual")


def _deadline(code: str, clause: str) -> tuple[int, str] | None:
    """(offset, unit) a clause gives for a report of kind ``code``, or None."""
    found = _DEADLINE.search(clause)
    if found:
        return int(found["n"]), "working_days" if found["unit"] == "工作日" else "calendar_days"
    found = _NEXT_WORKING.search(clause)
    if found and (code == "weekly") == ("周" in found.group()):
        return int(found["n"]), "working_days"
    last = _LAST_PERIOD.search(clause)
    found = _NEXT_MONTH_DAY.search(clause)
    if found and code in _MONTH_ENDED and 1 <= int(found["n"]) <= 31 and (last or found[0][0] != "每"):
        return int(found["n"]), "calendar_days"
    found = _NEXT_WEEKDAY.search(clause)
    if found and code == "weekly" and (last or found[0][0] != "每"):
        return _WEEKDAYS[found["d"]] + 1, "calendar_days"
    return None


def reports(text: str) -> Extraction:
    out = Extraction()
    found = {}
    previous = ""
    clauses = list(_clauses(text))
    for at, (offset, clause) in enumerate(clauses):
        # The clauses either side, when a comma (not a full stop or a semicolon) joins them.
        before, previous = (previous if text[offset - 1 : offset] in "，," else ""), clause
        joined = text[offset + len(clause) : offset + len(clause) + 1] in ("，", ",")
        after = clauses[at + 1][1] if joined and at + 1 < len(clauses) else ""
        if not _REPORT_WORD.search(clause):
            continue
        hits = []
        listed = _PERIOD_LIST.search(clause)
        if listed and "报告" in clause[listed.end() :]:
            hits += [
                (code, listed.start(), listed.end(), "report-period-list")
                for code in (_LIST_REPORT.get(k) for k in _list_kinds(listed["list"]))
                if code
            ]
        for code, pattern in _REPORTS:
            m = pattern.search(clause)
            hits += [(code, m.start(), m.end(), "report-name")] if m else []
        for code, start, end, rule in hits:
            known = found.get(code)
            if known is not None and known[0]["offset"] is not None:
                continue  # the text names a report more than once: the mention with a deadline wins
            # Its own clause, or the one before when that names no other report ("服务期满后
            # N日内，提交年度总结"): a deadline in a list of reports is not every report's.
            deadline = _deadline(code, clause)
            if deadline is None and before and not _REPORT_WORD.search(before):
                ends = _DEADLINE_BEFORE.search(before)
                if ends and re.search(_SUBMIT, clause):
                    deadline = int(ends["n"]), "working_days" if ends["unit"] == "工作日" else "calendar_days"
                else:
                    deadline = _deadline(code, before)
            # "提交季度运维报告，于每季度结束后7日内提交": the deadline in the clause after, when
            # that clause names no report of its own.
            if deadline is None and after and not _REPORT_WORD.search(after) and _DEADLINE.search(after):
                deadline = _deadline(code, after)
            if known is not None and deadline is None:
                continue
            offset_days, unit = deadline or (None, None)
            value = {
                "kind": code,
                "offset": offset_days,
                "offset_unit": unit,
                "breach_kind": "",
                "note": _sentence_of(text, offset + start).strip(" -*#\t")[:300],
            }
            confidence = 0.85 if offset_days is not None else 0.8
            found[code] = (value, offset + start, offset + end, confidence, rule)
    for value, start, end, confidence, rule in found.values():
        out.proposals.append(Proposal("reports", "report_duty", value, start, end, confidence, rule))
    out.proposals.sort(key=lambda p: p.start)
    return out


def extract_routines(text: str) -> Extraction:
    return on_unwrapped(lambda t: inspections(t).extend(reports(t)), text)
