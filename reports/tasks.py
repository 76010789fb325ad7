"""Celery's entry points into reports; the work is in reports.services and reports.beat."""

from celery import shared_task

from reports import beat, services


@shared_task(ignore_result=True)
def tick():
    """Beat, hourly: reports of closed periods, late ones flagged, lost builds and seals resent."""
    beat.tick()


@shared_task(ignore_result=True)
def resend_stalled():
    """Beat, every few minutes: builds and seals whose message was lost are sent again."""
    beat.resend_stalled()


@shared_task(ignore_result=True)
def build_report(report_id):
    """Build a report's figures and draft PDF; a second delivery finds nothing queued."""
    services.run_build(report_id)


@shared_task(ignore_result=True)
def seal_version(version_id):
    """Render and sign a signed-off version's PDF; a sealed version is left alone."""
    services.seal_version(version_id)


@shared_task(ignore_result=True)
def seal_package(package_id):
    """Render, sign and archive a signed-off acceptance package; a sealed one is left alone."""
    from reports import acceptance

    acceptance.seal_package(package_id)
