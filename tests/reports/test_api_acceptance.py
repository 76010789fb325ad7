"""Acceptance packages over the API: scoping (another organisation's package is a 404), roles (403,
nothing changed), states (409, nothing changed), bad input (400 naming the field), filters and a
constant number of queries, and the whole way from a new package to the client's sign-off, sealed
by the worker's function and downloaded: the PDF's SHA-256 is the stored one."""

import datetime as dt
import hashlib
import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts.models import Role
from reports import acceptance
from reports.models import AcceptancePackage
from reports.signing import verify_pdf
from tests.reports.report_data import june
from tests.reports.test_api import api_as
from tests.reports.test_api_flow import attachment_name, download, pdf_text

pytestmark = pytest.mark.django_db
Status = AcceptancePackage.Status
LIST = "/api/v1/acceptance-packages/"


def url(pk, action=""):
    return f"{LIST}{pk}/{action + '/' if action else ''}"


@pytest.fixture
def package(term_a, vendor_manager_a):
    """A draft package of contract A's first, clipped quarter (2026-05-29 to 2026-06-30)."""
    return acceptance.create_package(
        term_a,
        AcceptancePackage.Scope.QUARTER,
        dt.date(2026, 5, 29),
        dt.date(2026, 6, 30),
        by=vendor_manager_a,
    )


@pytest.fixture
def submitted(package, vendor_manager_a):
    acceptance.update_form(package, by=vendor_manager_a, vendor_statement="本季度按合同完成运维工作。")
    return acceptance.submit_package(package, by=vendor_manager_a)


def _row(package) -> tuple:
    """What the workflow may change on a package, to show that a refusal changed nothing."""
    package = AcceptancePackage.objects.get(pk=package.pk)
    return (
        package.status,
        package.vendor_statement,
        package.client_opinion,
        package.conclusion,
        package.review_comment,
        package.submitted_by_id,
        package.signed_off_by_id,
        package.signed_off_at,
        package.data is None,
    )


# --- Scope and roles -----------------------------------------------------------------------------


def test_the_owner_sees_the_package_and_an_outsider_gets_404_everywhere(
    submitted, client_manager_a, vendor_manager_a, outsider
):
    for user in (client_manager_a, vendor_manager_a):
        api = api_as(user)
        body = api.get(url(submitted.pk)).json()
        assert (body["contract"], body["period_start"], body["period_end"], body["status"]) == (
            "A-2026-OM",
            "2026-05-29",
            "2026-06-30",
            "submitted",
        )
        assert api.get(LIST).json()["count"] == 1

    before = _row(submitted)
    api = api_as(outsider)
    for action in ("", "pdf", "archive"):
        assert api.get(url(submitted.pk, action)).status_code == 404, action
    for action in ("submit", "return", "sign-off"):
        response = api.post(url(submitted.pk, action), {"comment": "x", "conclusion": "passed"})
        assert response.status_code == 404, action
    assert api.patch(url(submitted.pk), {"vendor_statement": "外人改"}).status_code == 404
    assert api.get(LIST).json()["count"] == 0
    assert api.get(f"{LIST}?contract=A-2026-OM").json()["count"] == 0
    assert _row(submitted) == before


def test_a_vendor_manager_cannot_sign_off(submitted, vendor_manager_a):
    before = _row(submitted)
    response = api_as(vendor_manager_a).post(url(submitted.pk, "sign-off"), {"conclusion": "passed"})
    assert response.status_code == 403
    assert "A-2026-OM" in response.json()["detail"]
    assert api_as(vendor_manager_a).post(url(submitted.pk, "return"), {"comment": "x"}).status_code == 403
    assert _row(submitted) == before


def test_a_client_manager_cannot_submit_or_write_the_statement(package, vendor_manager_a, client_manager_a):
    acceptance.update_form(package, by=vendor_manager_a, vendor_statement="乙方陈述")
    before = _row(package)
    api = api_as(client_manager_a)
    assert api.post(url(package.pk, "submit")).status_code == 403
    assert api.patch(url(package.pk), {"vendor_statement": "甲方代写"}).status_code == 403
    assert _row(package) == before
    assert before[:2] == (Status.DRAFT, "乙方陈述")


def test_packages_cannot_be_deleted_or_replaced(package, vendor_manager_a, administrator):
    for user in (vendor_manager_a, administrator):
        assert api_as(user).delete(url(package.pk)).status_code == 405
    assert api_as(vendor_manager_a).put(url(package.pk), {"vendor_statement": "x"}).status_code == 405
    assert AcceptancePackage.objects.filter(pk=package.pk).exists()


# --- Creating ------------------------------------------------------------------------------------


