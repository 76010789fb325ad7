"""The pages that manage a contract's inspections: who may do what, what each form saves, and
that bad input is a form error that saves nothing.

Contract A is managed by its vendor's manager and its bureau's client manager; its engineer may
look but not write; an outsider (a manager of contract B's bureau) gets 404s.
"""

import datetime as dt

import pytest
from django.utils import timezone

from contracts.models import Asset
from inspections.models import (
    AutomatedCheck,
    ChecklistTemplate,
    HeightenedPeriod,
    InspectionSchedule,
    InspectionSlot,
)
from tests.inspections.manage_helpers import (
    PAGE,
    errors,
    make_objects,
    period_data,
    schedule_data,
)

pytestmark = pytest.mark.django_db


# --- Access -------------------------------------------------------------------------------------


def test_the_page_shows_to_a_party_with_write_links_only_for_managers(
    client, contract_a, vendor_engineer_a, vendor_manager_a, outsider
):
    client.force_login(vendor_engineer_a)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert not response.context["can_manage"]
    assert "/inspections/contract/A-2026-OM/schedules/add/" not in response.content.decode()

    client.force_login(vendor_manager_a)
    response = client.get(PAGE)
    assert response.context["can_manage"]
    assert "/inspections/contract/A-2026-OM/schedules/add/" in response.content.decode()

    client.force_login(outsider)
    assert client.get(PAGE).status_code == 404
    client.logout()
    assert client.get(PAGE).status_code == 302  # to the login page


# fmt: off
def _urls(schedule, period, template, check):
    """The forms (GET and POST), then the buttons (POST only)."""
    forms = ["schedules/add/", f"schedules/{schedule.pk}/edit/", "periods/add/", f"periods/{period.pk}/edit/",
             "checklists/add/", f"checklists/{template.pk}/edit/", "checks/add/", f"checks/{check.pk}/edit/"]
    buttons = [f"periods/{period.pk}/withdraw/", f"schedules/{schedule.pk}/active/",
               f"checklists/{template.pk}/active/", f"checks/{check.pk}/active/"]
    return [PAGE + url for url in forms], [PAGE + url for url in buttons]
# fmt: on


def test_an_engineer_may_not_write_and_an_outsider_sees_nothing(
    client, contract_a, web_asset, vendor_engineer_a, client_staff_a, outsider
):
    objects = make_objects(contract_a, web_asset)
    before = [(o.pk, o.name) for o in objects]
    forms, posts = _urls(*objects)
    for user, status in [(vendor_engineer_a, 403), (client_staff_a, 403), (outsider, 404)]:
        client.force_login(user)
        for url in forms:
            assert client.get(url).status_code == status, (user, url)
            assert client.post(url, {"name": "改名", "active": "0"}).status_code == status, (user, url)
        for url in posts:
            assert client.post(url, {"active": "0"}).status_code == status, (user, url)
    assert [(o.pk, o.name) for o in (type(o).objects.get(pk=o.pk) for o in objects)] == before
    assert InspectionSchedule.objects.get().active and AutomatedCheck.objects.get().active
    assert ChecklistTemplate.objects.get().active
    assert list(HeightenedPeriod.objects.get().contracts.all()) == [contract_a]
    assert InspectionSchedule.objects.count() == ChecklistTemplate.objects.count() == 1


def test_another_contracts_objects_are_404_under_this_contract(
    client, contract_a, contract_b, web_asset, vendor_manager_a
):
    asset_b = Asset.objects.create(contract=contract_b, kind=Asset.Kind.VM, name="乙虚拟机", host="10.9.9.9")
    schedule = InspectionSchedule.objects.create(contract=contract_b, name="乙每日巡检", what="巡检")
    check = AutomatedCheck.objects.create(
        contract=contract_b, asset=asset_b, name="乙端口", kind="tcp", target="10.9.9.9", port=22
    )
    client.force_login(vendor_manager_a)
    assert client.get(f"{PAGE}schedules/{schedule.pk}/edit/").status_code == 404
    assert client.get(f"{PAGE}checks/{check.pk}/edit/").status_code == 404
    assert client.post(f"{PAGE}checks/{check.pk}/active/", {"active": "0"}).status_code == 404
    assert client.get("/inspections/contract/B-2026-OM/").status_code == 404
    assert AutomatedCheck.objects.get().active


# --- Schedules ----------------------------------------------------------------------------------


