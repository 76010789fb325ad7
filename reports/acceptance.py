"""The acceptance package (验收材料): its figures, the 合同履行验收报告 form, and its sealing.

The vendor manager prepares the package and signs the form (submit); the client manager signs it
off with an opinion and a conclusion, or returns it. Submitting freezes the figures, so both
parties sign the same thing. Sealing (in a worker) makes one PDF — the form and the summary laid out,
then the stored signed PDF of every signed-off report of the period, each under its own bookmarks
— signs it like a report, and keeps a ZIP of the originals: the reports' own signed PDFs, the
inspection ledger and the package.
"""

import datetime as dt
import hashlib
import logging
import shutil
import tempfile
import zipfile

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import Contract
from contracts.scoping import BUILD_REPORT, SIGN_OFF_REPORT, WRITE_REPORT, can
from contracts.sides import CLIENT, VENDOR, require_another_person, require_side
from inspections import ledger
from om_portal import audit, workflow
from reports import notify as tell
from reports import periods
from reports.models import AcceptancePackage, Report, ReportKind, ReportVersion
from reports.services import (
    ReportConflict,
    claim_seal,
    enqueue,
    local_date,
    person_name,
    seal_failure,
)

log = logging.getLogger(__name__)
Status = AcceptancePackage.Status
EDITABLE = (Status.DRAFT, Status.RETURNED)
CHUNK = 1 << 20  # what a copy between files holds at a time


def _require(user, action, contract):
    if user is None or not can(user, action, contract):
        raise PermissionDenied(_("You may not do this on contract %(code)s.") % {"code": contract.code})


def _signed_off() -> ReportConflict:
    return ReportConflict(_("This acceptance package is signed off and cannot change."))


def _locked(package) -> AcceptancePackage:
    package = AcceptancePackage.objects.select_for_update().select_related("contract").get(pk=package.pk)
    if package.status == Status.SIGNED_OFF:
        raise _signed_off()
    return package


def _require_reviewer(package: AcceptancePackage, by) -> None:
    """The client's side reviews, and never the person who signed the vendor's form."""
    require_side(by, package.contract, CLIENT)
    require_another_person(
        by, package.submitted_by_id, _("You submitted this package: another person signs it off.")
    )


def _refused(package, act):
    return _signed_off() if package.status == Status.SIGNED_OFF else ReportConflict(str(act.refusal))


# draft/returned → submitted (the vendor manager signs the form) → signed off or returned (the
# client manager, another person). The package's page shows the buttons this table allows.
WORKFLOW = workflow.Workflow(
    AcceptancePackage,
    [
        workflow.action(
            "submit",
            EDITABLE,
            Status.SUBMITTED,
            WRITE_REPORT,
            label=gettext_lazy("Sign for the vendor and submit"),
            refusal=gettext_lazy("The package has already been submitted."),
            guard=lambda package, by: require_side(by, package.contract, VENDOR),
        ),
        workflow.action(
            "sign_off",
            {Status.SUBMITTED},
            Status.SIGNED_OFF,
            SIGN_OFF_REPORT,
            label=gettext_lazy("Sign off the acceptance"),
            records="sign_off",
            refusal=gettext_lazy("Only a submitted package can be signed off."),
            guard=_require_reviewer,
        ),
        workflow.action(
            "return",
            {Status.SUBMITTED},
            Status.RETURNED,
            SIGN_OFF_REPORT,
            label=gettext_lazy("Return with comments"),
            refusal=gettext_lazy("Only a submitted package can be returned."),
            guard=_require_reviewer,
        ),
    ],
    can=can,
    refuse=_refused,
    denied=lambda package, act: PermissionDenied(
        _("You may not do this on contract %(code)s.") % {"code": package.contract.code}
    ),
)


def quarters(contract: Contract) -> list[tuple[dt.date, dt.date]]:
    """The term's quarters, clipped to it (seed 003 may accept quarterly)."""
    if not (contract.starts_on and contract.ends_on):
        return []
    found, day = [], contract.starts_on
    while day <= contract.ends_on:
        period = periods.period_of(contract, ReportKind.QUARTERLY, day)
        found.append(period)
        day = period[1] + dt.timedelta(days=1)
    return found


