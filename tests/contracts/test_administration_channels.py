"""The administrator's notification channels (/administration/channels/): listed, created, edited,
disabled and tested on a real loopback receiver, on the audit trail, the robot's URL never shown."""

import pytest
from django.utils.html import escape

from contracts.models import Role
from om_portal.celery import app as celery_app
from om_portal.models import AuditEntry, Delivery, NotificationChannel
from tests.om_portal.test_notifications import Receiver

TOKEN = "key=robot-token-9f2c"


@pytest.fixture(autouse=True)
def eager(settings):
    settings.NOTIFICATION_TIMEOUT_SECONDS = 2
    conf = celery_app.conf
    previous = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, False
    yield
    conf.task_always_eager, conf.task_eager_propagates = previous


@pytest.fixture
def receiver():
    server = Receiver([(200, {"errcode": 0, "errmsg": "ok"})])
    yield server
    server.close()


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def wecom(receiver, **fields):
    return NotificationChannel.objects.create(
        name=fields.pop("name", "值班群"),
        kind=NotificationChannel.Kind.WECOM,
        target=f"{receiver.url}/cgi-bin/webhook/send?{TOKEN}",
        scope=fields.pop("scope", "*"),
        **fields,
    )


def test_create_a_channel_for_a_contract(admin_client, administrator, contract_a, receiver):
    data = {
        "name": "甲市值班群",
        "kind": "wecom",
        "target": f"{receiver.url}/send?{TOKEN}",
        "secret": "",
        "scope": contract_a.code,
        "active": "on",
    }
    response = admin_client.post("/administration/channels/add/", data)
    assert response.status_code == 302
    channel = NotificationChannel.objects.get()
    assert channel.scope == contract_a.code and channel.active
    line = AuditEntry.objects.get(action="create", object_type="om_portal.notificationchannel")
    assert line.username == administrator.username and line.contract_code == contract_a.code
    assert TOKEN not in str(line.detail)
    # The list and the page never show the robot's URL.
    for url in ("/administration/channels/", f"/administration/channels/{channel.pk}/"):
        page = admin_client.get(url).content.decode()
        assert "甲市值班群" in page and TOKEN not in page
    assert TOKEN not in admin_client.get(f"/administration/channels/{channel.pk}/edit/").content.decode()


@pytest.mark.parametrize(
    ("kind", "target", "field"),
    [
        ("wecom", "file:///etc/passwd", "target"),
        ("dingtalk", "gopher://127.0.0.1:6379/_FLUSHALL", "target"),
        ("webhook", "http:///no-host", "target"),
        ("webhook", "http://127.0.0.1:99999/x", "target"),
        ("email", "not an address", "target"),
        ("wecom", "", "target"),
    ],
)
def test_bad_targets_are_field_errors(admin_client, kind, target, field):
    data = {"name": "x", "kind": kind, "target": target, "secret": "", "scope": "*", "active": "on"}
    response = admin_client.post("/administration/channels/add/", data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not NotificationChannel.objects.exists()


def test_unknown_contract_code_and_misplaced_secret_are_field_errors(admin_client, receiver):
    base = {"name": "x", "kind": "wecom", "target": f"{receiver.url}/x", "active": "on"}
    response = admin_client.post("/administration/channels/add/", {**base, "scope": "NOPE-1", "secret": ""})
    assert response.status_code == 400 and "scope" in response.context["form"].errors
    response = admin_client.post("/administration/channels/add/", {**base, "scope": "*", "secret": "SECabc"})
    assert response.status_code == 400 and "secret" in response.context["form"].errors
    assert not NotificationChannel.objects.exists()


def test_edit_keeps_the_url_unless_a_new_one_is_given(admin_client, receiver):
    channel = wecom(receiver)
    data = {"name": "改名", "kind": "wecom", "target": "", "secret": "", "scope": "*", "active": "on"}
    assert admin_client.post(f"/administration/channels/{channel.pk}/edit/", data).status_code == 302
    channel.refresh_from_db()
    assert channel.name == "改名" and TOKEN in channel.target
    line = AuditEntry.objects.filter(action="update", object_type="om_portal.notificationchannel").get()
    assert line.detail["changes"] == {"name": ["值班群", "改名"]} and "secrets_changed" not in line.detail
    data["target"] = f"{receiver.url}/new?key=other"
    assert admin_client.post(f"/administration/channels/{channel.pk}/edit/", data).status_code == 302
    line = AuditEntry.objects.filter(action="update", object_type="om_portal.notificationchannel").first()
    assert line.detail["secrets_changed"] == ["target"] and "key=other" not in str(line.detail)


def test_test_message_reaches_the_robot_and_shows_on_the_page(
    admin_client, receiver, django_capture_on_commit_callbacks
):
    channel = wecom(receiver)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/administration/channels/{channel.pk}/test/")
    assert response.status_code == 302
    (request,) = receiver.requests
    assert request["json"]["msgtype"] == "markdown"
    assert "值班群" in request["json"]["markdown"]["content"]
    delivery = Delivery.objects.get(channel=channel)
    assert delivery.status == Delivery.Status.SENT
    assert AuditEntry.objects.filter(action="test_message", object_id=str(channel.pk)).exists()
    page = admin_client.get(f"/administration/channels/{channel.pk}/").content.decode()
    assert escape(delivery.subject) in page and delivery.get_status_display() in page
    # A second test is a second message, not a duplicate swallowed.
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/administration/channels/{channel.pk}/test/")
    assert len(receiver.requests) == 2


def test_disabled_channel_sends_nothing_and_can_be_enabled_again(
    admin_client, receiver, django_capture_on_commit_callbacks
):
    channel = wecom(receiver)
    assert admin_client.post(f"/administration/channels/{channel.pk}/disable/").status_code == 302
    channel.refresh_from_db()
    assert not channel.active
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/administration/channels/{channel.pk}/test/")
    assert receiver.requests == [] and not Delivery.objects.exists()
    line = AuditEntry.objects.filter(action="update", object_id=str(channel.pk)).first()
    assert line.detail == {"changes": {"active": [True, False]}}
    admin_client.post(f"/administration/channels/{channel.pk}/enable/")
    channel.refresh_from_db()
    assert channel.active


@pytest.mark.parametrize("role", [Role.VENDOR_MANAGER, Role.CLIENT_MANAGER, Role.SECURITY_ADMIN])
def test_others_cannot_touch_channels(client, make_user, client_org_a, vendor_org_a, receiver, role):
    channel = wecom(receiver)
    client.force_login(make_user(role, vendor_org_a if role == Role.VENDOR_MANAGER else client_org_a))
    for url in (
        f"/administration/channels/{channel.pk}/",
        f"/administration/channels/{channel.pk}/edit/",
    ):
        assert client.get(url).status_code == 403
    for url in (
        f"/administration/channels/{channel.pk}/test/",
        f"/administration/channels/{channel.pk}/disable/",
    ):
        assert client.post(url).status_code == 403
    channel.refresh_from_db()
    assert channel.active and receiver.requests == []
