"""The kinds of breach the portal knows: one registry, read by models, forms, the API and pages.

A kind's code is an API value that scripts send and filter on (``late_response``,
``sla_arrival``...): it never changes and never reaches a person, who reads its label. Each kind
says what records it (an SLA clock, a missed inspection slot, a late report, a staffing rule, a
payment, or someone by hand) and which penalty-clause shapes may price it; a clause of another
shape is refused, and so is a breach of a kind not registered here.

The labels are stored in both languages here rather than in the message catalogue, so that the
words of the contracts stay next to the code they name; ``label`` picks the active language.
"""

from dataclasses import dataclass

from django.db import models
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import pgettext_lazy


class Producer(models.TextChoices):
    SLA_CLOCK = "sla_clock", pgettext_lazy("obligation producer", "SLA clock")
    MISSED_SLOT = "missed_slot", pgettext_lazy("obligation producer", "Missed inspection slot")
    LATE_REPORT = "late_report", pgettext_lazy("obligation producer", "Late report")
    STAFFING = "staffing", pgettext_lazy("obligation producer", "Staffing rule")
    PAYMENT = "payment", pgettext_lazy("obligation producer", "Payment")
    MANUAL = "manual", pgettext_lazy("obligation producer", "By hand")


# PenaltyClause.Shape's values; spelled out because the models import this module.
PER_DAY = "per_day"
PER_OCCURRENCE = "per_occurrence"
ONE_OFF = "one_off"
COUNT_THRESHOLD = "count_threshold"


@dataclass(frozen=True)
class ObligationKind:
    code: str
    zh: str
    en: str
    producers: tuple[str, ...]
    shapes: tuple[str, ...]

    @property
    def label(self) -> str:
        return _pick(self.zh, self.en)


def _pick(zh: str, en: str) -> str:
    return zh if (translation.get_language() or "zh-hans").lower().startswith("zh") else en


_lazy_pick = lazy(_pick, str)

