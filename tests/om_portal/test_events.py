"""Events reach the people they are for: the catalogue's routing by role and duty roster, on
every channel (real loopback WeCom, DingTalk and webhook receivers; Django's mail outbox), with
absolute links that open for the recipient, into their inbox; preferences within what the role
must receive; a storm on one contract as one digest a minute."""

import datetime as dt
import json
import time
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from contracts import reminders
from contracts import services as contract_services
from contracts.models import Asset, DutyShift, Milestone, Role
from incidents import changes
from incidents import services as incident_services
from incidents.models import Incident, IncidentSource
from inspections import monitoring
from inspections import tasks as inspection_tasks
from inspections.models import AutomatedCheck, InspectionSchedule, InspectionSlot
from om_portal import digest, events
from om_portal.models import Delivery, InboxItem, Notice, NotificationChannel
from tests.inspections import targets
from tests.om_portal.test_notifications import OK, Receiver

pytestmark = pytest.mark.django_db

SITE = "https://portal.example.gov.cn"
DUTY_PHONE = "13800000001"
STRANGER_PHONE = "13900000002"


@pytest.fixture(autouse=True)
def eager(settings):
    from django.utils import translation

    from om_portal.celery import app as celery_app

    settings.SITE_URL = SITE
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 0.01
    settings.NOTIFICATION_TIMEOUT_SECONDS = 2
    settings.MONITORING_CONFIRM_CHANGES = False
    conf = celery_app.conf
    previous = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, True
    with translation.override("zh-hans"):
        yield
    conf.task_always_eager, conf.task_eager_propagates = previous


@pytest.fixture
def robots(contract_a):
    started = {
        kind: Receiver([OK if kind != "webhook" else (204, "")]) for kind in ("wecom", "dingtalk", "webhook")
    }
    for kind, receiver in started.items():
        NotificationChannel.objects.create(
            name=f"{kind} group", kind=kind, target=f"{receiver.url}/{kind}", scope=contract_a.code
        )
    yield started
    for receiver in started.values():
        receiver.close()


@pytest.fixture
def people(make_user, client_org_a, vendor_org_a, client_org_b, contract_a):
    """Contract A's people by role, with addresses; 张三 is on duty today, 李四 is not."""

    def user(role, org, username, first="", last=""):
        return make_user(
            role, org, username=username, email=f"{username}@a.example", first_name=first, last_name=last
        )

    found = {
        "duty": user(Role.VENDOR_ENGINEER, vendor_org_a, "zhangsan", "三", "张"),
        "off_duty": user(Role.VENDOR_ENGINEER, vendor_org_a, "lisi", "四", "李"),
        "vendor_manager": user(Role.VENDOR_MANAGER, vendor_org_a, "vm"),
        "client_staff": user(Role.CLIENT_STAFF, client_org_a, "cs"),
        "client_manager": user(Role.CLIENT_MANAGER, client_org_a, "cm"),
        "outsider": user(Role.CLIENT_MANAGER, client_org_b, "outsider"),
    }
    today = timezone.localdate()
    DutyShift.objects.create(contract=contract_a, date=today, person="张三", phone=DUTY_PHONE)
    # A roster line naming someone without an account: still @-mentioned by phone.
    DutyShift.objects.create(contract=contract_a, date=today, person="王五", phone=STRANGER_PHONE)
    return found


def emails_to(user):
    return [message for message in mail.outbox if user.email in message.to]


def only_link(text):
    (link,) = [word for word in text.split() if word.startswith(SITE)]
    return link


def assert_opens(client, user, link):
    """The link is absolute (SITE_URL) and opens for its recipient."""
    assert link.startswith(SITE + "/"), link
    parts = urlsplit(link)
    client.force_login(user)
    response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert response.status_code == 200, (link, response.status_code)


def inbox_of(user):
    return list(InboxItem.objects.filter(user=user).values_list("kind", flat=True))


