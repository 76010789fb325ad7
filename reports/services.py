"""Reports' business rules: making a period's report, building it, and its sign-off workflow.

draft → submitted (vendor manager) → signed off (client manager), or submitted → returned with
comments → submitted again. Signing off freezes the figures into a ReportVersion whose PDF a
worker renders and signs (``seal_version``); a frozen report changes only by a re-issue, which
reopens it as the next version. Each change of state is a conditional UPDATE on the state it
starts from, so two people pressing the same button at once change it once.
"""

import datetime as dt
import hashlib
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import Contract
from contracts.scoping import BUILD_REPORT, SIGN_OFF_REPORT, WRITE_REPORT, can
from contracts.sides import CLIENT, VENDOR, require_another_person, require_side
from om_portal import audit, workflow
from reports import kinds, periods
from reports import notify as tell
from reports.lateness import price_lateness, requirement_for
from reports.models import (
    AcceptancePackage,
    BuildState,
    Report,
    ReportVersion,
)

log = logging.getLogger(__name__)
Status = Report.Status
EDITABLE = (Status.DRAFT, Status.RETURNED)
NARRATIVE_MAX_CHARS = 20_000
# A build that has not finished after this long lost its worker; it may be requested again.
BUILD_STALE_AFTER = dt.timedelta(minutes=15)
# A build still queued (no worker took it) after this long had its message lost, as when Redis
# was down: reports.tasks.resend_stalled, every few minutes, sends it again.
BUILD_LOST_AFTER = dt.timedelta(minutes=3)
BUILD_MAX_ATTEMPTS = 3
SEAL_MAX_ATTEMPTS = 3


class ReportConflict(workflow.Conflict):
    """The report is not in a state that allows this (signed off, already submitted...): 409."""


def _require(user, action, contract):
    if user is None or not can(user, action, contract):
        raise PermissionDenied(_denied_message(contract))


def _denied_message(contract):
    return _("You may not do this on contract %(code)s.") % {"code": contract.code}


def _frozen(report: Report) -> ReportConflict:
    return ReportConflict(
        _("Version %(version)s of this report is signed off and cannot change; re-issue it instead.")
        % {"version": report.version}
    )


def _refuse_frozen(report: Report):
    if report.status == Status.SIGNED_OFF:
        raise _frozen(report)


def _refused(report, act):
    if report.status == Status.SIGNED_OFF and act.name != "reissue":
        return _frozen(report)
    return ReportConflict(str(act.refusal))


def _require_reviewer(report: Report, by) -> None:
    """The client's side reviews, and never the person who submitted (on the locked row)."""
    require_side(by, report.contract, CLIENT)
    require_another_person(
        by, report.submitted_by_id, _("You submitted this report: another person signs it off.")
    )


# draft/returned → submitted (the vendor) → signed off or returned (the client, another person);
# signed off → draft again by a re-issue. The buttons of the report's page come from this table.
WORKFLOW = workflow.Workflow(
    Report,
    [
        workflow.action(
            "submit",
            EDITABLE,
            Status.SUBMITTED,
            WRITE_REPORT,
            label=gettext_lazy("Submit to the client"),
            refusal=gettext_lazy("The report has already been submitted."),
            guard=lambda report, by: require_side(by, report.contract, VENDOR),
        ),
        workflow.action(
            "sign_off",
            {Status.SUBMITTED},
            Status.SIGNED_OFF,
            SIGN_OFF_REPORT,
            label=gettext_lazy("Sign off"),
            records="sign_off",
            refusal=gettext_lazy("Only a submitted report can be signed off."),
            guard=_require_reviewer,
        ),
        workflow.action(
            "return",
            {Status.SUBMITTED},
            Status.RETURNED,
            SIGN_OFF_REPORT,
            label=gettext_lazy("Return with comments"),
            refusal=gettext_lazy("Only a submitted report can be returned."),
            guard=_require_reviewer,
        ),
        workflow.action(
            "reissue",
            {Status.SIGNED_OFF},
            Status.DRAFT,
            WRITE_REPORT,
            label=gettext_lazy("Re-issue as a new version"),
            refusal=gettext_lazy("Only a signed-off report can be re-issued."),
            needs_reason=True,
        ),
    ],
    can=can,
    refuse=_refused,
    denied=lambda report, act: PermissionDenied(_denied_message(report.contract)),
)


# --- Making and building -------------------------------------------------------------------------