def create_package(
    contract: Contract, scope: str, start: dt.date | None = None, end: dt.date | None = None, *, by
) -> AcceptancePackage:
    _require(by, BUILD_REPORT, contract)
    Scope = AcceptancePackage.Scope
    if scope not in Scope.values:
        raise ValidationError({"scope": _("Choose the scope of the acceptance.")})
    if scope == Scope.TERM:
        if not (contract.starts_on and contract.ends_on):
            raise ValidationError({"scope": _("The contract's term has no dates; choose the period.")})
        # The whole term is the contract's own dates; others under "term" would be a mistake.
        if (start or end) and (start, end) != (contract.starts_on, contract.ends_on):
            raise ValidationError(
                {"period_start": _("The whole term is the contract's; leave the period out.")}
            )
        start, end = contract.starts_on, contract.ends_on
    missing = {
        name: _("Choose the period.")
        for name, day in (("period_start", start), ("period_end", end))
        if not day
    }
    if missing:
        raise ValidationError(missing)
    periods.check_period(contract, start, end)
    # A package called a quarter covers one of the term's quarters, clipped to it (seed 003).
    if scope == Scope.QUARTER and (start, end) not in quarters(contract):
        choices = ", ".join(f"{first} – {last}" for first, last in quarters(contract))
        raise ValidationError(
            {
                "period_start": _("Choose one of the term's quarters: %(quarters)s.")
                % {"quarters": choices or "—"}
            }
        )
    if AcceptancePackage.objects.filter(contract=contract, period_start=start, period_end=end).exists():
        raise ValidationError({"period_start": _("This period already has an acceptance package.")})
    return AcceptancePackage.objects.create(
        contract=contract, scope=scope, period_start=start, period_end=end, created_by=by
    )


def package_data(contract: Contract, start: dt.date, end: dt.date) -> dict:
    """The package's figures: the period's overall figures (as a report builds them), its reports
    and their versions, and the milestones and payments. A few queries, whatever the term's size."""
    from reports.building import attendance, build_data

    data = build_data(contract, ReportKind.ANNUAL, start, end)
    # Seed 003's acceptance materials include the attendance records.
    data["attendance"] = attendance(contract, start, end)
    reports = Report.objects.filter(contract=contract, period_start__gte=start, period_end__lte=end).order_by(
        "period_start", "kind"
    )
    signed = {
        v.report_id: v
        for v in ReportVersion.objects.filter(report__in=reports, sealed_at__isnull=False).order_by("number")
    }
    # The labels are printed in the Chinese PDF whoever submits the package.
    with translation.override("zh-hans"):
        data["reports"] = [
            {
                "id": report.pk,
                "kind": report.kind,
                "kind_label": report.get_kind_display(),
                "period_start": report.period_start.isoformat(),
                "period_end": report.period_end.isoformat(),
                "status": report.status,
                "status_label": report.get_status_display(),
                "version": signed[report.pk].number if report.pk in signed else None,
                "version_id": signed[report.pk].pk if report.pk in signed else None,
                "sha256": signed[report.pk].sha256 if report.pk in signed else "",
                "late": bool(report.late_flagged_at),
            }
            for report in reports
        ]
        data["milestones"] = [
            {
                "name": m.name,
                "amount": str(m.value),
                "due_on": m.due_on.isoformat() if m.due_on else None,
                "status": m.status,
                "status_label": m.get_status_display(),
                "paid_on": m.paid_on.isoformat() if m.paid_on else None,
                "deduction": str(m.deduction),
            }
            for m in contract.milestones.select_related("contract").order_by("position", "id")
        ]
    return data


def _expected_periods(contract: Contract, kind: str, start: dt.date, end: dt.date) -> list[tuple]:
    """The whole periods of ``kind`` (clipped to the term) inside ``[start, end]``."""
    found, day = [], start
    while day <= end:
        period = periods.period_of(contract, kind, day)
        if period and start <= period[0] and period[1] <= end:
            found.append(period)
        day = periods.calendar_period(contract, kind, day)[1] + dt.timedelta(days=1)
    return found


