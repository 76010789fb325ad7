"""The pages that manage a contract's checklists and automated checks (see test_manage_views)."""

import datetime as dt

import pytest
from django.utils import timezone

from contracts.models import Asset
from inspections.models import (
    AutomatedCheck,
    ChecklistItem,
    ChecklistTemplate,
    InspectionRun,
    InspectionSchedule,
    InspectionSlot,
    ItemResult,
)
from tests.inspections.manage_helpers import (
    PAGE,
    PASSWORD,
    check_data,
    checklist_data,
    errors,
    make_objects,
)

pytestmark = pytest.mark.django_db


# --- Checklists ---------------------------------------------------------------------------------


def test_a_manager_makes_a_checklist_with_items(client, contract_a, db_asset, vendor_manager_a):
    client.force_login(vendor_manager_a)
    data = checklist_data(
        [
            {"position": "20", "label": "UPS 告警灯", "kind": "check"},
            {"position": "10", "label": "机房温度", "kind": "number", "unit": "°C", "min_value": "18",
             "max_value": "27", "asset": db_asset.pk},
            {"position": "3", "label": "", "kind": "check"},  # a blank row as shown: ignored
        ]
    )  # fmt: skip
    response = client.post(f"{PAGE}checklists/add/", data)

    assert response.status_code == 302 and response["Location"] == PAGE
    template = ChecklistTemplate.objects.get()
    assert (template.contract, template.key) == (contract_a, "machine-room")
    items = list(template.items.all())
    assert [(i.position, i.label) for i in items] == [(1, "机房温度"), (2, "UPS 告警灯")]
    assert (items[0].min_value, items[0].max_value, items[0].asset) == (18, 27, db_asset)
    [(shown, used_by)] = client.get(PAGE).context["checklist_rows"]
    assert shown.item_count == 2 and used_by == []


def _existing(template):
    return [
        {"id": i.pk, "template": template.pk, "position": i.position, "label": i.label, "kind": i.kind}
        for i in template.items.all()
    ]


def test_items_are_reordered_removed_and_added(client, contract_a, vendor_manager_a):
    template = ChecklistTemplate.objects.create(contract=contract_a, key="functions", name="功能清单")
    for position, label in enumerate(["人员照片接口", "今日平均出警时长", "今日警情分类统计"], start=1):
        ChecklistItem.objects.create(template=template, position=position, label=label)
    rows = _existing(template)
    rows[0]["position"] = "9"  # the first goes last
    rows[1]["DELETE"] = "on"
    rows.append({"position": "5", "label": "酒店住宿登记"})
    client.force_login(vendor_manager_a)

    response = client.post(
        f"{PAGE}checklists/{template.pk}/edit/",
        checklist_data(rows, initial=3, key="functions", name="功能清单", more="1"),
    )

    # "Save and add more items" comes back to the form.
    assert response["Location"] == f"{PAGE}checklists/{template.pk}/edit/"
    expected = [(1, "今日警情分类统计"), (2, "酒店住宿登记"), (3, "人员照片接口")]
    assert [(i.position, i.label) for i in template.items.all()] == expected


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"kind": "check", "min_value": "18"}, "min_value"),  # thresholds for numbers only
        ({"kind": "text", "max_value": "27"}, "max_value"),
        ({"kind": "number", "min_value": "27", "max_value": "18"}, "max_value"),
        ({"kind": "number", "min_value": "十八"}, "min_value"),
        ({"kind": "dial"}, "kind"),
        ({"label": "", "unit": "°C"}, "label"),  # a row begun without its label
    ],
)
def test_bad_items_are_field_errors_and_save_nothing(client, contract_a, vendor_manager_a, item, field):
    client.force_login(vendor_manager_a)
    data = checklist_data([{"position": "1", "label": "机房温度", **item}])
    response = client.post(f"{PAGE}checklists/add/", data)
    assert response.status_code == 200
    assert field in response.context["formset"].forms[0].errors
    assert not ChecklistTemplate.objects.exists() and not ChecklistItem.objects.exists()


def test_an_asset_of_another_contract_is_refused(client, contract_a, contract_b, vendor_manager_a):
    asset_b = Asset.objects.create(contract=contract_b, kind=Asset.Kind.VM, name="乙虚拟机")
    client.force_login(vendor_manager_a)
    data = checklist_data([{"position": "1", "label": "虚拟机状态", "asset": asset_b.pk}])
    response = client.post(f"{PAGE}checklists/add/", data)
    assert "asset" in response.context["formset"].forms[0].errors
    assert not ChecklistTemplate.objects.exists()


