"""An acceptance package shows what its period lacks before anyone signs it, and a period not
over cannot be signed off (issue 13, item 7)."""

import datetime as dt

import pytest

from contracts.models import Milestone
from reports import acceptance
from reports.models import AcceptancePackage, Report, ReportKind, ReportRequirement
from tests.incidents.conftest import at
from tests.reports.test_api import api_as

pytestmark = pytest.mark.django_db
Status = Report.Status


@pytest.fixture
def weekly(term_a):
    return ReportRequirement.objects.create(
        contract=term_a, kind=ReportKind.WEEKLY, due_offset=2, due_unit=Milestone.OffsetUnit.WORKING_DAYS
    )


def submitted_package(term_a, vendor_manager_a, start, end):
    package = acceptance.create_package(
        term_a, AcceptancePackage.Scope.CUSTOM, start, end, by=vendor_manager_a
    )
    acceptance.update_form(package, by=vendor_manager_a, vendor_statement="按合同完成运维工作。")
    return acceptance.submit_package(package, by=vendor_manager_a)


def test_the_package_lists_unsigned_and_missing_reports(term_a, weekly, built_report, vendor_manager_a):
    # June 2026 holds the whole weeks 06-01, 06-08, 06-15, 06-22 (06-29..07-05 reaches July).
    built_report(dt.date(2026, 6, 1), dt.date(2026, 6, 7), status=Status.SIGNED_OFF)
    built_report(dt.date(2026, 6, 8), dt.date(2026, 6, 14), status=Status.SUBMITTED)
    package = acceptance.create_package(
        term_a, AcceptancePackage.Scope.CUSTOM, dt.date(2026, 6, 1), dt.date(2026, 6, 30), by=vendor_manager_a
    )
    gaps = acceptance.package_gaps(package, today=dt.date(2026, 7, 10))
    assert gaps["period_over"] is True
    assert [(r["kind"], r["period_start"], r["status"]) for r in gaps["reports_not_signed_off"]] == [
        ("weekly", dt.date(2026, 6, 8), "submitted")
    ]
    # The weeks of 06-15 and 06-22 were required and never made.
    assert [(r["kind"], r["period_start"], r["period_end"]) for r in gaps["missing_reports"]] == [
        ("weekly", dt.date(2026, 6, 15), dt.date(2026, 6, 21)),
        ("weekly", dt.date(2026, 6, 22), dt.date(2026, 6, 28)),
    ]
    assert gaps["complete"] is False
    # Asked on Monday 06-22, the period is not over and the week of 06-22 has just begun: not
    # missing yet; the week of 06-15 ended yesterday without a report.
    early = acceptance.package_gaps(package, today=dt.date(2026, 6, 22))
    assert early["period_over"] is False
    assert [r["period_start"] for r in early["missing_reports"]] == [dt.date(2026, 6, 15)]


def test_a_complete_period_lacks_nothing(term_a, weekly, built_report, vendor_manager_a):
    for monday in (1, 8, 15, 22):
        built_report(dt.date(2026, 6, monday), dt.date(2026, 6, monday + 6), status=Status.SIGNED_OFF)
    package = acceptance.create_package(
        term_a, AcceptancePackage.Scope.CUSTOM, dt.date(2026, 6, 1), dt.date(2026, 6, 30), by=vendor_manager_a
    )
    gaps = acceptance.package_gaps(package, today=dt.date(2026, 7, 1))
    assert gaps == {
        "period_over": True,
        "reports_not_signed_off": [],
        "missing_reports": [],
        "complete": True,
    }


def test_sign_off_of_a_period_not_over_is_refused_on_the_api_with_400(
    term_a, vendor_manager_a, client_manager_a, monkeypatch
):
    # 1 June to 31 August 2026, asked to be signed off on 20 August: 11 days still to run.
    monkeypatch.setattr("django.utils.timezone.now", lambda: at(2026, 8, 20, 10, 0))
    package = submitted_package(term_a, vendor_manager_a, dt.date(2026, 6, 1), dt.date(2026, 8, 31))
    api = api_as(client_manager_a)
    detail = api.get(f"/api/v1/acceptance-packages/{package.pk}/").json()
    assert detail["gaps"]["period_over"] is False and detail["gaps"]["complete"] is False
    answer = api.post(f"/api/v1/acceptance-packages/{package.pk}/sign-off/", {"conclusion": "passed"})
    assert answer.status_code == 400
    assert "period_end" in answer.json()
    assert "2026-08-31" in answer.json()["period_end"][0]
    package.refresh_from_db()
    assert package.status == AcceptancePackage.Status.SUBMITTED and package.signed_off_at is None
    # On 1 September the period is over: signed off.
    monkeypatch.setattr("django.utils.timezone.now", lambda: at(2026, 9, 1, 10, 0))
    answer = api.post(f"/api/v1/acceptance-packages/{package.pk}/sign-off/", {"conclusion": "passed"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["gaps"] is None


def test_the_portal_shows_the_gaps_and_refuses_the_sign_off(
    term_a, weekly, vendor_manager_a, client_manager_a, as_user, monkeypatch
):
    monkeypatch.setattr("django.utils.timezone.now", lambda: at(2026, 6, 20, 10, 0))
    package = submitted_package(term_a, vendor_manager_a, dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    client = as_user(client_manager_a)
    page = client.get(package.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The period runs until 2026-06-30" in page
    assert "is missing" in page  # the weeks of 06-01 and 06-08, ended without a report
    answer = client.post(
        f"/reports/acceptance/{package.pk}/sign_off/", {"conclusion": "passed", "opinion": ""}, follow=True
    )
    assert "it can be signed off once it is over" in answer.content.decode()
    package.refresh_from_db()
    assert package.status == AcceptancePackage.Status.SUBMITTED
