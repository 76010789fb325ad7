"""The administrator's pages (/administration/): the working-day calendar, the loan prime rates
and the notification channels, without the sealed superuser (issue 18, item 5)."""

import datetime as dt
from decimal import Decimal

import pytest

from contracts import schedule, worktime
from contracts.models import CalendarDay, CalendarYear, LoanPrimeRate, Milestone, Role
from om_portal.models import AuditEntry

PAGES = [
    "/administration/",
    "/administration/calendar/2027/",
    "/administration/calendar/2027/notice/",
    "/administration/rates/",
    "/administration/rates/add/",
    "/administration/channels/",
    "/administration/channels/add/",
]


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def notice_post(rows, source="", extra_blank=1):
    """The notice form's POST: ``rows`` as (name, first, last, makeup), then blank rows."""
    data = {
        "rows-TOTAL_FORMS": str(len(rows) + extra_blank),
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "40",
        "source": source,
    }
    for index, (name, first, last, makeup) in enumerate(rows):
        data.update(
            {
                f"rows-{index}-name": name,
                f"rows-{index}-first": first,
                f"rows-{index}-last": last,
                f"rows-{index}-makeup": makeup,
            }
        )
    for index in range(len(rows), len(rows) + extra_blank):
        data.update({f"rows-{index}-{name}": "" for name in ("name", "first", "last", "makeup")})
    return data


# An example, not the published schedule (the State Council had not announced 2027 when this was
# written): Spring Festival 2027 (除夕 Friday 5 February) off 5–14 February, worked on Sunday 31
# January and Saturday 20 February.
SPRING_2027 = ("春节", "2027-02-05", "2027-02-14", "2027-01-31、2027-02-20")


@pytest.mark.parametrize("url", PAGES)
def test_administrator_opens_every_page(admin_client, url):
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize(
    "role", [Role.VENDOR_ENGINEER, Role.VENDOR_MANAGER, Role.CLIENT_MANAGER, Role.AUDITOR]
)
def test_every_other_role_is_refused(client, make_user, client_org_a, vendor_org_a, url, role):
    vendor = role in (Role.VENDOR_ENGINEER, Role.VENDOR_MANAGER)
    client.force_login(make_user(role, vendor_org_a if vendor else client_org_a))
    assert client.get(url).status_code == 403


def test_security_administrator_is_refused(client, make_user, client_org_a):
    client.force_login(make_user(Role.SECURITY_ADMIN, client_org_a))
    assert client.get("/administration/calendar/2027/").status_code == 403
    response = client.post("/administration/calendar/2027/notice/", notice_post([SPRING_2027]))
    assert response.status_code == 403
    assert not CalendarDay.objects.exists()


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/administration/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_superuser_opens_the_pages(client, make_user):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    assert client.get("/administration/calendar/2027/").status_code == 200


def test_menu_links_the_administration_for_the_administrator_only(client, administrator, client_manager_a):
    client.force_login(administrator)
    assert 'href="/administration/"' in client.get("/").content.decode()
    client.force_login(client_manager_a)
    assert 'href="/administration/"' not in client.get("/").content.decode()


# --- The calendar --------------------------------------------------------------------------------


def test_notice_saves_ranges_and_makeup_days_in_one_go(admin_client, administrator):
    rows = [("元旦", "2027-01-01", "2027-01-03", ""), SPRING_2027]
    response = admin_client.post("/administration/calendar/2027/notice/", notice_post(rows, "示例通知"))
    assert response.status_code == 302, response.content.decode()[:2000]
    off = list(CalendarDay.objects.filter(is_working_day=False).values_list("date", "name"))
    assert len(off) == 3 + 10
    assert (dt.date(2027, 2, 11), "春节") in off
    worked = set(CalendarDay.objects.filter(is_working_day=True).values_list("date", flat=True))
    assert worked == {dt.date(2027, 1, 31), dt.date(2027, 2, 20)}
    line = AuditEntry.objects.filter(action="calendar_entered").get()
    assert line.username == administrator.username
    assert line.detail["year"] == 2027 and line.detail["days_off"] == 13 and line.detail["makeup_days"] == 2
    # The year page reads it back: the form, pre-filled, and the days by kind.
    page = admin_client.get("/administration/calendar/2027/").content.decode()
    assert 'data-date="2027-02-11" data-kind="holiday"' in page
    assert 'data-date="2027-02-20" data-kind="makeup_workday"' in page
    form = admin_client.get("/administration/calendar/2027/notice/").content.decode()
    assert 'value="2027-01-31、2027-02-20"' in form


def test_saving_again_replaces_the_year(admin_client):
    admin_client.post("/administration/calendar/2027/notice/", notice_post([SPRING_2027]))
    CalendarDay.objects.create(date=dt.date(2026, 10, 9), is_working_day=False, name="another year")
    rows = [("春节", "2027-02-06", "2027-02-12", "2027-02-20")]
    assert admin_client.post("/administration/calendar/2027/notice/", notice_post(rows)).status_code == 302
    assert CalendarDay.objects.filter(date__year=2027).count() == 8
    assert not CalendarDay.objects.filter(date=dt.date(2027, 2, 5)).exists()
    assert CalendarDay.objects.filter(date=dt.date(2026, 10, 9)).exists()  # other years untouched


