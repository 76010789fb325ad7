"""The reports' beat: the reports of closed periods made and their builds queued, late ones
flagged, and builds and seals whose message was lost (or whose worker died) sent again. Called by
reports.tasks; the rules each step applies are in reports.services and reports.lateness."""

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contracts.models import Contract
from reports import periods, services
from reports.lateness import flag_late_reports
from reports.models import AcceptancePackage, BuildState, Report, ReportRequirement, ReportVersion

# How far back the beat makes the reports of closed periods: a stopped beat catches up on these.
CATCH_UP_DAYS = 40


def ensure_reports(today: dt.date | None = None) -> list[Report]:
    """Make, and queue the build of, the reports of periods that closed (weekly on Monday for the
    week before, monthly on the 1st...). The unique constraint makes a rerun make nothing."""
    today = today or timezone.localdate()
    made = []
    requirements = ReportRequirement.objects.filter(
        active=True, contract__status=Contract.Status.ACTIVE
    ).select_related("contract")
    for requirement in requirements:
        contract = requirement.contract
        for start, end in periods.closed_periods(
            contract, requirement.kind, today, within_days=CATCH_UP_DAYS
        ):
            report, created = Report.objects.get_or_create(
                contract=contract,
                kind=requirement.kind,
                period_start=start,
                defaults={"period_end": end, "due_on": periods.due_date(requirement, end)},
            )
            if created:
                services.request_build(report)
                made.append(report)
    return made


def resend_stalled(now=None) -> dict:
    """Builds and seals whose message never reached a worker, or whose worker died: send again."""
    now = now or timezone.now()
    stalled = Q(build_state=BuildState.RUNNING, build_requested_at__lt=now - services.BUILD_STALE_AFTER) | Q(
        build_state=BuildState.QUEUED, build_requested_at__lt=now - services.BUILD_LOST_AFTER
    )
    # Given up, in the portal's language: the row keeps one text.
    with translation.override(settings.LANGUAGE_CODE):
        gave_up = _(
            "The render worker stopped %(attempts)s times while sealing this PDF (out of memory or time). "
            "Ask the administrator."
        ) % {"attempts": services.SEAL_MAX_ATTEMPTS}
        stopped = _(
            "The render worker stopped %(attempts)s times while building this report (out of memory or "
            "time). Shorten its period, or ask the administrator."
        ) % {"attempts": services.BUILD_MAX_ATTEMPTS}
    # A build whose worker was killed every time it took it: given up, with why.
    given_up = Q(build_state=BuildState.RUNNING, build_attempts__gte=services.BUILD_MAX_ATTEMPTS)
    Report.objects.filter(stalled, given_up).update(
        build_state=BuildState.FAILED,
        build_error=stopped,
    )
    builds = list(Report.objects.filter(stalled).values_list("pk", flat=True)[:100])
    for pk in builds:
        # Back to queued: the build task claims it again from there.
        if Report.objects.filter(stalled, pk=pk).update(
            build_state=BuildState.QUEUED, build_requested_at=now
        ):
            services.enqueue("build_report", pk)
    unsealed = Q(sealed_at__isnull=True, signed_off_at__lt=now - dt.timedelta(minutes=5))
    # Seals given up: their last worker died without a word (killed for memory or time).
    for model in (ReportVersion, AcceptancePackage):
        silent = model.objects.filter(unsealed, seal_attempts__gte=services.SEAL_MAX_ATTEMPTS, seal_error="")
        silent.update(seal_error=gave_up)
    retry = Q(seal_attempts__lt=services.SEAL_MAX_ATTEMPTS)
    seals = list(ReportVersion.objects.filter(unsealed, retry).values_list("pk", flat=True)[:100])
    for pk in seals:
        services.enqueue("seal_version", pk)
    packages = list(
        AcceptancePackage.objects.filter(
            unsealed, retry, status=AcceptancePackage.Status.SIGNED_OFF
        ).values_list("pk", flat=True)[:100]
    )
    for pk in packages:
        services.enqueue("seal_package", pk)
    return {"builds": len(builds), "seals": len(seals) + len(packages)}


def tick(now=None) -> dict:
    now = now or timezone.now()
    today = timezone.localdate(now)
    made = ensure_reports(today)
    flagged = flag_late_reports(today)
    resent = resend_stalled(now)
    return {"made": len(made), "flagged": flagged, **resent}
