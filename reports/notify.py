"""Who hears about reports and acceptance packages: the events of ``om_portal.events``."""

from contracts.notify import notify_event


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _name(report) -> str:
    return f"{report.get_kind_display()} {report.period_start}–{report.period_end}"


def report_built(report):
    """A report of a closed period is ready for the vendor's narrative and submission."""
    return notify_event(
        "report.submission",
        report.contract,
        params={"report": _name(report), "due": report.due_on or "—"},
        link=report.get_absolute_url(),
        dedupe_key=f"report.submission:{report.pk}:v{report.version}",
    )


def report_submitted(report, *, by):
    return notify_event(
        "report.signoff",
        report.contract,
        params={"report": _name(report), "by": _person(by)},
        link=report.get_absolute_url(),
        dedupe_key=f"report.signoff:{report.pk}:{report.submitted_at.timestamp()}",
        exclude=[by],
    )


def report_returned(report, *, by, comment):
    return notify_event(
        "report.returned",
        report.contract,
        params={"report": _name(report), "by": _person(by), "comment": comment},
        link=report.get_absolute_url(),
        dedupe_key=f"report.returned:{report.pk}:{report.reviewed_at.timestamp()}",
        users=[report.submitted_by] if report.submitted_by else (),
        exclude=[by],
    )


def package_submitted(package, *, by):
    return notify_event(
        "acceptance.signoff",
        package.contract,
        params={"package": f"{package.period_start}–{package.period_end}", "by": _person(by)},
        link=package.get_absolute_url(),
        dedupe_key=f"acceptance.signoff:{package.pk}:{package.submitted_at.timestamp()}",
        exclude=[by],
    )
