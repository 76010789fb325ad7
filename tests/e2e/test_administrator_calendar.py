"""The administrator enters 2027's working-day schedule in a real Chromium, without a superuser.

The holidays package knows the State Council's schedules up to 2026; for 2027 it only estimates
the festivals (Spring Festival 5–10 February, no make-up working days). The schedule entered
below is an EXAMPLE in the State Council's style, not the published one (not announced when this
was written): 元旦 1–3 January; 春节 5 (除夕, a Friday) to 14 February, worked on Sunday 31
January and Saturday 20 February.

Five working days after Thursday 4 February 2027: on the estimate, 11, 12, 15, 16, 17 February →
Wednesday 17 February; on the schedule entered, 15–19 February → Friday 19 February.
"""

import datetime as dt
from decimal import Decimal

import pytest

from contracts import worktime
from contracts.models import CalendarDay, CalendarYear, Contract, Milestone
from contracts.services import refresh_due_dates
from om_portal.models import AuditEntry

pytestmark = pytest.mark.e2e


@pytest.fixture
def payment_after_acceptance(demo):
    """A payment due 5 working days after an acceptance on Thursday 4 February 2027, entered
    before the schedule: it counts on the package's estimate until then."""
    contract = Contract.objects.get(code="BJ-2026-RP")
    milestone = Milestone.objects.create(
        contract=contract,
        name="春节前初验后付款（示例）",
        amount=Decimal("10000.00"),
        trigger=Milestone.Trigger.INITIAL_ACCEPTANCE,
        trigger_date=dt.date(2027, 2, 4),
        offset=5,
        offset_unit=Milestone.OffsetUnit.WORKING_DAYS,
    )
    refresh_due_dates(contract)
    milestone.refresh_from_db()
    assert milestone.due_on == dt.date(2027, 2, 17)  # the estimate
    return milestone


def fill_row(page, index, name, first, last, makeup=""):
    page.fill(f"input[name=rows-{index}-name]", name)
    page.fill(f"input[name=rows-{index}-first]", first)
    page.fill(f"input[name=rows-{index}-last]", last)
    page.fill(f"input[name=rows-{index}-makeup]", makeup)


def test_administrator_enters_2027_and_deadlines_follow(
    log_in, live_server, blocked, artifacts, payment_after_acceptance
):
    page = log_in("admin")
    assert worktime.add_working_days(dt.date(2027, 2, 4), 5) == dt.date(2027, 2, 17)

    # The menu leads to the administration; 2027 is an estimate there.
    with page.expect_navigation():
        page.click("#mainnav a[href='/administration/']")
    row_2027 = page.locator("tr", has=page.locator("a[href='/administration/calendar/2027/']"))
    assert row_2027.locator(".badge.status-draft").count() == 1
    with page.expect_navigation():
        row_2027.locator("a[href='/administration/calendar/2027/notice/']").click()

    # The notice in one form, first with a mistake: 劳动节 typed over the Spring Festival.
    fill_row(page, 0, "元旦", "2027-01-01", "2027-01-03")
    fill_row(page, 1, "春节", "2027-02-05", "2027-02-14", "2027-01-31、2027-02-20")
    fill_row(page, 2, "劳动节", "2027-02-12", "2027-02-13")
    page.fill("input[name=source]", "国务院办公厅关于2027年部分节假日安排的通知（示例）")
    with page.expect_navigation():
        page.click("form button.primary[type=submit]")
    error_row = page.locator("tr.notice-row.has-error")
    assert error_row.count() == 1
    assert "2027-02-12" in error_row.inner_text() and "春节" in error_row.inner_text()
    assert not CalendarDay.objects.exists()

    # Corrected: Labour Day is 1–5 May, worked on Sunday 25 April and Saturday 8 May.
    fill_row(page, 2, "劳动节", "2027-05-01", "2027-05-05", "2027-04-25 2027-05-08")
    with page.expect_navigation():
        page.click("form button.primary[type=submit]")
    assert page.url == f"{live_server.url}/administration/calendar/2027/"
    assert page.locator("td[data-date='2027-02-11']").get_attribute("data-kind") == "holiday"
    assert page.locator("td[data-date='2027-02-20']").get_attribute("data-kind") == "makeup_workday"
    assert page.locator("td[data-date='2027-01-31']").get_attribute("data-kind") == "makeup_workday"
    assert page.locator("td[data-date='2027-02-15']").get_attribute("data-kind") == "workday"
    assert CalendarDay.objects.filter(date__year=2027, is_working_day=False).count() == 3 + 10 + 5
    assert not CalendarYear.objects.exists()

    # Marked complete: the days the notice does not name are plain weekdays, not estimates.
    with page.expect_navigation():
        page.click("form[action='/administration/calendar/2027/complete/'] button")
    assert page.locator(".page-head .badge.status-active").count() == 1
    assert CalendarYear.objects.get().year == 2027
    page.screenshot(path=str(artifacts / "administrator-calendar-2027.png"), full_page=True)

    # The page's own check counts 5 working days from Thursday 4 February across the festival.
    page.fill("input[name=start]", "2027-02-04")
    page.fill("input[name=days]", "5")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert "2027-02-19" in page.locator(".deadline-result").inner_text()

    # And so do the services that compute deadlines, and the API that lists the days.
    assert worktime.add_working_days(dt.date(2027, 2, 4), 5) == dt.date(2027, 2, 19)
    payment_after_acceptance.refresh_from_db()
    assert payment_after_acceptance.due_on == dt.date(2027, 2, 19)
    days = page.request.get(f"{live_server.url}/api/v1/working-days/?start=2027-02-04&end=2027-02-20").json()
    working = [day["date"] for day in days if day["is_working_day"]]
    assert working[:6] == ["2027-02-04", "2027-02-15", "2027-02-16", "2027-02-17", "2027-02-18", "2027-02-19"]
    assert all(day["official"] for day in days)
    assert AuditEntry.objects.filter(action="calendar_entered", username="admin").count() == 1
    assert blocked == []