def test_a_checklist_key_is_unique_and_a_rename_carries_its_schedules(client, contract_a, vendor_manager_a):
    template = ChecklistTemplate.objects.create(contract=contract_a, key="machine-room", name="机房巡检")
    ChecklistTemplate.objects.create(contract=contract_a, key="functions", name="功能清单")
    schedule = InspectionSchedule.objects.create(
        contract=contract_a, name="每日机房", checklist_kind="machine-room"
    )
    client.force_login(vendor_manager_a)

    response = client.post(f"{PAGE}checklists/add/", checklist_data([], key="functions", name="重复"))
    assert "key" in errors(response)
    assert ChecklistTemplate.objects.count() == 2

    response = client.post(f"{PAGE}checklists/{template.pk}/edit/", checklist_data([], key="server-room"))
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.checklist_kind == "server-room"


def test_an_answered_item_cannot_be_removed(client, contract_a, vendor_manager_a):
    template = ChecklistTemplate.objects.create(contract=contract_a, key="machine-room", name="机房巡检")
    item = ChecklistItem.objects.create(template=template, position=1, label="UPS 告警灯")
    schedule = InspectionSchedule.objects.create(
        contract=contract_a, name="每日机房", checklist_kind="machine-room"
    )
    now = timezone.now()
    slot = InspectionSlot.objects.create(
        contract=contract_a, schedule=schedule, due_at=now - dt.timedelta(hours=3), deadline=now,
        status="done", done_at=now,
    )  # fmt: skip
    run = InspectionRun.objects.create(
        slot=slot, contract=contract_a, mode="manual", template=template, started_at=now
    )
    ItemResult.objects.create(run=run, item=item, passed=True)
    client.force_login(vendor_manager_a)

    rows = _existing(template)
    rows[0]["DELETE"] = "on"
    response = client.post(
        f"{PAGE}checklists/{template.pk}/edit/", checklist_data(rows, initial=1, name="改名")
    )

    assert response.status_code == 200
    assert "UPS 告警灯" in str(response.context["formset"].non_form_errors())
    assert ChecklistItem.objects.filter(pk=item.pk).exists()
    assert ChecklistTemplate.objects.get().name == "机房巡检"


# --- Automated checks ---------------------------------------------------------------------------


def test_a_manager_adds_an_http_check_with_typed_options(client, contract_a, web_asset, vendor_manager_a):
    client.force_login(vendor_manager_a)
    data = check_data(
        web_asset, expected_status="200", keyword="", json_path="data.status", json_value="UP",
        max_latency_ms="800", min_cert_days="30", verify_tls="",
        max_memory_used_pct="90", dbname="ignored",  # boxes of other kinds: ignored for an HTTP check
    )  # fmt: skip
    response = client.post(f"{PAGE}checks/add/", data)

    assert response.status_code == 302
    check = AutomatedCheck.objects.get()
    assert (check.contract, check.asset, check.kind, check.target) == (contract_a, web_asset, "http", "")
    assert check.options == {
        "expected_status": 200, "json_path": "data.status", "json_value": "UP", "max_latency_ms": 800.0,
        "min_cert_days": 30.0,
    }  # fmt: skip
    assert check.probe().url == "https://10.1.2.3/health"  # the asset's URL

    # Shown back as typed; a JSON value that reads as a number keeps its quotes.
    check.options = {**check.options, "json_value": "200"}
    check.save()
    form = client.get(f"{PAGE}checks/{check.pk}/edit/").context["form"]
    assert form["json_value"].value() == '"200"' and form["min_cert_days"].value() == 30.0


@pytest.mark.parametrize(
    ("json_value", "stored"), [("true", True), ("200", 200), ('"200"', "200"), ("null", None), ("UP", "UP")]
)
def test_a_json_value_is_read_as_json_when_it_is_json(
    client, contract_a, web_asset, vendor_manager_a, json_value, stored
):
    client.force_login(vendor_manager_a)
    client.post(f"{PAGE}checks/add/", check_data(web_asset, json_path="status", json_value=json_value))
    assert AutomatedCheck.objects.get().options == {"json_path": "status", "json_value": stored}


