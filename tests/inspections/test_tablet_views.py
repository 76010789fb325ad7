"""The tablet's pages through the test client: who sees what (owner, member, outsider), the round
posted with good and bad input, abnormal → incident as JSON, the ledger's quick updates, photos."""

import datetime as dt
import re

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from contracts.models import Asset
from incidents.models import Incident, IncidentSource
from inspections import rounds
from inspections.models import InspectionMode, InspectionPhoto, InspectionRun, InspectionSlot, ItemResult
from tests.inspections.test_rounds import image_bytes, make_round, upload

pytestmark = pytest.mark.django_db

Status = InspectionSlot.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def as_user(client):
    """as_user(user) → the test client logged in as ``user``, with the English UI."""

    def log_in(user):
        client.force_login(user)
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return log_in


@pytest.fixture
def round_a(contract_a):
    return make_round(contract_a)


def url(r, suffix="") -> str:
    return f"/inspections/slots/{r.slot.pk}/{suffix}"


def form_data(r, **overrides) -> dict:
    data = {
        f"item-{r.check.pk}": "normal",
        f"item-{r.number.pk}": "37",
        f"item-{r.text.pk}": "",
        f"item-{r.photo.pk}": upload("IMG_2041.png"),
        "note": "机房温度 24 °C",
    }
    data.update(overrides)
    return data


def item_block(html: str, item) -> str:
    """The HTML of one checklist item on the round's page."""
    start = rf'<div class="round-item[^"]*" id="item-{item.pk}"'
    match = re.search(rf'{start}.*?(?=<div class="round-item round-item-|</fieldset>)', html, re.S)
    assert match, f"item {item.pk} is not on the page"
    return match.group(0)


# --- Today --------------------------------------------------------------------------------------