def test_create_for_the_term_and_for_a_quarter(term_a, vendor_manager_a):
    api = api_as(vendor_manager_a)
    response = api.post(LIST, {"contract": "A-2026-OM", "scope": "term"})
    assert response.status_code == 201, response.json()
    body = response.json()
    # Seed 003's term, as the fixture sets it: 2026-05-29 to 2027-05-28.
    assert (body["scope"], body["period_start"], body["period_end"], body["status"]) == (
        "term",
        "2026-05-29",
        "2027-05-28",
        "draft",
    )
    assert (body["figures"], body["links"]["pdf"], body["links"]["archive"]) == (None, None, None)
    assert body["links"]["self"] == f"http://testserver{url(body['id'])}"
    assert AcceptancePackage.objects.get(pk=body["id"]).created_by == vendor_manager_a

    # The second quarter of the term: 2026-07-01 to 2026-09-30.
    quarter = {
        "contract": "A-2026-OM",
        "scope": "quarter",
        "period_start": "2026-07-01",
        "period_end": "2026-09-30",
    }
    response = api.post(LIST, quarter)
    assert response.status_code == 201, response.json()
    # The same period again: a 400 on the field, and still two packages.
    again = api.post(LIST, quarter)
    assert again.status_code == 400 and list(again.json()) == ["period_start"]
    assert AcceptancePackage.objects.count() == 2


def test_bad_input_is_a_400_naming_the_field(term_a, contract_b, vendor_manager_a, client_staff_a):
    api = api_as(vendor_manager_a)

    def errors(body) -> list[str]:
        response = api.post(LIST, body)
        assert response.status_code == 400, response.json()
        return sorted(response.json())

    a = {"contract": "A-2026-OM"}
    assert errors({**a, "scope": "year"}) == ["scope"]
    assert errors({"contract": "B-2026-OM", "scope": "term"}) == ["contract"]
    assert errors({**a, "scope": "custom", "period_start": "2026-06-01"}) == ["period_end"]
    assert errors({**a, "scope": "custom"}) == ["period_end", "period_start"]
    assert errors({**a, "scope": "custom", "period_start": "June", "period_end": "2026-06-30"}) == [
        "period_start"
    ]
    # Before the term (which starts 2026-05-29) and reversed.
    assert errors({**a, "scope": "custom", "period_start": "2026-05-01", "period_end": "2026-06-30"}) == [
        "period_start"
    ]
    assert errors({**a, "scope": "custom", "period_start": "2026-07-31", "period_end": "2026-07-01"}) == [
        "period_end"
    ]
    # July–August is not one of the term's quarters; the term's own dates are not to be changed.
    response = api.post(
        LIST, {**a, "scope": "quarter", "period_start": "2026-07-01", "period_end": "2026-08-31"}
    )
    assert response.status_code == 400 and "2026-07-01 – 2026-09-30" in response.json()["period_start"][0]
    assert errors({**a, "scope": "term", "period_start": "2026-06-01", "period_end": "2027-05-28"}) == [
        "period_start"
    ]
    # Client staff may see the contract but not prepare its acceptance.
    assert api_as(client_staff_a).post(LIST, {**a, "scope": "term"}).status_code == 403
    assert not AcceptancePackage.objects.exists()


def test_a_term_without_dates_is_a_400(contract_a, vendor_manager_a):
    response = api_as(vendor_manager_a).post(LIST, {"contract": "A-2026-OM", "scope": "term"})
    assert response.status_code == 400 and list(response.json()) == ["scope"]
    response = api_as(vendor_manager_a).post(
        LIST,
        {
            "contract": "A-2026-OM",
            "scope": "quarter",
            "period_start": "2026-07-01",
            "period_end": "2026-09-30",
        },
    )
    assert response.status_code == 400 and list(response.json()) == ["period_start"]
    assert not AcceptancePackage.objects.exists()


# --- The statement and the states ----------------------------------------------------------------


def test_the_statement_is_the_only_thing_a_patch_changes(package, vendor_manager_a):
    api = api_as(vendor_manager_a)
    text = "<b>本季度</b> 巡检 & 故障处理 "
    response = api.patch(url(package.pk), {"vendor_statement": text})
    assert response.status_code == 200
    # Kept as typed (the PDF escapes it), the ends trimmed.
    assert response.json()["vendor_statement"] == "<b>本季度</b> 巡检 & 故障处理"
    before = _row(package)
    response = api.patch(url(package.pk), {"status": "signed_off", "vendor_statement": "x"})
    assert response.status_code == 400 and list(response.json()) == ["status"]
    assert list(api.patch(url(package.pk), {}).json()) == ["vendor_statement"]
    assert api.patch(url(package.pk), {"vendor_statement": "x" * 20_001}).status_code == 400
    assert _row(package) == before