def assert_reached(people, receivers, client, *, kind, told, not_told, mentioned=()):
    """``told`` got an email and an inbox item each, with a link that opens for them; the
    others neither; each robot got one message with the link, @-mentioning ``mentioned``."""
    for name in told:
        user = people[name]
        (message,) = emails_to(user)
        assert_opens(client, user, only_link(message.body))
        assert inbox_of(user) == [kind], name
    for name in not_told:
        assert emails_to(people[name]) == [] and inbox_of(people[name]) == [], name
    wecom, dingtalk, hook = (receivers[k].requests for k in ("wecom", "dingtalk", "webhook"))
    assert len(wecom) == len(dingtalk) == len(hook) == 1
    hook_link = hook[0]["json"]["link"]
    assert_opens(client, people[told[0]], hook_link)
    if mentioned:
        assert wecom[0]["json"]["msgtype"] == "text"
        assert wecom[0]["json"]["text"]["mentioned_mobile_list"] == sorted(mentioned)
        assert hook_link in wecom[0]["json"]["text"]["content"]
        assert dingtalk[0]["json"]["at"] == {"atMobiles": sorted(mentioned), "isAtAll": False}
        assert all(f"@{phone}" in dingtalk[0]["json"]["markdown"]["text"] for phone in mentioned)
    else:
        assert wecom[0]["json"]["msgtype"] == "markdown"
        assert hook_link in wecom[0]["json"]["markdown"]["content"]
        assert "at" not in dingtalk[0]["json"]
    assert hook_link in dingtalk[0]["json"]["markdown"]["text"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


# --- The four events of "Done when" ---------------------------------------------------------------


def test_a_failing_check_reaches_the_people_on_duty_and_the_vendor_manager(
    contract_a, people, robots, client, django_capture_on_commit_callbacks, monkeypatch
):
    web = targets.Web()
    try:
        asset = Asset.objects.create(contract=contract_a, kind=Asset.Kind.APPLICATION, name="居住证信息系统")
        AutomatedCheck.objects.create(
            contract=contract_a,
            asset=asset,
            name="出错接口",
            kind=AutomatedCheck.Kind.HTTP,
            target=web.url("/error"),
            approval="approved",
            admin_allowed=True,
        )
        schedule = InspectionSchedule(
            contract=contract_a, name="自动巡检", mode="automated", times_of_day=["03:00"], what="接口"
        )
        schedule.full_clean()
        schedule.save()
        sent = []
        monkeypatch.setattr(
            inspection_tasks.run_chunk, "apply_async", lambda args=None, kwargs=None, **o: sent.append(args)
        )

        def run(minutes_ago):
            due = timezone.now() - dt.timedelta(minutes=minutes_ago)
            slot = InspectionSlot.objects.create(
                contract=contract_a, schedule=schedule, due_at=due, deadline=due + dt.timedelta(hours=2)
            )
            del sent[:]
            with django_capture_on_commit_callbacks(execute=True):
                monitoring.dispatch(slot)
            with django_capture_on_commit_callbacks(execute=True):
                for message in sent:
                    monitoring.run_chunk(*message)

        run(2)
        snapshot = {name: list(r.requests) for name, r in robots.items()}, list(mail.outbox)
        web.answer("/error", 200)
        run(1)
    finally:
        web.close()

    # The recovery waited for the minute to turn (the contract had its message): it goes next.
    recovered = Notice.objects.get(kind="check.recovered", sent_at__isnull=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert digest.flush_all(timezone.now() + dt.timedelta(seconds=61)) == 1
    assert "恢复" in recovered.subject
    assert "check.recovered" in inbox_of(people["duty"]) and inbox_of(people["off_duty"]) == []
    assert (
        len(robots["wecom"].requests) == 2
        and "恢复" in robots["wecom"].requests[1]["json"]["text"]["content"]
    )
    InboxItem.objects.filter(kind="check.recovered").delete()
    for name, receiver in robots.items():
        receiver.requests[:] = snapshot[0][name]
    mail.outbox[:] = snapshot[1]

    incident = Incident.objects.get(contract=contract_a, source=IncidentSource.MONITORING)
    assert_reached(
        people,
        robots,
        client,
        kind="check.failing",
        told=["duty", "vendor_manager"],
        not_told=["off_duty", "client_staff", "client_manager", "outsider"],
        mentioned=[DUTY_PHONE, STRANGER_PHONE],
    )
    assert only_link(emails_to(people["duty"])[0].body) == f"{SITE}/incidents/{incident.pk}/"
    # Chinese first: the message names the check in the portal's language.
    assert (
        "出错接口" in emails_to(people["duty"])[0].subject and "检查" in emails_to(people["duty"])[0].subject
    )


def test_a_new_emergency_incident_reaches_duty_and_both_managers(
    contract_a, people, robots, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_services.report_incident(
            contract_a, by=people["client_staff"], title="户籍系统瘫痪", source="phone", severity="emergency"
        )
    assert_reached(
        people,
        robots,
        client,
        kind="incident.emergency",
        told=["duty", "vendor_manager", "client_manager"],
        # The reporter knows already; the engineer off duty is not woken.
        not_told=["client_staff", "off_duty", "outsider"],
        mentioned=[DUTY_PHONE, STRANGER_PHONE],
    )
    assert f"{SITE}/incidents/{incident.pk}/" in robots["webhook"].requests[0]["json"]["link"]


def test_a_general_incident_is_not_an_emergency(contract_a, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.report_incident(
            contract_a, by=people["client_staff"], title="打印机卡纸", source="phone", severity="general"
        )
    assert inbox_of(people["duty"]) == ["incident.new"]
    assert inbox_of(people["client_manager"]) == []


def test_a_change_awaiting_approval_reaches_each_steps_approvers(
    contract_a, people, robots, client, django_capture_on_commit_callbacks
):
    text = {
        "title": "修改缴费记录状态",
        "description": "将一笔重复缴费记录标记为已退款",
        "reason": "当事人重复缴费",
        "impact": "仅影响该笔记录",
        "rollback_plan": "恢复修改前备份的记录",
    }
    with django_capture_on_commit_callbacks(execute=True):
        change = changes.create(contract_a, people["duty"], submit_now=True, kind="data", **text)
    assert_reached(
        people,
        robots,
        client,
        kind="change.approval",
        told=["client_staff", "client_manager"],
        not_told=["duty", "off_duty", "vendor_manager", "outsider"],
    )
    assert only_link(emails_to(people["client_staff"])[0].body) == f"{SITE}/incidents/changes/{change.pk}/"

    # The first approval leaves the second step: only the client manager decides it.
    mail.outbox.clear()
    Notice.objects.update(sent_at=timezone.now() - dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        changes.approve_first(change, people["client_staff"], "同意")
    assert [m.to for m in mail.outbox] == [[people["client_manager"].email]]


def test_an_overdue_payment_reaches_both_managers_once_a_day(
    contract_a, people, robots, client, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    contract_a.signed_on = today - dt.timedelta(days=40)
    contract_a.save()
    Milestone.objects.create(
        contract=contract_a, name="首付款", amount=1000, trigger="signing", offset=30, position=0
    )
    contract_services.refresh_due_dates(contract_a)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.payment_reminders(today) == 1
        assert reminders.payment_reminders(today) == 0  # the beat's second run that day: nothing new
    assert_reached(
        people,
        robots,
        client,
        kind="payment.overdue",
        told=["client_manager", "vendor_manager"],
        not_told=["duty", "off_duty", "client_staff", "outsider"],
    )
    assert "10" in emails_to(people["client_manager"])[0].body  # days late
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.payment_reminders(today + dt.timedelta(days=1)) == 1  # the next day, again


def test_a_payment_coming_due_and_the_missing_calendar(contract_a, people, administrator, settings):
    from contracts.worktime import known_years

    today = timezone.localdate()
    contract_a.signed_on = today - dt.timedelta(days=27)
    contract_a.save()
    Milestone.objects.create(contract=contract_a, name="首付款", amount=1000, trigger="signing", offset=30)
    contract_services.refresh_due_dates(contract_a)
    assert reminders.payment_reminders(today) == 1
    assert inbox_of(people["client_manager"]) == ["payment.due"]

    missing = max(known_years()) + 1
    november = dt.date(missing - 1, 11, 2)
    assert reminders.calendar_reminder(november) == 1
    assert reminders.calendar_reminder(november) == 0
    assert inbox_of(administrator) == ["calendar.missing"]
    assert str(missing) in Notice.objects.get(kind="calendar.missing").subject
    assert reminders.calendar_reminder(dt.date(missing - 1, 6, 1)) == 0  # too early in the year


def test_a_missed_inspection_and_a_complaint_reach_their_roles(
    contract_a, people, django_capture_on_commit_callbacks
):
    from incidents.knowledge import file_complaint
    from inspections.schedules import mark_missed

    schedule = InspectionSchedule(
        contract=contract_a, name="机房日常巡检", times_of_day=["03:00"], what="机房"
    )
    schedule.full_clean()
    schedule.save()
    due = timezone.now() - dt.timedelta(hours=5)
    InspectionSlot.objects.create(
        contract=contract_a, schedule=schedule, due_at=due, deadline=due + dt.timedelta(hours=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert mark_missed() == 1
        file_complaint(contract_a, people["client_staff"], "响应太慢", "两小时无人响应")
    assert sorted(inbox_of(people["vendor_manager"])) == ["complaint.new", "inspection.missed"]
    assert inbox_of(people["client_staff"]) == ["inspection.missed"]  # the filer hears nothing of their own
    assert inbox_of(people["client_manager"]) == ["complaint.new"]
    assert inbox_of(people["duty"]) == [] and inbox_of(people["outsider"]) == []
    # One transaction, one contract: both in one email to the vendor manager.
    (message,) = emails_to(people["vendor_manager"])
    assert "机房日常巡检" in message.body and "响应太慢" in message.body


def test_a_report_to_sign_off_and_a_returned_one(
    contract_a, people, client, settings, tmp_path, django_capture_on_commit_callbacks
):
    from reports import services as report_services
    from reports.models import BuildState, Report, ReportKind

    settings.MEDIA_ROOT = tmp_path / "media"
    report = Report.objects.create(
        contract=contract_a,
        kind=ReportKind.WEEKLY,
        period_start=dt.date(2026, 6, 1),
        period_end=dt.date(2026, 6, 7),
        data={"schema": 1, "kind": "weekly"},
        build_state=BuildState.DONE,
        build_progress=100,
    )
    with django_capture_on_commit_callbacks(execute=True):
        report_services.submit(report, by=people["vendor_manager"])
    (message,) = emails_to(people["client_manager"])
    assert_opens(client, people["client_manager"], only_link(message.body))
    assert inbox_of(people["client_manager"]) == ["report.signoff"]
    assert inbox_of(people["vendor_manager"]) == [] and inbox_of(people["client_staff"]) == []

    Notice.objects.update(sent_at=timezone.now() - dt.timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        report_services.return_report(report, by=people["client_manager"], comment="缺少下周计划")
    (returned,) = emails_to(people["vendor_manager"])
    assert "缺少下周计划" in returned.body
    assert_opens(client, people["vendor_manager"], only_link(returned.body))
    assert inbox_of(people["vendor_manager"]) == ["report.returned"]


# --- Preferences ----------------------------------------------------------------------------------


def test_preferences_are_respected_and_mandatory_ones_cannot_be_switched_off(
    contract_a, people, client, django_capture_on_commit_callbacks
):
    # The vendor manager does not want failing checks by email (not mandatory for the role while
    # someone is on duty); the engineer on duty tries the same and the client manager tries to
    # switch off emergencies: both mandatory.
    client.force_login(people["vendor_manager"])
    page = client.get("/account/notifications/")
    assert page.status_code == 200 and "自动检查失败" in page.content.decode()
    client.post("/account/notifications/", {"check.failing:wecom": "on"})
    client.force_login(people["client_manager"])
    html = client.get("/account/notifications/").content.decode()
    assert 'name="incident.emergency:email" aria-label="新的紧急故障 · 电子邮件" checked disabled' in html
    client.post("/account/notifications/", {})  # every box left unticked
    client.force_login(people["duty"])
    client.post("/account/notifications/", {})

    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_services.report_incident(
            contract_a, by=people["client_staff"], title="户籍系统瘫痪", source="phone", severity="emergency"
        )
    assert len(emails_to(people["client_manager"])) == 1
    assert len(emails_to(people["duty"])) == 1

    Notice.objects.update(sent_at=timezone.now() - dt.timedelta(minutes=5))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        incident_services.assign(incident, [people["off_duty"]], by=people["vendor_manager"])
        monitoring_notice = _emit_check_failing(contract_a, incident)
    assert monitoring_notice is not None
    # The manager chose no email for failing checks: inbox only. The engineer on duty gets it anyway.
    assert emails_to(people["vendor_manager"]) == []
    assert "check.failing" in inbox_of(people["vendor_manager"])
    assert len(emails_to(people["duty"])) == 1
    # The new handler hears of the assignment (named on it).
    assert inbox_of(people["off_duty"]) == ["incident.assigned"] and len(emails_to(people["off_duty"])) == 1


def _emit_check_failing(contract, incident):
    from contracts.notify import notify_event

    return notify_event(
        "check.failing",
        contract,
        params={"check": "门户", "since": "09:00", "problem": "HTTP 503", "number": incident.number},
        link=incident.get_absolute_url(),
        dedupe_key=f"test:{incident.pk}",
    )


def test_when_nobody_on_duty_has_an_account_the_vendor_managers_must_hear(
    contract_a, people, client, django_capture_on_commit_callbacks
):
    DutyShift.objects.all().delete()
    client.force_login(people["vendor_manager"])
    client.post("/account/notifications/", {})  # email off for every kind it may choose
    with django_capture_on_commit_callbacks(execute=True):
        _emit_check_failing(
            contract_a,
            incident_services.report_incident(
                contract_a, by=people["client_staff"], title="门户无响应", source="phone"
            ),
        )
    # Standing in for the person on duty, the manager cannot be let off.
    (message,) = emails_to(people["vendor_manager"])
    # Both events of that one transaction in one digest, the failing check among them.
    assert "自动检查失败" in message.body or "门户 自" in message.body, message.body


# --- Digests --------------------------------------------------------------------------------------


def in_one_minute(seconds_needed=15):
    """The digest counts calendar minutes (one message a contract's minute): wait, if the clock's
    minute is about to turn, so that what follows happens within one. A storm that straddled the
    turn sent two messages, and the test failed once in CI."""
    left = 60 - timezone.now().second
    if left < seconds_needed:
        time.sleep(left + 0.1)


def test_a_storm_on_one_contract_is_one_message_then_one_digest_a_minute(
    contract_a, people, robots, django_capture_on_commit_callbacks
):
    in_one_minute()
    for number in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            incident_services.report_incident(
                contract_a, by=people["client_staff"], title=f"终端故障{number}", source="phone"
            )
    # The first went at once; the five after it wait for the minute to turn.
    assert len(robots["wecom"].requests) == 1 and len(emails_to(people["duty"])) == 1
    assert Notice.objects.filter(sent_at__isnull=True).count() == 5
    with django_capture_on_commit_callbacks(execute=True):
        assert digest.flush_all(timezone.now()) == 0  # the same minute: still waiting
        assert digest.flush_all(timezone.now() + dt.timedelta(seconds=61)) == 5
        assert digest.flush_all(timezone.now() + dt.timedelta(seconds=62)) == 0

    assert len(robots["wecom"].requests) == 2
    merged = robots["dingtalk"].requests[1]["json"]["markdown"]["text"]
    assert all(f"终端故障{n}" in merged for n in range(1, 6)) and "终端故障0" not in merged
    assert "5 × 新故障" in robots["webhook"].requests[1]["json"]["subject"]
    # Each line keeps its own working link; the digest points at the contract's incidents.
    assert merged.count(f"{SITE}/incidents/") >= 5
    assert robots["webhook"].requests[1]["json"]["link"] == f"{SITE}/incidents/?contract={contract_a.code}"
    assert len(emails_to(people["duty"])) == 2
    assert InboxItem.objects.filter(user=people["duty"]).count() == 6


def test_the_sla_checker_digest_goes_the_same_way(
    contract_a, people, robots, django_capture_on_commit_callbacks
):
    from contracts.models import SLATerm
    from incidents.checker import check_deadlines

    SLATerm.objects.create(contract=contract_a, clock="response", target=1, unit="hours")
    past = timezone.now() - dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(3):
            incident_services.report_incident(
                contract_a,
                by=None,
                title=f"接口超时{number}",
                source="monitoring",
                severity="severe",
                reported_at=past,
            )
    Notice.objects.update(sent_at=timezone.now() - dt.timedelta(minutes=5))
    before = len(robots["wecom"].requests)
    with django_capture_on_commit_callbacks(execute=True):
        check_deadlines(timezone.now())
    notices = Notice.objects.filter(kind="sla.breach")
    assert notices.count() >= 3
    # Every missed deadline of the batch in one message.
    assert len(robots["wecom"].requests) == before + 1
    assert "sla.breach" in inbox_of(people["vendor_manager"])


# --- The catalogue --------------------------------------------------------------------------------


def test_every_kind_has_chinese_text_and_known_audiences():
    from django.utils import translation

    from identity.models import Role as IdentityRole

    known = {events.ON_DUTY, events.NAMED, *IdentityRole.values}
    with translation.override("zh-hans"):
        for kind in events.CATALOGUE.values():
            assert set(kind.audience) <= known and set(kind.mandatory) <= set(kind.audience), kind.code
            for text in (kind.label, kind.subject, kind.text):
                assert any("\u4e00" <= ch <= "\u9fff" for ch in str(text)), (kind.code, str(text))
    assert json.dumps(events.choices(), default=str)
