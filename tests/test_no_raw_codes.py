"""Issue 13, item 2: no raw code reaches a person.

A contract holding a breach of every registered kind (half of the kinds priced by a clause, the
other half unpriced), an incident with every SLA clock breached by the checker, and a quarterly
report; the main pages are rendered under zh-hans and their visible text (text nodes, not
attributes) must hold no snake_case code such as ``sla_arrival``. The quarterly PDF, rendered by
the project's own rendering and read back with pdftotext, must read in Chinese throughout.
"""

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal as D
from html.parser import HTMLParser

import pytest
from django.utils import timezone, translation

from contracts import obligations
from contracts.models import Breach, PenaltyClause, Role, SLATerm
from contracts.penalties import record_breach
from incidents.checker import check_deadlines
from incidents.services import report_incident
from om_portal import digest
from om_portal.models import Delivery
from reports.building import build_data
from reports.models import BuildState, Report, ReportKind
from reports.pdf import write_pdf
from reports.rendering import report_html

pytestmark = pytest.mark.django_db

SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
# Model labels of the audit trail ("contracts.breach") are codes too.
MODEL_LABEL = re.compile(r"\b(?:contracts|incidents|inspections|reports|om_portal|auth)\.[a-z]+\b")


class _Text(HTMLParser):
    """The text a person reads: text nodes outside <script>, <style> and <template>."""

    SKIP = {"script", "style", "template"}

    def __init__(self):
        super().__init__()
        self.parts, self.depth = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def raw_codes(text: str) -> set[str]:
    return set(SNAKE.findall(text)) | set(MODEL_LABEL.findall(text))


def _shape(kind) -> str:
    return kind.shapes[0]


@pytest.fixture
def world(contract_a, client_manager_a, make_user, vendor_org_a):
    contract = contract_a
    # Someone the checker's messages go to (the vendor's manager, nobody being on duty).
    make_user(Role.VENDOR_MANAGER, vendor_org_a, email="manager@vendor.example")
    contract.starts_on, contract.ends_on = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    contract.total = D("708000.00")
    contract.save()
    when = timezone.make_aware(dt.datetime(2026, 2, 10, 10))
    for i, kind in enumerate(obligations.KINDS.values()):
        if i % 2 == 0:
            shape = _shape(kind)
            PenaltyClause.objects.create(
                contract=contract,
                kind=kind.code,
                title=f"第{i + 1}条",
                shape=shape,
                rate_percent=D("0.1"),
                threshold_count=1 if shape == PenaltyClause.Shape.COUNT_THRESHOLD else None,
                base=PenaltyClause.Base.OVERDUE_AMOUNT
                if kind.code == "late_payment"
                else PenaltyClause.Base.TOTAL,
                party=PenaltyClause.Party.CLIENT
                if kind.code == "late_payment"
                else PenaltyClause.Party.VENDOR,
            )
        record_breach(
            contract,
            kind.code,
            occurred_at=when + dt.timedelta(hours=i),
            source="manual",
            days_late=2,
            overdue_amount=D("1000.00"),
            note="登记",
            recorded_by=client_manager_a,
        )
    # Every clock breached, recorded by the checker as it is every minute.
    for clock in SLATerm.Clock.values:
        SLATerm.objects.create(contract=contract, clock=clock, target=10, unit="minutes")
    reported = timezone.now() - dt.timedelta(hours=3)
    incident = report_incident(
        contract,
        by=client_manager_a,
        title="接入网中断",
        source="phone",
        reported_at=reported,
        needs_onsite=True,
    )
    with translation.override("zh-hans"):  # the worker's language, settings.LANGUAGE_CODE
        check_deadlines(timezone.now())
        # The checker's notices become messages when the contract's notices are sent (after its
        # commit, which this test's transaction never reaches): send them as the worker would.
        digest.flush_all()
    incident.refresh_from_db()
    assert all(getattr(incident, f"{clock}_breached_at") for clock in SLATerm.Clock.values)
    with translation.override("zh-hans"):
        data = build_data(contract, ReportKind.QUARTERLY, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    report = Report.objects.create(
        contract=contract,
        kind=ReportKind.QUARTERLY,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 3, 31),
        data=data,
        build_state=BuildState.DONE,
        build_progress=100,
    )
    return {"contract": contract, "incident": incident, "report": report, "data": data}


