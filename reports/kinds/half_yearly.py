"""The half-yearly inspection report, January to June and July to December.

Seed 000: "inspection reports weekly, monthly and half-yearly", with the fault analysis: what the
rounds and the automated checks found, month by month. Due ten working days after the half year.
"""

import datetime as dt

from django.utils.translation import gettext_lazy as _

from contracts.models import Milestone
from reports import building, periods
from reports.kinds import Due, Kind, register


def period(contract, day: dt.date) -> tuple[dt.date, dt.date]:
    first = 1 if day.month <= 6 else 7
    return dt.date(day.year, first, 1), periods.month_end(day.year, first + 5)


def period_label(start: dt.date, end: dt.date, full: bool) -> str | None:
    if start.year != end.year or (start.month <= 6) != (end.month <= 6):
        return None
    half = "上" if start.month <= 6 else "下"
    return f"{start.year}年{half}半年" + ("" if full else f" {periods.days(start, end)}")


def build(data: dict, p: building.Period) -> None:
    data["series"] = building.series(p.contract, p.start, p.end, p.first, p.after, "month")
    data["abnormal_items"] = building.abnormal_answers(p.contract, p.first, p.after)
    data["failed_checks"] = building.failed_checks(p.contract, p.first, p.after)


KIND = register(
    Kind(
        code="half_yearly",
        name="HALF_YEARLY",
        label=_("Half-yearly inspection report"),
        period=period,
        period_label=period_label,
        build=build,
        sections=(
            ("overview", "巡检概况"),
            ("narrative", "summary"),
            ("inspection_trends", "各月巡检完成情况"),
            ("findings", "异常项与未通过的检查"),
            ("breaches", "违约事项与违约金"),
            ("narrative", "suggestions"),
        ),
        narrative=(
            ("summary", _("The half year's inspections")),
            ("suggestions", _("Problems found and suggestions")),
        ),
        due=Due(10, Milestone.OffsetUnit.WORKING_DAYS),
    )
)
