"""The annual report, over the contract year (from the term's start: seed 003's runs 2026-05-29
to 2027-05-28).

Seed 000: "an annual report (summary, suggestions, staff structure, shortcomings and fixes)";
seed 003: "the annual summary", within 15 days after the term. The acceptance package's summary
prints this kind's figures over its own period (reports.acceptance).
"""

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contracts.models import Milestone, StaffAssignment, StaffPost
from contracts.services import contract_year
from reports import building
from reports.kinds import Due, Kind, register


def period(contract, day: dt.date) -> tuple[dt.date, dt.date]:
    return contract_year(contract, day)


def period_label(start: dt.date, end: dt.date, full: bool) -> None:
    return None  # "2026-05-29 至 2027-05-28": a contract year has no shorter name


def _day(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def staff_structure(contract, start, end) -> dict:
    """The annual report's staff structure: posts, shift patterns, headcount, who held them during
    the period and the replacements (seed 003/004: key staff change only with consent; two or more
    replacements a year cost 1%)."""
    overlapping = (
        StaffAssignment.objects.filter(post__contract=contract, starts_on__lte=end)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start))
        .select_related("replaces")
        .order_by("post_id", "starts_on", "id")
    )
    by_post: dict[int, list[dict]] = {}
    replacements = []
    roles = dict.fromkeys(StaffAssignment.Role.values, 0)
    for assignment in overlapping:
        row = {
            "person": assignment.person,
            "role": assignment.role,
            "starts_on": _day(assignment.starts_on),
            "ends_on": _day(assignment.ends_on),
            "replaces": assignment.replaces.person if assignment.replaces_id else None,
            "reason": assignment.reason,
            "client_consent": assignment.client_consent,
        }
        by_post.setdefault(assignment.post_id, []).append(row)
        roles[assignment.role] += 1
        if assignment.replaces_id and start <= assignment.starts_on <= end:
            replacements.append(row)
    posts = [
        {
            "name": post.name,
            "shift": post.shift,
            "headcount": post.headcount,
            "place": post.place,
            "people": by_post.get(post.pk, []),
        }
        for post in StaffPost.objects.filter(contract=contract).order_by("name")
    ]
    return {
        "posts": posts,
        "headcount": sum(post["headcount"] for post in posts),
        "people": sum(len(post["people"]) for post in posts),
        "by_role": roles,
        "replacements": replacements,
    }


def build(data: dict, p: building.Period) -> None:
    data["staff"] = staff_structure(p.contract, p.start, p.end)
    data["series"] = building.series(p.contract, p.start, p.end, p.first, p.after, "month")
    data["incidents"]["list"] = building.incident_list(p.contract, p.first, p.after, with_text=False)


KIND = register(
    Kind(
        code="annual",
        name="ANNUAL",
        label=_("Annual report"),
        period=period,
        period_label=period_label,
        build=build,
        sections=(
            ("overview", "年度运行概况"),
            ("narrative", "summary"),
            ("narrative", "service"),
            ("tasks", "工作任务统计"),
            ("staff", "人员结构"),
            ("sla", "SLA 达成情况"),
            ("trends", "各月运行趋势"),
            ("incidents_table", "故障清单"),
            ("breaches", "违约事项与违约金"),
            ("narrative", "shortcomings"),
            ("narrative", "suggestions"),
        ),
        narrative=(
            ("summary", _("Summary of the year's work")),
            ("service", _("The service and how it improved")),
            ("shortcomings", _("Shortcomings and how they are fixed")),
            ("suggestions", _("Suggestions")),
        ),
        due=Due(10, Milestone.OffsetUnit.WORKING_DAYS),
    )
)
