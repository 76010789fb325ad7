"""Data for the report-building and PDF tests: June 2026 of contract A with known figures.

``june(contract)`` makes, in Beijing time (seed 000's clause: late inspections cost 0.3% of the
total per day; the test contract's total is ¥708,000):

incidents reported in June (6):
  1 general   resolution target, resolved in time            → met
  2 severe    resolution target, resolved in time            → met
  3 emergency response + resolution targets, both kept       → met
  4 general   resolution target breached, resolved late      → breached
  5 general   no target, still open                          → no target, open
  6 general   resolution target, reported 06-30 23:50,
              resolved 07-01 01:00 (after the period)         → pending, open at the period's end
  and two outside June: 05-31 23:30 and 07-01 00:00.
inspection slots due in June (4, 09:00 on 06-01..06-04): three done (the run of 06-02 found two
  abnormal items), one missed; one more on 07-01 (outside).
breaches: late_inspection on 06-04 (1 day late) in June; one on 05-30 (2 days late) before it.
work log: two fault entries and one inspection entry in June, one on 07-01.
"""

import datetime as dt
import zoneinfo
from decimal import Decimal

from contracts.models import Breach, PenaltyClause
from incidents.models import Incident, WorkLogEntry
from inspections.models import InspectionRun, InspectionSchedule, InspectionSlot
from tests import factories

CN = zoneinfo.ZoneInfo("Asia/Shanghai")
HOUR = dt.timedelta(hours=1)


def at(*args) -> dt.datetime:
    """A Beijing time."""
    return dt.datetime(*args, tzinfo=CN)


def set_term(contract):
    contract.starts_on, contract.ends_on = dt.date(2026, 5, 29), dt.date(2027, 5, 28)
    contract.total = Decimal("708000.00")
    contract.save()
    return contract


# An incident with due times for ``targets`` (clock names), 4 hours after it was reported.
incident = factories.incident


def june(contract) -> dict:
    set_term(contract)
    made = {}
    made["incidents"] = [
        incident(contract, at(2026, 6, 2, 10), resolved_at=at(2026, 6, 2, 12), targets=["resolution"]),
        incident(
            contract,
            at(2026, 6, 5, 9),
            severity="severe",
            resolved_at=at(2026, 6, 5, 11),
            targets=["resolution"],
        ),
        incident(
            contract,
            at(2026, 6, 10, 8),
            severity="emergency",
            title="人口库连接中断",
            resolved_at=at(2026, 6, 10, 9),
            targets=["response", "resolution"],
            responded_at=at(2026, 6, 10, 8, 20),
            description="受理系统无法连接人口库。",
            method="重启数据库监听并切换备用链路。",
            result="业务于 09:00 恢复。",
        ),
        incident(
            contract,
            at(2026, 6, 20, 14),
            resolved_at=at(2026, 6, 21, 10),
            targets=["resolution"],
            resolution_breached_at=at(2026, 6, 20, 18),
        ),
        incident(contract, at(2026, 6, 25, 16)),
        incident(contract, at(2026, 6, 30, 23, 50), resolved_at=at(2026, 7, 1, 1), targets=["resolution"]),
    ]
    incident(contract, at(2026, 5, 31, 23, 30), resolved_at=at(2026, 6, 1, 1), targets=["resolution"])
    incident(contract, at(2026, 7, 1, 0, 0))

    schedule = InspectionSchedule.objects.create(contract=contract, name="日常巡检")
    slots = []
    for day in (1, 2, 3, 4):
        due = at(2026, 6, day, 9)
        missed = day == 4
        slot = InspectionSlot.objects.create(
            contract=contract,
            schedule=schedule,
            due_at=due,
            deadline=due + 4 * HOUR,
            status=InspectionSlot.Status.MISSED if missed else InspectionSlot.Status.DONE,
            done_at=None if missed else due + HOUR,
        )
        if not missed:
            InspectionRun.objects.create(
                slot=slot,
                contract=contract,
                mode="manual",
                started_at=due,
                finished_at=due + HOUR,
                items_abnormal=2 if day == 2 else 0,
            )
        slots.append(slot)
    InspectionSlot.objects.create(
        contract=contract, schedule=schedule, due_at=at(2026, 7, 1, 9), deadline=at(2026, 7, 1, 13)
    )
    made["slots"] = slots

    clause = PenaltyClause.objects.create(
        contract=contract,
        kind="late_inspection",
        title="未按时巡检",
        shape=PenaltyClause.Shape.PER_DAY,
        rate_percent=Decimal("0.3"),
    )
    for occurred, days, ref in ((at(2026, 6, 4, 13), 1, "june"), (at(2026, 5, 30, 13), 2, "may")):
        Breach.objects.create(
            contract=contract,
            clause=clause,
            kind="late_inspection",
            occurred_at=occurred,
            days_late=days,
            source=Breach.Source.INSPECTION,
            source_ref=ref,
        )

    for day, category, handling in (
        (dt.date(2026, 6, 2), "fault", "处理受理系统故障"),
        (dt.date(2026, 6, 10), "fault", "恢复人口库连接"),
        (dt.date(2026, 6, 30), "inspection", "月末巡检"),
        (dt.date(2026, 7, 1), "inspection", "七月巡检"),
    ):
        WorkLogEntry.objects.create(
            contract=contract,
            category=category,
            date=day,
            initiator="甲方值班室",
            handler="张工",
            handling=handling,
        )
    return made


def many_incidents(contract, count: int, *, month=6, with_text=True):
    """``count`` more incidents spread over the month, a third of them breached."""
    rows = []
    for i in range(count):
        reported = at(2026, month, 1 + i % 28, 8 + i % 12)
        rows.append(
            Incident(
                contract=contract,
                title=f"批量故障 {i}",
                severity=("emergency", "severe", "general")[i % 3],
                source="phone",
                reported_at=reported,
                resolved_at=reported + 2 * HOUR,
                status=Incident.Status.RESOLVED,
                resolution_due=reported + 4 * HOUR,
                resolution_breached_at=reported + 4 * HOUR if i % 3 == 0 else None,
                description="描述" * 20 if with_text else "",
                method="处理方法" * 10 if with_text else "",
                result="已恢复" if with_text else "",
            )
        )
    Incident.objects.bulk_create(rows)
