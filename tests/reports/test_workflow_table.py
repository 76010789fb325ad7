"""Reports and acceptance packages on the shared workflow table: the buttons a page shows are
the moves its user may make now, and a stale copy cannot make a move twice."""

import re

import pytest

from om_portal.workflow import Conflict
from reports import acceptance, services
from reports.models import AcceptancePackage, Report
from reports.services import ReportConflict

pytestmark = pytest.mark.django_db


def _moves(html: str, prefix: str) -> set[str]:
    return set(re.findall(rf'action="/reports/{prefix}\d+/([a-z_]+)/"', html))


def _page_moves(as_user, user, url, prefix):
    response = as_user(user).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    return _moves(html, prefix) | set(
        re.findall(r'formaction="/reports/' + prefix + r'\d+/([a-z_]+)/"', html)
    )


def test_the_report_page_shows_the_moves_of_its_state_for_its_user(
    as_user, built_report, vendor_manager_a, client_manager_a, client_staff_a
):
    report = built_report()
    url = report.get_absolute_url()
    assert {"submit"} <= _page_moves(as_user, vendor_manager_a, url, "")
    assert not {"submit", "sign_off", "return"} & _page_moves(as_user, client_manager_a, url, "")
    services.submit(report, by=vendor_manager_a)
    assert {"sign_off", "return"} <= _page_moves(as_user, client_manager_a, url, "")
    assert not {"submit", "sign_off", "return"} & _page_moves(as_user, vendor_manager_a, url, "")
    # The client's staff may read the report but not sign it off.
    assert not {"sign_off", "return"} & _page_moves(as_user, client_staff_a, url, "")
    services.sign_off(Report.objects.get(pk=report.pk), by=client_manager_a)
    assert "reissue" in _page_moves(as_user, vendor_manager_a, url, "")
    assert "reissue" not in _page_moves(as_user, client_manager_a, url, "")


def test_a_stale_report_cannot_be_moved_twice(built_report, vendor_manager_a, client_manager_a):
    report = services.submit(built_report(), by=vendor_manager_a)
    stale = Report.objects.get(pk=report.pk)
    services.return_report(report, by=client_manager_a, comment="补充数据")
    # The second reviewer's copy still says "submitted": no row is in that state any more.
    with pytest.raises(ReportConflict):
        services.WORKFLOW.apply(stale, "sign_off", by=client_manager_a)
    assert Report.objects.get(pk=report.pk).status == Report.Status.RETURNED
    assert issubclass(ReportConflict, Conflict)  # the API's 409 for every workflow's refusal


def test_the_package_page_and_a_stale_package(as_user, term_a, vendor_manager_a, client_manager_a):
    package = acceptance.create_package(term_a, AcceptancePackage.Scope.TERM, by=vendor_manager_a)
    url = package.get_absolute_url()
    acceptance.update_form(package, by=vendor_manager_a, vendor_statement="按合同提供服务")
    assert "submit" in _page_moves(as_user, vendor_manager_a, url, r"acceptance/")
    assert "submit" not in _page_moves(as_user, client_manager_a, url, r"acceptance/")
    acceptance.submit_package(package, by=vendor_manager_a)
    assert {"sign_off", "return"} <= _page_moves(as_user, client_manager_a, url, r"acceptance/")
    # The vendor manager who signed the form does not review it.
    assert not {"sign_off", "return"} & _page_moves(as_user, vendor_manager_a, url, r"acceptance/")
    stale = AcceptancePackage.objects.get(pk=package.pk)
    acceptance.return_package(package, by=client_manager_a, comment="补充考勤")
    with pytest.raises(ReportConflict):
        acceptance.WORKFLOW.apply(stale, "return", by=client_manager_a)
    assert AcceptancePackage.objects.get(pk=package.pk).status == AcceptancePackage.Status.RETURNED
