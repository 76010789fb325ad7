"""An administrator enters next year's holidays after incidents and reports were dated on the
package's estimate: the stored deadlines follow the calendar (contracts.schedule.follow_calendar
and the upper apps' ``calendar_changed``), as unpaid payments already did."""

import datetime as dt

import pytest

from contracts import schedule
from contracts.models import Role, Severity
from incidents import services
from reports.models import Report, ReportRequirement
from tests.incidents.conftest import at

pytestmark = pytest.mark.django_db

# An example notice for New Year 2027, off Friday 1 to Monday 4 January; the package's estimate
# has only the 1st off (no 调休 is published for 2027 yet).
NOTICE = [schedule.NoticeRow(name="元旦", first=dt.date(2027, 1, 1), last=dt.date(2027, 1, 4))]


def enter_notice_and_complete(by):
    schedule.save_notice(2027, NOTICE, by=by)
    schedule.mark_complete(2027, by=by)


def test_an_open_incidents_working_day_deadline_moves_with_the_notice(
    contract_a, term, make_user, vendor_org_a
):
    term("resolution", 20, "working_days")
    engineer = make_user(Role.VENDOR_ENGINEER, vendor_org_a)
    administrator = make_user(Role.CLIENT_MANAGER, contract_a.client)
    incident = services.report_incident(
        contract_a,
        by=engineer,
        title="门户无法登录",
        source="phone",
        severity=Severity.GENERAL,
        reported_at=at(2026, 12, 7, 10, 0),
    )
    before = incident.next_deadline
    assert before.date() == dt.date(2027, 1, 5)  # 20 working days on the estimate
    enter_notice_and_complete(administrator)
    incident.refresh_from_db()
    assert incident.next_deadline.date() == dt.date(2027, 1, 6)


def test_a_draft_reports_due_date_in_working_days_moves_and_a_submitted_one_stays(contract_a, make_user):
    ReportRequirement.objects.create(
        contract=contract_a, kind="monthly", due_offset=5, due_unit="working_days"
    )
    common = {"contract": contract_a, "kind": "monthly", "due_on": dt.date(2027, 1, 6)}
    ends = dt.date(2026, 12, 29)
    draft = Report.objects.create(period_start=dt.date(2026, 12, 1), period_end=ends, **common)
    submitted = Report.objects.create(
        period_start=dt.date(2026, 11, 30), period_end=ends, status="submitted", **common
    )
    enter_notice_and_complete(make_user(Role.CLIENT_MANAGER, contract_a.client))
    draft.refresh_from_db()
    submitted.refresh_from_db()
    assert draft.due_on == dt.date(2027, 1, 7)  # 5 working days after 29 December, 4 January off
    assert submitted.due_on == dt.date(2027, 1, 6)