P = Producer
_KINDS = (
    # SLA clocks: the clause a term names, else the checker's unpriced "sla_<clock>".
    ObligationKind(
        "sla_response", "响应超时", "Late response", (P.SLA_CLOCK,), (PER_OCCURRENCE, ONE_OFF, PER_DAY)
    ),
    ObligationKind(
        "sla_arrival",
        "到达现场超时",
        "Late arrival on site",
        (P.SLA_CLOCK,),
        (PER_OCCURRENCE, ONE_OFF, PER_DAY),
    ),
    ObligationKind(
        "sla_resolution", "解决超时", "Late resolution", (P.SLA_CLOCK,), (PER_OCCURRENCE, ONE_OFF, PER_DAY)
    ),
    # Seed 002: 未按要求响应 (response within 30 minutes, on site within 2 hours), 3% once.
    ObligationKind(
        "late_response",
        "未按要求响应",
        "Not responding as required",
        (P.SLA_CLOCK, P.MANUAL),
        (ONE_OFF, PER_OCCURRENCE, PER_DAY),
    ),
    # Seed 000: a general question answered the same day.
    ObligationKind(
        "late_consultation",
        "咨询未当日答复",
        "Question not answered the same day",
        (P.SLA_CLOCK, P.MANUAL),
        (PER_OCCURRENCE, ONE_OFF, PER_DAY),
    ),
    # Seed 000: 未按时提供运维服务 (inspections, weekly work), 0.3% of the total per day.
    ObligationKind(
        "late_service",
        "未按时提供运维服务",
        "Service not delivered on time",
        (P.MISSED_SLOT, P.LATE_REPORT, P.SLA_CLOCK, P.MANUAL),
        (PER_DAY, PER_OCCURRENCE, ONE_OFF),
    ),
    ObligationKind(
        "late_inspection",
        "巡检未按时完成",
        "Inspection not done on time",
        (P.MISSED_SLOT, P.MANUAL),
        (PER_DAY, PER_OCCURRENCE, ONE_OFF),
    ),
    ObligationKind(
        "late_report",
        "报告逾期提交",
        "Report submitted late",
        (P.LATE_REPORT, P.MANUAL),
        (PER_DAY, PER_OCCURRENCE, ONE_OFF),
    ),
    # Seed 001: 逾期交付, 0.5% of the total per day, at most 10%.
    ObligationKind("late_delivery", "逾期交付", "Late delivery", (P.MANUAL,), (PER_DAY, ONE_OFF)),
    # Seed 001: a problem in the trial run extends it by 30 days; a second one lets the bureau end it.
    ObligationKind(
        "trial_run_problem",
        "试运行期间出现问题",
        "Problem during the trial run",
        (P.MANUAL,),
        (ONE_OFF, PER_OCCURRENCE),
    ),
    # The bureau's side: seeds 000, 002, 003.
    ObligationKind(
        "late_payment", "甲方逾期付款", "Late payment by the client", (P.PAYMENT, P.MANUAL), (PER_DAY,)
    ),
    # Seed 004: more than two replacements of resident staff in a contract year, 1%.
    ObligationKind(
        "staff_replacement",
        "驻场人员更换超限",
        "Too many replacements of resident staff",
        (P.STAFFING, P.MANUAL),
        (COUNT_THRESHOLD, PER_OCCURRENCE, ONE_OFF),
    ),
    # Seed 004 clause 8.3: 工作人员对待群众或同事态度恶劣造成不良影响, 20% and termination.
    ObligationKind(
        "staff_conduct",
        "工作人员态度恶劣造成不良影响",
        "Staff misconduct with adverse effects",
        (P.MANUAL,),
        (ONE_OFF, PER_OCCURRENCE),
    ),
    # Seed 000.
    ObligationKind(
        "quality_failure",
        "服务质量不达标",
        "Service quality below standard",
        (P.MANUAL,),
        (ONE_OFF, PER_OCCURRENCE),
    ),
    ObligationKind("subcontracting", "擅自转包分包", "Unauthorised subcontracting", (P.MANUAL,), (ONE_OFF,)),
    # Seed 001.
    ObligationKind(
        "other_breach", "其他违约行为", "Other breach of contract", (P.MANUAL,), (PER_OCCURRENCE, ONE_OFF)
    ),
    ObligationKind("secret_leak", "泄露秘密", "Disclosure of secrets", (P.MANUAL,), (ONE_OFF,)),
    # Seed 002.
    ObligationKind("major_outage", "发生重大故障", "Major outage", (P.MANUAL,), (ONE_OFF, PER_OCCURRENCE)),
    ObligationKind(
        "missing_service_record",
        "未提供服务记录",
        "Service record not provided",
        (P.MANUAL,),
        (ONE_OFF, PER_OCCURRENCE),
    ),
    # Seed 003: 乙方违约, 20%.
    ObligationKind(
        "vendor_breach", "乙方违约", "Breach by the vendor", (P.MANUAL,), (ONE_OFF, PER_OCCURRENCE)
    ),
    # Seed 004: 服务不到位 (late or incomplete service), 1% each, 20% at the third.
    ObligationKind(
        "service_breach",
        "服务不到位",
        "Service not delivered as agreed",
        (P.SLA_CLOCK, P.LATE_REPORT, P.MANUAL),
        (PER_OCCURRENCE, ONE_OFF, PER_DAY),
    ),
    ObligationKind(
        "kpi_failure", "考核指标不达标", "Performance targets not met", (P.MANUAL,), (ONE_OFF, PER_OCCURRENCE)
    ),
)
del P

KINDS: dict[str, ObligationKind] = {kind.code: kind for kind in _KINDS}


def get(code: str) -> ObligationKind | None:
    return KINDS.get(code)


def label(code: str) -> str:
    """The kind's label in the active language; an unregistered code is shown as it is."""
    kind = KINDS.get(code)
    return kind.label if kind is not None else code


def choices() -> list[tuple[str, str]]:
    """(code, label) pairs, the labels lazy so that a form built once speaks the request's language."""
    return [(kind.code, _lazy_pick(kind.zh, kind.en)) for kind in _KINDS]


def shape_allowed(code: str, shape: str) -> bool:
    kind = KINDS.get(code)
    return kind is not None and shape in kind.shapes
