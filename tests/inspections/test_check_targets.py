"""Issue 14 on the portal and the API: where a check may point, who approves it, what its results
say, and how often a database login may fail. The probe engine's own guard: test_probe_guard."""

import datetime as dt
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.utils import timezone, translation
from rest_framework.test import APIClient

from contracts.models import Asset
from incidents.models import Incident
from inspections import monitoring, targets, tasks
from inspections.models import AllowedNetwork, AutomatedCheck, CheckResult, InspectionSchedule, InspectionSlot
from tests.inspections.manage_helpers import PAGE, check_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # Results and pause reasons are written in the active language: these tests read English.
    with translation.override("en"):
        yield


SECRET = "db-Pa55-s3cret-甲"

_connects: list = []
_recording = threading.Event()


def _audit(event, args):
    if event == "socket.connect" and _recording.is_set():
        _connects.append(args[1])


sys.addaudithook(_audit)


@pytest.fixture
def connects():
    _connects.clear()
    _recording.set()
    yield _connects
    _recording.clear()


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    api.default_format = "json"
    return api


@pytest.fixture
def app(contract_a):
    return Asset.objects.create(
        contract=contract_a,
        kind=Asset.Kind.APPLICATION,
        name="受理系统",
        host="10.1.2.3",
        url="https://10.1.2.3/",
    )


def payload(asset, **change):
    return {"contract": "A-2026-OM", "asset": asset.pk, "name": "受理系统健康", "kind": "http", **change}


# --- Targets refused when the check is written ---------------------------------------------------

REFUSED_TARGETS = [
    ("http", "http://127.0.0.1/"),
    ("http", "http://localhost/"),
    ("http", "http://localhost./"),
    ("http", "http://[::1]/"),
    ("http", "http://[::ffff:127.0.0.1]/"),
    ("http", "http://2130706433/"),
    ("http", "http://0177.0.0.1/"),
    ("http", "http://0x7f.1/"),
    ("http", "http://0.0.0.0/"),
    ("http", "http://allowed@127.0.0.1/"),
    ("http", "http://10.1.2.3@127.0.0.1/"),
    ("http", "http://169.254.169.254/latest/meta-data/"),
    ("http", "http://[fe80::1]/"),
    ("http", "http://224.0.0.1/"),
    ("node_exporter", "http://127.0.0.1:9100/metrics"),
    ("tcp", "127.0.0.1"),
    ("tcp", "::1"),
    ("tcp", "0"),
    ("postgres", "127.0.0.1"),
    ("postgres", "localhost"),
    ("ping", "169.254.169.254"),
    # Neither the asset's host nor in a network the client allowed.
    ("http", "http://10.200.0.9/"),
    ("tcp", "db.bureau.example"),
]


@pytest.mark.parametrize(("kind", "target"), REFUSED_TARGETS)
def test_a_vendor_cannot_point_a_check_at_an_internal_or_foreign_target(
    app, vendor_manager_a, connects, kind, target
):
    options = {"dbname": "app", "user": "monitor"} if kind == "postgres" else {}
    response = api_as(vendor_manager_a).post(
        "/api/v1/checks/", payload(app, kind=kind, target=target, port=5432, options=options)
    )
    assert response.status_code == 400, response.content
    assert "target" in response.json()
    assert not AutomatedCheck.objects.exists() and connects == []


def test_the_contracts_allowed_networks_widen_where_a_check_may_point(app, vendor_manager_a):
    api = api_as(vendor_manager_a)
    AllowedNetwork.objects.create(contract=app.contract, network="10.200.0.0/16")
    assert api.post("/api/v1/checks/", payload(app, target="http://10.200.0.9/")).status_code == 201
    outside = api.post("/api/v1/checks/", payload(app, name="另一个", target="http://10.201.0.9/"))
    assert outside.status_code == 400 and "allowed" in outside.json()["target"][0]


@pytest.mark.parametrize(
    ("network", "ok"), [("10.2.0.0/16", True), ("10.0.0.0/4", False), ("127.0.0.0/8", False)]
)
def test_an_allowed_network_is_a_segment_not_the_world_nor_loopback(contract_a, network, ok):
    row = AllowedNetwork(contract=contract_a, network=network)
    if ok:
        row.full_clean()
    else:
        with pytest.raises(Exception, match="network"):
            row.full_clean()


