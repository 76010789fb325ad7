"""The weekly report, Monday to Sunday.

Seed 003: "staff attendance, task statistics, status and fault-handling completion, and the work
plan"; seed 000: "the week's work, inspection results, problems and their handling", due two
working days after the week.
"""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from contracts.models import Milestone
from reports import building, periods
from reports.kinds import Due, Kind, register


def period(contract, day: dt.date) -> tuple[dt.date, dt.date]:
    start = day - dt.timedelta(days=day.weekday())
    return start, start + dt.timedelta(days=6)


def period_label(start: dt.date, end: dt.date, full: bool) -> str:
    # "2026年第23周 (06-01–06-07)": the days always, a week number alone says little.
    year, week, _weekday = start.isocalendar()
    return f"{year}年第{week}周 {periods.days(start, end)}"


def build(data: dict, p: building.Period) -> None:
    data["attendance"] = building.attendance(p.contract, p.start, p.end)
    data["inspection_days"] = building.inspection_days(p.contract, p.first, p.after)
    data["abnormal_items"] = building.abnormal_answers(p.contract, p.first, p.after)
    data["failed_checks"] = building.failed_checks(p.contract, p.first, p.after)
    data["incidents"]["list"] = building.incident_list(p.contract, p.first, p.after, with_text=True)


KIND = register(
    Kind(
        code="weekly",
        name="WEEKLY",
        label=_("Weekly report"),
        period=period,
        period_label=period_label,
        build=build,
        sections=(
            ("overview", "运行概况"),
            ("narrative", "summary"),
            ("attendance", "人员考勤"),
            ("tasks", "工作任务统计"),
            ("inspections", "巡检结果"),
            ("incidents_full", "故障及处理情况"),
            ("breaches", "违约事项与违约金"),
            ("narrative", "plan"),
        ),
        narrative=(("summary", _("The week's work")), ("plan", _("Next week's work plan"))),
        due=Due(2, Milestone.OffsetUnit.WORKING_DAYS),
    )
)
