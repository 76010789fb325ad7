"""Notifications: real webhooks on loopback, retries by Celery (eager), email, dedupe, the roster."""

import datetime as dt
import json
import socket
import threading
import zoneinfo
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation

from contracts.models import DutyShift, Role
from contracts.notify import notify_contract, on_duty, recipients_for
from om_portal import notifications, tasks
from om_portal.celery import app as celery_app
from om_portal.models import Delivery, NotificationChannel

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
OK = (200, {"errcode": 0, "errmsg": "ok"})


@pytest.fixture(autouse=True)
def eager(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 0.01
    settings.NOTIFICATION_TIMEOUT_SECONDS = 2
    # The app reads its configuration once, lazily: switch the app's own conf, and never Django's
    # CELERY_* settings, which the first read would freeze into the app for every later test.
    conf = celery_app.conf
    previous = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, False
    with translation.override("en"):  # messages are asserted in English, the msgid language
        yield
    conf.task_always_eager, conf.task_eager_propagates = previous


class Receiver:
    """An HTTP server on 127.0.0.1 answering each POST with the next scripted (status, body)."""

    def __init__(self, responses):
        self.responses = list(responses)
        self.requests = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                receiver.requests.append(
                    {
                        "path": urlsplit(self.path).path,
                        "query": parse_qs(urlsplit(self.path).query),
                        "content_type": self.headers["Content-Type"],
                        "json": json.loads(self.rfile.read(length)),
                    }
                )
                status, body = (
                    receiver.responses.pop(0) if len(receiver.responses) > 1 else receiver.responses[0]
                )
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    started = []

    def start(*responses):
        started.append(Receiver(responses or [OK]))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.fixture
def refused_url():
    # A port that was just free: nothing listens there, so connecting is refused at once.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def channel(kind, target, **fields):
    return NotificationChannel.objects.create(
        name=fields.pop("name", kind), kind=kind, target=target, **fields
    )


SUBJECT, TEXT = "【A-2026-OM】响应超时", "事件 INC-7 未在30分钟内响应"


def send(django_capture_on_commit_callbacks, **kw):
    kw.setdefault("dedupe_key", "incident:7:response:breach")
    with django_capture_on_commit_callbacks(execute=True):
        return notifications.notify(SUBJECT, TEXT, **kw)


# --- Webhooks on a real loopback receiver -----------------------------------------------------


def test_wecom_robot_gets_markdown(receiver, django_capture_on_commit_callbacks):
    wecom = receiver(OK)
    robot = channel("wecom", f"{wecom.url}/cgi-bin/webhook/send?key=k-123")
    (delivery,) = send(
        django_capture_on_commit_callbacks, channels=[robot], link="http://portal/incidents/7/"
    )

    assert wecom.requests == [
        {
            "path": "/cgi-bin/webhook/send",
            "query": {"key": ["k-123"]},
            "content_type": "application/json; charset=utf-8",
            "json": {
                "msgtype": "markdown",
                "markdown": {
                    "content": "**【A-2026-OM】响应超时**\n\n事件 INC-7 未在30分钟内响应\n\n"
                    "[http://portal/incidents/7/](http://portal/incidents/7/)"
                },
            },
        }
    ]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    assert delivery.recipient == "wecom"
    assert delivery.sent_at is not None


def test_dingtalk_robot_gets_signed_markdown(receiver, django_capture_on_commit_callbacks):
    dingtalk = receiver(OK)
    robot = channel("dingtalk", f"{dingtalk.url}/robot/send?access_token=t-9", secret="SECtest-secret")
    before = timezone.now().timestamp() * 1000
    (delivery,) = send(django_capture_on_commit_callbacks, channels=[robot])

    (request,) = dingtalk.requests
    assert request["json"] == {
        "msgtype": "markdown",
        "markdown": {
            "title": "【A-2026-OM】响应超时",
            "text": "**【A-2026-OM】响应超时**\n\n事件 INC-7 未在30分钟内响应",
        },
    }
    assert request["query"]["access_token"] == ["t-9"]
    timestamp = int(request["query"]["timestamp"][0])
    assert before - 1000 <= timestamp <= timezone.now().timestamp() * 1000 + 1000
    # The signature of the timestamp received (the recipe itself is checked in the next test).
    signed = notifications.dingtalk_signed_url("x", "SECtest-secret", now=timestamp / 1000)
    assert signed == "x?" + urlencode({"timestamp": timestamp, "sign": request["query"]["sign"][0]})
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_dingtalk_signature_follows_the_documented_recipe():
    # base64(HMAC-SHA256(key=secret, "1767225600000\nSECtest-secret")), URL-encoded.
    url = notifications.dingtalk_signed_url(
        "https://oapi.dingtalk.com/robot/send?access_token=t", "SECtest-secret", now=1767225600.0
    )
    assert url == (
        "https://oapi.dingtalk.com/robot/send?access_token=t"
        "&timestamp=1767225600000&sign=ZD14BLSZrj8IbwsuJI3b91pR1nuVQ8vcF2uWyDin3SE%3D"
    )


def test_generic_webhook_gets_plain_json(receiver, django_capture_on_commit_callbacks):
    hook = receiver((204, ""))
    target = channel("webhook", f"{hook.url}/notify")
    (delivery,) = send(django_capture_on_commit_callbacks, channels=[target], link="http://portal/x")

    assert [r["json"] for r in hook.requests] == [
        {"subject": "【A-2026-OM】响应超时", "text": "事件 INC-7 未在30分钟内响应", "link": "http://portal/x"}
    ]
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_500_then_200_is_retried_and_sent(receiver, django_capture_on_commit_callbacks):
    wecom = receiver((500, "busy"), OK)
    robot = channel("wecom", f"{wecom.url}/send?key=k")
    (delivery,) = send(django_capture_on_commit_callbacks, channels=[robot])

    assert len(wecom.requests) == 2
    assert wecom.requests[0]["json"] == wecom.requests[1]["json"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    # The error of the first attempt stays on record beside the success.
    assert delivery.last_error == "HTTP 500 Internal Server Error: busy"
    assert delivery.claimed_until is None


def test_400_fails_permanently_after_one_attempt(receiver, django_capture_on_commit_callbacks):
    hook = receiver((400, {"error": "bad request"}))
    target = channel("webhook", f"{hook.url}/notify")
    (delivery,) = send(django_capture_on_commit_callbacks, channels=[target])

    assert len(hook.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == 'HTTP 400 Bad Request: {"error": "bad request"}'


def test_robot_error_code_fails_permanently_but_a_rate_limit_retries(
    receiver, django_capture_on_commit_callbacks
):
    wecom = receiver((200, {"errcode": 93000, "errmsg": "invalid webhook url"}))
    dingtalk = receiver((200, {"errcode": 130101, "errmsg": "send too fast"}), OK)
    bad = channel("wecom", f"{wecom.url}/send?key=old", name="old robot")
    busy = channel("dingtalk", f"{dingtalk.url}/robot/send?access_token=t", name="busy robot")
    send(django_capture_on_commit_callbacks, channels=[bad, busy])

    assert sorted(Delivery.objects.values_list("recipient", "status", "attempts", "last_error")) == [
        ("busy robot", "sent", 2, "robot error 130101: send too fast"),
        ("old robot", "failed", 1, "robot error 93000: invalid webhook url"),
    ]


def test_refused_port_retries_then_fails_after_max_retries(refused_url, django_capture_on_commit_callbacks):
    target = channel("webhook", refused_url)
    with django_capture_on_commit_callbacks(execute=False):
        (delivery,) = notifications.notify("s", "t", channels=[target], dedupe_key="refused")

    # One attempt by hand: the claim is released and the delivery waits for its retry.
    with pytest.raises(notifications.Transient):
        notifications.send_delivery(delivery.pk, retry_in=60)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.claimed_until) == ("retrying", 1, None)
    assert "Connection refused" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=50)

    # Then the task: its first run and max_retries (5) retries, the last of which gives up.
    tasks.send_delivery.delay(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 7)
    assert delivery.last_error.startswith("cannot reach the webhook: [Errno 111] Connection refused")
    assert delivery.last_error.endswith("(gave up after 7 attempts)")


@pytest.mark.parametrize(
    "target",
    [
        "file:///etc/passwd",
        "ftp://example.com/hook",
        "gopher://x/",
        "http://",
        "http://x:99999/",
        "http://a b/",
    ],
)
def test_non_http_targets_are_refused(target, django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError) as error:
        NotificationChannel(name="x", kind="webhook", target=target).full_clean()
    assert error.value.message_dict == {"target": ["Only http:// and https:// URLs with a host are allowed."]}

    # A row written without validation is refused again when sending.
    (delivery,) = send(django_capture_on_commit_callbacks, channels=[channel("webhook", target)])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error == "not an http(s) URL with a host"


def test_channel_validation():
    dingtalk = "https://oapi.dingtalk.com/robot/send?access_token=t"
    NotificationChannel(name="ok", kind="dingtalk", target=dingtalk, secret="SECx").full_clean()
    # A relay inside a closed network, by a one-word host name.
    NotificationChannel(name="relay", kind="webhook", target="http://wecom-relay:8080/send").full_clean()
    with pytest.raises(ValidationError) as error:
        NotificationChannel(name="m", kind="email", target="not-an-address").full_clean()
    assert error.value.message_dict == {"target": ["Enter a valid email address."]}
    with pytest.raises(ValidationError) as error:
        NotificationChannel(name="w", kind="wecom", target=dingtalk, secret="s").full_clean()
    assert error.value.message_dict == {"secret": ["Only DingTalk robots sign their messages."]}


# --- Email, deduplication, transactions -------------------------------------------------------


def test_email_goes_through_djangos_mail(mailoutbox, django_capture_on_commit_callbacks):
    mailbox = channel("email", "noc@bureau-a.example")
    deliveries = send(
        django_capture_on_commit_callbacks,
        recipients_emails=["Zhangsan@Vendor-A.example ", "zhangsan@vendor-a.example"],
        channels=[mailbox],
        link="http://portal/incidents/7/",
    )

    body = "事件 INC-7 未在30分钟内响应\n\nhttp://portal/incidents/7/"
    assert [(m.to, m.subject, m.body) for m in mailoutbox] == [
        (["zhangsan@vendor-a.example"], "【A-2026-OM】响应超时", body),
        (["noc@bureau-a.example"], "【A-2026-OM】响应超时", body),
    ]
    assert sorted(Delivery.objects.values_list("recipient", "status", "attempts")) == [
        ("noc@bureau-a.example", "sent", 1),
        ("zhangsan@vendor-a.example", "sent", 1),
    ]
    assert [d.dedupe_key for d in deliveries] == [
        "incident:7:response:breach:email:zhangsan@vendor-a.example",
        f"incident:7:response:breach:channel:{mailbox.pk}",
    ]


def test_same_event_twice_makes_one_delivery(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first, second = [
            notifications.notify("s", "t", recipients_emails=["a@x.example"], dedupe_key="incident:1:breach")
            for _ in range(2)
        ]
    assert (len(first), second, len(callbacks)) == (1, [], 1)
    assert Delivery.objects.count() == 1
    assert len(mailoutbox) == 1


def test_rolled_back_change_sends_nothing(mailoutbox, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notifications.notify("s", "t", recipients_emails=["a@x.example"], dedupe_key="k")
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert Delivery.objects.count() == 0
    assert mailoutbox == []


def test_subject_loses_line_breaks_and_long_keys_are_hashed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        (delivery,) = notifications.notify(
            "line\none", "t", recipients_emails=["a@x.example"], dedupe_key="k" * 300
        )
    assert delivery.subject == "line one"
    assert delivery.dedupe_key.startswith("sha256:")
    assert len(delivery.dedupe_key) == 71


# --- Claims, the sweeper, the admin -----------------------------------------------------------


def make_delivery(**fields):
    fields = {"recipient": "a@x.example", "subject": "s", "body": "t", **fields}
    fields.setdefault("dedupe_key", f"d{Delivery.objects.count()}")
    return Delivery.objects.create(**fields)


def test_only_one_worker_claims_an_attempt():
    delivery = make_delivery()
    assert notifications.claim(delivery.pk).attempts == 1
    assert notifications.claim(delivery.pk) is None  # a second worker, while the first sends

    # A worker that died mid-attempt leaves a lease that lapses.
    Delivery.objects.filter(pk=delivery.pk).update(claimed_until=timezone.now() - dt.timedelta(seconds=1))
    assert notifications.claim(delivery.pk).attempts == 2

    Delivery.objects.filter(pk=delivery.pk).update(status="sent", claimed_until=None)
    assert notifications.claim(delivery.pk) is None


def test_task_does_nothing_for_a_finished_delivery(receiver):
    hook = receiver(OK)
    for status in ("sent", "failed"):
        delivery = make_delivery(channel=channel("webhook", f"{hook.url}/x"), status=status, attempts=1)
        tasks.send_delivery.delay(delivery.pk)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (status, 1)
    assert hook.requests == []


def test_sweeper_requeues_only_long_overdue_open_deliveries(django_capture_on_commit_callbacks):
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    lost = make_delivery(next_attempt_at=hour_ago)
    make_delivery()  # just created: its message is on the way
    make_delivery(
        status="retrying", next_attempt_at=hour_ago, claimed_until=timezone.now() + dt.timedelta(minutes=4)
    )
    make_delivery(status="failed", next_attempt_at=hour_ago)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert notifications.requeue_stalled() == 1
    assert len(callbacks) == 1
    lost.refresh_from_db()
    assert lost.next_attempt_at > hour_ago


def test_retry_delay_grows_exponentially_with_jitter(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    assert 15 <= notifications.retry_delay(0) <= 30
    assert 120 <= notifications.retry_delay(3) <= 240
    assert 1800 <= notifications.retry_delay(10) <= 3600


def test_admin_lists_failed_deliveries_and_retries_them(
    admin_client, receiver, django_capture_on_commit_callbacks
):
    hook = receiver(OK)
    target = channel("webhook", f"{hook.url}/x")
    failed = make_delivery(
        channel=target, recipient="webhook", status="failed", attempts=6, last_error="HTTP 502 Bad Gateway"
    )
    make_delivery(subject="delivered fine", status="sent", attempts=1)

    page = admin_client.get("/admin/om_portal/delivery/?status__exact=failed")
    assert page.status_code == 200
    assert "HTTP 502 Bad Gateway" in page.content.decode()
    assert "delivered fine" not in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/om_portal/delivery/", {"action": "retry", "_selected_action": [failed.pk]}
        )
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, len(hook.requests)) == ("sent", 7, 1)


# --- The duty roster (contracts.notify) -------------------------------------------------------


@pytest.fixture
def vendor_people(make_user, vendor_org_a, vendor_org_b):
    engineer, manager = Role.VENDOR_ENGINEER, Role.VENDOR_MANAGER
    make_user(engineer, vendor_org_a, last_name="张", first_name="三", email="zhangsan@vendor-a.example")
    make_user(engineer, vendor_org_a, first_name="四", last_name="李", email="lisi@vendor-a.example")
    make_user(engineer, vendor_org_a, username="wangwu", email="wangwu@vendor-a.example")
    make_user(manager, vendor_org_a, email="manager@vendor-a.example")
    # The same name at another vendor, and that vendor's manager: never told about contract A.
    make_user(engineer, vendor_org_b, last_name="张", first_name="三", email="zhangsan@vendor-b.example")
    make_user(manager, vendor_org_b, email="manager@vendor-b.example")


@pytest.fixture
def roster(contract_a):
    shift = partial(DutyShift.objects.create, contract=contract_a)
    monday, wednesday, t0830, t1730 = (
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 4),
        dt.time(8, 30),
        dt.time(17, 30),
    )
    return {
        "day": shift(date=monday, person="张三", starts_at=t0830, ends_at=t1730),
        "night": shift(date=monday, person="李四、wangwu", starts_at=t1730, ends_at=t0830),
        "unknown": shift(date=wednesday, person="赵六"),
    }


@pytest.mark.parametrize(
    ("at", "shifts", "emails"),
    [
        # Monday 10:00: the day shift.
        (dt.datetime(2026, 3, 2, 10, 0), ["day"], ["zhangsan@vendor-a.example"]),
        # Monday 17:30: the day shift has just ended, the night shift begun; two people on it.
        (dt.datetime(2026, 3, 2, 17, 30), ["night"], ["lisi@vendor-a.example", "wangwu@vendor-a.example"]),
        # Tuesday 02:00: still Monday's night shift.
        (dt.datetime(2026, 3, 3, 2, 0), ["night"], ["lisi@vendor-a.example", "wangwu@vendor-a.example"]),
        # Tuesday 09:00: nobody on the roster, so the vendor's manager.
        (dt.datetime(2026, 3, 3, 9, 0), [], ["manager@vendor-a.example"]),
        # Wednesday: 赵六 is on duty all day but has no account, so the vendor's manager.
        (dt.datetime(2026, 3, 4, 23, 59), ["unknown"], ["manager@vendor-a.example"]),
    ],
)
def test_recipients_follow_the_roster(contract_a, vendor_people, roster, at, shifts, emails):
    at = at.replace(tzinfo=SHANGHAI)
    on_shift = sorted(on_duty(contract_a, at).values_list("pk", flat=True))
    assert on_shift == sorted(roster[s].pk for s in shifts)
    assert recipients_for(contract_a, at).emails == emails


def test_roster_reads_the_local_date(contract_a, vendor_people, roster):
    # 2026-03-02 02:00 UTC is 10:00 in Shanghai: the day shift.
    at = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
    assert recipients_for(contract_a, at).emails == ["zhangsan@vendor-a.example"]


def test_channels_by_contract_code(contract_a, contract_b):
    # Every contract only when asked for: an empty scope (a channel added without one) hears
    # nothing, where it heard every organisation's contracts (issue 14).
    everyone = channel("wecom", "https://qyapi.weixin.qq.com/a", name="all contracts", scope="*")
    channel("wecom", "https://qyapi.weixin.qq.com/n", name="no contract yet")
    mine = channel("dingtalk", "https://oapi.dingtalk.com/a", name="A group", scope="A-2026-OM")
    channel("dingtalk", "https://oapi.dingtalk.com/b", name="B group", scope="B-2026-OM")
    channel("wecom", "https://qyapi.weixin.qq.com/old", name="A old", scope="A-2026-OM", active=False)
    at = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
    assert recipients_for(contract_a, at).channels == [mine, everyone]


def test_notify_contract_tells_todays_duty_and_channels(
    contract_a, vendor_people, mailoutbox, receiver, django_capture_on_commit_callbacks
):
    DutyShift.objects.create(contract=contract_a, date=timezone.localdate(), person="张 三")
    wecom = receiver(OK)
    channel("wecom", f"{wecom.url}/send?key=a", scope="A-2026-OM")
    with django_capture_on_commit_callbacks(execute=True):
        deliveries = notify_contract(contract_a, "【A-2026-OM】解决超时", "INC-8", dedupe_key="i:8")

    assert [d.recipient for d in deliveries] == ["zhangsan@vendor-a.example", "wecom"]
    assert [m.to for m in mailoutbox] == [["zhangsan@vendor-a.example"]]
    assert wecom.requests[0]["json"]["markdown"]["content"] == "**【A-2026-OM】解决超时**\n\nINC-8"