def test_today_shows_the_users_slots_as_cards_with_start(round_a, contract_b, vendor_engineer_a, as_user):
    theirs = make_round(contract_b)
    page = as_user(vendor_engineer_a).get("/inspections/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'id="slot-{round_a.slot.pk}"' in html
    assert f'href="/inspections/slots/{round_a.slot.pk}/">Start</a>' in html
    assert "A-2026-OM" in html and "日常巡检（按功能清单）" in html
    assert f'id="slot-{theirs.slot.pk}"' not in html


def test_today_has_no_start_for_those_who_may_not_perform_nor_for_automated_slots(
    round_a, contract_a, client_staff_a, vendor_engineer_a, as_user
):
    html = as_user(client_staff_a).get("/inspections/").content.decode()
    assert f'id="slot-{round_a.slot.pk}"' in html and ">Start</a>" not in html
    round_a.schedule.mode = InspectionMode.AUTOMATED
    round_a.schedule.save()
    html = as_user(vendor_engineer_a).get("/inspections/").content.decode()
    assert "Automated checks" in html and "not run yet" in html and ">Start</a>" not in html


def test_today_with_a_bad_day_says_so_and_shows_today(round_a, vendor_engineer_a, as_user):
    page = as_user(vendor_engineer_a).get("/inspections/?day=2026-13-45")
    assert page.status_code == 200
    assert "“2026-13-45” is not a date (YYYY-MM-DD); showing today." in page.content.decode()
    assert f'id="slot-{round_a.slot.pk}"' in page.content.decode()


def test_pages_need_a_login(round_a, client):
    for path in ("/inspections/", url(round_a)):
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith("/login/")


# --- The round ----------------------------------------------------------------------------------


def test_the_round_page_shows_the_checklist_by_section(round_a, vendor_engineer_a, as_user):
    html = as_user(vendor_engineer_a).get(url(round_a)).content.decode()
    for section in ("接口", "基础设施", "记录"):
        assert f"<legend>{section}</legend>" in html
    check = item_block(html, round_a.check)
    assert 'type="radio"' in check and 'value="normal"' in check and 'value="abnormal"' in check
    number = item_block(html, round_a.number)
    assert 'data-min="37.000"' in number and 'data-max="37.000"' in number
    assert "Normal range: 37 – 37 台" in number
    photo = item_block(html, round_a.photo)
    assert 'accept="image/jpeg,image/png,image/webp"' in photo and 'capture="environment"' in photo
    assert "multiple" in photo
    # The ledger, for a role that may change it, lists the checklist's assets.
    assert 'id="ledger"' in html and round_a.vms.name in html


def test_out_of_scope_is_404_and_a_missing_right_is_403(round_a, outsider, client_staff_a, as_user):
    assert as_user(outsider).get(url(round_a)).status_code == 404
    assert as_user(outsider).post(url(round_a), form_data(round_a)).status_code == 404
    staff = as_user(client_staff_a)
    page = staff.get(url(round_a))
    assert page.status_code == 200 and 'id="round-form"' not in page.content.decode()
    assert 'id="ledger"' not in page.content.decode()  # client staff do not keep the ledger
    assert staff.post(url(round_a), form_data(round_a)).status_code == 403
    assert InspectionRun.objects.count() == 0


def test_a_good_round_redirects_to_today_with_a_message(round_a, vendor_engineer_a, as_user):
    client = as_user(vendor_engineer_a)
    response = client.post(url(round_a), form_data(round_a), follow=True)
    assert response.redirect_chain == [("/inspections/", 302)]
    assert "Inspection submitted." in response.content.decode()
    round_a.slot.refresh_from_db()
    assert round_a.slot.status == Status.DONE
    run = round_a.slot.run
    assert run.performed_by == vendor_engineer_a and run.answers.count() == 3
    assert InspectionPhoto.objects.get().original_name == "IMG_2041.png"
    # Done: the page shows the answers read-only, with the photo from its guarded view.
    html = client.get(url(round_a)).content.decode()
    assert 'id="round-form"' not in html and 'id="round-done"' in html
    photo = InspectionPhoto.objects.get()
    assert f'src="/inspections/photos/{photo.pk}/"' in html


def test_a_bad_number_comes_back_next_to_its_item_with_everything_kept(round_a, vendor_engineer_a, as_user):
    data = form_data(round_a, **{f"item-{round_a.number.pk}": "abc", f"item-{round_a.check.pk}": "abnormal"})
    data[f"item-{round_a.check.pk}-note"] = "接口超时"
    data[f"item-{round_a.text.pk}"] = "UPS 正常"
    page = as_user(vendor_engineer_a).post(url(round_a), data)

    assert page.status_code == 200
    html = page.content.decode()
    number = item_block(html, round_a.number)
    assert "“abc” is not a number." in number and 'value="abc"' in number
    check = item_block(html, round_a.check)
    assert re.search(r'value="abnormal" checked', check) and 'value="接口超时"' in check
    assert "UPS 正常" in item_block(html, round_a.text)
    assert "is not a number" not in check
    assert (InspectionRun.objects.count(), ItemResult.objects.count(), InspectionPhoto.objects.count()) == (
        0,
        0,
        0,
    )


def test_too_many_photos_are_refused_before_any_is_decoded(round_a, vendor_engineer_a, as_user, monkeypatch):
    decoded = []
    monkeypatch.setattr(rounds, "validate_photo", lambda f: decoded.append(f) or ("png", "image/png", 1, 1))
    data = form_data(round_a, photos=[upload(f"{n}.png") for n in range(rounds.MAX_PHOTOS_PER_ROUND + 1)])
    html = as_user(vendor_engineer_a).post(url(round_a), data).content.decode()
    assert f"At most {rounds.MAX_PHOTOS_PER_ROUND} photos per round." in html
    assert decoded == [] and InspectionRun.objects.count() == 0


def test_a_photo_that_is_text_comes_back_at_its_item(round_a, vendor_engineer_a, as_user, media):
    data = form_data(
        round_a, **{f"item-{round_a.photo.pk}": upload("现场.jpg", b"not a photo " * 30, "image/jpeg")}
    )
    html = as_user(vendor_engineer_a).post(url(round_a), data).content.decode()
    assert "“现场.jpg” is not a JPEG, PNG or WebP image." in item_block(html, round_a.photo)
    assert InspectionRun.objects.count() == 0 and not any(p.is_file() for p in media.rglob("*"))


def test_posting_to_a_done_slot_is_a_form_error_not_a_500(round_a, vendor_engineer_a, as_user):
    client = as_user(vendor_engineer_a)
    assert client.post(url(round_a), form_data(round_a)).status_code == 302
    page = client.post(url(round_a), form_data(round_a))
    assert page.status_code == 200
    assert "This inspection has already been submitted." in page.content.decode()
    assert InspectionRun.objects.count() == 1 and InspectionPhoto.objects.count() == 1


@pytest.mark.parametrize("tampered", ["<script>", "²", "9" * 19])
def test_a_tampered_incident_field_is_an_error_not_a_500(tampered, round_a, vendor_engineer_a, as_user):
    data = form_data(round_a, **{f"item-{round_a.check.pk}-incident": tampered})
    page = as_user(vendor_engineer_a).post(url(round_a), data)
    assert page.status_code == 200
    assert "The incident is not one opened by an inspection of this contract." in item_block(
        page.content.decode(), round_a.check
    )


def test_an_automated_slot_shows_no_form_and_refuses_a_post(round_a, vendor_engineer_a, as_user):
    round_a.schedule.mode = InspectionMode.AUTOMATED
    round_a.schedule.save()
    client = as_user(vendor_engineer_a)
    assert 'id="round-form"' not in client.get(url(round_a)).content.decode()
    page = client.post(url(round_a), form_data(round_a))
    assert page.status_code == 200 and "not submitted by hand" in page.content.decode()


def test_a_done_automated_run_lists_the_first_fifty_that_did_not_pass_and_loads_no_more(
    round_a, vendor_engineer_a, as_user
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inspections.models import AutomatedCheck, CheckResult
    from inspections.views.tablet import RESULTS_SHOWN

    slot = round_a.slot
    slot.schedule.mode = InspectionMode.AUTOMATED
    slot.schedule.save()
    slot.status, slot.done_at = Status.DONE, timezone.now()
    slot.save()
    run = InspectionRun.objects.create(
        slot=slot, contract=slot.contract, mode="automated", started_at=slot.due_at, finished_at=slot.done_at
    )
    statuses = ["ok"] * 30 + ["failed"] * (RESULTS_SHOWN + 5) + ["timeout"] * 3
    for n, status in enumerate(statuses):
        check = AutomatedCheck.objects.create(
            contract=slot.contract, asset=round_a.vms, name=f"检查{n:03d}{status}", kind="tcp", port=22
        )
        CheckResult.objects.create(
            run=run,
            automated_check=check,
            contract=slot.contract,
            status=status,
            message="OK" if status == "ok" else "No answer within %(seconds)s s",
            params={} if status == "ok" else {"seconds": 2},
            started_at=slot.due_at,
            duration_ms=20,
        )
    client = as_user(vendor_engineer_a)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url(round_a)).content.decode()
    shown = re.findall(r'<div class="answer-label">检查(\d{3})(\w+)</div>', page)
    assert len(shown) == RESULTS_SHOWN
    assert {status for _n, status in shown} == {"failed"}  # "failed" sorts before "timeout"
    assert [n for n, _status in shown] == sorted(n for n, _status in shown)
    assert "No answer within 2 s" in page
    # A run of 10,000 checks: the rows that passed, and those past the fiftieth, stay in the database.
    (read,) = [q["sql"] for q in queries.captured_queries if 'FROM "inspections_checkresult"' in q["sql"]]
    assert "NOT" in read and f"LIMIT {RESULTS_SHOWN}" in read, read


# --- Abnormal → incident ------------------------------------------------------------------------


def test_one_tap_incident_answers_json_and_is_scoped(
    round_a, vendor_engineer_a, client_staff_a, outsider, as_user
):
    path = url(round_a, f"items/{round_a.number.pk}/incident/")
    assert as_user(outsider).post(path, {"note": "x"}).status_code == 404
    assert as_user(client_staff_a).post(path, {"note": "x"}).status_code == 403
    assert as_user(vendor_engineer_a).get(path).status_code == 405

    response = as_user(vendor_engineer_a).post(path, {"note": "3 台未响应", "value": "34"})
    assert response.status_code == 201
    body = response.json()
    incident = Incident.objects.get()
    assert body == {"id": incident.pk, "number": incident.number, "url": f"/incidents/{incident.pk}/"}
    assert (incident.source, incident.asset) == (IncidentSource.INSPECTION, round_a.vms)

    # The page posts the id back with the round: the answer is linked to it.
    data = form_data(
        round_a, **{f"item-{round_a.number.pk}": "34", f"item-{round_a.number.pk}-incident": str(incident.pk)}
    )
    assert as_user(vendor_engineer_a).post(url(round_a), data).status_code == 302
    assert ItemResult.objects.get(item=round_a.number).incident == incident


def test_one_tap_on_a_done_slot_is_a_400_with_the_reason(round_a, vendor_engineer_a, as_user):
    client = as_user(vendor_engineer_a)
    client.post(url(round_a), form_data(round_a))
    response = client.post(url(round_a, f"items/{round_a.check.pk}/incident/"))
    assert response.status_code == 400
    assert response.json() == {"errors": {"slot": ["This inspection has already been submitted."]}}


# --- The ledger ---------------------------------------------------------------------------------


def test_the_ledger_is_updated_in_place_as_json_or_by_a_plain_post(round_a, vendor_engineer_a, as_user):
    client = as_user(vendor_engineer_a)
    path = url(round_a, f"assets/{round_a.vms.pk}/")
    response = client.post(path, {"status": "faulty", "remark": "3 台宕机"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json() == {
        "id": round_a.vms.pk,
        "status": "faulty",
        "status_label": "Faulty",
        "remark": "3 台宕机",
    }
    response = client.post(path, {"status": "exploded"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "status" in response.json()["errors"]
    # Without the script: a redirect back to the asset on the round's page, with a message.
    response = client.post(path, {"status": "maintenance"})
    assert response.status_code == 302 and response.url == f"{url(round_a)}#asset-{round_a.vms.pk}"
    round_a.vms.refresh_from_db()
    assert (round_a.vms.status, round_a.vms.attributes["remark"]) == ("maintenance", "3 台宕机")


def test_the_ledger_is_closed_to_roles_without_the_right_and_to_outsiders(
    round_a, client_staff_a, outsider, contract_b, vendor_engineer_a, as_user
):
    path = url(round_a, f"assets/{round_a.vms.pk}/")
    assert as_user(client_staff_a).post(path, {"status": "faulty"}).status_code == 403
    assert as_user(outsider).post(path, {"status": "faulty"}).status_code == 404
    other = Asset.objects.create(contract=contract_b, kind=Asset.Kind.VM, name="乙方虚拟机")
    assert (
        as_user(vendor_engineer_a).post(url(round_a, f"assets/{other.pk}/"), {"status": "faulty"}).status_code
        == 404
    )
    round_a.vms.refresh_from_db()
    assert round_a.vms.status == "in_service"


def test_the_ledger_section_searches_and_pages_on_its_own(round_a, contract_a, vendor_engineer_a, as_user):
    for n in range(12):
        Asset.objects.create(contract=contract_a, kind=Asset.Kind.DATA_SOURCE, name=f"数据源 {n:02d}")
    client = as_user(vendor_engineer_a)
    html = client.get(url(round_a, "assets/")).content.decode()
    assert "<html" not in html  # the section alone, for the page to swap in
    assert html.index(round_a.vms.name) < html.index("数据源 00")
    assert "Page 1 of 2" in html
    html = client.get(url(round_a, "assets/?asset_q=数据源 11")).content.decode()
    assert "数据源 11" in html and "数据源 10" not in html and round_a.vms.name not in html


# --- Photos -------------------------------------------------------------------------------------


def test_a_photo_is_served_only_to_who_may_see_the_run(
    round_a, vendor_engineer_a, client_staff_a, outsider, as_user
):
    as_user(vendor_engineer_a).post(url(round_a), form_data(round_a))
    photo = InspectionPhoto.objects.get()
    response = as_user(client_staff_a).get(f"/inspections/photos/{photo.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == image_bytes()
    assert as_user(outsider).get(f"/inspections/photos/{photo.pk}/").status_code == 404


def test_a_late_round_is_accepted_with_a_warning(contract_a, vendor_engineer_a, as_user):
    due = timezone.now() - dt.timedelta(hours=3)
    late = make_round(contract_a, due_at=due)  # deadline an hour ago, not yet marked missed
    response = as_user(vendor_engineer_a).post(url(late), form_data(late), follow=True)
    assert "Inspection submitted after its deadline: it counts as missed." in response.content.decode()
    late.slot.refresh_from_db()
    assert late.slot.status == Status.MISSED and late.slot.done_at is not None
