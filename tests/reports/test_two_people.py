"""Two halves, two people (issue 14, High 3): the vendor submits and the client signs off —
reports, acceptance packages, service record sheets — and a change request is approved by others
than its requester, on the client's side. Proved with an account that holds a role on each side
anyway (memberships written past the model's clean and the database's trigger, as data from
before migration contracts 0007 could be): the services refuse it all the same."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from rest_framework.test import APIClient

from contracts.models import Role
from incidents import changes
from incidents import services as incident_services
from incidents.models import ChangeRequest, ServiceRecord
from reports import acceptance, services
from reports.models import AcceptancePackage, Report
from tests.legacy import membership_past_every_guard

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # The refusals are read in English whatever the compiled catalogue holds.
    with translation.override("en"):
        yield


@pytest.fixture
def vendor_manager(make_user, vendor_org_a):
    return make_user(Role.VENDOR_MANAGER, vendor_org_a, username="both")


@pytest.fixture
def crosses_over(client_org_a):
    """crosses_over(user): the account of the finding — contract A's vendor manager given the
    client manager's role too (after what they submitted as the vendor)."""

    def give(user, role=Role.CLIENT_MANAGER):
        membership_past_every_guard(user=user, organization=client_org_a, role=role)
        return user

    return give


def test_an_account_on_both_sides_submits_nothing(built_report, vendor_manager, crosses_over):
    crosses_over(vendor_manager)
    report = built_report()
    with pytest.raises(PermissionDenied):
        services.submit(report, by=vendor_manager)
    report.refresh_from_db()
    assert report.status == Report.Status.DRAFT


def test_the_submitter_of_a_report_cannot_sign_it_off(
    built_report, vendor_manager, crosses_over, client_manager_a
):
    report = services.submit(built_report(), by=vendor_manager)
    both_sides = crosses_over(vendor_manager)
    with pytest.raises(PermissionDenied):
        services.sign_off(report, by=both_sides)
    with pytest.raises(PermissionDenied):
        services.return_report(report, by=both_sides, comment="改")
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED and not report.versions.exists()
    # Another person of the client's side signs it, and the PDF names two people.
    version = services.sign_off(report, by=client_manager_a)
    assert (version.submitted_by, version.signed_off_by) == (both_sides, client_manager_a)


def test_the_api_refuses_the_submitter_signing_off(built_report, vendor_manager, crosses_over):
    report = services.submit(built_report(), by=vendor_manager)
    both_sides = crosses_over(vendor_manager)
    api = APIClient()
    api.force_authenticate(both_sides)
    response = api.post(f"/api/v1/reports/{report.pk}/sign-off/", {"comment": "同意"})
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED


def test_a_client_only_account_holding_no_vendor_role_still_signs(
    built_report, vendor_manager_a, client_manager_a
):
    report = services.submit(built_report(), by=vendor_manager_a)
    assert services.sign_off(report, by=client_manager_a).signed_off_by == client_manager_a


def test_the_submitter_of_an_acceptance_package_cannot_sign_it_off(
    term_a, vendor_manager, crosses_over, client_manager_a
):
    package = acceptance.create_package(
        term_a, AcceptancePackage.Scope.QUARTER, dt.date(2026, 5, 29), dt.date(2026, 6, 30), by=vendor_manager
    )
    acceptance.update_form(package, by=vendor_manager, vendor_statement="本季度按合同完成全部运维工作。")
    package = acceptance.submit_package(package, by=vendor_manager)
    both_sides = crosses_over(vendor_manager)
    with pytest.raises(PermissionDenied):
        acceptance.sign_off_package(package, by=both_sides, conclusion="passed")
    with pytest.raises(PermissionDenied):
        acceptance.return_package(package, by=both_sides, comment="改")
    package.refresh_from_db()
    assert package.status == AcceptancePackage.Status.SUBMITTED and package.signed_off_by is None
    package = acceptance.sign_off_package(package, by=client_manager_a, conclusion="passed")
    assert package.signed_off_by == client_manager_a


@pytest.fixture
def sheet(contract_a):
    def make(engineer):
        now = timezone.now()
        return ServiceRecord.objects.create(
            contract=contract_a,
            started_at=now - dt.timedelta(hours=1),
            ended_at=now,
            place="机房",
            requester="甲市公安局 科信",
            task="网闸同步失败",
            work_done="重启同步服务",
            result="恢复",
            engineer=engineer,
        )

    return make


def test_the_engineer_of_a_service_record_cannot_confirm_it(sheet, vendor_engineer_a, crosses_over):
    record = sheet(vendor_engineer_a)
    engineer = crosses_over(vendor_engineer_a, Role.CLIENT_STAFF)
    with pytest.raises(PermissionDenied):
        incident_services.confirm_record(record, by=engineer)
    record.refresh_from_db()
    assert record.confirmed_by is None


def test_the_administrator_is_no_side_and_confirms_no_sheet(
    sheet, vendor_engineer_a, administrator, client_staff_a
):
    """Seed 002: the client accepts the sheet in writing; the portal's operator is not the client."""
    record = sheet(vendor_engineer_a)
    with pytest.raises(PermissionDenied):
        incident_services.confirm_record(record, by=administrator)
    assert incident_services.confirm_record(record, by=client_staff_a, feedback="满意")
    record.refresh_from_db()
    assert record.confirmed_by == client_staff_a


def test_the_requester_of_a_change_cannot_approve_it_from_the_other_side(
    contract_a, vendor_manager, crosses_over
):
    change = changes.create(
        contract_a,
        vendor_manager,
        submit_now=True,
        kind="data",
        title="修改缴费记录状态",
        description="将一笔重复缴费记录标记为已退款",
        reason="当事人重复缴费",
        impact="仅影响该笔记录",
        rollback_plan="恢复修改前备份的记录",
    )
    both_sides = crosses_over(vendor_manager)
    # Refused twice over: the request is their own (a rule older than issue 14) and they act for
    # the vendor too.
    with pytest.raises(PermissionDenied, match="client's side"):
        changes.approve_first(change, both_sides)
    change.refresh_from_db()
    assert change.status == ChangeRequest.Status.SUBMITTED and change.first_approved_by is None
