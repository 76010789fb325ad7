"""Penalty clauses (违约责任): each liquidated-damages clause of the text in one of the shapes the
engine prices (``contracts.shapes``), with the kind of breach it prices (``contracts.obligations``),
and the cap on all penalties together (the contract's ``penalty_cap_percent``).

A clause is read from its own paragraph: the rate (``1%``, ``1‰``, ``百分之五``, ``千分之叁``,
``万分之一``, the LPR) that is a share of the total or of the overdue amount ("可用率低于 99.9%"
is the condition's figure, not the price), and the words around it —

- 每日 / 每逾期 1 日 / 每延误 1 个日历日 before the rate: per day of delay, its cap from
  最高限额 / 不超过 …% / 以…为限, and 逾期超过 N 日…解除 as the day the client may terminate;
- 每发生一次 / 每次: per occurrence, escalating when a later sentence of the same clause prices
  the N-th (发生三次…20%); a clause for "any other breach" (其他违约行为) is per occurrence too;
- N 人 / N 次 (及以上, or 超过 N) within a year (or the term): a count threshold;
- anything else a one-off (the project's reading of a rate that names no count, DOMAIN.md).

The kind of breach is what the clause's condition names first (迟延履行, 分包, 泄密, 响应,
记录单…); a condition that names none of the kinds the portal knows, the client's own breach
other than paying late, a share of anything but the total or the overdue amount, an LPR of
another tenor: none is proposed. A wrong clause bills wrongly for a year; a missing one is
typed in by the reviewer. Two readings of one kind are a conflict, and neither is proposed.
A cap on all penalties together is one whose sentence says so (上述/各项…违约金, 累加) or one
in a sentence of its own that names the penalties' total (违约金总额).
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from contracts import obligations
from contracts.intake.proposals import Conflict, Extraction, Proposal
from contracts.intake.sentences import NUMERAL, Flat, flatten, number

# What a clause's value holds: PenaltyClause's fields (``contract`` aside).
CLAUSE_FIELDS = (
    "kind",
    "title",
    "shape",
    "rate_percent",
    "cap_percent",
    "base",
    "party",
    "rate_source",
    "escalation_at",
    "escalation_percent",
    "escalation_mode",
    "threshold_count",
    "termination_after_days",
    "termination_at_count",
    "text",
)
TEXT_CHARS = 1000

_RATE = re.compile(
    r"(?P<pct>\d+(?:\.\d+)?)\s*[%％]"
    r"|(?P<permille>\d+(?:\.\d+)?)\s*‰"
    rf"|(?P<per>[百千万])分之\s*(?P<frac>{NUMERAL})"
    r"|(?P<lpr>LPR|贷款市场报价利率)"
)
_PENALTY_WORDS = re.compile(r"违约金|惩罚金|罚金|罚款|扣除|扣减|扣罚|扣款|滞纳金|逾期利息")
_CAP_BEFORE = re.compile(r"(?:最高|上限|不超过|不得超过|不高于|最多|封顶|限额|至多)[^。；;，,]{0,16}$")
_CAP_AFTER = re.compile(r"\s*(?:的?违约金)?\s*(?:为限|封顶|为上限)")
# "本合同项下违约金累计不超过…" in a sentence of its own: all penalties together.
_OVERALL = re.compile(
    r"违约金(?:的)?总额|违约金累计|累计违约金|累加|累计计算|合计|总计|全部违约金|各项违约金|违约金之和"
)
# Words that make even a cap in a clause's own sentence the cap on all penalties together.
_ALL_PENALTIES = re.compile(r"(?:上述|各项|全部|所有|累加)[^。；;，,]{0,10}违约金|累加")
_SENTENCE = re.compile(r"[^。；;]+[。；;]?")
_THIS_CLAUSE = re.compile(r"本(?:款|项)")
_CONDITION_END = re.compile(r"的\s*[，,]")

_DAILY_ANYWHERE = re.compile(
    rf"每\s*(?:逾期|延误|延迟|迟延|超期|拖延|超过|超出)\s*(?:{NUMERAL})?\s*个?\s*(?:日历|自然)?\s*(?:日|天)"
)
_DAILY_NEAR = re.compile(r"每\s*(?:日|天)|按日")
# "合同总价的 0.1%/日", "千分之一每天": the day written after the rate.
_DAILY_AFTER = re.compile(r"\s*(?:/|每)\s*(?:日|天)")
# "每缺一次", "每漏检一次", "每迟交一次": a count of what was missed, each priced.
_EACH_ANYWHERE = re.compile(
    r"每(?:发生|出现|违约)\s*(?:一|1)?\s*次|每\s*(?:缺|漏|少|迟|误)[\u4e00-\u9fff]{0,2}?(?:一|1)\s*次"
)
# "每人次": each person changed.
_EACH_NEAR = re.compile(r"每\s*(?:一|1)?\s*(?:人次|次|起|项)")
_COUNT = re.compile(rf"(?:发生|累计|达到|满|出现|第)\s*(?P<n>{NUMERAL})\s*次")
# "一年内连续更换2人及以上", "在一个合同年度内，驻场人员更换累计超过2人", "一个服务年度内乙方
# 更换驻场工程师累计达到3人次": the year, then (within the condition) the count.
_THRESHOLD = re.compile(
    rf"(?:(?:一|1)\s*个?(?:合同|服务)?\s*年(?:度)?内|年度内|每(?:个合同)?年)[^。；;]{{0,20}}?"
    rf"(?P<over>超过|多于)?\s*(?P<n>{NUMERAL})\s*(?:人|名|次|起)"
)
# "服务期内乙方擅自更换驻场工程师累计达3人次": people changed over the whole term (not "服务期内
# …连续3次无法达到考核指标", a count of failures the contract prices at once).
_TERM_THRESHOLD = re.compile(
    rf"(?:服务|合同)期(?:限)?内[^。；;]{{0,20}}?(?P<over>超过|多于)?\s*(?P<n>{NUMERAL})\s*(?:人次|人|名)"
)
# "每超时一小时", "每超过1小时", "每低1个百分点": priced per a unit the engine does not count (it
# counts days, occurrences and thresholds): no clause is proposed rather than a wrong shape.
_PER_OTHER_UNIT = re.compile(
    rf"每\s*(?:超时|超过|超出|延误|迟延|延迟|逾期|低|少|缺)?\s*(?:{NUMERAL})?\s*个?\s*(?:小时|分钟|百分点)"
)
_AFTER_DAYS = re.compile(
    rf"(?:逾期|延误|迟延|延迟)?超过\s*(?P<n>{NUMERAL})\s*个?\s*(?:日历|自然)?\s*(?:日|天)(?:的|以上)?[，,]?\s*"
    r"甲方(?:有权|可以?)解除"
)
_COUNT_TERMINATES = re.compile(
    # "累计达 3 人次的": people changed, counted as times.
    rf"(?:发生|累计|达到|满|出现|第)\s*(?:发生|达到?)?\s*(?P<n>{NUMERAL})\s*人?次[^。；;]{{0,20}}?解除(?:本)?合同"
)
_TERMINATES = re.compile(r"(?<!无需)(?<!不得)解除(?:本|部分或全部)?合同|终止(?:本)?合同")
# "累计达到5次的，另按合同总价的3%支付违约金": the N-th breach's rate on top of the first's.
_ADDS = re.compile(r"累加|叠加|另行(?:加收|支付)|并处|另按|另(?:行)?(?:加|计)收")
_OVERDUE = re.compile(
    r"逾期付款部分|逾期(?:付款)?(?:金额|部分|款项)|未付款项|未付(?:款|金额|部分)|应付未付|欠付|欠款|迟付"
)
_TOTAL = re.compile(r"合同(?:总额|总价款?|总金额|金额|价款)|总价款|服务费用?总额|合同价")
_LPR_TERM = re.compile(r"(?:1|一)\s*年期")
_OTHER_TERM = re.compile(r"(?:[2-9]|五|三)\s*年期")

# (kind, tier, pattern): the condition's first tier-1 kind wins; tier 2 (the catch-alls) only
# when it names none.
_KINDS = [
    (
        "late_payment",
        1,
        r"甲方[^。；;，,]{0,12}?(?:逾期|未按期|未按时|未及时|延迟|迟延|拖延|延期)(?:付款|支付)"
        r"|甲方(?:没有|未)按照?[^。；;]{0,16}?付款",
    ),
    ("subcontracting", 1, r"分包|转包"),
    (
        "secret_leak",
        1,
        r"泄密|失密|泄露[^，。；;,]{0,8}(?:秘密|机密|信息|数据)|违反[^，。；;,]{0,6}保密"
        r"|(?:秘密|机密|信息|数据)[^，。；;,]{0,6}(?:泄露|外泄)",
    ),
    ("staff_conduct", 1, r"态度(?:恶劣|粗暴|蛮横)|辱骂"),
    (
        "staff_replacement",
        1,
        r"更换[^，。；;,]{0,6}(?:人员|工程师|项目经理|负责人|\d+\s*[人名]|[一二两三四五六七八九]\s*[人名])"
        r"|(?:人员|工程师|项目经理|负责人)[^，。；;,]{0,4}更换",
    ),
    (
        "kpi_failure",
        1,
        r"考核指标|考核[^，。；;,]{0,8}(?:不合格|不达标|未通过)"
        r"|(?:可用率|在线率|完好率|及时率|满意度)[^，。；;,]{0,6}(?:低于|未达到|不足|达不到)",
    ),
    # "连片区域（3 个及以上相邻路口）信号瘫痪": whatever is paralysed, an outage.
    ("major_outage", 1, r"大面积(?:故障|瘫痪|中断)|瘫痪"),
    ("missing_service_record", 1, r"记录单|服务记录"),
    (
        "late_consultation",
        1,
        r"(?:咨询|问题)[^，。；;,]{0,10}未[^，。；;,]{0,6}(?:答复|回复)",
    ),
    (
        "late_response",
        1,
        r"\d+\s*(?:分钟|小时)[^，。；;,]{0,4}响应|(?:未|没有)[^，。；;,]{0,12}?响应"
        # "响应超时", "响应或到达现场超时"
        r"|响应(?:[或和及、](?:到达现场|到场))?(?:不及时|超时)",
    ),
    (
        "sla_arrival",
        1,
        r"(?:未|没有)[^，。；;,]{0,12}?(?:到达现场|赶到现场|赶赴现场|到场)|到场(?:不及时|超时)",
    ),
    (
        "sla_resolution",
        1,
        r"(?:未|没有)[^，。；;,]{0,12}?(?:解决|排除|修复)[^，。；;,]{0,4}故障"
        r"|(?:超过|超出)[^，。；;,]{0,10}(?:仍|还)?(?:未|无法|未能)(?:解决|排除|修复)"
        # "故障超过约定修复时限的": the repair's deadline passed.
        r"|超[过出]?[^，。；;,]{0,6}(?:修复|恢复|解决|排除)(?:时限|时间|期限)"
        # "故障未能在规定时限内修复的": the fault, then the repair it did not get in time.
        r"|故障[^，。；;,]{0,4}?(?:未能|未|没有|不能)[^，。；;,]{0,12}?(?:时限|时间|期限)内(?:解决|排除|修复)",
    ),
    (
        "late_delivery",
        1,
        r"(?:逾期|延期|延误|未能?按[^，。；;,]{0,12}?|不能按[^，。；;,]{0,12}?)(?:准时)?(?:交付|交货|到货|完成(?:系统)?(?:建设|部署|上线|安装))",
    ),
    ("quality_failure", 1, r"质量(?:不(?:符合|达标|合格)|达不到)|拒不整改|整改后仍"),
    # "定时完成每周巡检等维护、服务工作": inspections named as an example of the service.
    ("late_inspection", 1, r"(?:未|没有)[^，。；;,]{0,10}?巡检(?![^，。；;,]{0,3}等)|漏检"),
    (
        "late_report",
        1,
        r"(?:未|没有)[^，。；;,]{0,10}?(?:提交|报送|提供)[^，。；;,]{0,8}?(?:报告|周报|月报|季报|年报)"
        r"|(?:报告|周报|月报|季报|年报)[^，。；;,]{0,6}(?:逾期|迟交|延迟)",
    ),
    (
        "late_service",
        1,
        r"(?:未|不|没有)[^，。；;,]{0,10}?(?:定时|按时|及时|准时)(?:完成|提供)[^，。；;,]{0,12}?(?:服务|维护)",
    ),
    ("service_breach", 1, r"迟延履行|不完全履行|未完全履行|服务不到位"),
    ("other_breach", 2, r"其他违约(?:行为|情形)"),
    (
        "vendor_breach",
        2,
        r"乙方(?:未能|不能|未|没有)(?:全面)?(?:履行|遵守)(?:本)?合同(?:约定|义务)?|乙方每?违约|乙方违反(?:本)?合同",
    ),
]
_KIND_RULES = [(kind, tier, re.compile(pattern)) for kind, tier, pattern in _KINDS]
# Every clause of the kind repeats by its nature: "any other breach" is never priced once.
_REPEATING_KINDS = {"other_breach"}

_TRIAL_RUN = re.compile(
    r"试运行期[^。]{0,80}?(?:发生|出现)(?:问题|故障)[^。]{0,60}?延长[^。]*。\s*[^。]{0,30}?"
    rf"(?:再次|第\s*(?P<n>{NUMERAL})\s*次)(?:发生|出现)(?:问题|故障)[^。]{{0,60}}?解除(?:本)?合同"
)


@dataclass
class _Rate:
    start: int
    end: int
    percent: Decimal
    lpr: bool


@dataclass
class _Clause:
    start: int
    end: int
    kind: str
    tier: int
    shape: str
    rate: _Rate
    base: str
    cap: Decimal | None = None
    escalation_at: int | None = None
    escalation_percent: Decimal | None = None
    escalation_sentence: str = ""
    threshold_count: int | None = None
    unsure: list[str] = field(default_factory=list)


def _rates(text: str, start: int, end: int) -> list[_Rate]:
    found = []
    for match in _RATE.finditer(text, start, end):
        if match["lpr"]:
            if not any(rate.lpr for rate in found):
                found.append(_Rate(match.start(), match.end(), Decimal(0), True))
            continue
        if match["pct"]:
            value = Decimal(match["pct"])
        elif match["permille"]:
            value = Decimal(match["permille"]) / 10
        else:
            value = number(match["frac"])
            if value is None:
                continue
            value = value * {"百": Decimal(1), "千": Decimal("0.1"), "万": Decimal("0.01")}[match["per"]]
        if 0 <= value <= 100:
            found.append(_Rate(match.start(), match.end(), value.normalize() if value % 1 else value, False))
    return found


def _kind(condition: str) -> tuple[str, int, int] | None:
    """The kind the condition names first, tier 1 before tier 2: (kind, tier, end of its words)."""
    found = [
        (tier, match.start(), match.end(), kind)
        for kind, tier, rule in _KIND_RULES
        for match in [rule.search(condition)]
        if match
    ]
    if not found:
        return None
    tier, _start, end, kind = min(found)
    return kind, tier, end


def _base(text: str, sentence_start: int, rate: _Rate, sentence_end: int) -> str | None:
    """What the rate is a share of: the nearest word for it before the rate (after, for the LPR's
    "按 LPR 支付未付款项的违约金")."""
    before = text[sentence_start : rate.start]
    marks = [(m.end(), "overdue_amount") for m in _OVERDUE.finditer(before)]
    marks += [(m.end(), "total") for m in _TOTAL.finditer(before)]
    if rate.lpr:
        after = text[rate.end : sentence_end]
        if _OVERDUE.search(after):
            return "overdue_amount"
    return max(marks)[1] if marks else None


def _cap_role(text: str, sentence_start: int, rate: _Rate) -> bool:
    return bool(_CAP_BEFORE.search(text[sentence_start : rate.start]) or _CAP_AFTER.match(text, rate.end))


def _int(words: str) -> int | None:
    value = number(words)
    return int(value) if value is not None and value == int(value) and 0 < value < 10_000 else None


def _new_clause(text: str, condition_start: int, sentence: re.Match, rate: _Rate) -> _Clause | None:
    condition = text[condition_start : rate.start]
    named = _kind(condition)
    if named is None:
        return None
    kind, tier, words_end = named
    # The client's own breach (other than paying late) is not one of the vendor's kinds.
    subject = condition[:words_end]
    if kind != "late_payment" and "甲方" in subject and "乙方" not in subject:
        return None
    base = _base(text, sentence.start(), rate, sentence.end())
    if base is None or (base == "overdue_amount" and kind != "late_payment"):
        return None
    # The words between the end of the condition ("…的，") and the rate say how it is counted.
    head = text[sentence.start() : rate.start]
    ends = list(_CONDITION_END.finditer(head))
    near = head[ends[-1].end() :] if ends else head
    if _PER_OTHER_UNIT.search(head):
        return None
    threshold = _THRESHOLD.search(condition) or _TERM_THRESHOLD.search(condition)
    unsure = []
    daily = _DAILY_ANYWHERE.search(head) or _DAILY_NEAR.search(near) or _DAILY_AFTER.match(text, rate.end)
    # Interest at the LPR on a late payment runs by the day whether or not the clause says so.
    if daily or (rate.lpr and kind == "late_payment"):
        shape = "per_day"
    elif threshold:
        shape = "count_threshold"
    elif _EACH_ANYWHERE.search(head) or _EACH_NEAR.search(near) or kind in _REPEATING_KINDS:
        shape = "per_occurrence"
    else:
        shape = "one_off"
        unsure.append("no count named: read as once")
        # "累计三次未按时提交周报的，扣除1%": priced at the N-th breach, which a one-off clause
        # would charge at the first; the portal counts such thresholds for staff changes only.
        counted = _COUNT.search(condition)
        if counted and (_int(counted["n"]) or 0) >= 2:
            return None
    if rate.lpr and shape != "per_day":
        return None
    clause = _Clause(condition_start, sentence.end(), kind, tier, shape, rate, base, unsure=unsure)
    if threshold:
        count = _int(threshold["n"])
        if count is None:
            return None
        # "N 人及以上" counts N; "超过 N 人", more than N.
        clause.threshold_count = count + 1 if threshold["over"] else count
        if threshold.group().startswith(("服务期", "合同期")):
            # The engine counts within a contract year; the text over the whole term.
            clause.unsure.append("counted over the term: the portal counts within a contract year")
    return clause


def _value(text: str, clause: _Clause) -> dict | None:
    body = text[clause.start : clause.end].strip()
    after_days = _AFTER_DAYS.search(body)
    terminates = bool(_TERMINATES.search(body))
    at_count = None
    if clause.shape == "per_occurrence":
        if clause.escalation_at and _TERMINATES.search(clause.escalation_sentence):
            at_count = clause.escalation_at
        elif not clause.escalation_at:
            # "累计发生 5 次的，甲方有权解除合同": the count at which the client may terminate.
            counted = _COUNT_TERMINATES.search(body)
            at_count = _int(counted["n"]) if counted else None
    elif clause.shape in ("one_off", "count_threshold") and terminates:
        at_count = 1
    if clause.rate.lpr:
        source_words = text[max(0, clause.rate.start - 12) : clause.rate.end]
        if _OTHER_TERM.search(source_words):
            return None  # a tenor the engine does not price
        if not _LPR_TERM.search(source_words):
            clause.unsure.append("LPR without its tenor: read as the one-year rate")
    if not obligations.shape_allowed(clause.kind, clause.shape):
        return None
    escalates = clause.escalation_at is not None
    return {
        "kind": clause.kind,
        "title": obligations.KINDS[clause.kind].zh,
        "shape": clause.shape,
        "rate_percent": clause.rate.percent,
        "cap_percent": clause.cap,
        "base": clause.base,
        "party": "client" if clause.kind == "late_payment" else "vendor",
        "rate_source": "lpr_one_year" if clause.rate.lpr else "fixed",
        "escalation_at": clause.escalation_at,
        "escalation_percent": clause.escalation_percent,
        # The model's default when nothing escalates: every value is one PenaltyClause takes.
        "escalation_mode": "adds" if escalates and _ADDS.search(clause.escalation_sentence) else "replaces",
        "threshold_count": clause.threshold_count,
        "termination_after_days": _int(after_days["n"]) if after_days and clause.shape == "per_day" else None,
        "termination_at_count": at_count,
        "text": body[:TEXT_CHARS],
    }


def _paragraph_clauses(text: str, start: int, end: int, caps: list) -> list[_Clause]:
    """The clauses of one paragraph; an overall cap found in it goes to ``caps``."""
    clauses: list[_Clause] = []
    current: _Clause | None = None
    condition_start = start
    for sentence in _SENTENCE.finditer(text, start, end):
        rates = _rates(text, sentence.start(), sentence.end())
        # A rate is a penalty's when it is a share of the total or of the overdue amount (or the
        # LPR): "可用率低于 99.9% 的" is the condition's, not the price.
        main = [
            r
            for r in rates
            if not _cap_role(text, sentence.start(), r)
            and (r.lpr or _base(text, sentence.start(), r, sentence.end()) is not None)
        ]
        if main:
            current = _main_rate(text, sentence, main[0], current, condition_start, clauses)
            condition_start = sentence.end()
        elif current is not None:
            current.end = sentence.end()
        for rate in (r for r in rates if _cap_role(text, sentence.start(), r)):
            current = _cap(text, sentence, rate, current, bool(main), clauses, caps)
    return clauses


def _cap(text, sentence, rate: _Rate, current, with_main: bool, clauses: list, caps: list):
    """A cap: on all penalties together (``caps``) or on the current clause. A clause capped at
    a share of something other than the total cannot be priced: it is dropped."""
    before = text[sentence.start() : rate.start]
    own_sentence = with_main and current is not None and current.rate.start >= sentence.start()
    # "本款违约金累计不超过…": this clause's own cap, however it is worded.
    this_clause = _THIS_CLAUSE.search(before)
    if not this_clause and (_ALL_PENALTIES.search(before) or (_OVERALL.search(before) and not own_sentence)):
        caps.append((rate.percent, rate.start, rate.end))
        return current
    if current is None or current.cap is not None or rate.lpr or rate.start < current.rate.end:
        return current
    if _base(text, sentence.start(), rate, sentence.end()) != "total":
        clauses.remove(current)
        return None
    current.cap = rate.percent
    current.end = sentence.end()
    return current


def _main_rate(text, sentence, rate, current, condition_start, clauses) -> _Clause | None:
    """The clause a sentence's first rate starts, or the escalation of the current one."""
    head = text[sentence.start() : rate.start]
    count = _COUNT.search(head)
    if (
        current is not None
        and current.shape == "per_occurrence"
        and current.escalation_at is None
        and count
        and not rate.lpr
        and ((named := _kind(head)) is None or named[0] == current.kind)
    ):
        at = _int(count["n"])
        if at is not None and at >= 2:
            current.escalation_at, current.escalation_percent = at, rate.percent
            current.escalation_sentence = sentence.group()
            current.end = sentence.end()
            return current
    clause = _new_clause(text, condition_start, sentence, rate)
    if clause is not None:
        clauses.append(clause)
    return clause


