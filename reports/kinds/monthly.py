"""The monthly report, by the calendar month.

Seed 000: "a monthly report with the work log and every fault's description, solution and
outcome", due five working days after the month.
"""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from contracts.models import Milestone
from reports import building, periods
from reports.kinds import Due, Kind, register


def period(contract, day: dt.date) -> tuple[dt.date, dt.date]:
    return day.replace(day=1), periods.month_end(day.year, day.month)


def period_label(start: dt.date, end: dt.date, full: bool) -> str | None:
    if (start.year, start.month) != (end.year, end.month):
        return None
    # A month clipped to the term (a first month starting on the 29th) adds its days.
    return f"{start.year}年{start.month}月" + ("" if full else f" {periods.days(start, end)}")


def build(data: dict, p: building.Period) -> None:
    data["work_log"] = building.work_log(p.contract, p.start, p.end)
    data["inspection_days"] = building.inspection_days(p.contract, p.first, p.after)
    data["incidents"]["list"] = building.incident_list(p.contract, p.first, p.after, with_text=True)


KIND = register(
    Kind(
        code="monthly",
        name="MONTHLY",
        label=_("Monthly report"),
        period=period,
        period_label=period_label,
        build=build,
        sections=(
            ("overview", "运行概况"),
            ("narrative", "summary"),
            ("tasks", "工作任务统计"),
            ("work_log", "工作日志"),
            ("inspections", "巡检情况"),
            ("incidents_full", "故障处理（描述、解决方法与处理结果）"),
            ("breaches", "违约事项与违约金"),
            ("narrative", "plan"),
        ),
        narrative=(("summary", _("The month's work")), ("plan", _("Next month's work plan"))),
        due=Due(5, Milestone.OffsetUnit.WORKING_DAYS),
    )
)
