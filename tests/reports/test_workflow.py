"""The sign-off workflow: who may do what, in which state, and what a sign-off freezes."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from contracts.models import Breach, Milestone, PenaltyClause
from contracts.penalties import penalty_summary
from om_portal.models import AuditEntry
from reports import beat, services
from reports.models import BuildState, Report, ReportKind, ReportRequirement, ReportVersion
from reports.services import ReportConflict
from tests.incidents.conftest import at

pytestmark = pytest.mark.django_db
Status = Report.Status


def test_submit_then_sign_off_freezes_a_version(built_report, vendor_manager_a, client_manager_a):
    report = built_report()
    services.update_narrative(
        report, {"summary": "本周完成巡检 7 次", "plan": "下周升级中间件"}, by=vendor_manager_a
    )
    report = services.submit(report, by=vendor_manager_a)
    assert report.status == Status.SUBMITTED and report.first_submitted_at
    version = services.sign_off(report, by=client_manager_a, comment="同意")
    report.refresh_from_db()
    assert report.status == Status.SIGNED_OFF
    assert (version.number, version.narrative["plan"], version.data) == (1, "下周升级中间件", report.data)
    assert version.signed_off_by == client_manager_a and version.submitted_by == vendor_manager_a


def test_a_signed_off_report_refuses_changes(built_report, vendor_manager_a, client_manager_a):
    report = services.submit(built_report(narrative={"plan": "原计划"}), by=vendor_manager_a)
    services.sign_off(report, by=client_manager_a)
    with pytest.raises(ReportConflict):
        services.update_narrative(report, {"plan": "改过的计划"}, by=vendor_manager_a)
    with pytest.raises(ReportConflict):
        services.request_build(report, by=vendor_manager_a)
    with pytest.raises(ReportConflict):
        services.sign_off(report, by=client_manager_a)
    report.refresh_from_db()
    assert report.narrative == {"plan": "原计划"} and report.version == 1


def test_a_reissue_is_a_new_version_and_leaves_the_signed_one(
    built_report, vendor_manager_a, client_manager_a
):
    report = services.submit(built_report(narrative={"plan": "v1"}), by=vendor_manager_a)
    first = services.sign_off(report, by=client_manager_a)
    with pytest.raises(ValidationError) as refused:
        services.reissue(report, by=vendor_manager_a, reason="  ")
    assert "reason" in refused.value.message_dict
    assert Report.objects.get(pk=report.pk).status == Status.SIGNED_OFF
    report = services.reissue(report, by=vendor_manager_a, reason="漏报一次故障")
    assert (report.status, report.version) == (Status.DRAFT, 2)
    version_one = ReportVersion.objects.get(report=report, number=1)
    assert (version_one.reissue_reason, version_one.reissued_by) == ("漏报一次故障", vendor_manager_a)
    line = AuditEntry.objects.filter(action="update", object_type="reports.report").first()
    assert line.detail["reason"] == "漏报一次故障"
    services.update_narrative(report, {"plan": "v2"}, by=vendor_manager_a)
    services.submit(report, by=vendor_manager_a)
    second = services.sign_off(report, by=client_manager_a)
    first.refresh_from_db()
    assert (first.number, first.narrative) == (1, {"plan": "v1"})
    assert (second.number, second.narrative) == (2, {"plan": "v2"})


def test_roles(
    built_report, vendor_manager_a, vendor_engineer_a, client_manager_a, client_staff_a, administrator
):
    report = built_report()
    for user in (vendor_engineer_a, client_manager_a, client_staff_a, administrator):
        with pytest.raises(PermissionDenied):
            services.submit(report, by=user)
    services.submit(report, by=vendor_manager_a)
    # Sign-off by a vendor role (or the portal's administrator) is refused, and changes nothing.
    for user in (vendor_manager_a, vendor_engineer_a, client_staff_a, administrator):
        with pytest.raises(PermissionDenied):
            services.sign_off(report, by=user)
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED and not ReportVersion.objects.exists()


def test_outsiders_can_do_nothing(built_report, outsider):
    report = built_report()
    for call in (services.submit, services.reissue, services.request_build):
        with pytest.raises(PermissionDenied):
            call(report, by=outsider)


def test_return_needs_comments_and_keeps_the_first_submission(
    built_report, vendor_manager_a, client_manager_a
):
    report = services.submit(built_report(), by=vendor_manager_a)
    first = report.first_submitted_at
    with pytest.raises(ValidationError):
        services.return_report(report, by=client_manager_a, comment="  ")
    report = services.return_report(report, by=client_manager_a, comment="请补充故障处理情况")
    assert report.status == Status.RETURNED and report.review_comment == "请补充故障处理情况"
    services.update_narrative(report, {"summary": "已补充"}, by=vendor_manager_a)
    report = services.submit(report, by=vendor_manager_a)
    assert report.first_submitted_at == first


def test_submit_needs_the_figures(term_a, vendor_manager_a):
    report = Report.objects.create(
        contract=term_a,
        kind=ReportKind.WEEKLY,
        period_start=dt.date(2026, 6, 1),
        period_end=dt.date(2026, 6, 7),
    )
    with pytest.raises(ReportConflict):
        services.submit(report, by=vendor_manager_a)
    Report.objects.filter(pk=report.pk).update(data={"schema": 1}, build_state=BuildState.RUNNING)
    report.refresh_from_db()
    with pytest.raises(ReportConflict):
        services.submit(report, by=vendor_manager_a)


def test_narrative_sections_are_checked(built_report, vendor_manager_a):
    report = built_report()
    with pytest.raises(ValidationError) as error:
        services.update_narrative(report, {"shortcomings": "x", "plan": 3}, by=vendor_manager_a)
    # A weekly report has no "shortcomings" (the annual one does), and text must be text.
    assert set(error.value.message_dict) == {"shortcomings", "plan"}
    with pytest.raises(ValidationError):
        services.update_narrative(
            report, {"plan": "字" * (services.NARRATIVE_MAX_CHARS + 1)}, by=vendor_manager_a
        )
    # HTML is kept as typed: it is the PDF's job to print it as text.
    services.update_narrative(report, {"plan": "<b>加粗</b>\r\n第二行"}, by=vendor_manager_a)
    report.refresh_from_db()
    assert report.narrative == {"plan": "<b>加粗</b>\n第二行"}


def test_create_report_checks_the_period(term_a, vendor_manager_a, outsider):
    with pytest.raises(ValidationError) as error:
        services.create_report(
            term_a, ReportKind.MONTHLY, dt.date(2027, 6, 1), dt.date(2027, 6, 30), by=vendor_manager_a
        )
    assert "period_end" in error.value.message_dict and not Report.objects.exists()
    with pytest.raises(PermissionDenied):
        services.create_report(
            term_a, ReportKind.MONTHLY, dt.date(2026, 6, 1), dt.date(2026, 6, 30), by=outsider
        )
    services.create_report(
        term_a, ReportKind.MONTHLY, dt.date(2026, 6, 1), dt.date(2026, 6, 30), by=vendor_manager_a
    )
    with pytest.raises(ValidationError):
        services.create_report(
            term_a, ReportKind.MONTHLY, dt.date(2026, 6, 1), dt.date(2026, 6, 30), by=vendor_manager_a
        )


def test_build_is_queued_once(built_report, vendor_manager_a, django_capture_on_commit_callbacks):
    report = built_report(build_state=BuildState.IDLE)
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.request_build(report, by=vendor_manager_a) is True
        assert services.request_build(report, by=vendor_manager_a) is False
    assert len(callbacks) == 1
    report.refresh_from_db()
    assert (report.build_state, report.build_progress) == (BuildState.QUEUED, 0)


def _late_clause(contract):
    # Seed 000: not doing the weekly work on time costs 0.3% of the total per day.
    return PenaltyClause.objects.create(
        contract=contract,
        kind="late_service",
        title="未按时完成每周工作",
        shape="per_day",
        rate_percent=Decimal("0.3"),
    )


def test_a_late_report_is_flagged_once_and_priced_per_day(
    built_report, term_a, vendor_manager_a, monkeypatch
):
    _late_clause(term_a)
    ReportRequirement.objects.create(
        contract=term_a,
        kind=ReportKind.WEEKLY,
        due_offset=2,
        breach_kind="late_service",
        due_unit=Milestone.OffsetUnit.WORKING_DAYS,
    )
    # The week of 06-01..06-07 is due 2 working days later: Tue 2026-06-09.
    report = built_report(due_on=dt.date(2026, 6, 9))
    assert beat.flag_late_reports(dt.date(2026, 6, 9)) == 0  # due today: not late yet
    assert beat.flag_late_reports(dt.date(2026, 6, 11)) == 1
    breach = Breach.objects.get(source=Breach.Source.REPORT, source_ref=f"report:{report.pk}")
    assert breach.days_late == 2
    # Flagged once; still missing the next day, its breach counts a third day (issue 13).
    assert beat.flag_late_reports(dt.date(2026, 6, 12)) == 0
    breach.refresh_from_db()
    assert breach.days_late == 3
    # Submitted on Friday 06-12: 3 days late in the end.
    monkeypatch.setattr("django.utils.timezone.now", lambda: at(2026, 6, 12, 10, 0))
    services.submit(report, by=vendor_manager_a)
    breach.refresh_from_db()
    assert breach.days_late == 3
    # 3 days × 0.3% × ¥708,000 = ¥6,372.00
    clause = penalty_summary(term_a).vendor_clauses[0]
    assert clause.amount == Decimal("6372.00")


def test_a_report_never_delivered_keeps_counting_days_late(built_report, term_a):
    _late_clause(term_a)
    ReportRequirement.objects.create(
        contract=term_a,
        kind=ReportKind.WEEKLY,
        due_offset=2,
        breach_kind="late_service",
        due_unit=Milestone.OffsetUnit.WORKING_DAYS,
    )
    report = built_report(due_on=dt.date(2026, 6, 9))
    # Seed 000: "每逾期一日按合同总额的千分之三支付违约金；逾期超过 5 日，甲方有权解除合同".
    # The beat runs every day; the report never comes.
    for day in range(10, 16):
        beat.flag_late_reports(dt.date(2026, 6, day))
    breach = Breach.objects.get(source=Breach.Source.REPORT, source_ref=f"report:{report.pk}")
    # Due 06-09, still missing on 06-15: 15 − 9 = 6 days late (more than 5: the right to terminate).
    assert breach.days_late == 6
    # 6 days × 0.3% × ¥708,000 = ¥12,744.00, not the 1 day of the first flag (¥2,124.00).
    assert penalty_summary(term_a).vendor_clauses[0].amount == Decimal("12744.00")
    # The same day again changes nothing; an earlier day never shrinks the count.
    beat.flag_late_reports(dt.date(2026, 6, 15))
    beat.flag_late_reports(dt.date(2026, 6, 12))
    breach.refresh_from_db()
    assert breach.days_late == 6


def test_a_report_submitted_in_time_is_no_breach(built_report, term_a, vendor_manager_a, monkeypatch):
    _late_clause(term_a)
    ReportRequirement.objects.create(
        contract=term_a, kind=ReportKind.WEEKLY, due_offset=2, breach_kind="late_service"
    )
    report = built_report(due_on=dt.date(2026, 6, 9))
    monkeypatch.setattr("django.utils.timezone.now", lambda: at(2026, 6, 9, 23, 0))
    services.submit(report, by=vendor_manager_a)
    assert beat.flag_late_reports(dt.date(2026, 6, 20)) == 0
    assert not Breach.objects.exists()


def test_the_beat_makes_each_closed_period_once(term_a, django_capture_on_commit_callbacks):
    ReportRequirement.objects.create(contract=term_a, kind=ReportKind.WEEKLY, due_offset=2)
    ReportRequirement.objects.create(contract=term_a, kind=ReportKind.MONTHLY, due_offset=5)
    with django_capture_on_commit_callbacks() as callbacks:
        # Monday 2026-07-06: the week before (06-29..07-05) and June have closed; within the
        # 40 days of catch-up also the weeks before and the clipped May (05-29..05-31).
        made = beat.ensure_reports(dt.date(2026, 7, 6))
        again = beat.ensure_reports(dt.date(2026, 7, 6))
    weekly = sorted(r.period_start for r in made if r.kind == ReportKind.WEEKLY)
    assert weekly == [dt.date(2026, 5, 29)] + [dt.date(2026, 6, d) for d in (1, 8, 15, 22, 29)]
    monthly = sorted((r.period_start, r.period_end) for r in made if r.kind == ReportKind.MONTHLY)
    assert monthly == [
        (dt.date(2026, 5, 29), dt.date(2026, 5, 31)),
        (dt.date(2026, 6, 1), dt.date(2026, 6, 30)),
    ]
    assert again == [] and len(callbacks) == len(made)
    june = Report.objects.get(kind=ReportKind.MONTHLY, period_start=dt.date(2026, 6, 1))
    # June's report is due 5 working days after 06-30: 07-01, 02, 03, 06, 07 → Tuesday 07-07.
    assert june.due_on == dt.date(2026, 7, 7) and june.build_state == BuildState.QUEUED


def test_a_sign_off_and_the_signed_pdfs_download_are_on_the_audit_trail(
    term_a, vendor_manager_a, client_manager_a, as_user
):
    from django.urls import reverse

    from om_portal.models import AuditEntry

    report = services.create_report(
        term_a, ReportKind.WEEKLY, dt.date(2026, 6, 1), dt.date(2026, 6, 7), by=vendor_manager_a
    )
    services.request_build(report, by=vendor_manager_a)
    assert services.run_build(report.pk)
    report = services.submit(Report.objects.get(pk=report.pk), by=vendor_manager_a)
    version = services.sign_off(report, by=client_manager_a)
    line = AuditEntry.objects.get(action="sign_off")
    assert (line.username, line.object_type, line.contract_code, line.detail) == (
        client_manager_a.username,
        "reports.report",
        "A-2026-OM",
        {"version": 1},
    )
    assert services.seal_version(version.pk)
    response = as_user(client_manager_a).get(
        reverse("reports:version-pdf", kwargs={"pk": report.pk, "number": 1})
    )
    assert response.status_code == 200
    export = AuditEntry.objects.get(action="export")
    assert (export.username, export.object_type, export.detail) == (
        client_manager_a.username,
        "reports.reportversion",
        {"what": "pdf"},
    )