def package_gaps(package: AcceptancePackage, today: dt.date | None = None) -> dict:
    """What the package's period still lacks, shown before anyone signs: the period not over
    yet, the reports of the period not signed off, and the reports a requirement asks for
    whose period has ended with none made. ``complete`` when it lacks nothing."""
    contract = package.contract
    today = today or timezone.localdate()
    start, end = package.period_start, package.period_end
    reports = list(
        Report.objects.filter(contract=contract, period_start__gte=start, period_end__lte=end).order_by(
            "period_start", "kind"
        )
    )
    made = {(r.kind, r.period_start) for r in reports}
    labels = dict(ReportKind.choices)
    missing = [
        {
            "kind": requirement.kind,
            "kind_label": str(labels[requirement.kind]),
            "period_start": first,
            "period_end": last,
        }
        for requirement in contract.report_requirements.filter(active=True).order_by("kind")
        for first, last in _expected_periods(contract, requirement.kind, start, end)
        if last < today and (requirement.kind, first) not in made
    ]
    unsigned = [
        {
            "id": r.pk,
            "kind": r.kind,
            "kind_label": r.get_kind_display(),
            "period_start": r.period_start,
            "period_end": r.period_end,
            "status": r.status,
            "status_label": r.get_status_display(),
        }
        for r in reports
        if r.status != Report.Status.SIGNED_OFF
    ]
    over = end < today
    return {
        "period_over": over,
        "reports_not_signed_off": unsigned,
        "missing_reports": missing,
        "complete": over and not unsigned and not missing,
    }


def _refuse_open_period(package: AcceptancePackage) -> None:
    """A period not over cannot be accepted: its service is not all delivered yet."""
    if package.period_end >= timezone.localdate():
        raise ValidationError(
            {
                "period_end": _("The period runs until %(end)s: it can be signed off once it is over.")
                % {"end": package.period_end}
            }
        )


def update_form(package: AcceptancePackage, *, by, vendor_statement: str) -> AcceptancePackage:
    _require(by, WRITE_REPORT, package.contract)
    with transaction.atomic():
        package = _locked(package)
        if package.status not in EDITABLE:
            raise ReportConflict(_("The package is with the client for sign-off and cannot change now."))
        package.vendor_statement = (vendor_statement or "").strip()
        package.save(update_fields=["vendor_statement", "updated_at"])
    return package


def submit_package(package: AcceptancePackage, *, by) -> AcceptancePackage:
    """The vendor signs the form; the figures are frozen as they are now."""
    WORKFLOW.require_right(package, "submit", by)
    require_side(by, package.contract, VENDOR)
    with transaction.atomic():
        package = _locked(package)
        WORKFLOW.check_state(package, "submit")
        if not package.vendor_statement:
            raise ValidationError({"vendor_statement": _("Give the vendor's account of the service.")})
        WORKFLOW.apply(
            package,
            "submit",
            by=by,
            data=package_data(package.contract, package.period_start, package.period_end),
            submitted_by=by,
            submitted_at=timezone.now(),
        )
        tell.package_submitted(package, by=by)
    return package


def return_package(package: AcceptancePackage, *, by, comment: str) -> AcceptancePackage:
    WORKFLOW.require_right(package, "return", by)
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say what needs changing.")})
    with transaction.atomic():
        package = _locked(package)
        WORKFLOW.check_state(package, "return")
        _require_reviewer(package, by)
        WORKFLOW.apply(package, "return", by=by, review_comment=comment.strip())
    return package


def sign_off_package(
    package: AcceptancePackage, *, by, conclusion: str, opinion: str = ""
) -> AcceptancePackage:
    WORKFLOW.require_right(package, "sign_off", by)
    if conclusion not in AcceptancePackage.Conclusion.values:
        raise ValidationError({"conclusion": _("Choose the conclusion of the acceptance.")})
    _refuse_open_period(package)
    with transaction.atomic():
        package = _locked(package)
        WORKFLOW.check_state(package, "sign_off")
        _require_reviewer(package, by)
        WORKFLOW.apply(
            package,
            "sign_off",
            by=by,
            conclusion=conclusion,
            client_opinion=(opinion or "").strip(),
            signed_off_by=by,
            signed_off_at=timezone.now(),
        )
        audit.record(WORKFLOW["sign_off"].records, user=by, obj=package, detail={"conclusion": conclusion})
        transaction.on_commit(lambda: enqueue("seal_package", package.pk))
    return package


