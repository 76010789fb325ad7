"""Rounds sent late from a tablet's queue (inspections.offline, the sync endpoint): the device's id
makes a retry the same round, the device's moments are kept beside the server's and checked,
and only the client side may count a round by the device's moment."""

import datetime as dt
import threading
import uuid
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from contracts.models import Breach
from identity.models import Role
from incidents.models import Incident, IncidentSource
from inspections import offline, rounds
from inspections.models import InspectionPhoto, InspectionRun, InspectionSlot, ItemResult
from om_portal.models import AuditEntry
from tests.inspections.test_rounds import answers_for, make_round, upload

pytestmark = pytest.mark.django_db

Status = InspectionSlot.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def as_user(client):
    def log_in(user):
        client.force_login(user)
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return log_in


def sync_url(r) -> str:
    return f"/inspections/slots/{r.slot.pk}/sync/"


def queued(r, client_id, *, device_at=None, entered_at=None, **overrides) -> dict:
    """What the tablet's outbox posts for a round of ``r`` (static/js/offline.js, body())."""
    device_at = device_at or timezone.now() - dt.timedelta(minutes=5)
    data = {
        f"item-{r.check.pk}": "abnormal",
        f"item-{r.check.pk}-open_incident": "on",
        f"item-{r.check.pk}-entered_at": (entered_at or device_at).isoformat(),
        f"item-{r.number.pk}": "37",
        f"item-{r.number.pk}-entered_at": (entered_at or device_at).isoformat(),
        f"item-{r.photo.pk}": [upload("IMG_1.png"), upload("IMG_2.png")],
        "note": "机房温度 24 °C",
        "client_id": str(client_id),
        "device_at": device_at.isoformat(),
    }
    data.update(overrides)
    return data


def test_the_same_round_sent_twice_is_one_round_with_its_photos_and_incident_once(
    contract_a, vendor_engineer_a, as_user
):
    r = make_round(contract_a)
    client = as_user(vendor_engineer_a)
    client_id = uuid.uuid4()
    first = client.post(sync_url(r), queued(r, client_id), HTTP_ACCEPT="application/json")
    assert first.status_code == 201, first.content
    again = client.post(sync_url(r), queued(r, client_id), HTTP_ACCEPT="application/json")
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["run"] == first.json()["run"]
    assert InspectionRun.objects.filter(slot=r.slot).count() == 1
    assert InspectionPhoto.objects.filter(run__slot=r.slot).count() == 2
    # The item marked abnormal offline opened its incident with the round, once.
    incidents = Incident.objects.filter(contract=contract_a, source=IncidentSource.INSPECTION)
    assert incidents.count() == 1
    answer = ItemResult.objects.get(run__slot=r.slot, item=r.check)
    assert answer.incident == incidents.get() and answer.abnormal


def test_the_device_moments_are_kept_beside_the_servers(contract_a, vendor_engineer_a, as_user):
    r = make_round(contract_a)
    device_at = timezone.now() - dt.timedelta(minutes=7)
    entered = timezone.now() - dt.timedelta(minutes=12)
    response = as_user(vendor_engineer_a).post(
        sync_url(r), queued(r, uuid.uuid4(), device_at=device_at, entered_at=entered)
    )
    assert response.status_code == 201, response.content
    run = InspectionRun.objects.get(slot=r.slot)
    assert run.device_submitted_at == device_at
    assert run.finished_at > device_at  # when it reached the server
    assert ItemResult.objects.get(run=run, item=r.number).entered_at == entered
    page = as_user(vendor_engineer_a).get(f"/inspections/slots/{r.slot.pk}/").content.decode()
    assert "Submitted on the tablet at" in page and "Reached the server at" in page
    assert "Entered on the tablet at" in page


@pytest.mark.parametrize(
    "moment, said",
    [
        (lambda slot: timezone.now() + dt.timedelta(hours=1), "in the future"),
        (
            lambda slot: slot.due_at - rounds.EARLY_START - dt.timedelta(minutes=1),
            "before the inspection opened",
        ),
    ],
)
def test_device_moments_that_cannot_be_are_refused(contract_a, vendor_engineer_a, as_user, moment, said):
    r = make_round(contract_a)
    response = as_user(vendor_engineer_a).post(sync_url(r), queued(r, uuid.uuid4(), device_at=moment(r.slot)))
    assert response.status_code == 400
    assert said in str(response.json()["errors"])
    assert not InspectionRun.objects.filter(slot=r.slot).exists()
    # An answer's own moment is checked too, and said at its item.
    response = as_user(vendor_engineer_a).post(
        sync_url(r), queued(r, uuid.uuid4(), entered_at=moment(r.slot), device_at=timezone.now())
    )
    assert response.status_code == 400 and said in str(response.json()["errors"][f"item-{r.check.pk}"])


def test_a_naive_or_malformed_device_moment_or_id_is_a_field_error(contract_a, vendor_engineer_a, as_user):
    r = make_round(contract_a)
    client = as_user(vendor_engineer_a)
    naive = queued(r, uuid.uuid4(), device_at=timezone.now())
    naive["device_at"] = "2026-12-07T09:00:00"
    assert client.post(sync_url(r), naive).status_code == 400
    bad_id = queued(r, "not-a-uuid")
    response = client.post(sync_url(r), bad_id)
    assert response.status_code == 400 and "client_id" in response.json()["errors"]