def create_report(contract: Contract, kind: str, start: dt.date, end: dt.date, *, by=None) -> Report:
    """A report for a period inside the term; ``by=None`` is the beat."""
    if by is not None:
        _require(by, BUILD_REPORT, contract)
    periods.check_period(contract, start, end)
    if Report.objects.filter(contract=contract, kind=kind, period_start=start).exists():
        raise ValidationError({"period_start": _("This contract already has that report for this period.")})
    due_on = periods.due_date(requirement_for(contract, kind), end)
    return Report.objects.create(
        contract=contract, kind=kind, period_start=start, period_end=end, due_on=due_on, created_by=by
    )


def request_build(report: Report, *, by=None) -> bool:
    """Queue a build of the report's figures and draft PDF; False when one is already under way."""
    if by is not None:
        _require(by, BUILD_REPORT, report.contract)
    _refuse_frozen(report)
    if report.status == Status.SUBMITTED:
        raise ReportConflict(
            _("The report is with the client for sign-off; it can be rebuilt once returned.")
        )
    now = timezone.now()
    busy = Q(
        build_state__in=[BuildState.QUEUED, BuildState.RUNNING],
        build_requested_at__gt=now - BUILD_STALE_AFTER,
    )
    claimed = (
        Report.objects.filter(pk=report.pk, status__in=EDITABLE)
        .exclude(busy)
        .update(
            build_state=BuildState.QUEUED,
            build_progress=0,
            build_error="",
            build_requested_at=now,
            build_attempts=0,
        )
    )
    if claimed:
        transaction.on_commit(lambda: enqueue("build_report", report.pk))
    report.refresh_from_db()
    return bool(claimed)


def enqueue(task_name: str, *args) -> None:
    """Send ``reports.tasks.<task_name>``; imported here, as the tasks module imports this one."""
    from reports import tasks

    try:
        getattr(tasks, task_name).delay(*args)
    except Exception:
        # The row says what is wanted; the beat's tick sends it again once the broker is back.
        log.exception("reports: could not enqueue %s%s; the tick will", task_name, args)


def run_build(report_id: int) -> bool:
    """Build the figures and the draft PDF (in a worker). Claims the queued build once."""
    from reports.building import build_data
    from reports.rendering import report_pdf

    if not Report.objects.filter(pk=report_id, build_state=BuildState.QUEUED).update(
        build_state=BuildState.RUNNING, build_progress=5, build_attempts=F("build_attempts") + 1
    ):
        return False
    report = Report.objects.select_related("contract").get(pk=report_id)

    def progress(percent: int) -> None:
        # Building reads up to 80%; rendering the PDF takes the rest.
        Report.objects.filter(pk=report_id, build_state=BuildState.RUNNING).update(
            build_progress=max(5, min(80, int(percent * 0.8)))
        )

    try:
        data = build_data(
            report.contract, report.kind, report.period_start, report.period_end, progress=progress
        )
        Report.objects.filter(pk=report_id).update(build_progress=85)
        pdf = report_pdf(data, report.narrative, signature=signature_block(report), draft=True)
    except Exception as exc:
        log.exception("reports: building report %s failed", report_id)
        failed = {"build_state": BuildState.FAILED, "build_error": why_failed(exc)[:2000]}
        Report.objects.filter(pk=report_id).update(**failed)
        return False
    name = f"{report.contract.code}-{report.kind}-{report.period_start:%Y%m%d}-v{report.version}-draft.pdf"
    stored = report.draft_pdf.storage.save(f"reports/drafts/{name}", ContentFile(pdf))
    # Only a report still open takes the result: one submitted meanwhile keeps what was submitted.
    saved = Report.objects.filter(pk=report_id, status__in=EDITABLE, build_state=BuildState.RUNNING).update(
        data=data,
        built_at=timezone.now(),
        draft_pdf=stored,
        build_state=BuildState.DONE,
        build_progress=100,
    )
    if not saved:
        report.draft_pdf.storage.delete(stored)
        Report.objects.filter(pk=report_id, build_state=BuildState.RUNNING).update(
            build_state=BuildState.IDLE
        )
    elif report.first_submitted_at is None:
        tell.report_built(report)
    return bool(saved)


def retry_seals() -> int:
    """After the cause is fixed (a certificate, the worker's memory): every unsealed signed-off
    PDF gets its tries back and is sent again (manage.py retry_seals)."""
    unsealed = Q(sealed_at__isnull=True, signed_off_at__isnull=False)
    versions = ReportVersion.objects.filter(unsealed)
    packages = AcceptancePackage.objects.filter(unsealed, status=AcceptancePackage.Status.SIGNED_OFF)
    sent = 0
    for queryset, task in ((versions, "seal_version"), (packages, "seal_package")):
        for pk in list(queryset.values_list("pk", flat=True)):
            queryset.filter(pk=pk).update(seal_attempts=0, seal_error="")
            enqueue(task, pk)
            sent += 1
    return sent


