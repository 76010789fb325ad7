"""The quarterly report, by the calendar quarter.

Seed 000: "a quarterly report analysing the period's overall operation"; seed 003 holds its
quarterly acceptance on them. Due ten working days after the quarter.
"""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from contracts.models import Milestone
from reports import building, periods
from reports.kinds import Due, Kind, register


def period(contract, day: dt.date) -> tuple[dt.date, dt.date]:
    first = 3 * ((day.month - 1) // 3) + 1
    return dt.date(day.year, first, 1), periods.month_end(day.year, first + 2)


def period_label(start: dt.date, end: dt.date, full: bool) -> str | None:
    quarter = (start.month - 1) // 3
    if start.year != end.year or quarter != (end.month - 1) // 3:
        return None
    return f"{start.year}年第{quarter + 1}季度" + ("" if full else f" {periods.days(start, end)}")


def build(data: dict, p: building.Period) -> None:
    data["series"] = building.series(p.contract, p.start, p.end, p.first, p.after, "week")
    data["incidents"]["list"] = building.incident_list(p.contract, p.first, p.after, with_text=False)


KIND = register(
    Kind(
        code="quarterly",
        name="QUARTERLY",
        label=_("Quarterly report"),
        period=period,
        period_label=period_label,
        build=build,
        sections=(
            ("overview", "运行概况"),
            ("narrative", "summary"),
            ("sla", "SLA 达成情况"),
            ("trends", "运行趋势"),
            ("tasks", "工作任务统计"),
            ("incidents_table", "故障清单"),
            ("breaches", "违约事项与违约金"),
            ("narrative", "suggestions"),
        ),
        narrative=(
            ("summary", _("Overall operation in the quarter")),
            ("suggestions", _("Analysis and suggestions")),
        ),
        due=Due(10, Milestone.OffsetUnit.WORKING_DAYS),
    )
)