def test_every_breach_kind_is_registered_with_both_labels_and_a_shape():
    for kind in obligations.KINDS.values():
        assert kind.zh and kind.en and kind.producers and kind.shapes, kind.code
        assert set(kind.shapes) <= set(PenaltyClause.Shape.values), kind.code
        assert not SNAKE.search(kind.zh) and not SNAKE.search(kind.en), kind.code


def test_the_main_pages_show_labels_not_codes(world, client, client_manager_a, make_user, client_org_a):
    contract, incident, report = world["contract"], world["incident"], world["report"]
    auditor = make_user(Role.AUDITOR, client_org_a)
    pages = {
        client_manager_a: [
            "/",
            f"/contracts/{contract.code}/",
            f"/contracts/{contract.code}/penalties/",
            f"/contracts/{contract.code}/penalties/?page=2",
            f"/contracts/{contract.code}/sla/",
            f"/contracts/{contract.code}/milestones/",
            f"/contracts/{contract.code}/penalties/breaches/add/",
            f"/contracts/{contract.code}/clauses/add/",
            "/incidents/",
            f"/incidents/{incident.pk}/",
            "/inspections/",
            f"/inspections/contract/{contract.code}/",
            "/reports/",
            f"/reports/{report.pk}/",
        ],
        auditor: ["/audit/", "/audit/?format=csv"],
    }
    found = {}
    for user, urls in pages.items():
        client.force_login(user)
        client.cookies["django_language"] = "zh-hans"
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.content.decode("utf-8-sig")
            codes = raw_codes(body if "format=csv" in url else visible_text(body))
            if codes:
                found[url] = sorted(codes)
    assert found == {}, found


def test_the_checkers_messages_and_ledger_notes_show_labels(world):
    deliveries = list(Delivery.objects.values_list("subject", "body"))
    assert deliveries
    for subject, body in deliveries:
        assert raw_codes(subject + "\n" + body) == set(), (subject, body)
    assert "到达现场" in "".join(body for _subject, body in deliveries)
    notes = Breach.objects.filter(source=Breach.Source.INCIDENT).values_list("kind", "note")
    assert {kind for kind, _note in notes} == {"sla_response", "sla_arrival", "sla_resolution"}
    assert all(raw_codes(note) == set() for _kind, note in notes)


def test_the_clause_form_offers_the_registry_by_label(world, client, client_manager_a):
    client.force_login(client_manager_a)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(f"/contracts/{world['contract'].code}/clauses/add/").content.decode()
    assert '<option value="sla_arrival">到达现场超时</option>' in html
    client.cookies["django_language"] = "en"
    html = client.get(f"/contracts/{world['contract'].code}/clauses/add/").content.decode()
    assert '<option value="sla_arrival">Late arrival on site</option>' in html


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")
def test_the_quarterly_pdf_reads_in_chinese_throughout(world, tmp_path):
    with translation.override("en"):
        # Whoever asks for it, the PDF is a Chinese document.
        pdf = write_pdf(report_html(world["data"], {}, signature=None))
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    assert raw_codes(text) == set()
    # Every kind appears by its Chinese label, none by its English one.
    flat = re.sub(r"\s+", "", text)
    for kind in obligations.KINDS.values():
        assert kind.zh.replace(" ", "") in flat, kind.code
        assert kind.en not in text, kind.code
    # No English word at all, beyond what the document truly writes in Latin letters: the
    # contract's code, "SLA" (the contracts' own word) and the seal/verification wording.
    words = set(re.findall(r"[A-Za-z]{3,}", text))
    allowed = {"SLA"} | set(re.findall(r"[A-Za-z]{3,}", world["contract"].code))
    assert words - allowed == set()