# --- Sealing -------------------------------------------------------------------------------------


# The summary's parts, printed from the frozen figures with the reports' own section templates.
SUMMARY_LAYOUT = [
    ("reports_list", "报告清单"),
    ("inspections", "巡检台账汇总"),
    ("sla", "SLA 达成情况"),
    ("trends", "各月运行趋势"),
    ("incidents_table", "故障清单"),
    ("breaches", "违约事项与违约金"),
    ("staff", "人员结构"),
    ("attendance", "人员考勤"),
    ("milestones", "付款节点"),
]


def _package_context(package: AcceptancePackage) -> dict:
    """The context of the package's own pages. Render under zh-hans and Beijing time."""
    from reports.rendering import summary_context

    contract = package.contract
    data = package.data or {}
    signature = {
        "vendor_org": str(contract.vendor),
        "client_org": str(contract.client),
        "vendor_by": person_name(package.submitted_by) if package.submitted_by else "",
        "vendor_at": local_date(package.submitted_at),
        "client_by": person_name(package.signed_off_by) if package.signed_off_by else "",
        "client_at": local_date(package.signed_off_at),
    }
    period = f"{package.period_start:%Y-%m-%d} 至 {package.period_end:%Y-%m-%d}"
    return {
        "doc": {"code": contract.code, "title": contract.title, "period_label": period},
        "title": f"{contract.code} {contract.title} 验收材料",
        "package": package,
        "figures": data,
        "signature": signature,
        **summary_context(data, SUMMARY_LAYOUT),
    }


def package_html(package: AcceptancePackage) -> str:
    """The package's own pages as one HTML document (one pass)."""
    from contracts.worktime import CHINA_TZ
    from reports.pdf import render_html

    # Chinese, and Beijing time, whoever asks and wherever the worker runs.
    with translation.override("zh-hans"), timezone.override(CHINA_TZ):
        return render_html("reports/pdf/acceptance.html", _package_context(package))


def _package_layout(context: dict):
    from reports.parts import Block, Layout
    from reports.rendering import blocks

    return Layout(
        frame={"doc": context["doc"], "title": context["title"], "draft": False, "signature": None},
        base=context,
        blocks=[
            Block("reports/pdf/_acceptance_form.html"),
            Block("reports/pdf/_acceptance_summary.html"),
            *blocks(context["sections"], context["data"]),
            Block("reports/pdf/_signatures.html"),
        ],
    )


def package_versions(package: AcceptancePackage) -> list[ReportVersion]:
    """The signed-off versions the package's frozen figures list, in the package's order; without
    their figures, which a term's 72 reports would hold in memory for nothing (their PDFs say it)."""
    ids = [r["version_id"] for r in (package.data or {}).get("reports", []) if r.get("version_id")]
    return list(
        ReportVersion.objects.filter(pk__in=ids)
        .select_related("report")
        .defer("data", "narrative", "report__data", "report__narrative")
        .order_by("report__period_start", "report__kind")
    )


def write_package_pdf(package: AcceptancePackage, versions: list[ReportVersion], out, **sizes) -> None:
    """Write the package as one PDF to the binary file ``out``: its own pages laid out in parts,
    then the pages of each version's stored, signed PDF as it was sealed — not laid out again —
    under its own bookmarks, read from storage one file at a time. ``sizes`` for tests and benches.

    Its own pages are numbered "第 N 页 / 共 M 页" over the whole package; a report's pages keep
    their own footer (their number within the report) and get the package's number in the
    corner ("验收材料 第 N 页 / 共 M 页"). The reports' signatures hold in their own files, which
    the package's ZIP carries byte for byte; the package's signature covers its copy of them."""
    from contracts.worktime import CHINA_TZ
    from reports.parts import Joined

    joined = Joined()
    with translation.override("zh-hans"), timezone.override(CHINA_TZ):
        context = _package_context(package)
        joined.add_layout(_package_layout(context), **sizes)
    for version in versions:
        with version.pdf.open("rb") as original:
            joined.add_pdf(original)
    joined.write(out, label="验收材料")


