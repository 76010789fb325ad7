"""The periodic reports the five seed contracts require (see DOMAIN.md), by contract code.

The contracts name the reports but rarely a due date; where they are silent the report is due as
its kind says (``reports.kinds``: 2 working days after a week, 5 after a month, 10 after a
quarter, half year or year), which the bureau can change per contract. The
``load_seed_contracts`` command runs ``load_seed_requirements`` in any mode; a second run changes
nothing.
"""

from django.db import transaction

from contracts.models import Contract, Milestone
from reports import kinds
from reports.models import ReportKind, ReportRequirement

CALENDAR = Milestone.OffsetUnit.CALENDAR_DAYS


def silent(kind: str, breach_kind: str, note: str) -> tuple:
    """A requirement whose contract names no due date: due as its kind says."""
    due = kinds.get(kind).due
    return (kind, due.offset, due.unit, breach_kind, note)


SEED_REQUIREMENTS = {
    # Seed 000: 每周提供周报 ... 按周、月、半年频率提供巡检报告 ... 月报 ... 季度报告 ... 年报; not
    # delivering the weekly work on time costs 0.3% of the total per day (late_service).
    "ZH-2023-SPS": [
        silent(
            ReportKind.WEEKLY,
            "late_service",
            "周报：每周各项运维工作情况总结、巡检结果、问题及处理",
        ),
        silent(ReportKind.MONTHLY, "", "月报：运维工作日志，故障的详细描述、解决方案和最后处理情况"),
        silent(ReportKind.QUARTERLY, "", "季度报告：信息化系统总体运行情况的全面总结和分析"),
        silent(ReportKind.HALF_YEARLY, "", "半年巡检报告和故障分析报告"),
        silent(ReportKind.ANNUAL, "", "年报：服务情况总结和改进建议、人员管理架构、不足及改进方法"),
    ],
    # Seed 003: the weekly report (attendance, task statistics, fault handling, plan) and the
    # annual summary (within 15 days after the term) that clause 六.1's one-time acceptance is
    # held on. Its "阶段性运维报告" is the weekly one: 六.4(2) 阶段性考核 asks for 运维周报 and
    # names no other period; 每季度 is only in the acceptance way the clause did not choose.
    "BJ-2026-RP": [
        silent(ReportKind.WEEKLY, "", "周报：人员考勤、任务统计、状态及故障处理完成情况、工作计划"),
        (ReportKind.ANNUAL, 15, CALENDAR, "", "年度总结：合同期满后 15 日内提交"),
    ],
    # Seed 004: weekly and monthly reports; late or incomplete service is a breach, 1% each.
    "XJ-2024-PAY": [
        silent(ReportKind.WEEKLY, "service_breach", "周报"),
        silent(ReportKind.MONTHLY, "service_breach", "月报"),
    ],
}


# Requirements an earlier seed added that the text does not oblige: (code, kind, note as loaded).
# Removed only while unedited, so one the bureau changed since is its own and stays.
SUPERSEDED_REQUIREMENTS = [
    ("BJ-2026-RP", ReportKind.QUARTERLY, "阶段报告：验收材料之一"),
]


@transaction.atomic
def load_seed_requirements() -> int:
    """Report requirements for the seed contracts present; returns how many were created."""
    for code, kind, note in SUPERSEDED_REQUIREMENTS:
        ReportRequirement.objects.filter(contract__code=code, kind=kind, note=note).delete()
    created = 0
    for contract in Contract.objects.filter(code__in=SEED_REQUIREMENTS):
        for kind, offset, unit, breach_kind, note in SEED_REQUIREMENTS[contract.code]:
            _, made = ReportRequirement.objects.get_or_create(
                contract=contract,
                kind=kind,
                defaults={"due_offset": offset, "due_unit": unit, "breach_kind": breach_kind, "note": note},
            )
            created += made
    return created