def test_a_manager_adds_a_schedule_and_its_slots_appear_at_once(client, contract_a, vendor_manager_a):
    client.force_login(vendor_manager_a)
    blank = client.get(f"{PAGE}schedules/add/").context["form"]
    assert 'value="2"' in str(blank["grace"]) and 'value="09:00"' in str(blank["times_of_day"])  # defaults
    # Four rounds a day typed loosely: full-width comma, spaces, an unpadded hour.
    data = schedule_data(kind="several_daily", times_of_day="18:00，0:00  06:00, 12:00", grace="1.5")
    response = client.post(f"{PAGE}schedules/add/", data)

    assert response.status_code == 302 and response["Location"] == PAGE
    schedule = InspectionSchedule.objects.get()
    assert schedule.contract == contract_a
    assert schedule.times_of_day == ["00:00", "06:00", "12:00", "18:00"]
    assert schedule.grace == dt.timedelta(hours=1, minutes=30)
    # Every 6 hours, materialised for the next 48: whatever the hour now, 48 / 6 = 8 slots.
    assert InspectionSlot.objects.filter(contract=contract_a, schedule=schedule).count() == 8

    page = client.get(PAGE)
    [row] = page.context["schedule_rows"]
    # The week ahead: 7 × 4 = 28 rounds, three shown and the rest counted.
    assert (len(row["upcoming"].first), row["upcoming"].more) == (3, 25)
    assert "00:00, 06:00, 12:00, 18:00" in page.content.decode()


def test_editing_a_schedule_changes_it_and_kind_fields_of_other_kinds_are_dropped(
    client, contract_a, client_manager_a
):
    schedule = InspectionSchedule.objects.create(
        contract=contract_a, name="周巡检", kind="weekly", weekday=0, what="机房巡检"
    )
    client.force_login(client_manager_a)
    edit = client.get(f"{PAGE}schedules/{schedule.pk}/edit/")
    assert edit.status_code == 200
    assert 'value="09:00"' in edit.content.decode()  # the list shown back as text

    # Switched to monthly: the old weekday is cleared instead of tripping the model.
    data = schedule_data(
        name="月巡检", kind="monthly_day", weekday="0", day_of_month="31", times_of_day="10:00"
    )
    assert client.post(f"{PAGE}schedules/{schedule.pk}/edit/", data).status_code == 302
    schedule.refresh_from_db()
    assert (schedule.name, schedule.kind, schedule.weekday, schedule.day_of_month) == (
        "月巡检",
        "monthly_day",
        None,
        31,
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "weekly"}, "weekday"),  # weekly without its weekday
        ({"kind": "monthly_working_day"}, "nth_working_day"),
        ({"kind": "monthly_working_day", "nth_working_day": "16"}, "nth_working_day"),  # at most 15
        ({"times_of_day": "25:00"}, "times_of_day"),
        ({"times_of_day": "早上"}, "times_of_day"),
        ({"times_of_day": ""}, "times_of_day"),
        ({"times_of_day": "08:00, 13:00"}, "times_of_day"),  # two times on a daily schedule
        ({"kind": "several_daily", "times_of_day": "08:00"}, "times_of_day"),
        ({"kind": "several_daily", "times_of_day": "08:00, 8:00"}, "times_of_day"),  # twice
        ({"grace": "30"}, "grace"),  # a daily slot open for more than a day
        ({"grace": "两小时"}, "grace"),
        ({"what": ""}, "what"),  # no checklist and nothing said
        ({"kind": "monthly_working_day", "nth_working_day": "5", "times_of_day": "18:00"}, "times_of_day"),
    ],
)
def test_bad_schedules_are_field_errors_and_save_nothing(client, contract_a, vendor_manager_a, fields, field):
    client.force_login(vendor_manager_a)
    response = client.post(f"{PAGE}schedules/add/", schedule_data(**fields))
    assert field in errors(response)
    assert not InspectionSchedule.objects.exists()
    assert not InspectionSlot.objects.exists()


def test_a_second_schedule_by_the_same_name_is_a_form_error(client, contract_a, vendor_manager_a):
    InspectionSchedule.objects.create(contract=contract_a, name="每日巡检", what="巡检")
    client.force_login(vendor_manager_a)
    response = client.post(f"{PAGE}schedules/add/", schedule_data(name="每日巡检"))
    assert "name" in errors(response)
    assert InspectionSchedule.objects.count() == 1


def test_deactivating_a_schedule_drops_its_future_slots(client, contract_a, vendor_manager_a):
    client.force_login(vendor_manager_a)
    client.post(f"{PAGE}schedules/add/", schedule_data(kind="several_daily", times_of_day="00:00 12:00"))
    schedule = InspectionSchedule.objects.get()
    assert InspectionSlot.objects.count() == 4  # every 12 hours over 48

    assert client.get(f"{PAGE}schedules/{schedule.pk}/active/").status_code == 405
    assert client.post(f"{PAGE}schedules/{schedule.pk}/active/", {"active": "0"}).status_code == 302
    schedule.refresh_from_db()
    assert not schedule.active
    assert not InspectionSlot.objects.exists()

    client.post(f"{PAGE}schedules/{schedule.pk}/active/", {"active": "1"})
    assert InspectionSlot.objects.count() == 4