def test_a_ping_check_takes_its_own_options(client, contract_a, vendor_manager_a):
    switch = Asset.objects.create(
        contract=contract_a, kind=Asset.Kind.NETWORK, name="核心交换机", host="10.1.0.1"
    )
    client.force_login(vendor_manager_a)
    data = check_data(
        switch, name="交换机连通", kind="ping", count="5", max_loss_pct="20", max_latency_ms="50"
    )
    assert client.post(f"{PAGE}checks/add/", data).status_code == 302
    check = AutomatedCheck.objects.get()
    assert check.options == {"count": 5, "max_loss_pct": 20.0, "max_latency_ms": 50.0}
    assert check.probe().host == "10.1.0.1"


def test_node_exporter_thresholds_with_zero_errors_allowed(client, contract_a, vendor_manager_a):
    vm = Asset.objects.create(contract=contract_a, kind=Asset.Kind.VM, name="VM-01", host="10.1.3.1")
    client.force_login(vendor_manager_a)
    data = check_data(
        vm, name="VM-01 指标", kind="node_exporter", target="http://10.1.3.1:9100/metrics",
        max_memory_used_pct="90", max_filesystem_used_pct="85", max_network_errors="0", max_load1_per_cpu="",
    )  # fmt: skip
    assert client.post(f"{PAGE}checks/add/", data).status_code == 302
    options = {"max_memory_used_pct": 90.0, "max_filesystem_used_pct": 85.0, "max_network_errors": 0}
    assert AutomatedCheck.objects.get().options == options


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"target": "http//10.1.2.3/health"}, "target"),  # malformed URL
        ({"target": "https://10.1.2.3/ health"}, "target"),
        ({"kind": "tcp", "target": "10.1.2.3;reboot", "port": "22"}, "target"),
        ({"kind": "tcp", "target": "10.1.2.3", "port": "70000"}, "port"),
        ({"max_latency_ms": "fast"}, "max_latency_ms"),  # a threshold of the wrong type
        ({"max_latency_ms": "-5"}, "max_latency_ms"),
        ({"expected_status": "700"}, "expected_status"),
        ({"target": "http://10.1.2.3/health", "min_cert_days": "30"}, "min_cert_days"),  # https only
        ({"json_value": "UP"}, "json_value"),  # a value needs its path
        ({"json_path": "data..status"}, "json_path"),
        ({"kind": "node_exporter", "target": "http://10.1.3.1:9100/metrics", "max_memory_used_pct": "150"},
         "max_memory_used_pct"),
        ({"kind": "node_exporter", "target": "http://10.1.3.1:9100/metrics", "max_network_errors": "1.5"},
         "max_network_errors"),
        ({"kind": "postgres", "target": "10.1.2.4", "user": "om"}, "dbname"),
        ({"timeout": "120"}, "timeout"),
        ({"kind": "ping", "target": "10.1.2.3", "count": "11"}, "count"),
        ({"kind": "ping", "target": "10.1.2.3", "max_loss_pct": "100"}, "max_loss_pct"),
        ({"kind": "ping", "target": "fe80::1"}, "target"),  # IPv4 only
        ({"kind": "dns"}, "kind"),
    ],
)  # fmt: skip
def test_bad_checks_are_field_errors_and_save_nothing(
    client, contract_a, web_asset, vendor_manager_a, fields, field
):
    client.force_login(vendor_manager_a)
    response = client.post(f"{PAGE}checks/add/", check_data(web_asset, **fields))
    assert field in errors(response), errors(response)
    assert not AutomatedCheck.objects.exists()


def test_a_check_needs_an_asset_of_this_contract_with_a_target(
    client, contract_a, contract_b, vendor_manager_a
):
    asset_b = Asset.objects.create(
        contract=contract_b, kind=Asset.Kind.VM, name="乙虚拟机", url="http://10.9.9.9/"
    )
    bare = Asset.objects.create(contract=contract_a, kind=Asset.Kind.VM, name="无地址")
    client.force_login(vendor_manager_a)
    assert "asset" in errors(client.post(f"{PAGE}checks/add/", check_data(asset_b)))
    # Neither the check nor its asset says where to go.
    assert "target" in errors(client.post(f"{PAGE}checks/add/", check_data(bare)))
    assert not AutomatedCheck.objects.exists()