def _overall_cap(out: Extraction, flat: Flat, caps: list) -> None:
    values = {}
    for value, start, end in caps:
        values.setdefault(value, (start, end))
    if len(values) == 1:
        value, (start, end) = next(iter(values.items()))
        span = flat.span(start, end)
        out.proposals.append(
            Proposal("penalties", "penalty_cap_percent", value, *span, 0.85, "penalty-overall-cap")
        )
    elif len(values) > 1:
        out.conflicts.append(
            Conflict("penalty_cap_percent", tuple(values), tuple(flat.span(s, e) for s, e in values.values()))
        )


def _trial_run(flat: Flat) -> list[tuple[dict, int, int]]:
    found = []
    for match in _TRIAL_RUN.finditer(flat.text):
        at = _int(match["n"]) if match["n"] else 2
        if not at or at < 2:
            continue
        value = dict.fromkeys(CLAUSE_FIELDS)
        value |= {
            "escalation_mode": "replaces",
            "kind": "trial_run_problem",
            "title": obligations.KINDS["trial_run_problem"].zh,
            "shape": "per_occurrence",
            "rate_percent": Decimal(0),
            "base": "total",
            "party": "vendor",
            "rate_source": "fixed",
            "termination_at_count": at,
            "text": match.group()[:TEXT_CHARS],
        }
        found.append((value, match.start(), match.end()))
    return found


