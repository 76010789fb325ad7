"""A signed-off version is frozen: later data does not reach its PDF, and sealing happens once."""

import datetime as dt
import hashlib
import subprocess

import pytest

from reports import beat, services
from reports.models import Report, ReportKind, ReportVersion
from reports.services import ReportConflict
from reports.signing import verify_pdf
from tests.reports.report_data import at, incident

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


@pytest.fixture
def signed_off(term_a, vendor_manager_a, client_manager_a):
    """The week of 2026-06-01 with one incident, built, submitted and signed off (not sealed)."""
    incident(term_a, at(2026, 6, 2, 9, 0), title="门户登录超时")
    report = services.create_report(
        term_a, ReportKind.WEEKLY, dt.date(2026, 6, 1), dt.date(2026, 6, 7), by=vendor_manager_a
    )
    services.request_build(report, by=vendor_manager_a)
    assert services.run_build(report.pk)
    services.submit(Report.objects.get(pk=report.pk), by=vendor_manager_a)
    return services.sign_off(report, by=client_manager_a)


def test_later_data_does_not_reach_a_signed_off_version(signed_off, term_a, vendor_manager_a):
    # A second incident of the same week, recorded after the sign-off.
    incident(term_a, at(2026, 6, 5, 9, 0), title="短信网关中断")
    report = signed_off.report
    with pytest.raises(ReportConflict):
        services.request_build(report, by=vendor_manager_a)
    assert services.seal_version(signed_off.pk)
    signed_off.refresh_from_db()
    text = _text(signed_off.pdf.read())
    assert "本期报告故障 1 起" in text and "门户登录超时" in text
    assert "短信网关中断" not in text
    assert "第 1 版" in text  # the signature block names the version


def test_sealing_happens_once_and_the_hash_is_the_files(signed_off):
    assert services.seal_version(signed_off.pk)
    assert not services.seal_version(signed_off.pk)
    version = ReportVersion.objects.get(pk=signed_off.pk)
    pdf = version.pdf.read()
    assert hashlib.sha256(pdf).hexdigest() == version.sha256
    assert verify_pdf(pdf).ok
    # The draft was marked as one; the signed version is not.
    assert "草稿" not in _text(pdf)


def test_a_lost_seal_is_sent_again(signed_off, monkeypatch):
    sent = []
    monkeypatch.setattr(services, "enqueue", lambda name, *args: sent.append((name, *args)))
    later = signed_off.signed_off_at + dt.timedelta(minutes=10)
    beat.resend_stalled(later)
    assert ("seal_version", signed_off.pk) in sent
    services.seal_version(signed_off.pk)
    sent.clear()
    beat.resend_stalled(later)
    assert sent == []