def test_only_an_administrator_allows_an_internal_target(app, vendor_manager_a, administrator):
    body = payload(app, target="http://127.0.0.1:8000/healthz", admin_allowed=True)
    refused = api_as(vendor_manager_a).post("/api/v1/checks/", body)
    assert refused.status_code == 400 and "admin_allowed" in refused.json()
    allowed = api_as(administrator).post("/api/v1/checks/", body)
    assert allowed.status_code == 201, allowed.content
    # The vendor retargets it: the allowance was for the old target, so it is gone.
    check = allowed.json()["id"]
    moved = api_as(vendor_manager_a).patch(f"/api/v1/checks/{check}/", {"target": "http://127.0.0.1:8001/"})
    assert moved.status_code == 400 and "target" in moved.json()
    assert AutomatedCheck.objects.get(pk=check).target == "http://127.0.0.1:8000/healthz"


def test_the_portal_form_offers_the_allowance_to_administrators_only(
    client, app, vendor_manager_a, administrator
):
    client.force_login(vendor_manager_a)
    assert "admin_allowed" not in client.get(f"{PAGE}checks/add/").context["form"].fields
    data = check_data(app, target="http://127.0.0.1/", admin_allowed="on")
    assert client.post(f"{PAGE}checks/add/", data).status_code == 200  # refused: loopback
    client.force_login(administrator)
    assert client.post(f"{PAGE}checks/add/", data).status_code == 302
    assert AutomatedCheck.objects.get().admin_allowed is True


def test_a_contract_adds_at_most_so_many_checks_an_hour(app, vendor_manager_a):
    AutomatedCheck.objects.bulk_create(
        AutomatedCheck(contract=app.contract, asset=app, name=f"端口 {n}", kind="tcp", port=n + 1)
        for n in range(targets.CHECKS_PER_HOUR)
    )
    response = api_as(vendor_manager_a).post("/api/v1/checks/", payload(app))
    assert response.status_code == 400 and "last hour" in json.dumps(response.json())


# --- Approval ------------------------------------------------------------------------------------


def dispatched_ids(contract, sent, capture):
    slot = InspectionSlot.objects.create(
        contract=contract,
        schedule=InspectionSchedule.objects.get_or_create(
            contract=contract, name="自动巡检", defaults={"mode": "automated", "times_of_day": ["03:00"]}
        )[0],
        due_at=timezone.now() - dt.timedelta(minutes=len(sent) + 1),
        deadline=timezone.now() + dt.timedelta(hours=2),
    )
    before = len(sent)
    with capture(execute=True):
        run = monitoring.dispatch(slot)
    return run.checks_total, [pk for _run, ids in sent[before:] for pk in ids]


@pytest.fixture
def sent(monkeypatch):
    messages = []
    monkeypatch.setattr(
        tasks.run_chunk, "apply_async", lambda args=None, **options: messages.append(tuple(args))
    )
    return messages


def test_a_vendors_check_runs_once_the_client_approves_it_and_again_after_a_retarget(
    client, app, vendor_manager_a, client_manager_a, sent, django_capture_on_commit_callbacks
):
    vendor, bureau = api_as(vendor_manager_a), api_as(client_manager_a)
    created = vendor.post("/api/v1/checks/", payload(app))
    assert created.status_code == 201 and created.json()["approval"] == "pending"
    check = created.json()["id"]
    assert dispatched_ids(app.contract, sent, django_capture_on_commit_callbacks) == (0, [])

    assert vendor.post(f"/api/v1/checks/{check}/approve/").status_code == 403
    approved = bureau.post(f"/api/v1/checks/{check}/approve/")
    assert approved.status_code == 200 and approved.json()["awaiting_approval"] is False
    assert dispatched_ids(app.contract, sent, django_capture_on_commit_callbacks) == (1, [check])

    # The vendor changes what it reads: pending again, not run.
    vendor.patch(f"/api/v1/checks/{check}/", {"options": {"keyword": "password"}})
    assert AutomatedCheck.objects.get(pk=check).approval == "pending"
    assert dispatched_ids(app.contract, sent, django_capture_on_commit_callbacks) == (0, [])

    # Approved on the portal's page, by the client manager's button.
    client.force_login(vendor_manager_a)
    assert client.post(f"{PAGE}checks/{check}/approve/").status_code == 403
    client.force_login(client_manager_a)
    assert client.post(f"{PAGE}checks/{check}/approve/").status_code == 302
    assert dispatched_ids(app.contract, sent, django_capture_on_commit_callbacks) == (1, [check])

    # The vendor moves the asset the check follows: the check waits for approval again.
    app.host, app.url = "10.1.9.9", "https://10.1.9.9/"
    app.save()
    assert dispatched_ids(app.contract, sent, django_capture_on_commit_callbacks) == (0, [])
    assert client.get(PAGE).context["check_rows"][0][0].awaits_approval is True