def test_wrong_states_are_409s(package, vendor_manager_a, client_manager_a):
    vendor, client = api_as(vendor_manager_a), api_as(client_manager_a)
    # A draft can be neither signed off nor returned, nor submitted without the vendor's account.
    assert client.post(url(package.pk, "sign-off"), {"conclusion": "passed"}).status_code == 409
    assert client.post(url(package.pk, "return"), {"comment": "补充"}).status_code == 409
    response = vendor.post(url(package.pk, "submit"))
    assert response.status_code == 400 and list(response.json()) == ["vendor_statement"]
    assert vendor.patch(url(package.pk), {"vendor_statement": "已完成"}).status_code == 200
    assert vendor.post(url(package.pk, "submit")).status_code == 200
    response = vendor.post(url(package.pk, "submit"))
    assert (response.status_code, response.json()["detail"]) == (
        409,
        "The package has already been submitted.",
    )
    response = vendor.patch(url(package.pk), {"vendor_statement": "偷改"})
    assert response.status_code == 409 and "with the client" in response.json()["detail"]
    # Bad sign-off input: a 400 on the field, still submitted.
    response = client.post(url(package.pk, "sign-off"), {"conclusion": "maybe"})
    assert response.status_code == 400 and list(response.json()) == ["conclusion"]
    response = client.post(url(package.pk, "return"), {"comment": "  "})
    assert response.status_code == 400 and list(response.json()) == ["comment"]
    response = client.post(url(package.pk, "return"), {"comment": ["a"]}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["comment"]
    assert _row(package)[:2] == (Status.SUBMITTED, "已完成")
    # Not signed off: nothing to download yet.
    for action in ("pdf", "archive"):
        response = client.get(url(package.pk, action))
        assert response.status_code == 409 and "not signed off" in response.json()["detail"]


# --- The whole way -------------------------------------------------------------------------------


def test_the_whole_flow(contract_a, vendor_manager_a, client_manager_a):
    june(contract_a)  # the term 2026-05-29 to 2027-05-28, ¥708,000, and June's known figures
    vendor, client = api_as(vendor_manager_a), api_as(client_manager_a)
    created = vendor.post(
        LIST,
        {
            "contract": "A-2026-OM",
            "scope": "quarter",
            "period_start": "2026-05-29",
            "period_end": "2026-06-30",
        },
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert vendor.patch(url(pk), {"vendor_statement": "第一稿"}).status_code == 200
    body = vendor.post(url(pk, "submit")).json()
    assert (body["status"], body["submitted_by"]) == ("submitted", vendor_manager_a.username)
    # Frozen at submission, over 05-29..06-30 (report_data.june):
    # incidents: June's six plus 05-31 23:30 = 7; resolved by 06-30: June #1–#4 and the 05-31 one
    #   = 5, open: #5 and #6 (resolved 07-01) = 2.
    # SLA: with a target #1, #2, #3, #4, #6 and 05-31; met #1, #2, #3 and 05-31 = 4, breached #4 = 1,
    #   #6 pending: 4 / (4 + 1) = 80.0%.
    # inspections: due 4 (06-01..06-04), done 3, missed 1: 3 / 4 = 75.0%.
    # breaches: 06-04 (1 day late) and 05-30 (2 days late): 3 days × 0.3% × 708,000 = 3 × 2,124
    #   = 6,372.00.
    assert body["figures"] == {
        "incidents": 7,
        "incidents_resolved": 5,
        "incidents_open": 2,
        "sla_attainment_percent": 80.0,
        "inspections_due": 4,
        "inspections_done": 3,
        "inspections_missed": 1,
        "inspection_completion_percent": 75.0,
        "breaches": 2,
        "penalty_total": "6372.00",
        "reports": 0,
        "reports_signed_off": 0,
    }

    # The client returns it; the vendor rewrites and submits again.
    body = client.post(url(pk, "return"), {"comment": "补充巡检情况"}).json()
    assert (body["status"], body["review_comment"]) == ("returned", "补充巡检情况")
    statement = "本季度巡检 4 次，完成 3 次；故障 7 起，已解决 5 起。"
    assert vendor.patch(url(pk), {"vendor_statement": statement}).json()["vendor_statement"] == statement
    assert vendor.post(url(pk, "submit")).json()["status"] == "submitted"

    body = client.post(
        url(pk, "sign-off"), {"conclusion": "passed_with_remarks", "opinion": "<i>同意</i>验收"}
    ).json()
    assert (body["status"], body["conclusion"], body["client_opinion"], body["signed_off_by"]) == (
        "signed_off",
        "passed_with_remarks",
        "<i>同意</i>验收",
        client_manager_a.username,
    )
    assert (body["sealed_at"], body["sha256"], body["links"]["pdf"], body["links"]["archive"]) == (
        None,
        "",
        None,
        None,
    )
    response = client.get(url(pk, "pdf"))
    assert response.status_code == 409 and "being sealed" in response.json()["detail"]
    assert client.get(url(pk, "archive")).status_code == 409

    # Signed off: the statement refuses a change and stays as signed.
    signed = AcceptancePackage.objects.get(pk=pk)
    before = _row(signed)
    response = vendor.patch(url(pk), {"vendor_statement": "签字后改"})
    assert response.status_code == 409 and "signed off" in response.json()["detail"]
    assert client.post(url(pk, "sign-off"), {"conclusion": "failed"}).status_code == 409
    assert _row(signed) == before
    assert AcceptancePackage.objects.get(pk=pk).vendor_statement == statement

    # The worker seals it: render, sign, archive.
    assert acceptance.seal_package(pk) is True
    body = client.get(url(pk)).json()
    assert body["sealed_at"] and body["seal_error"] == ""
    assert body["links"]["pdf"] == f"http://testserver{url(pk, 'pdf')}"
    response = client.get(body["links"]["pdf"], HTTP_ACCEPT="application/pdf")
    assert attachment_name(response) == "A-2026-OM-20260529-20260630.pdf"
    sealed = download(response)
    assert hashlib.sha256(sealed).hexdigest() == body["sha256"] == AcceptancePackage.objects.get(pk=pk).sha256
    assert verify_pdf(sealed).ok
    text = pdf_text(sealed)
    for words in (statement, "<i>同意</i>验收", "☑ 附意见通过", "违约金合计 6372.00 元"):
        assert words in text, words

    response = client.get(body["links"]["archive"], HTTP_ACCEPT="application/zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert attachment_name(response) == "A-2026-OM-20260529-20260630.zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        names = archive.namelist()
        # The signed PDF in the archive is the downloaded one, byte for byte.
        assert (
            hashlib.sha256(archive.read("A-2026-OM-验收材料-20260529-20260630.pdf")).hexdigest()
            == body["sha256"]
        )
        assert any(name.endswith(".xlsx") for name in names)
    assert vendor.get(url(pk, "pdf")).status_code == 200  # either party downloads it


# --- Lists ---------------------------------------------------------------------------------------


def _add_packages(contract, months: list[int], *, vendor, client):
    """One signed-off package per month of 2026 (custom periods), made directly."""
    now = timezone.now()
    for month in months:
        AcceptancePackage.objects.create(
            contract=contract,
            scope=AcceptancePackage.Scope.CUSTOM,
            period_start=dt.date(2026, month, 1),
            period_end=dt.date(2026, month, 28),
            status=Status.SIGNED_OFF,
            conclusion="passed",
            submitted_by=vendor,
            submitted_at=now,
            signed_off_by=client,
            signed_off_at=now,
            data={"incidents": {}, "reports": []},
        )


def _list_queries(api, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(path).status_code == 200
    return len(queries)


def test_the_list_takes_a_constant_number_of_queries(term_a, vendor_manager_a, client_manager_a):
    api = api_as(client_manager_a)
    _add_packages(term_a, [6, 7], vendor=vendor_manager_a, client=client_manager_a)
    assert api.get(LIST).json()["count"] == 2
    small = _list_queries(api, LIST)
    _add_packages(term_a, [8, 9, 10, 11], vendor=vendor_manager_a, client=client_manager_a)
    rows = api.get(LIST).json()["results"]
    assert len(rows) == 6 and {row["signed_off_by"] for row in rows} == {client_manager_a.username}
    # The page's count and the page itself, with the contract and both signers joined.
    assert _list_queries(api, LIST) == small == 2


def test_filters(term_a, package, submitted, contract_b, make_user, vendor_org_b, client_manager_a):
    # ``submitted`` is ``package`` submitted; add a term package of A and one of B.
    term = acceptance.create_package(term_a, AcceptancePackage.Scope.TERM, by=client_manager_a)
    contract_b.starts_on, contract_b.ends_on = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    contract_b.save()
    acceptance.create_package(
        contract_b, AcceptancePackage.Scope.TERM, by=make_user(Role.VENDOR_MANAGER, vendor_org_b)
    )
    api = api_as(client_manager_a)

    def ids(query):
        response = api.get(f"{LIST}?{query}")
        assert response.status_code == 200, response.json()
        return sorted(row["id"] for row in response.json()["results"])

    assert ids("contract=A-2026-OM") == sorted([package.pk, term.pk])
    assert ids("contract=B-2026-OM") == []
    assert ids("status=submitted") == [package.pk]
    assert ids("status=draft") == [term.pk]
    assert ids("scope=term") == [term.pk]
    assert ids("scope=quarter&status=submitted") == [package.pk]
    assert api.get(f"{LIST}?status=sealed").status_code == 400
    # The list leaves the figures and the form's text to the detail.
    row = api.get(f"{LIST}?status=submitted").json()["results"][0]
    assert "figures" not in row and "vendor_statement" not in row
    assert api.get(url(package.pk)).json()["figures"]["reports"] == 0
