"""Payment milestones: each "甲方…支付…" of the contract with an amount or a share, what starts
its clock (signing, taking effect, initial or final acceptance, the end of the term, a window
before it) and its offset in calendar or working days.

A payment is read from its own clause: from the end of the previous payment (or the start of
its sentence, or its ①/第一期 marker) to the amount paid. The trigger is the last event written
before 支付 ("…期满且…验收合格后" is paid on acceptance; "验收合格、待服务期满后" at the term's
end). A clause about late payment (逾期, LPR) or a penalty is not a milestone.
"""

import re
from decimal import Decimal, InvalidOperation

from contracts.intake.header import capital_amount
from contracts.intake.proposals import Extraction, Proposal
from contracts.intake.sentences import blanked

# What a milestone's value looks like once proposed: the contract form's fields.
MILESTONE_FIELDS = ("trigger", "offset", "offset_unit", "amount", "percent")

_PAY = re.compile(r"甲方[^。；;\n]{0,40}?(?:向乙方)?(?:一次性)?支付")
_BOUNDARY = re.compile(r"[。；;\n①②③④⑤⑥]|第[一二三四五六]期")
_TRIGGERS = [
    # "签订合同后", "本合同签订后10个工作日内", "合同签订之日起7日内" (not "签订生效之日后": effective).
    (
        "signing",
        re.compile(r"签订合同\s*\d*\s*个?(?:工作)?日?内|签订合同后|签约后|合同签订(?:之日)?(?:后|起)"),
    ),
    ("effective", re.compile(r"生效(?:之日)?后")),
    ("initial_acceptance", re.compile(r"初验[^，,。]{0,20}后")),
    ("final_acceptance", re.compile(r"(?:最终验收|终验|验收合格)[^，,。]{0,40}后")),
    ("term_end", re.compile(r"期满后")),
    # "到期之前90日内", "服务期满前30日内", "合同期限届满前15天内": a window before the term ends.
    (
        "before_term_end",
        re.compile(r"(?:到期之?前|(?:期满|期限届满|到期)(?:之日)?前)\s*(?P<n>\d+)\s*(?:个)?(?:日|天)内"),
    ),
]
_OFFSET = re.compile(r"(?:后|内)?\s*(?P<n>\d{1,3})\s*个?(?P<unit>工作日|日历日|日|天)内")
_FIGURE = re.compile(
    r"[¥￥]\s*(?P<n>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)|(?P<m>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d{2}|\d{4,})\s*元"
)
_WORDS = re.compile(r"人民币\s*(?P<c>[零壹贰叁肆伍陆柒捌玖拾佰仟万亿]{2,30}元整?)")
_PERCENT = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*[%％]")
_WHOLE = re.compile(r"一次性支付合同总(?:金额|价)")
CLAUSE_REACH = 400
_NOT_A_PAYMENT = re.compile(r"逾期|LPR|利率|违约金|赔偿|罚")


def _amount(part: str) -> tuple[Decimal | None, re.Match | None]:
    figure = _FIGURE.search(part)
    if figure:
        try:
            return Decimal((figure["n"] or figure["m"]).replace(",", "")), figure
        except InvalidOperation:
            pass
    words = _WORDS.search(part)
    if words:
        return capital_amount(words["c"]), words
    return None, None


def payments(text: str) -> Extraction:
    out = Extraction()
    plain = blanked(text)
    clause_start = 0
    for pay in _PAY.finditer(plain):
        # The clause starts after the last boundary before 支付, looked for in the few hundred
        # characters before it (a text without boundaries must not cost its length each time).
        reach = max(clause_start, pay.start() - CLAUSE_REACH)
        boundaries = [m.end() for m in _BOUNDARY.finditer(plain, reach, pay.start())]
        start = max([reach, *boundaries[-1:]])
        # Past the end of the previous payment's words ("（大写：…），") and leading punctuation.
        tail = re.match(r"[^，,。]*[）)]\s*[，,]", plain[start : pay.start()])
        start += tail.end() if tail else 0
        while start < pay.start() and plain[start] in " ：:，,、":
            start += 1
        before = plain[start : pay.end()]
        following = _BOUNDARY.search(plain, pay.end())
        sentence_end = following.start() if following else len(plain)
        after = plain[pay.end() : min(sentence_end, pay.end() + 120)]
        if _NOT_A_PAYMENT.search(before) or _NOT_A_PAYMENT.search(after[:30]):
            continue
        amount, amount_match = _amount(after)
        percent_match = _PERCENT.search(after)
        percent = Decimal(percent_match["n"]) if percent_match else None
        if _WHOLE.search(plain[pay.start() : pay.end() + 10]):
            percent = Decimal(100)
        if amount is None and percent is None:
            continue
        found = [(m.start(), name, m) for name, rule in _TRIGGERS for m in rule.finditer(before)]
        if not found:
            continue
        _at, trigger, trigger_match = max(found, key=lambda f: (f[2].start(), f[2].end()))
        offset, unit = 0, "calendar_days"
        if trigger == "before_term_end":
            offset = int(trigger_match["n"])
        else:
            window = _OFFSET.search(before, trigger_match.start())
            if window:
                offset = int(window["n"])
                unit = "working_days" if window["unit"] == "工作日" else "calendar_days"
        end = pay.end() + (
            amount_match.end() if amount_match else percent_match.end() if percent_match else 0
        )
        value = {
            "trigger": trigger,
            "offset": offset,
            "offset_unit": unit,
            "amount": amount,
            "percent": percent,
        }
        confidence = 0.9 if amount is not None else 0.8
        out.proposals.append(
            Proposal("milestones", "milestone", value, start, end, confidence, "payment-clause")
        )
        clause_start = end
    return out