def test_the_client_managers_own_check_is_approved_as_it_is_saved(app, client_manager_a):
    created = api_as(client_manager_a).post("/api/v1/checks/", payload(app))
    assert created.json()["approval"] == "approved" and created.json()["approved_by"] == client_manager_a.pk


# --- Results say what differed, not what was there -----------------------------------------------


class _Secret(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = json.dumps({"db": {"password": SECRET}, "status": "UP"}).encode()
        self.send_response(500 if self.path == "/down" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def secret_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Secret)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_json_secret_never_comes_back_in_the_result_the_incident_the_api_or_the_page(
    client, app, client_manager_a, vendor_manager_a, secret_server, sent, django_capture_on_commit_callbacks
):
    check = AutomatedCheck.objects.create(
        contract=app.contract,
        asset=app,
        name="读取口令",
        kind="http",
        target=f"{secret_server}/health",
        options={"json_path": "db.password", "json_value": "guess"},
        approval="approved",
        admin_allowed=True,  # a loopback server stands in for the bureau's service
    )
    _total, ids = dispatched_ids(app.contract, sent, django_capture_on_commit_callbacks)
    monitoring.run_chunk(sent[-1][0], ids)

    result = CheckResult.objects.get(automated_check=check)
    assert result.status == "failed"
    assert result.text == "The JSON value at db.password did not equal the expected value"
    incident = Incident.objects.get(asset=app)
    stored = json.dumps([result.message, result.params, result.values, incident.title, incident.description])
    assert SECRET not in stored and "db-Pa55" not in stored
    for user in (vendor_manager_a, client_manager_a):
        api = api_as(user)
        for url in (
            f"/api/v1/check-results/{result.pk}/",
            f"/api/v1/checks/{check.pk}/",
            f"/api/v1/incidents/{incident.pk}/",
            "/api/v1/check-results/",
        ):
            response = api.get(url)
            assert response.status_code == 200 and SECRET not in response.content.decode(), url
        client.force_login(user)
        for url in (PAGE, incident.get_absolute_url()):
            response = client.get(url)
            assert response.status_code == 200 and SECRET not in response.content.decode(), url


# --- Database logins back off and stop -----------------------------------------------------------


def test_refused_database_logins_back_off_and_pause_the_check_until_it_is_edited(
    app, administrator, client_manager_a, sent, django_capture_on_commit_callbacks
):
    database = settings.DATABASES["default"]
    check = AutomatedCheck.objects.create(
        contract=app.contract,
        asset=app,
        name="猜口令",
        kind="postgres",
        target=database["HOST"] or "127.0.0.1",
        port=int(database["PORT"] or 5432),
        options={"dbname": "no_such_database_om", "user": database["USER"] or "postgres"},
        approval="approved",
        admin_allowed=True,  # the portal's own database: only an administrator allows it
    )
    now = timezone.now()
    delays = []
    for attempt in range(1, targets.MAX_LOGIN_FAILURES + 1):
        AutomatedCheck.objects.filter(pk=check.pk).update(retry_after=None)  # the wait is over
        _total, ids = dispatched_ids(app.contract, sent, django_capture_on_commit_callbacks)
        assert ids == [check.pk]
        monitoring.run_chunk(sent[-1][0], ids)
        check.refresh_from_db()
        assert check.login_failures == attempt
        if attempt < targets.MAX_LOGIN_FAILURES:
            delays.append(round((check.retry_after - now).total_seconds() / 60))
            # Waiting: the next round leaves it out.
            assert dispatched_ids(app.contract, sent, django_capture_on_commit_callbacks)[0] == 0
    # 5, 10, 20, 40 minutes: LOGIN_BACKOFF doubled after each refusal in a row.
    assert delays == [5, 10, 20, 40]
    # Written as the worker writes, in Chinese: "5 refused database logins in a row, paused".
    assert "数据库登录连续 5 次被拒绝" in check.paused_reason
    assert dispatched_ids(app.contract, sent, django_capture_on_commit_callbacks)[0] == 0
    # An edit resumes it; of a check an administrator allowed, the administrator's (another's
    # would drop the allowance, and the portal's own database is then refused).
    change = {"options": {"dbname": "postgres", "user": "postgres"}}
    assert api_as(client_manager_a).patch(f"/api/v1/checks/{check.pk}/", change).status_code == 400
    edited = api_as(administrator).patch(f"/api/v1/checks/{check.pk}/", change)
    assert edited.status_code == 200, edited.content
    check.refresh_from_db()
    assert (check.login_failures, check.paused_reason, check.retry_after) == (0, "", None)


def test_the_client_allows_and_removes_networks_on_the_page(
    client, contract_a, vendor_manager_a, client_manager_a
):
    client.force_login(vendor_manager_a)
    assert client.post(f"{PAGE}networks/add/", {"network": "10.3.0.0/16"}).status_code == 403
    client.force_login(client_manager_a)
    assert (
        client.post(f"{PAGE}networks/add/", {"network": "10.3.0.1/16", "note": "业务网"}).status_code == 302
    )
    assert client.post(f"{PAGE}networks/add/", {"network": "10.3.0.0/16"}).status_code == 302  # a message
    assert client.post(f"{PAGE}networks/add/", {"network": "127.0.0.0/8"}).status_code == 302  # a message
    network = AllowedNetwork.objects.get(contract=contract_a)
    assert network.network == "10.3.0.0/16"
    assert "10.3.0.0/16" in client.get(PAGE).content.decode()
    client.force_login(vendor_manager_a)
    assert client.post(f"{PAGE}networks/{network.pk}/delete/").status_code == 403
    client.force_login(client_manager_a)
    assert client.post(f"{PAGE}networks/{network.pk}/delete/").status_code == 302
    assert not AllowedNetwork.objects.exists()


def test_the_demo_checks_of_make_run_are_allowed_and_approved(settings):
    """`make run` probes the portal itself on loopback: the operator's seed allows and approves it."""
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo_inspections", "--port", "8000")
    checks = list(
        AutomatedCheck.objects.filter(contract__code="BJ-2026-RP").select_related("asset", "contract")
    )
    assert len(checks) == 2
    assert all(check.admin_allowed and targets.is_runnable(check) for check in checks)
    policies = targets.policies_for(checks)
    assert all(policy.allow_internal for policy in policies)


def test_the_migration_approves_existing_checks_and_forgets_the_values_results_quoted(app):
    """Checks made before approvals existed stay approved as they stand; results saved before the
    fix lose what the target answered (run here on today's models: the same fields)."""
    import importlib

    from django.apps import apps

    from inspections.models import InspectionRun

    migration = importlib.import_module("inspections.migrations.0003_check_targets_approval")
    check = AutomatedCheck.objects.create(contract=app.contract, asset=app, name="旧检查", kind="http")
    slot = InspectionSlot.objects.create(
        contract=app.contract,
        schedule=InspectionSchedule.objects.create(contract=app.contract, name="旧计划", mode="automated"),
        due_at=timezone.now(),
        deadline=timezone.now() + dt.timedelta(hours=2),
    )
    run = InspectionRun.objects.create(
        slot=slot, contract=app.contract, mode="automated", started_at=timezone.now()
    )
    old = CheckResult.objects.create(
        run=run,
        automated_check=check,
        contract=app.contract,
        status="failed",
        message="JSON value at %(path)s is %(got)r, expected %(expected)r",
        params={"path": "db.password", "got": SECRET, "expected": "x"},
        values={"json_value": SECRET, "http_status": 200},
        started_at=timezone.now(),
        duration_ms=1.0,
    )
    migration.approve_existing_checks(apps, None)
    migration.forget_echoed_values(apps, None)
    check.refresh_from_db()
    old.refresh_from_db()
    assert check.approval == "approved" and check.approved_signature == targets.signature(check)
    assert targets.is_runnable(check)
    assert old.text == "The JSON value at db.password did not equal the expected value"
    assert SECRET not in json.dumps([old.params, old.values]) and old.values == {"http_status": 200}


def test_a_checks_row_fingerprints_as_its_model_does(app):
    """The beat reads its checks as rows (targets.Fingerprinted): each fingerprint is the
    model's, whether the target and port are the check's own or its asset's."""
    app.port = 8443
    app.save()
    checks = [
        AutomatedCheck(contract=app.contract, asset=app, name="页面", kind="http"),
        AutomatedCheck(contract=app.contract, asset=app, name="端口", kind="tcp"),
        AutomatedCheck(
            contract=app.contract,
            asset=app,
            name="自有",
            kind="tcp",
            target=" 10.1.2.3 ",
            port=22,
            options={},
            admin_allowed=True,
        ),
        AutomatedCheck(
            contract=app.contract, asset=app, name="关键词", kind="http", options={"keyword": "ok"}
        ),
    ]
    for check in checks:
        row = targets.Fingerprinted(
            *(getattr(check, name) for name in targets.Fingerprinted.FIELDS[:-1]), app
        )
        assert targets.signature(row) == targets.signature(check), check.name
    assert len({targets.signature(check) for check in checks}) == len(checks)