# "每次扣罚200元", "每人次罚款100元": a sum in yuan, which no clause of the engine prices.
_YUAN = re.compile(r"\d[\d,]*(?:\.\d+)?\s*(?:万元|元)")
NOTE_CHARS = 1000
NOTE_HEAD = "未自动录入的违约条款（系统无法按其计价或未识别违约类型，请人工处理）："


def _unpriced(flat: Flat, covered: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The sentences of the penalty paragraphs that price a breach in a way no proposal holds (a
    sum in yuan, a rate per hour, a kind of breach the portal does not know): a note for the
    reviewer, never a clause of a wrong kind or shape."""
    found = []
    for start, end in flat.paragraphs():
        if not _PENALTY_WORDS.search(flat.text, start, end):
            continue
        for sentence in _SENTENCE.finditer(flat.text, start, end):
            words = sentence.group()
            if not _PENALTY_WORDS.search(words) or not (_YUAN.search(words) or _RATE.search(words)):
                continue
            if any(s < sentence.end() and sentence.start() < e for s, e in covered):
                continue
            found.append(sentence.span())
    return found


def _priced(value: dict) -> tuple:
    """What two readings of one kind must agree on to be the same clause."""
    return tuple(value[name] for name in CLAUSE_FIELDS if name not in ("title", "text"))


def penalties(text: str, flat: Flat | None = None) -> Extraction:
    """The penalty clauses of ``text`` and the cap on them all; ``flat`` is ``flatten(text)``
    when the caller has it already."""
    out = Extraction()
    flat = flat or flatten(text)
    caps: list = []
    found: list[tuple[dict, int, int, float, str]] = []
    for start, end in flat.paragraphs():
        if not (_RATE.search(flat.text, start, end) and _PENALTY_WORDS.search(flat.text, start, end)):
            continue
        for clause in _paragraph_clauses(flat.text, start, end, caps):
            value = _value(flat.text, clause)
            if value is None:
                continue
            confidence = (0.9 if clause.tier == 1 else 0.75) - 0.1 * len(clause.unsure)
            found.append((value, clause.start, clause.end, round(confidence, 2), "penalty-clause"))
    found += [(value, s, e, 0.75, "penalty-trial-run") for value, s, e in _trial_run(flat)]
    by_kind: dict[str, list] = {}
    for item in found:
        by_kind.setdefault(item[0]["kind"], []).append(item)
    for kind, items in by_kind.items():
        readings = {}
        for item in items:
            readings.setdefault(_priced(item[0]), item)
        if len(readings) > 1:
            # Two clauses price one kind differently: the reviewer decides, nothing is proposed.
            out.conflicts.append(
                Conflict(
                    f"penalty_clause:{kind}",
                    tuple(item[0] for item in readings.values()),
                    tuple(flat.span(item[1], item[2]) for item in readings.values()),
                )
            )
            continue
        value, start, end, confidence, rule = items[0]
        # The span without the trailing newline or spaces the paragraph may end in.
        while end > start and flat.text[end - 1].isspace():
            end -= 1
        out.proposals.append(
            Proposal("penalties", "penalty_clause", value, *flat.span(start, end), confidence, rule)
        )
    _overall_cap(out, flat, caps)
    covered = [(start, end) for _value, start, end, _c, _r in found] + [(s, e) for _v, s, e in caps]
    notes = _unpriced(flat, covered)
    if notes:
        body = "\n".join(text[slice(*flat.span(s, e))].strip() for s, e in notes)
        value = (NOTE_HEAD + "\n" + body)[:NOTE_CHARS]
        start, end = flat.span(notes[0][0], notes[-1][1])
        out.proposals.append(Proposal("penalties", "notes", value, start, end, 0.5, "penalty-unpriced"))
    return out
