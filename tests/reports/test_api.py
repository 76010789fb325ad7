"""The reports API: scoping (another organisation's report is a 404), roles (403, nothing
changed), states (409 with the service's message, nothing changed), bad input (400 naming the
field), the narrative as data, filters and a constant number of queries. The whole flow with real
builds, PDFs and signatures: test_api_flow.py."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from contracts.models import Role
from reports import services
from reports.models import Report, ReportKind, ReportRequirement, ReportVersion

pytestmark = pytest.mark.django_db
Status = Report.Status


def api_as(user):
    """A client of ``user``, in English so that messages are compared with their msgids."""
    api = APIClient()
    api.force_authenticate(user)
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    api.default_format = "json"
    return api


def url(pk, action=""):
    return f"/api/v1/reports/{pk}/{action + '/' if action else ''}"


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


# --- Scope and roles -----------------------------------------------------------------------------


def test_another_organisations_report_is_404_everywhere(report_b, client_manager_a, vendor_manager_a):
    for user in (client_manager_a, vendor_manager_a):
        api = api_as(user)
        for path in (url(report_b.pk), url(report_b.pk, "progress"), url(report_b.pk, "draft-pdf")):
            assert api.get(path).status_code == 404, path
        for action in ("build", "submit", "return", "sign-off", "reissue"):
            assert api.post(url(report_b.pk, action), {"comment": "x"}).status_code == 404, action
        assert api.patch(url(report_b.pk), {"narrative": {"summary": "x"}}).status_code == 404
        assert api.get("/api/v1/reports/").json()["count"] == 0
    report_b.refresh_from_db()
    assert (report_b.status, report_b.narrative, report_b.build_state) == (Status.DRAFT, {}, "idle")


def test_a_version_of_another_organisation_is_404(built_report, vendor_manager_a, client_manager_a, outsider):
    report = services.submit(built_report(), by=vendor_manager_a)
    version = services.sign_off(report, by=client_manager_a)
    api = api_as(outsider)
    assert api.get(f"/api/v1/report-versions/{version.pk}/").status_code == 404
    assert api.get(f"/api/v1/report-versions/{version.pk}/pdf/").status_code == 404
    assert api.get("/api/v1/report-versions/").json()["count"] == 0


def test_a_vendor_manager_cannot_sign_off(built_report, vendor_manager_a):
    report = services.submit(built_report(), by=vendor_manager_a)
    response = api_as(vendor_manager_a).post(url(report.pk, "sign-off"), {"comment": "自己签"})
    assert response.status_code == 403
    assert "A-2026-OM" in response.json()["detail"]
    report.refresh_from_db()
    assert (report.status, report.reviewed_by, report.review_comment) == (Status.SUBMITTED, None, "")
    assert not ReportVersion.objects.exists()


def test_a_client_manager_cannot_submit_or_write(built_report, client_manager_a):
    report = built_report(narrative={"plan": "原计划"})
    api = api_as(client_manager_a)
    assert api.post(url(report.pk, "submit")).status_code == 403
    assert api.patch(url(report.pk), {"narrative": {"plan": "改了"}}).status_code == 403
    report.refresh_from_db()
    assert (report.status, report.submitted_at, report.narrative) == (Status.DRAFT, None, {"plan": "原计划"})


def test_return_needs_the_client_manager_and_a_comment(built_report, vendor_manager_a, client_manager_a):
    report = services.submit(built_report(), by=vendor_manager_a)
    assert api_as(vendor_manager_a).post(url(report.pk, "return"), {"comment": "x"}).status_code == 403
    api = api_as(client_manager_a)
    response = api.post(url(report.pk, "return"), {"comment": "  "})
    assert response.status_code == 400 and "comment" in response.json()
    report.refresh_from_db()
    assert report.status == Status.SUBMITTED
    response = api.post(url(report.pk, "return"), {"comment": "补充故障处理结果"})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["review_comment"], body["reviewed_by"]) == (
        Status.RETURNED,
        "补充故障处理结果",
        client_manager_a.username,
    )


# --- Creating and building ----------------------------------------------------------------------


def test_create_a_report_inside_the_term(term_a, vendor_engineer_a):
    ReportRequirement.objects.create(
        contract=term_a, kind=ReportKind.MONTHLY, due_offset=5, due_unit="calendar_days"
    )
    api = api_as(vendor_engineer_a)
    body = {
        "contract": "A-2026-OM",
        "kind": "monthly",
        "period_start": "2026-06-01",
        "period_end": "2026-06-30",
    }
    response = api.post("/api/v1/reports/", body)
    assert response.status_code == 201, response.json()
    created = response.json()
    # Due 5 calendar days after the period's last day: 2026-06-30 + 5 = 2026-07-05.
    assert (created["contract"], created["kind"], created["due_on"], created["status"]) == (
        "A-2026-OM",
        "monthly",
        "2026-07-05",
        "draft",
    )
    assert (created["build_state"], created["version"], created["narrative"], created["versions"]) == (
        "idle",
        1,
        {},
        [],
    )
    assert [s["key"] for s in created["sections"]] == ["summary", "plan"]
    assert created["links"]["draft_pdf"] is None
    assert Report.objects.get(pk=created["id"]).created_by == vendor_engineer_a

    # The same period again: a 400 on the field, and still one report.
    again = api.post("/api/v1/reports/", body)
    assert again.status_code == 400 and "period_start" in again.json()
    assert Report.objects.count() == 1


def test_a_period_outside_the_term_is_a_400_with_the_field(term_a, vendor_manager_a):
    api = api_as(vendor_manager_a)
    # The term runs 2026-05-29 to 2027-05-28.
    before = {
        "contract": "A-2026-OM",
        "kind": "weekly",
        "period_start": "2026-05-25",
        "period_end": "2026-05-31",
    }
    response = api.post("/api/v1/reports/", before)
    assert response.status_code == 400
    assert list(response.json()) == ["period_start"]
    assert "2026-05-29" in response.json()["period_start"][0]
    after = {
        "contract": "A-2026-OM",
        "kind": "monthly",
        "period_start": "2027-05-01",
        "period_end": "2027-05-31",
    }
    response = api.post("/api/v1/reports/", after)
    assert response.status_code == 400 and list(response.json()) == ["period_end"]
    reversed_period = {**after, "period_start": "2026-07-31", "period_end": "2026-07-01"}
    assert api.post("/api/v1/reports/", reversed_period).status_code == 400
    assert not Report.objects.exists()


def test_create_needs_a_visible_contract_and_the_right_role(
    term_a, contract_b, client_staff_a, vendor_manager_a
):
    body = {
        "contract": "A-2026-OM",
        "kind": "weekly",
        "period_start": "2026-06-01",
        "period_end": "2026-06-07",
    }
    assert api_as(client_staff_a).post("/api/v1/reports/", body).status_code == 403
    response = api_as(vendor_manager_a).post("/api/v1/reports/", {**body, "contract": "B-2026-OM"})
    assert response.status_code == 400 and "contract" in response.json()
    response = api_as(vendor_manager_a).post("/api/v1/reports/", {**body, "kind": "daily"})
    assert response.status_code == 400 and "kind" in response.json()
    assert not Report.objects.exists()


def test_build_is_accepted_once_and_reports_progress(built_report, vendor_engineer_a, client_staff_a):
    report = built_report(build_state="idle", build_progress=0)
    assert api_as(client_staff_a).post(url(report.pk, "build")).status_code == 403
    api = api_as(vendor_engineer_a)
    response = api.post(url(report.pk, "build"))
    assert response.status_code == 202
    assert response.json() == {"state": "queued", "label": "Queued", "percent": 0, "error": ""}
    first_request = Report.objects.get(pk=report.pk).build_requested_at
    # A second press while the first is queued changes nothing: the same request stands.
    assert api.post(url(report.pk, "build")).status_code == 202
    assert Report.objects.get(pk=report.pk).build_requested_at == first_request
    Report.objects.filter(pk=report.pk).update(build_state="running", build_progress=45)
    assert api.get(url(report.pk, "progress")).json() == {
        "state": "running",
        "label": "Building",
        "percent": 45,
        "error": "",
    }


def test_a_submitted_report_cannot_be_rebuilt(built_report, vendor_manager_a):
    report = services.submit(built_report(), by=vendor_manager_a)
    response = api_as(vendor_manager_a).post(url(report.pk, "build"))
    assert response.status_code == 409
    assert "returned" in response.json()["detail"]
    assert Report.objects.get(pk=report.pk).build_state == "done"


def test_no_draft_pdf_is_a_404(built_report, vendor_manager_a):
    report = built_report()
    assert api_as(vendor_manager_a).get(url(report.pk, "draft-pdf")).status_code == 404
    # A client asking for a PDF only (not JSON) gets the same answer, not a 406.
    assert (
        api_as(vendor_manager_a).get(url(report.pk, "draft-pdf"), HTTP_ACCEPT="application/pdf").status_code
        == 404
    )


# --- The narrative ------------------------------------------------------------------------------


def test_html_in_the_narrative_is_stored_and_returned_as_given(built_report, vendor_manager_a):
    report = built_report()
    text = '<script>alert("x")</script> 本周 <b>完成</b> & 巡检'
    response = api_as(vendor_manager_a).patch(url(report.pk), {"narrative": {"summary": text}})
    assert response.status_code == 200
    assert response.json()["narrative"] == {"summary": text}
    # A JSON string: the characters as they are, not entities (escaping is the PDF's business).
    assert '\\"x\\")</script>' in response.content.decode()
    report.refresh_from_db()
    assert report.narrative == {"summary": text}


def test_a_patch_merges_sections(built_report, vendor_manager_a):
    report = built_report(narrative={"summary": "已写", "plan": "旧计划"})
    response = api_as(vendor_manager_a).patch(url(report.pk), {"narrative": {"plan": "新计划\r\n第二行 "}})
    # Sections left out keep their text; line ends are normalised and the ends trimmed.
    assert response.json()["narrative"] == {"summary": "已写", "plan": "新计划\n第二行"}


def test_bad_narratives_are_400s_naming_the_section(built_report, vendor_manager_a):
    report = built_report(narrative={"plan": "原计划"})
    api = api_as(vendor_manager_a)
    response = api.patch(url(report.pk), {"narrative": {"plan": "新", "shortcomings": "周报没有这一节"}})
    assert response.status_code == 400
    assert list(response.json()["narrative"]) == ["shortcomings"]
    response = api.patch(url(report.pk), {"narrative": {"plan": 42}})
    assert response.status_code == 400 and list(response.json()["narrative"]) == ["plan"]
    response = api.patch(url(report.pk), {"narrative": "全文"})
    assert response.status_code == 400 and "narrative" in response.json()
    response = api.patch(url(report.pk), {"narrative": {"plan": "x" * 20_001}})
    assert response.status_code == 400
    # Only the narrative can change over PATCH; the status is the workflow's.
    response = api.patch(url(report.pk), {"status": "signed_off", "narrative": {"plan": "新"}})
    assert response.status_code == 400 and list(response.json()) == ["status"]
    assert api.patch(url(report.pk), {}).status_code == 400
    assert api.put(url(report.pk), {"narrative": {"plan": "新"}}).status_code == 405
    report.refresh_from_db()
    assert (report.narrative, report.status) == ({"plan": "原计划"}, Status.DRAFT)


def test_a_submitted_or_signed_off_narrative_is_a_409_and_unchanged(
    built_report, vendor_manager_a, client_manager_a
):
    report = services.submit(built_report(narrative={"plan": "原计划"}), by=vendor_manager_a)
    api = api_as(vendor_manager_a)
    response = api.patch(url(report.pk), {"narrative": {"plan": "偷改"}})
    assert response.status_code == 409
    assert "with the client" in response.json()["detail"]
    services.sign_off(report, by=client_manager_a)
    response = api.patch(url(report.pk), {"narrative": {"plan": "偷改"}})
    assert response.status_code == 409
    assert "signed off" in response.json()["detail"]
    assert Report.objects.get(pk=report.pk).narrative == {"plan": "原计划"}
    assert ReportVersion.objects.get().narrative == {"plan": "原计划"}


def test_wrong_states_are_409s(built_report, vendor_manager_a, client_manager_a):
    report = built_report()
    vendor, client = api_as(vendor_manager_a), api_as(client_manager_a)
    assert client.post(url(report.pk, "sign-off")).status_code == 409  # a draft
    assert vendor.post(url(report.pk, "reissue")).status_code == 409  # not signed off
    assert vendor.post(url(report.pk, "submit")).status_code == 200
    response = vendor.post(url(report.pk, "submit"))
    assert (response.status_code, response.json()["detail"]) == (
        409,
        "The report has already been submitted.",
    )
    assert client.post(url(report.pk, "sign-off"), {"comment": "同意"}).status_code == 200
    assert client.post(url(report.pk, "sign-off")).status_code == 409
    assert ReportVersion.objects.count() == 1


def test_an_unbuilt_report_cannot_be_submitted(term_a, vendor_manager_a):
    report = Report.objects.create(
        contract=term_a,
        kind=ReportKind.WEEKLY,
        period_start=dt.date(2026, 6, 1),
        period_end=dt.date(2026, 6, 7),
    )
    response = api_as(vendor_manager_a).post(url(report.pk, "submit"))
    assert (response.status_code, response.json()["detail"]) == (
        409,
        "Build the report before submitting it.",
    )


def test_an_unsealed_version_pdf_is_a_409(built_report, vendor_manager_a, client_manager_a):
    report = services.submit(built_report(), by=vendor_manager_a)
    version = services.sign_off(report, by=client_manager_a)
    api = api_as(client_manager_a)
    response = api.get(f"/api/v1/report-versions/{version.pk}/pdf/")
    assert response.status_code == 409 and "being sealed" in response.json()["detail"]
    body = api.get(f"/api/v1/report-versions/{version.pk}/").json()
    assert (body["report"], body["number"], body["sealed_at"], body["sha256"], body["pdf"]) == (
        report.pk,
        1,
        None,
        "",
        None,
    )
    assert (body["submitted_by"], body["signed_off_by"], body["contract"]) == (
        vendor_manager_a.username,
        client_manager_a.username,
        "A-2026-OM",
    )
    detail = api.get(url(report.pk)).json()
    assert [(v["number"], v["pdf"]) for v in detail["versions"]] == [(1, None)]


# --- Lists: filters, the late flag, queries ------------------------------------------------------


def test_report_filters(built_report, report_b, client_manager_a, vendor_manager_a):
    # Contract A: four weeks of June 2026 and one monthly report; contract B's report is not A's.
    weeks = [built_report(dt.date(2026, 6, d), dt.date(2026, 6, d + 6)) for d in (1, 8, 15, 22)]
    month = built_report(dt.date(2026, 6, 1), dt.date(2026, 6, 30), kind=ReportKind.MONTHLY).pk
    services.submit(weeks[0], by=vendor_manager_a)
    api = api_as(client_manager_a)

    def ids(query):
        response = api.get(f"/api/v1/reports/?{query}")
        assert response.status_code == 200, response.json()
        return sorted(row["id"] for row in response.json()["results"])

    assert len(ids("contract=A-2026-OM")) == 5
    assert ids("contract=B-2026-OM") == []
    assert ids("kind=weekly") == sorted(r.pk for r in weeks)
    assert ids("status=submitted") == [weeks[0].pk]
    # Overlapping 2026-06-10..2026-06-16: the weeks of 8–14 and 15–21, and the month.
    assert ids("period_from=2026-06-10&period_to=2026-06-16") == sorted([weeks[1].pk, weeks[2].pk, month])
    # Periods ending on or after 06-22: the last week and the month.
    assert ids("period_from=2026-06-22") == sorted([weeks[3].pk, month])
    assert api.get("/api/v1/reports/?kind=daily").status_code == 400
    assert api.get("/api/v1/reports/?period_from=June").status_code == 400


def test_version_filters(built_report, vendor_manager_a, client_manager_a):
    first, second = built_report(), built_report(dt.date(2026, 6, 8), dt.date(2026, 6, 14))
    for report in (first, second):
        services.sign_off(services.submit(report, by=vendor_manager_a), by=client_manager_a)
    services.reissue(first, by=vendor_manager_a, reason="更正故障统计")
    first = services.submit(Report.objects.get(pk=first.pk), by=vendor_manager_a)
    services.sign_off(first, by=client_manager_a)
    api = api_as(client_manager_a)
    rows = api.get(f"/api/v1/report-versions/?report={first.pk}").json()["results"]
    assert [(row["report"], row["number"]) for row in rows] == [(first.pk, 1), (first.pk, 2)]
    assert api.get("/api/v1/report-versions/?contract=A-2026-OM").json()["count"] == 3
    assert api.get("/api/v1/report-versions/?contract=B-2026-OM").json()["count"] == 0
    assert api.get("/api/v1/report-versions/?sealed=true").json()["count"] == 0
    assert api.get("/api/v1/report-versions/?sealed=false").json()["count"] == 3


def test_the_late_flag(built_report, vendor_manager_a, client_manager_a):
    today = timezone.localdate()
    overdue = built_report(
        today - dt.timedelta(days=14), today - dt.timedelta(days=8), due_on=today - dt.timedelta(days=1)
    )
    due_today = built_report(today - dt.timedelta(days=7), today - dt.timedelta(days=1), due_on=today)
    on_time = built_report(
        today - dt.timedelta(days=21), today - dt.timedelta(days=15), due_on=today + dt.timedelta(days=1)
    )
    services.submit(on_time, by=vendor_manager_a)
    late_rows = {
        row["id"]: row["late"] for row in api_as(client_manager_a).get("/api/v1/reports/").json()["results"]
    }
    # Due yesterday and not submitted: late. Due today: not yet. Submitted before its due date: not late.
    assert late_rows == {overdue.pk: True, due_today.pk: False, on_time.pk: False}


def _list_queries(api, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(path).status_code == 200
    return len(queries)


def test_lists_take_a_constant_number_of_queries(
    built_report, vendor_manager_a, client_manager_a, django_assert_max_num_queries
):
    api = api_as(client_manager_a)

    def add_reports(first_week, count):
        for week in range(first_week, first_week + count):
            start = dt.date(2026, 6, 1) + dt.timedelta(weeks=week)
            report = services.submit(built_report(start, start + dt.timedelta(days=6)), by=vendor_manager_a)
            services.sign_off(report, by=client_manager_a)

    add_reports(0, 2)
    # The page's count and the page itself (scoping is a subquery of each): 2 for the reports;
    # versions list the same two.
    with django_assert_max_num_queries(2):
        assert api.get("/api/v1/reports/").json()["count"] == 2
    with django_assert_max_num_queries(2):
        assert api.get("/api/v1/report-versions/").json()["count"] == 2
    small = [_list_queries(api, path) for path in ("/api/v1/reports/", "/api/v1/report-versions/")]
    add_reports(2, 8)
    with django_assert_max_num_queries(2):
        assert api.get("/api/v1/reports/").json()["count"] == 10
    with django_assert_max_num_queries(2):
        assert api.get("/api/v1/report-versions/").json()["count"] == 10
    assert [_list_queries(api, path) for path in ("/api/v1/reports/", "/api/v1/report-versions/")] == small
    # One report with its versions: the report, then its versions with their signers.
    report = Report.objects.first()
    with django_assert_max_num_queries(2):
        assert api.get(url(report.pk)).status_code == 200


# --- Requirements ------------------------------------------------------------------------------


def test_requirements_need_manage_contract(term_a, contract_b, client_manager_a, vendor_manager_a, outsider):
    body = {
        "contract": "A-2026-OM",
        "kind": "weekly",
        "due_offset": 2,
        "due_unit": "working_days",
        "breach_kind": "late_report",
    }
    assert api_as(vendor_manager_a).post("/api/v1/report-requirements/", body).status_code == 403
    response = api_as(outsider).post("/api/v1/report-requirements/", body)
    assert response.status_code == 400 and "contract" in response.json()
    assert not ReportRequirement.objects.exists()

    api = api_as(client_manager_a)
    response = api.post("/api/v1/report-requirements/", body)
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    # One requirement per kind of report.
    assert api.post("/api/v1/report-requirements/", body).status_code == 400
    assert api.post("/api/v1/report-requirements/", {**body, "due_offset": 400}).status_code == 400

    # The contract and the kind are fixed once made; the due offset changes.
    response = api.patch(f"/api/v1/report-requirements/{pk}/", {"due_offset": 15, "kind": "annual"})
    assert response.status_code == 200
    assert (response.json()["due_offset"], response.json()["kind"]) == (15, "weekly")
    assert (
        api_as(vendor_manager_a).patch(f"/api/v1/report-requirements/{pk}/", {"due_offset": 1}).status_code
        == 403
    )
    assert api_as(outsider).get(f"/api/v1/report-requirements/{pk}/").status_code == 404
    assert (
        api_as(vendor_manager_a).get("/api/v1/report-requirements/?contract=A-2026-OM").json()["count"] == 1
    )
    assert api.get("/api/v1/report-requirements/?kind=annual").json()["count"] == 0

    assert api_as(vendor_manager_a).delete(f"/api/v1/report-requirements/{pk}/").status_code == 403
    assert api.delete(f"/api/v1/report-requirements/{pk}/").status_code == 204
    assert not ReportRequirement.objects.exists()


def test_reports_cannot_be_deleted(built_report, vendor_manager_a, administrator):
    report = built_report()
    for user in (vendor_manager_a, administrator):
        assert api_as(user).delete(url(report.pk)).status_code == 405
    assert Report.objects.filter(pk=report.pk).exists()


def test_roles_of_an_administrator(built_report, administrator, make_user, vendor_org_a):
    # The portal's administrator sees and builds, but neither submits nor signs for the parties.
    report = built_report()
    api = api_as(administrator)
    assert api.get(url(report.pk)).status_code == 200
    assert api.post(url(report.pk, "submit")).status_code == 403
    auditor = make_user(Role.AUDITOR, vendor_org_a)
    assert api_as(auditor).get(url(report.pk)).status_code == 200
    assert api_as(auditor).post(url(report.pk, "build")).status_code == 403


def test_a_reissue_needs_its_reason_which_the_versions_show(
    built_report, vendor_manager_a, client_manager_a, client
):
    report = services.submit(built_report(), by=vendor_manager_a)
    services.sign_off(report, by=client_manager_a)
    vendor = api_as(vendor_manager_a)
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = vendor.post(url(report.pk, "reissue"), body, format="json")
        assert response.status_code == 400 and "reason" in response.json(), body
    assert vendor.post(url(report.pk, "reissue"), {"reason": ["x"]}, format="json").status_code == 400
    assert Report.objects.get(pk=report.pk).status == Report.Status.SIGNED_OFF
    response = vendor.post(url(report.pk, "reissue"), {"reason": "甲方要求补充本周值班记录"}, format="json")
    assert response.status_code == 200
    (version,) = response.json()["versions"]
    assert version["reissue_reason"] == "甲方要求补充本周值班记录" and version["reissued_at"]
    # The client reads why on the report's page.
    client.force_login(client_manager_a)
    assert "甲方要求补充本周值班记录" in client.get(report.get_absolute_url()).content.decode()