def claim_seal(model, pk: int) -> bool:
    """Count the worker that takes an unsealed seal; one past SEAL_MAX_ATTEMPTS does nothing."""
    return bool(
        model.objects.filter(pk=pk, sealed_at__isnull=True, seal_attempts__lt=SEAL_MAX_ATTEMPTS).update(
            seal_attempts=F("seal_attempts") + 1
        )
    )


def seal_failure(exc: BaseException) -> str:
    """A seal's failure: the render limits in words, any other error by its type and message."""
    return why_failed(exc, otherwise=lambda exc: f"{type(exc).__name__}: {exc}")


def why_failed(exc: BaseException, otherwise=str) -> str:
    """What the person who asked for the build reads: the render worker's limits in words, in the
    portal's language (the row keeps one text, as a monitoring incident's description does);
    any other error as ``otherwise`` says."""
    from celery.exceptions import SoftTimeLimitExceeded

    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(exc, SoftTimeLimitExceeded):
            return _(
                "The report took longer than the %(seconds)s s a render may take. Shorten its period, or "
                "ask the administrator to raise RENDER_TIME_LIMIT_SECONDS."
            ) % {"seconds": settings.RENDER_TIME_LIMIT_SECONDS}
        if isinstance(exc, MemoryError):
            return _(
                "The report needs more memory than a render may use. Shorten its period, or ask the "
                "administrator."
            )
    return otherwise(exc)


def signature_block(report: Report, version: ReportVersion | None = None) -> dict:
    contract = report.contract
    signature = {"vendor_org": str(contract.vendor), "client_org": str(contract.client)}
    submitted_by, submitted_at = (version or report).submitted_by, (version or report).submitted_at
    if submitted_by:
        signature.update(vendor_by=person_name(submitted_by), vendor_at=local_date(submitted_at))
    if version is not None:
        signature.update(
            client_by=person_name(version.signed_off_by), client_at=local_date(version.signed_off_at)
        )
        # The PDF is a Chinese document whatever the signer's language (as its template is).
        signature["note"] = f"第 {version.number} 版，经甲方签认后由平台加盖数字签名。"
    return signature


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def local_date(moment) -> str:
    return timezone.localtime(moment).date().isoformat() if moment else ""


def is_late(report: Report, today: dt.date) -> bool:
    """Past its due date without a submission, or first submitted after it: the same days that
    ``services`` counts for the breach (a return and resubmission keep the first submission)."""
    if report.due_on is None:
        return False
    if report.first_submitted_at is not None:
        return timezone.localtime(report.first_submitted_at).date() > report.due_on
    return today > report.due_on


def progress_of(report: Report) -> dict:
    return {
        "state": report.build_state,
        "label": report.get_build_state_display(),
        "percent": report.build_progress,
        "error": report.build_error,
    }


# --- The vendor's part ---------------------------------------------------------------------------


def clean_narrative(report: Report, narrative) -> dict:
    """The narrative's sections as plain strings; unknown sections and oversize text are errors."""
    if not isinstance(narrative, dict):
        raise ValidationError({"narrative": _("The narrative is a set of sections of text.")})
    allowed = dict(kinds.get(report.kind).narrative)
    errors, clean = {}, {}
    for key, text in narrative.items():
        if key not in allowed:
            errors[key] = _("A %(kind)s has no section “%(key)s”.") % {
                "kind": report.get_kind_display(),
                "key": key,
            }
        elif not isinstance(text, str):
            errors[key] = _("Write this section as text.")
        elif len(text) > NARRATIVE_MAX_CHARS:
            errors[key] = _("At most %(n)s characters.") % {"n": NARRATIVE_MAX_CHARS}
        else:
            clean[key] = text.replace("\r\n", "\n").strip()
    if errors:
        raise ValidationError(errors)
    return clean


def update_narrative(report: Report, narrative: dict, *, by) -> Report:
    _require(by, WRITE_REPORT, report.contract)
    clean = clean_narrative(report, narrative)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        _refuse_frozen(report)
        if report.status == Status.SUBMITTED:
            raise ReportConflict(_("The report is with the client for sign-off and cannot change now."))
        report.narrative = {**report.narrative, **clean}
        report.save(update_fields=["narrative", "updated_at"])
    return report