@pytest.mark.parametrize(
    ("rows", "field", "message"),
    [
        (
            [("春节", "2027-02-05", "2027-02-14", ""), ("重叠", "2027-02-10", "2027-02-11", "")],
            "first",
            "already a day off",
        ),
        ([("元旦", "2026-12-31", "2027-01-02", "")], "first", "is not in 2027"),
        ([("国庆", "2027-10-01", "2028-01-02", "")], "last", "is not in 2027"),
        ([("春节", "2027-02-14", "2027-02-05", "")], "last", "comes before"),
        ([("春节", "2027-02-05", "", "")], "last", "both the first and the last"),
        ([("春节", "2027-02-05", "2027-02-14", "2027-02-10")], "makeup", "is a day off"),
        ([("春节", "2027-02-05", "2027-02-14", "2027-02-17")], "makeup", "is a weekday"),
        ([("春节", "2027-02-05", "2027-02-14", "2028-01-01")], "makeup", "is not in 2027"),
        ([("春节", "2027-02-05", "2027-02-14", "2月20日")], "makeup", "is not a date"),
        ([("春节", "", "", "")], "first", "Give the days off"),
    ],
)
def test_notice_errors_are_shown_on_their_row(settings, admin_client, rows, field, message):
    settings.LANGUAGE_CODE = "en"
    response = admin_client.post(
        "/administration/calendar/2027/notice/", notice_post(rows), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    formset = response.context["formset"]
    errors = [str(e) for form in formset.forms for e in form.errors.get(field, [])]
    assert any(message in error for error in errors), formset.errors
    assert not CalendarDay.objects.exists()
    assert not AuditEntry.objects.filter(action="calendar_entered").exists()


def test_a_failure_midway_leaves_the_year_as_it_was(admin_client, monkeypatch):
    admin_client.post("/administration/calendar/2027/notice/", notice_post([SPRING_2027]))
    before = list(CalendarDay.objects.values_list("date", "is_working_day", "name"))

    def broken(year):
        raise RuntimeError("the milestones could not be refreshed")

    monkeypatch.setattr(schedule, "refresh_working_day_milestones", broken)
    with pytest.raises(RuntimeError):
        admin_client.post(
            "/administration/calendar/2027/notice/", notice_post([("元旦", "2027-01-01", "2027-01-01", "")])
        )
    assert list(CalendarDay.objects.values_list("date", "is_working_day", "name")) == before


def test_marking_complete_needs_the_holidays_and_an_unpublished_year(admin_client):
    response = admin_client.post("/administration/calendar/2027/complete/", {"source": ""})
    assert response.status_code == 400
    assert not CalendarYear.objects.exists()
    response = admin_client.post("/administration/calendar/2026/complete/", {"source": ""})
    assert response.status_code == 400
    assert not CalendarYear.objects.exists()
    admin_client.post("/administration/calendar/2027/notice/", notice_post([SPRING_2027]))
    response = admin_client.post("/administration/calendar/2027/complete/", {"source": "示例"})
    assert response.status_code == 302
    assert CalendarYear.objects.get().year == 2027
    assert schedule.year_status(2027) == "complete"
    assert admin_client.post("/administration/calendar/2027/reopen/").status_code == 302
    assert not CalendarYear.objects.exists()


def test_complete_year_counts_the_deadlines_and_moves_the_payments(admin_client, contract_a):
    """Before the notice, 5 working days after Thursday 4 February 2027 count on the package's
    estimate (Spring Festival 5–10 February): Wednesday 17 February. With the notice (off until
    the 14th) and 2027 complete: Friday 19 February; the payment due then moves with it."""
    milestone = Milestone.objects.create(
        contract=contract_a,
        name="初验后付款",
        amount=Decimal("1000"),
        trigger=Milestone.Trigger.INITIAL_ACCEPTANCE,
        trigger_date=dt.date(2027, 2, 4),
        offset=5,
        offset_unit=Milestone.OffsetUnit.WORKING_DAYS,
    )
    from contracts.services import refresh_due_dates

    refresh_due_dates(contract_a)
    milestone.refresh_from_db()
    assert milestone.due_on == dt.date(2027, 2, 17)
    admin_client.post("/administration/calendar/2027/notice/", notice_post([SPRING_2027]))
    admin_client.post("/administration/calendar/2027/complete/", {"source": ""})
    assert worktime.add_working_days(dt.date(2027, 2, 4), 5) == dt.date(2027, 2, 19)
    milestone.refresh_from_db()
    assert milestone.due_on == dt.date(2027, 2, 19)
    # A day the notice does not name is a plain weekday now, not the package's Labour Day swap.
    assert worktime.is_working_day(dt.date(2027, 5, 4))
    page = admin_client.get("/administration/calendar/2027/?start=2027-02-04&days=5").content.decode()
    assert "2027-02-19" in page


@pytest.mark.parametrize("year", ["1969", "2100"])
def test_years_out_of_range_are_not_found(admin_client, year):
    assert admin_client.get(f"/administration/calendar/{year}/").status_code == 404


# --- Loan prime rates ----------------------------------------------------------------------------


def test_rates_are_entered_edited_and_deleted(admin_client):
    data = {"effective_on": "2026-11-20", "one_year_percent": "3.000", "source": "中国人民银行公告"}
    assert admin_client.post("/administration/rates/add/", data).status_code == 302
    rate = LoanPrimeRate.objects.get()
    assert AuditEntry.objects.filter(action="create", object_type="contracts.loanprimerate").exists()
    data["one_year_percent"] = "2.950"
    assert admin_client.post(f"/administration/rates/{rate.pk}/", data).status_code == 302
    rate.refresh_from_db()
    assert rate.one_year_percent == Decimal("2.950")
    assert admin_client.post(f"/administration/rates/{rate.pk}/delete/").status_code == 302
    assert not LoanPrimeRate.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"effective_on": "2026-11-20", "one_year_percent": "101"}, "one_year_percent"),
        ({"effective_on": "2026-11-20", "one_year_percent": "-1"}, "one_year_percent"),
        ({"effective_on": "not a date", "one_year_percent": "3"}, "effective_on"),
    ],
)
def test_bad_rates_are_field_errors(admin_client, values, field):
    response = admin_client.post("/administration/rates/add/", {**values, "source": ""})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not LoanPrimeRate.objects.exists()


