"""Sign-off and acceptance in a real headless Chromium, as the two parties' managers meet them.

Contract A has seed 000's figures (a year from 2026-05-29, ¥708,000). The vendor built and submitted
the report of the week 2026-06-01..06-07; the client manager signs it off in the browser, the vendor
manager prepares and signs the acceptance package of the term's first quarter, and the client
manager accepts it and downloads the signed 合同履行验收报告. The builds and the sealing are Celery
tasks, run eagerly inside the live server's request: the pages show their results at once.
"""

import datetime as dt
import hashlib
import subprocess
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.db import transaction

from contracts.models import Role
from reports import services, signing
from reports.models import AcceptancePackage, Report, ReportKind
from tests.conftest import PASSWORD
from tests.reports.report_data import at, incident

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1280, "height": 900}
WEEK = (dt.date(2026, 6, 1), dt.date(2026, 6, 7))
# The first quarter of the term: calendar Q2 2026 (04-01..06-30) clipped to the term's start 05-29.
FIRST_QUARTER = (dt.date(2026, 5, 29), dt.date(2026, 6, 30))
REVIEW_COMMENT = "周报内容完整，同意签收。"
STATEMENT = "第一季度按合同完成巡检与故障处理，周报按时提交。"
OPINION = "同意验收，服务按合同履行。"


@pytest.fixture
def eager_celery():
    """Tasks run where they are sent: in the live server's thread, inside the request.

    Set on the app's configuration itself: once another test has read it, Celery keeps its own
    copy, and an override of Django's settings no longer reaches it."""
    from om_portal.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def storage(settings, tmp_path):
    """PDFs, archives and the development signing certificate of this test in its own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REPORT_SIGNING_DEV_DIR = tmp_path / "signing"
    signing.clear_cache()
    yield
    signing.clear_cache()


@pytest.fixture
def managers(transactional_db, contract_a, make_user, client_org_a, vendor_org_a):
    """Contract A with seed 000's term and total, and one manager of each party."""
    contract_a.starts_on, contract_a.ends_on = dt.date(2026, 5, 29), dt.date(2027, 5, 28)
    contract_a.total = Decimal("708000.00")
    contract_a.save()
    vendor = make_user(Role.VENDOR_MANAGER, vendor_org_a, username="vendor_mgr", last_name="乙方经理")
    client = make_user(Role.CLIENT_MANAGER, client_org_a, username="client_mgr", last_name="甲方经理")
    return contract_a, vendor, client


@pytest.fixture
def submitted_week(managers, eager_celery, storage):
    """The week's report built from the data and submitted by the vendor manager.

    Two incidents in the week, each with a 4-hour resolution target: one resolved in 2 hours (met),
    one resolved after 29 hours with its breach recorded (missed) → SLA attainment 1 / 2 = 50.0%.
    """
    contract, vendor, _client = managers
    incident(contract, at(2026, 6, 2, 10), resolved_at=at(2026, 6, 2, 12), targets=["resolution"])
    incident(
        contract,
        at(2026, 6, 3, 9),
        title="接口调用超时",
        resolved_at=at(2026, 6, 4, 14),
        targets=["resolution"],
        resolution_breached_at=at(2026, 6, 3, 13),
    )
    # One transaction, so that the build queued by request_build is sent on commit, after the
    # direct run_build below has claimed it: the eager task then finds nothing queued.
    with transaction.atomic():
        report = services.create_report(contract, ReportKind.WEEKLY, *WEEK, by=vendor)
        assert services.request_build(report, by=vendor)
        assert services.run_build(report.pk)
        report.refresh_from_db()
        services.update_narrative(report, {"plan": "下周完成数据源巡检。"}, by=vendor)
        services.submit(report, by=vendor)
    report.refresh_from_db()
    assert (report.status, report.data["sla"]["attainment_percent"]) == (Report.Status.SUBMITTED, 50.0)
    return report


@pytest.fixture
def new_page(browser, live_server, blocked):
    """new_page() → a page in a fresh browser context (no cookies) that reaches the live server only."""
    contexts = []
    own_origin = urlsplit(live_server.url).netloc

    def only_live_server(route):
        if urlsplit(route.request.url).netloc == own_origin:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    def make():
        context = browser.new_context(viewport=VIEWPORT, locale="en-US", accept_downloads=True)
        context.route("**/*", only_live_server)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form:has(input[name=password]) button[type=submit]")
    assert page.url == f"{live_server.url}/", f"login as {username} did not reach the home page"
    return page


def pdf_text(path) -> str:
    """The PDF's text with all white space removed: pdftotext breaks lines where the layout does."""
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
    return "".join(text.split())