def submit(report: Report, *, by) -> Report:
    WORKFLOW.require_right(report, "submit", by)
    require_side(by, report.contract, VENDOR)
    with transaction.atomic():
        report = Report.objects.select_for_update().select_related("contract").get(pk=report.pk)
        WORKFLOW.check_state(report, "submit")
        if report.data is None or report.build_state in (BuildState.QUEUED, BuildState.RUNNING):
            raise ReportConflict(_("Build the report before submitting it."))
        now = timezone.now()
        WORKFLOW.apply(
            report,
            "submit",
            by=by,
            submitted_by=by,
            submitted_at=now,
            first_submitted_at=report.first_submitted_at or now,
        )
        price_lateness(report, submitted_on=timezone.localtime(now).date())
        tell.report_submitted(report, by=by)
    return report


def return_report(report: Report, *, by, comment: str) -> Report:
    WORKFLOW.require_right(report, "return", by)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what needs changing.")})
    with transaction.atomic():
        report = Report.objects.select_for_update().select_related("contract").get(pk=report.pk)
        WORKFLOW.check_state(report, "return")
        _require_reviewer(report, by)
        WORKFLOW.apply(
            report, "return", by=by, reviewed_by=by, reviewed_at=timezone.now(), review_comment=comment
        )
        tell.report_returned(report, by=by, comment=comment)
    return report


def sign_off(report: Report, *, by, comment: str = "") -> ReportVersion:
    """Freeze the submitted report into a new version and have a worker seal its PDF."""
    WORKFLOW.require_right(report, "sign_off", by)
    with transaction.atomic():
        report = Report.objects.select_for_update().select_related("contract").get(pk=report.pk)
        WORKFLOW.check_state(report, "sign_off")
        _require_reviewer(report, by)
        now = timezone.now()
        WORKFLOW.apply(
            report,
            "sign_off",
            by=by,
            reviewed_by=by,
            reviewed_at=now,
            review_comment=(comment or "").strip(),
        )
        version = ReportVersion.objects.create(
            report=report,
            number=report.version,
            data=report.data,
            narrative=report.narrative,
            submitted_by=report.submitted_by,
            submitted_at=report.submitted_at,
            signed_off_by=by,
            signed_off_at=now,
        )
        audit.record(WORKFLOW["sign_off"].records, user=by, obj=report, detail={"version": version.number})
        transaction.on_commit(lambda: enqueue("seal_version", version.pk))
    return version


def reissue(report: Report, *, by, reason: str = "") -> Report:
    """Reopen a signed-off report as its next version, saying why; the signed one stays as it
    was, and the reason is kept beside it (shown with the versions) and on the audit trail."""
    WORKFLOW.require_right(report, "reissue", by)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        WORKFLOW.check_state(report, "reissue")
        reason = WORKFLOW.require_reason("reissue", reason, field="reason")
        ReportVersion.objects.filter(report=report, number=report.version).update(
            reissued_at=timezone.now(), reissued_by=by, reissue_reason=reason
        )
        WORKFLOW.apply(
            report,
            "reissue",
            by=by,
            reason=reason,
            version=report.version + 1,
            submitted_by=None,
            submitted_at=None,
            reviewed_by=None,
            reviewed_at=None,
            review_comment="",
        )
    return report


# --- Sealing -------------------------------------------------------------------------------------


def seal_version(version_id: int) -> bool:
    """Render and sign a signed-off version's PDF (in a worker); a second call does nothing.

    Two workers given the same version both render, and the conditional UPDATE lets one keep its
    file: each signature differs (it holds its time), so the loser's file is deleted.
    """
    from reports.rendering import report_pdf
    from reports.signing import sign_pdf

    version = (
        ReportVersion.objects.select_related(
            "report__contract__client", "report__contract__vendor", "submitted_by", "signed_off_by"
        )
        .filter(pk=version_id, sealed_at__isnull=True)
        .first()
    )
    if version is None or not claim_seal(ReportVersion, version_id):
        return False
    report = version.report
    try:
        signed = sign_pdf(
            report_pdf(version.data, version.narrative, signature=signature_block(report, version)),
            reason=_("Signed off by %(person)s") % {"person": person_name(version.signed_off_by)},
            name=f"{report.contract.code} {report.get_kind_display()} v{version.number}",
        )
    except Exception as exc:
        log.exception("reports: sealing version %s failed", version_id)
        ReportVersion.objects.filter(pk=version_id).update(seal_error=seal_failure(exc)[:2000])
        return False
    digest = hashlib.sha256(signed).hexdigest()
    name = f"{report.contract.code}-{report.kind}-{report.period_start:%Y%m%d}-v{version.number}.pdf"
    stored = version.pdf.storage.save(f"reports/signed/{name}", ContentFile(signed))
    if not ReportVersion.objects.filter(pk=version_id, sealed_at__isnull=True).update(
        pdf=stored, sha256=digest, sealed_at=timezone.now(), seal_error=""
    ):
        version.pdf.storage.delete(stored)
        return False
    return True