# --- Heightened periods -------------------------------------------------------------------------


def test_a_manager_adds_a_period_with_seed_000s_three_rounds(client, contract_a, client_manager_a):
    client.force_login(client_manager_a)
    form = client.get(f"{PAGE}periods/add/")
    assert form.context["form"].initial["contracts"] == [contract_a.pk]
    assert 'value="08:00, 13:00, 19:00"' in str(form.context["form"]["times_of_day"])  # seed 000's rounds

    response = client.post(f"{PAGE}periods/add/", period_data([contract_a]))

    assert response.status_code == 302
    period = HeightenedPeriod.objects.get()
    assert list(period.contracts.all()) == [contract_a]
    assert period.times_of_day == ["08:00", "13:00", "19:00"]
    assert period.grace == dt.timedelta(hours=2)
    # Seed 000: three rounds a day at 08:00, 13:00 and 19:00; the period covers the whole
    # 48 hours materialised, so 2 × 3 = 6 rounds (the contract has no daily schedule).
    assert InspectionSlot.objects.filter(contract=contract_a, heightened_period=period).count() == 6
    page = client.get(PAGE)
    [row] = page.context["current_periods"]
    assert row["on"] and row["editable"]


def test_a_period_cannot_list_a_contract_the_user_cannot_manage(
    client, contract_a, contract_b, vendor_manager_a
):
    client.force_login(vendor_manager_a)
    for contracts in ([contract_b], [contract_a, contract_b]):
        response = client.post(f"{PAGE}periods/add/", period_data(contracts))
        assert "contracts" in errors(response)
    assert not HeightenedPeriod.objects.exists()
    choices = [c.pk for c in client.get(f"{PAGE}periods/add/").context["form"].fields["contracts"].queryset]
    assert choices == [contract_a.pk]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_on": "2026-01-01", "starts_on": "2026-01-05"}, "ends_on"),
        ({"times_of_day": ""}, "times_of_day"),
        ({"times_of_day": "08:00, 24:00"}, "times_of_day"),
        ({"grace": "0"}, "grace"),
        ({"contracts": []}, "contracts"),
    ],
)
def test_bad_periods_are_field_errors(client, contract_a, vendor_manager_a, fields, field):
    client.force_login(vendor_manager_a)
    response = client.post(f"{PAGE}periods/add/", period_data([contract_a], **fields))
    assert field in errors(response)
    assert not HeightenedPeriod.objects.exists()


def test_a_period_shared_with_a_contract_out_of_reach_is_not_editable_but_can_be_left(
    client, contract_a, contract_b, vendor_manager_a
):
    period = HeightenedPeriod.objects.create(
        name="全国两会", starts_on=timezone.localdate(), ends_on=timezone.localdate() + dt.timedelta(days=3)
    )
    period.contracts.set([contract_a, contract_b])
    client.force_login(vendor_manager_a)

    row = client.get(PAGE).context["current_periods"][0]
    assert not row["editable"] and row["hidden"] == 1 and row["others"] == []
    assert "B-2026-OM" not in client.get(PAGE).content.decode()
    assert client.get(f"{PAGE}periods/{period.pk}/edit/").status_code == 403
    assert client.post(f"{PAGE}periods/{period.pk}/edit/", period_data([contract_a])).status_code == 403
    assert set(period.contracts.all()) == {contract_a, contract_b}

    # Leaving it takes contract A out and leaves B's period as it was.
    assert client.post(f"{PAGE}periods/{period.pk}/withdraw/").status_code == 302
    assert list(HeightenedPeriod.objects.get().contracts.all()) == [contract_b]
    assert client.post(f"{PAGE}periods/{period.pk}/withdraw/").status_code == 404


def test_leaving_a_period_brings_the_daily_schedule_back(client, contract_a, vendor_manager_a):
    InspectionSchedule.objects.create(
        contract=contract_a, name="每日巡检", times_of_day=["00:00"], what="巡检"
    )
    client.force_login(vendor_manager_a)
    client.post(f"{PAGE}periods/add/", period_data([contract_a]))
    period = HeightenedPeriod.objects.get()
    # The period's three times replace the daily 00:00 on the two days.
    times = {timezone.localtime(s.due_at).strftime("%H:%M") for s in InspectionSlot.objects.all()}
    assert times == {"08:00", "13:00", "19:00"}

    client.post(f"{PAGE}periods/{period.pk}/withdraw/")

    slots = InspectionSlot.objects.all()
    assert slots.count() == 2  # 00:00 on each of the two days
    assert all(s.heightened_period_id is None for s in slots)
    # With nothing left to its name, the period is gone.
    assert not HeightenedPeriod.objects.exists()