def test_client_signs_off_and_downloads_the_acceptance_pdf(
    live_server, new_page, managers, submitted_week, blocked, artifacts, tmp_path
):
    contract, _vendor, _client = managers
    report = submitted_week
    base = live_server.url

    # --- The client manager signs the week's report off -----------------------------------------
    client_page = log_in(new_page(), live_server, "client_mgr")
    with client_page.expect_navigation():
        client_page.click("#mainnav a[href='/reports/']")
    assert client_page.url == f"{base}/reports/"
    with client_page.expect_navigation():
        client_page.click(f"table a[href='{report.get_absolute_url()}']")
    client_page.fill("form.review textarea[name=comment]", REVIEW_COMMENT)
    with client_page.expect_navigation():
        client_page.click("form.review button.primary")
    assert client_page.url == f"{base}{report.get_absolute_url()}"
    assert client_page.locator(".message.success").is_visible()
    assert REVIEW_COMMENT in client_page.inner_text("dl.facts")
    # Sealed within the request: the signed version is listed with its hash and download link.
    version = report.versions.get()
    assert (version.number, version.seal_error, len(version.sha256)) == (1, "", 64)
    row = client_page.locator("table tr", has_text="v1")
    assert row.locator("code.hash").inner_text() == version.sha256
    link = row.locator(f"a[href='/reports/{report.pk}/v1.pdf']")
    assert link.is_visible()
    signed_report = client_page.request.get(f"{base}{link.get_attribute('href')}")
    assert signed_report.ok and hashlib.sha256(signed_report.body()).hexdigest() == version.sha256
    # Signed off, the page offers no action on the report any more.
    assert client_page.locator("form.review").count() == 0

    # --- The vendor manager prepares, signs and submits the first quarter's package -------------
    vendor_page = log_in(new_page(), live_server, "vendor_mgr")
    vendor_page.goto(f"{base}{contract.get_absolute_url()}")
    with vendor_page.expect_navigation():
        vendor_page.click(f"nav.tabs a[href='/reports/acceptance/contract/{contract.code}/']")
    start, end = FIRST_QUARTER
    vendor_page.select_option("select[name=period]", value=f"quarter:{start}:{end}")
    with vendor_page.expect_navigation():
        vendor_page.click("form[action$='/new/'] button.primary")
    package = AcceptancePackage.objects.get(contract=contract)
    assert (package.period_start, package.period_end, package.scope) == (start, end, "quarter")
    assert vendor_page.url == f"{base}{package.get_absolute_url()}"
    vendor_page.fill("textarea[name=vendor_statement]", STATEMENT)
    with vendor_page.expect_navigation():
        vendor_page.click("button[formaction$='/submit/']")
    assert vendor_page.locator(".message.success").is_visible()
    package.refresh_from_db()
    assert (package.status, package.vendor_statement) == (AcceptancePackage.Status.SUBMITTED, STATEMENT)
    # The frozen figures hold the signed week: 1 report, its version 1.
    assert [(r["id"], r["version"]) for r in package.data["reports"]] == [(report.pk, 1)]

    # --- The client manager accepts the package and downloads the signed PDF --------------------
    client_page.goto(f"{base}/reports/acceptance/contract/{contract.code}/")
    with client_page.expect_navigation():
        client_page.click(f"a[href='{package.get_absolute_url()}']")
    assert STATEMENT in client_page.inner_text("main")
    client_page.check("input[name=conclusion][value=passed]")
    client_page.fill("textarea[name=opinion]", OPINION)
    with client_page.expect_navigation():
        client_page.click("form.review button.primary")
    assert client_page.locator(".message.success").is_visible()
    package.refresh_from_db()
    assert (package.status, package.conclusion, package.client_opinion) == ("signed_off", "passed", OPINION)
    assert package.seal_error == "" and package.sealed_at is not None
    assert client_page.locator("code.hash").inner_text() == package.sha256

    with client_page.expect_download() as info:
        client_page.click(f"a[href='/reports/acceptance/{package.pk}/package.pdf']")
    download = info.value
    assert download.suggested_filename == f"{contract.code}-验收材料-20260529-20260630.pdf"
    saved = tmp_path / "acceptance.pdf"
    download.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == package.sha256
    text = pdf_text(saved)
    assert "合同履行验收报告" in text
    assert "".join(OPINION.split()) in text
    assert "☑验收合格" in text
    # The quarter's figures: the week's 2 incidents, 1 met of 1 + 1 with a known outcome = 50.0%.
    assert "故障2起，SLA达标率50.0%" in text

    client_page.screenshot(path=artifacts / "acceptance-signed-off.png", full_page=True)
    assert blocked == []