def test_the_database_password_is_never_shown(client, contract_a, db_asset, vendor_manager_a):
    client.force_login(vendor_manager_a)
    data = check_data(
        db_asset, name="人口库登录", kind="postgres", dbname="population", user="om_probe", sslmode="require",
        new_password=PASSWORD,
    )  # fmt: skip
    bodies = []
    # A bad submission re-renders the form: still without the password.
    bad = client.post(f"{PAGE}checks/add/", {**data, "max_latency_ms": "slow"})
    bodies.append(bad.content.decode())
    assert "max_latency_ms" in errors(bad)
    assert client.post(f"{PAGE}checks/add/", data).status_code == 302

    check = AutomatedCheck.objects.get()
    assert check.password == PASSWORD
    assert check.options == {"dbname": "population", "user": "om_probe", "sslmode": "require"}
    assert check.probe().password == PASSWORD
    edit_url = f"{PAGE}checks/{check.pk}/edit/"
    bodies += [client.get(PAGE).content.decode(), client.get(edit_url).content.decode()]

    # Saved again with the box blank: the password stays.
    assert client.post(edit_url, {**data, "new_password": ""}).status_code == 302
    check.refresh_from_db()
    assert check.password == PASSWORD
    bodies.append(client.get(edit_url).content.decode())
    for body in bodies:
        assert PASSWORD not in body

    # Forgotten on request, and never kept by a check that does not log in.
    client.post(edit_url, {**data, "new_password": "", "clear_password": "on"})
    check.refresh_from_db()
    assert check.password == ""
    client.post(edit_url, {**data, "new_password": PASSWORD})
    client.post(
        edit_url, {**data, "kind": "tcp", "target": "10.1.2.4", "port": "5432", "new_password": PASSWORD}
    )
    check.refresh_from_db()
    assert (check.kind, check.password, check.options) == ("tcp", "", {})


def test_the_page_shows_a_failing_check_with_its_incident(client, contract_a, web_asset, vendor_engineer_a):
    from incidents.models import Incident

    failing_since = timezone.now() - dt.timedelta(minutes=30)
    incident = Incident.objects.create(
        contract=contract_a, title="受理系统无响应", source="inspection", reported_at=failing_since
    )
    AutomatedCheck.objects.create(
        contract=contract_a, asset=web_asset, name="a 正常", kind="tcp", target="10.1.2.3", port=443,
        last_status="ok", last_checked_at=timezone.now(),
    )  # fmt: skip
    AutomatedCheck.objects.create(
        contract=contract_a, asset=web_asset, name="z 受理系统", kind="http", last_status="timeout",
        last_checked_at=timezone.now(), failing_since=failing_since, incident=incident,
    )  # fmt: skip
    client.force_login(vendor_engineer_a)
    page = client.get(PAGE)
    # Failing first, whatever the names say.
    assert [check.name for check, _options in page.context["check_rows"]] == ["z 受理系统", "a 正常"]
    assert incident.get_absolute_url() in page.content.decode()


def test_deactivating_a_check_and_a_checklist(client, contract_a, web_asset, vendor_manager_a):
    _schedule, _period, template, check = make_objects(contract_a, web_asset)
    client.force_login(vendor_manager_a)
    client.post(f"{PAGE}checks/{check.pk}/active/", {"active": "0"})
    client.post(f"{PAGE}checklists/{template.pk}/active/", {"active": "0"})
    assert not AutomatedCheck.objects.get().active
    assert not ChecklistTemplate.objects.get().active
    assert client.post(f"{PAGE}gadgets/{check.pk}/active/", {"active": "0"}).status_code == 404


def test_the_page_costs_the_same_queries_for_more_checks(
    client, contract_a, web_asset, vendor_engineer_a, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.models import Incident

    def add_failing_checks(first, count):
        for n in range(first, first + count):
            incident = Incident.objects.create(
                contract=contract_a, title=f"故障 {n}", source="inspection", reported_at=timezone.now()
            )
            AutomatedCheck.objects.create(
                contract=contract_a, asset=web_asset, name=f"检查 {n}", kind="tcp", target="10.1.2.3", port=n,
                last_status="failed", incident=incident,
            )  # fmt: skip

    client.force_login(vendor_engineer_a)
    add_failing_checks(1, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(PAGE).status_code == 200
    add_failing_checks(3, 20)
    with django_assert_max_num_queries(len(few)):
        assert client.get(PAGE).status_code == 200