def test_a_second_rate_on_the_same_day_is_a_field_error(admin_client):
    LoanPrimeRate.objects.create(effective_on=dt.date(2026, 11, 20), one_year_percent=Decimal("3"))
    response = admin_client.post(
        "/administration/rates/add/", {"effective_on": "2026-11-20", "one_year_percent": "3.1", "source": ""}
    )
    assert response.status_code == 400 and "effective_on" in response.context["form"].errors


def test_vendor_cannot_post_a_rate(client, vendor_manager_a):
    client.force_login(vendor_manager_a)
    data = {"effective_on": "2026-11-20", "one_year_percent": "3"}
    response = client.post("/administration/rates/add/", data)
    assert response.status_code == 403
    assert not LoanPrimeRate.objects.exists()


# --- The Django admin sends the administrator to these pages ---------------------------------------


@pytest.mark.parametrize(
    ("url", "portal"),
    [
        ("/admin/contracts/calendarday/", "/administration/"),
        ("/admin/contracts/calendarday/add/", "/administration/"),
        ("/admin/contracts/calendaryear/", "/administration/"),
        ("/admin/contracts/loanprimerate/", "/administration/rates/"),
        ("/admin/om_portal/notificationchannel/", "/administration/channels/"),
        ("/admin/om_portal/notificationchannel/add/", "/administration/channels/"),
        ("/admin/om_portal/delivery/", "/administration/channels/"),
    ],
)
def test_django_admin_points_the_administrator_to_the_portal(client, make_user, client_org_a, url, portal):
    administrator = make_user(Role.ADMINISTRATOR, client_org_a, is_staff=True)
    client.force_login(administrator)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == portal
    assert client.get(portal).status_code == 200


def test_django_admin_index_links_the_portal_pages(client, make_user, client_org_a):
    client.force_login(make_user(Role.ADMINISTRATOR, client_org_a, is_staff=True))
    page = client.get("/admin/").content.decode()
    assert 'href="/administration/"' in page and 'href="/administration/channels/"' in page


def test_superuser_keeps_the_django_admin(client, make_user):
    client.force_login(make_user(is_superuser=True, is_staff=True))
    assert client.get("/admin/contracts/calendarday/").status_code == 200
    assert client.get("/admin/om_portal/notificationchannel/").status_code == 200


def test_saving_the_form_as_shown_keeps_the_year_and_an_emptied_row_removes_its_holiday(admin_client):
    rows = [("元旦", "2027-01-01", "2027-01-03", ""), SPRING_2027]
    admin_client.post("/administration/calendar/2027/notice/", notice_post(rows))
    before = list(CalendarDay.objects.values_list("date", "is_working_day", "name"))
    shown = admin_client.get("/administration/calendar/2027/notice/").context["formset"]
    assert shown.initial_form_count() == 2
    again = notice_post(rows) | {"rows-INITIAL_FORMS": "2"}
    assert admin_client.post("/administration/calendar/2027/notice/", again).status_code == 302
    assert list(CalendarDay.objects.values_list("date", "is_working_day", "name")) == before
    emptied = again | {f"rows-0-{name}": "" for name in ("name", "first", "last", "makeup")}
    assert admin_client.post("/administration/calendar/2027/notice/", emptied).status_code == 302
    assert not CalendarDay.objects.filter(name="元旦").exists()
    assert CalendarDay.objects.filter(name="春节").count() == 12


def test_a_row_without_a_name_is_a_field_error(admin_client):
    response = admin_client.post(
        "/administration/calendar/2027/notice/", notice_post([("", "2027-02-05", "2027-02-06", "")])
    )
    assert response.status_code == 400
    assert "name" in response.context["formset"].forms[0].errors