def test_a_round_someone_else_submitted_is_a_conflict_that_says_who(
    contract_a, vendor_engineer_a, make_user, vendor_org_a, as_user
):
    r = make_round(contract_a)
    colleague = make_user(Role.VENDOR_ENGINEER, vendor_org_a, first_name="王工")
    rounds.submit_round(r.slot, colleague, answers_for(r), {r.photo.pk: [upload()]})
    response = as_user(vendor_engineer_a).post(sync_url(r), queued(r, uuid.uuid4()))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "already_submitted" and "王工" in body["errors"]["__all__"][0]


def test_a_device_id_of_another_round_is_refused(contract_a, vendor_engineer_a, as_user):
    one = make_round(contract_a)
    due = one.slot.due_at + dt.timedelta(minutes=1)
    second_slot = InspectionSlot.objects.create(
        contract=contract_a, schedule=one.schedule, due_at=due, deadline=due + dt.timedelta(hours=2)
    )
    other = SimpleNamespace(**{**vars(one), "slot": second_slot})
    client_id = uuid.uuid4()
    client = as_user(vendor_engineer_a)
    assert client.post(sync_url(one), queued(one, client_id)).status_code == 201
    response = client.post(sync_url(other), queued(other, client_id))
    assert response.status_code == 400 and "another round" in str(response.json()["errors"])


def test_a_late_round_counts_by_the_server_until_the_client_accepts_the_device_moment(
    contract_a, vendor_engineer_a, client_manager_a, as_user
):
    r = make_round(contract_a, due_at=timezone.now() - dt.timedelta(hours=3))  # deadline an hour ago
    device_at = r.slot.deadline - dt.timedelta(minutes=20)
    response = as_user(vendor_engineer_a).post(sync_url(r), queued(r, uuid.uuid4(), device_at=device_at))
    assert response.status_code == 201 and response.json()["status"] == Status.MISSED
    breach = Breach.objects.get(source_ref=f"slot:{r.slot.pk}")
    run = InspectionRun.objects.get(slot=r.slot)
    assert offline.may_accept_device_time(run)

    with pytest.raises(PermissionDenied):
        offline.accept_device_time(run, vendor_engineer_a, reason="我们的平板时间是对的")
    with pytest.raises(ValidationError):
        offline.accept_device_time(run, client_manager_a, reason="")

    page = as_user(client_manager_a).post(
        f"/inspections/runs/{run.pk}/accept-device-time/", {"reason": "机房无网络，现场核实"}
    )
    assert page.status_code == 302
    r.slot.refresh_from_db()
    breach.refresh_from_db()
    assert r.slot.status == Status.DONE and r.slot.done_at == device_at
    assert breach.withdrawn_at is not None and "机房无网络" in breach.withdrawn_reason
    line = AuditEntry.objects.get(action="accept_device_time")
    assert line.user_id == client_manager_a.pk and line.object_id == str(run.pk)
    run.refresh_from_db()
    assert not offline.may_accept_device_time(run)  # once


def test_a_device_moment_after_the_deadline_gives_nothing_to_accept(contract_a, vendor_engineer_a, as_user):
    r = make_round(contract_a, due_at=timezone.now() - dt.timedelta(hours=3))
    late = r.slot.deadline + dt.timedelta(minutes=5)
    as_user(vendor_engineer_a).post(sync_url(r), queued(r, uuid.uuid4(), device_at=late))
    assert not offline.may_accept_device_time(InspectionRun.objects.get(slot=r.slot))


@pytest.mark.django_db(transaction=True)
def test_two_tabs_sending_the_same_round_at_once_make_one_round(contract_a, vendor_engineer_a):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks to race for real")
    r = make_round(contract_a)
    client_id = uuid.uuid4()
    start = threading.Barrier(2)
    runs, errors = [], []

    def tab():
        try:
            start.wait()
            photos = {r.photo.pk: [upload()]}
            runs.append(
                rounds.submit_round(r.slot, vendor_engineer_a, answers_for(r), photos, client_id=client_id)
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=tab) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len({run.pk for run in runs}) == 1
    assert sorted(run.replayed for run in runs) == [False, True]
    assert InspectionRun.objects.filter(slot=r.slot).count() == 1
    assert InspectionPhoto.objects.filter(run__slot=r.slot).count() == 1


def test_the_service_worker_and_manifest_are_served_for_the_inspection_pages(client):
    worker = client.get("/inspections/sw.js")
    assert worker.status_code == 200
    assert worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == "/inspections/"
    assert "no-cache" in worker["Cache-Control"] or "max-age=0" in worker["Cache-Control"]
    body = worker.content.decode()
    assert '"/static/js/offline.js"' in body and '"/static/vendor/idb/umd.js"' in body
    manifest = client.get("/inspections/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.json()["scope"] == "/inspections/"