def _copy_into(archive: zipfile.ZipFile, name: str, source) -> None:
    with archive.open(name, "w") as entry:
        shutil.copyfileobj(source, entry, CHUNK)


def _archive(package: AcceptancePackage, signed, versions: list[ReportVersion], xlsx: bytes, out):
    """Write the package's ZIP to the binary file ``out``: the signed package (the binary file
    ``signed``), each report's signed original from storage byte for byte — each copied in
    chunks, none held whole — and the inspection ledger."""
    contract = package.contract
    period = f"{package.period_start:%Y%m%d}-{package.period_end:%Y%m%d}"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        signed.seek(0)
        _copy_into(archive, f"{contract.code}-验收材料-{period}.pdf", signed)
        for version in versions:
            report = version.report
            name = f"reports/{report.period_start:%Y%m%d}-{report.kind}-v{version.number}.pdf"
            with version.pdf.open("rb") as original:
                _copy_into(archive, name, original)
        archive.writestr(f"巡检台账-{period}.xlsx", xlsx)


def ledger_xlsx(package: AcceptancePackage) -> bytes:
    """The period's inspection ledger (a year's is some tens of kilobytes)."""
    contract, start, end = package.contract, package.period_start, package.period_end
    return ledger.export_xlsx(contract, start, end, ledger.ledger_rows(contract, start, end))


def assemble(package, versions, xlsx: bytes, pdf, signed, archive, *, record: bool = True, **sizes):
    """What sealing makes, each written to its binary file (temporary files: a term's package is
    tens of megabytes and none of it is held whole): the package's PDF (``write_package_pdf``),
    that PDF signed, and the ZIP. Reads no database but for ``record`` (see ``sign_pdf``)."""
    from reports.signing import sign_file

    write_package_pdf(package, versions, pdf, **sizes)
    pdf.seek(0)
    sign_file(
        pdf,
        signed,
        reason=_("Acceptance signed off by %(person)s") % {"person": person_name(package.signed_off_by)},
        name=f"{package.contract.code} 验收材料",
        record=record,
    )
    _archive(package, signed, versions, xlsx, archive)


def _sha256(fh) -> str:
    digest = hashlib.sha256()
    fh.seek(0)
    for chunk in iter(lambda: fh.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def seal_package(package_id: int) -> bool:
    """Render, sign and archive a signed-off package; a second call does nothing."""
    package = (
        AcceptancePackage.objects.select_related(
            "contract__client", "contract__vendor", "submitted_by", "signed_off_by"
        )
        .filter(pk=package_id, status=Status.SIGNED_OFF, sealed_at__isnull=True)
        .first()
    )
    if package is None or not claim_seal(AcceptancePackage, package_id):
        return False
    with (
        tempfile.TemporaryFile() as pdf,
        tempfile.TemporaryFile() as signed,
        tempfile.TemporaryFile() as archive,
    ):
        try:
            assemble(package, package_versions(package), ledger_xlsx(package), pdf, signed, archive)
        except Exception as exc:
            log.exception("reports: sealing acceptance package %s failed", package_id)
            AcceptancePackage.objects.filter(pk=package_id).update(seal_error=seal_failure(exc)[:2000])
            return False
        base = f"acceptance/{package.contract.code}-{package.period_start:%Y%m%d}-{package.period_end:%Y%m%d}"
        storage = package.pdf.storage
        stored_pdf = storage.save(f"{base}.pdf", File(signed, name=f"{base}.pdf"))
        stored_zip = storage.save(f"{base}.zip", File(archive, name=f"{base}.zip"))
        sha256 = _sha256(signed)
    if not AcceptancePackage.objects.filter(pk=package_id, sealed_at__isnull=True).update(
        pdf=stored_pdf,
        archive=stored_zip,
        sha256=sha256,
        sealed_at=timezone.now(),
        seal_error="",
    ):
        storage.delete(stored_pdf)
        storage.delete(stored_zip)
        return False
    return True
