"""A report's whole way through the API, with a real build, real WeasyPrint PDFs read back with
pdftotext, and a real PAdES seal: create → build → narrative → submit → sign-off → frozen (409)
→ sealed PDF whose SHA-256 is the stored one → re-issue → version 2 editable."""

import hashlib
import re
import subprocess

import pytest

from reports import services
from reports.models import Report, ReportVersion
from reports.signing import verify_pdf
from tests.reports.test_api import api_as, url

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def download(response) -> bytes:
    assert response.status_code == 200, getattr(response, "data", response)
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def attachment_name(response) -> str:
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    return re.search(r'filename="([^"]+)"', disposition).group(1)


def test_the_whole_flow(term_a, vendor_manager_a, client_manager_a):
    vendor, client = api_as(vendor_manager_a), api_as(client_manager_a)
    created = vendor.post(
        "/api/v1/reports/",
        {"contract": "A-2026-OM", "kind": "weekly", "period_start": "2026-06-01", "period_end": "2026-06-07"},
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]

    # Build: queued by the API, run here in place of the worker.
    assert vendor.post(url(pk, "build")).json()["state"] == "queued"
    assert services.run_build(pk) is True
    assert vendor.get(url(pk, "progress")).json() == {
        "state": "done",
        "label": "Built",
        "percent": 100,
        "error": "",
    }
    detail = vendor.get(url(pk)).json()
    assert detail["links"]["draft_pdf"] == f"http://testserver/api/v1/reports/{pk}/draft-pdf/"
    response = vendor.get(url(pk, "draft-pdf"), HTTP_ACCEPT="application/pdf")
    assert attachment_name(response) == "A-2026-OM-weekly-20260601-v1-draft.pdf"
    draft = download(response)
    assert draft.startswith(b"%PDF-") and "A-2026-OM" in pdf_text(draft)

    # The vendor's words, HTML included: kept as typed, printed as text.
    narrative = {"summary": "<script>alert(1)</script> 本周巡检七次", "plan": "下周升级中间件"}
    response = vendor.patch(url(pk), {"narrative": narrative})
    assert response.status_code == 200 and response.json()["narrative"] == narrative

    submitted = vendor.post(url(pk, "submit")).json()
    assert (submitted["status"], submitted["submitted_by"]) == ("submitted", vendor_manager_a.username)
    signed = client.post(url(pk, "sign-off"), {"comment": "同意"}).json()
    assert (signed["status"], signed["review_comment"], signed["reviewed_by"]) == (
        "signed_off",
        "同意",
        client_manager_a.username,
    )
    assert [(v["number"], v["sealed_at"], v["pdf"]) for v in signed["versions"]] == [(1, None, None)]

    # Frozen: the narrative refuses a change and stays as signed.
    response = vendor.patch(url(pk), {"narrative": {"plan": "改过的计划"}})
    assert response.status_code == 409
    assert Report.objects.get(pk=pk).narrative == narrative

    # The worker seals the version: its PDF's hash is the stored one, and the signature holds.
    version = ReportVersion.objects.get(report_id=pk)
    assert client.get(f"/api/v1/report-versions/{version.pk}/pdf/").status_code == 409
    assert services.seal_version(version.pk) is True
    body = client.get(f"/api/v1/report-versions/{version.pk}/").json()
    assert body["sealed_at"] and body["pdf"] == f"http://testserver/api/v1/report-versions/{version.pk}/pdf/"
    response = client.get(body["pdf"])
    assert attachment_name(response) == "A-2026-OM-weekly-20260601-v1.pdf"
    sealed = download(response)
    version.refresh_from_db()
    assert hashlib.sha256(sealed).hexdigest() == body["sha256"] == version.sha256
    assert verify_pdf(sealed).ok
    text = pdf_text(sealed)
    assert "<script>alert(1)</script> 本周巡检七次" in text and "下周升级中间件" in text

    # A re-issue opens version 2 for editing; version 1 and its PDF stay as they were.
    reopened = vendor.post(url(pk, "reissue"), {"reason": "第一版漏报一次故障"}).json()
    assert (reopened["status"], reopened["version"]) == ("draft", 2)
    response = vendor.patch(url(pk), {"narrative": {"plan": "第二版计划"}})
    assert response.status_code == 200
    assert response.json()["narrative"] == {**narrative, "plan": "第二版计划"}
    assert [v["number"] for v in response.json()["versions"]] == [1]
    again = download(client.get(f"/api/v1/report-versions/{version.pk}/pdf/"))
    assert hashlib.sha256(again).hexdigest() == version.sha256
    assert ReportVersion.objects.get(pk=version.pk).narrative == narrative
