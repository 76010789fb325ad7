"""The reports pages through the test client: who sees what, the actions by role, bad input."""

import datetime as dt

import pytest
from django.urls import reverse

from reports import services
from reports.models import BuildState, Report, ReportKind, ReportVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def report_a(built_report):
    return built_report()


@pytest.fixture
def report_b(contract_b):
    contract_b.starts_on, contract_b.ends_on = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    contract_b.save()
    return Report.objects.create(
        contract=contract_b,
        kind=ReportKind.MONTHLY,
        period_start=dt.date(2026, 6, 1),
        period_end=dt.date(2026, 6, 30),
    )


def test_the_list_shows_only_the_users_contracts(as_user, report_a, report_b, client_staff_a):
    page = as_user(client_staff_a).get(reverse("reports:index"))
    assert page.status_code == 200
    assert reverse("reports:detail", kwargs={"pk": report_a.pk}) in page.text
    assert reverse("reports:detail", kwargs={"pk": report_b.pk}) not in page.text


def test_another_organisations_report_is_404(as_user, report_b, vendor_manager_a):
    client = as_user(vendor_manager_a)
    for name in ("detail", "progress", "draft-pdf"):
        assert client.get(reverse(f"reports:{name}", kwargs={"pk": report_b.pk})).status_code == 404
    response = client.post(reverse("reports:act", kwargs={"pk": report_b.pk, "action": "build"}))
    assert response.status_code == 404
    report_b.refresh_from_db()
    assert report_b.build_state == BuildState.IDLE


def test_the_vendor_manager_writes_and_submits(as_user, report_a, vendor_manager_a):
    client = as_user(vendor_manager_a)
    page = client.get(reverse("reports:detail", kwargs={"pk": report_a.pk}))
    assert "Submit to the client" in page.text and 'name="plan"' in page.text
    client.post(
        reverse("reports:narrative", kwargs={"pk": report_a.pk}), {"summary": "巡检 7 次", "plan": "<b>x</b>"}
    )
    client.post(reverse("reports:act", kwargs={"pk": report_a.pk, "action": "submit"}))
    report_a.refresh_from_db()
    assert report_a.status == Report.Status.SUBMITTED
    assert report_a.narrative == {"summary": "巡检 7 次", "plan": "<b>x</b>"}
    # The narrative is shown as text on the page.
    page = client.get(reverse("reports:detail", kwargs={"pk": report_a.pk}))
    assert "&lt;b&gt;x&lt;/b&gt;" in page.text and "<b>x</b>" not in page.text


def test_sign_off_by_a_vendor_role_changes_nothing(as_user, report_a, vendor_manager_a):
    services.submit(report_a, by=vendor_manager_a)
    client = as_user(vendor_manager_a)
    page = client.get(reverse("reports:detail", kwargs={"pk": report_a.pk}))
    assert "Sign off" not in page.text
    response = client.post(
        reverse("reports:act", kwargs={"pk": report_a.pk, "action": "sign_off"}), follow=True
    )
    assert response.status_code == 200 and "may not" in response.text
    report_a.refresh_from_db()
    assert report_a.status == Report.Status.SUBMITTED and not ReportVersion.objects.exists()


def test_the_client_manager_returns_then_signs_off(as_user, report_a, vendor_manager_a, client_manager_a):
    services.submit(report_a, by=vendor_manager_a)
    client = as_user(client_manager_a)
    act = reverse("reports:act", kwargs={"pk": report_a.pk, "action": "return"})
    response = client.post(act, {"comment": ""}, follow=True)
    assert "Say what needs changing" in response.text
    client.post(act, {"comment": "补充考勤"})
    report_a.refresh_from_db()
    assert report_a.status == Report.Status.RETURNED
    services.submit(report_a, by=vendor_manager_a)
    client.post(reverse("reports:act", kwargs={"pk": report_a.pk, "action": "sign_off"}), {"comment": "同意"})
    report_a.refresh_from_db()
    assert report_a.status == Report.Status.SIGNED_OFF
    # Signed off: no edit is accepted any more, and the page says why.
    response = client.post(
        reverse("reports:narrative", kwargs={"pk": report_a.pk}), {"plan": "改"}, follow=True
    )
    report_a.refresh_from_db()
    assert report_a.narrative == {}


def test_an_unknown_action_is_404(as_user, report_a, vendor_manager_a):
    response = as_user(vendor_manager_a).post(
        reverse("reports:act", kwargs={"pk": report_a.pk, "action": "delete"})
    )
    assert response.status_code == 404


def test_a_report_on_demand(
    as_user, term_a, vendor_manager_a, client_staff_a, django_capture_on_commit_callbacks
):
    client = as_user(vendor_manager_a)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("reports:create"), {"contract": term_a.code, "kind": "monthly", "day": "2026-06-15"}
        )
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    assert (report.period_start, report.period_end, report.build_state) == (
        dt.date(2026, 6, 1),
        dt.date(2026, 6, 30),
        BuildState.QUEUED,
    )
    assert len(callbacks) == 1
    # A day outside the term is a form error, and nothing is made.
    response = client.post(
        reverse("reports:create"), {"contract": term_a.code, "kind": "monthly", "day": "2028-01-01"}
    )
    assert response.status_code == 400 and "outside the contract" in response.text
    # Client staff may not build reports: the contract is not offered.
    response = as_user(client_staff_a).post(
        reverse("reports:create"), {"contract": term_a.code, "kind": "weekly", "day": "2026-06-15"}
    )
    assert response.status_code == 400 and Report.objects.count() == 1


def test_progress_is_json(as_user, report_a, client_staff_a):
    Report.objects.filter(pk=report_a.pk).update(build_state=BuildState.RUNNING, build_progress=40)
    data = as_user(client_staff_a).get(reverse("reports:progress", kwargs={"pk": report_a.pk})).json()
    assert data == {"state": "running", "label": "Building", "percent": 40, "error": ""}


def test_a_draft_whose_file_is_gone_is_404(as_user, report_a, client_staff_a):
    Report.objects.filter(pk=report_a.pk).update(draft_pdf="reports/drafts/gone.pdf")
    response = as_user(client_staff_a).get(reverse("reports:draft-pdf", kwargs={"pk": report_a.pk}))
    assert response.status_code == 404
