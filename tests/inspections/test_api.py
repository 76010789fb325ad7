"""The inspections API: scoping (other organisations' objects are absent, 404), write rights
(MANAGE_INSPECTIONS, else 403), the models' rules as 400s with the field named, and a password
that never leaves. The read-only resources' filters and query counts: test_api_reads.py."""

import datetime as dt
import json
import zoneinfo

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from contracts.models import Asset, Contract, Membership, Role
from inspections.models import (
    AutomatedCheck,
    ChecklistItem,
    ChecklistTemplate,
    CheckResult,
    HeightenedPeriod,
    InspectionRun,
    InspectionSchedule,
    InspectionSlot,
    ItemResult,
)

pytestmark = pytest.mark.django_db
CN = zoneinfo.ZoneInfo("Asia/Shanghai")
PASSWORD = "pg-Secret-4711"


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CN)


def api_as(user, language="en"):
    """A client of ``user``; in English, so that messages are compared with their msgids."""
    api = APIClient()
    api.force_authenticate(user)
    api.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    api.default_format = "json"
    return api


@pytest.fixture
def manager_a(make_user, vendor_org_a):
    return make_user(Role.VENDOR_MANAGER, vendor_org_a)


@pytest.fixture
def contract_a2(client_org_a, vendor_org_a):
    """A second contract of the same two parties."""
    return Contract.objects.create(
        code="A-2026-NET", title="甲市网络运维", client=client_org_a, vendor=vendor_org_a, status="active"
    )


def make_asset(contract, name="应用服务器01", **fields):
    fields.setdefault("kind", Asset.Kind.VM)
    # Not loopback: a check of it would be refused (issue 14).
    fields.setdefault("host", "10.1.2.3")
    fields.setdefault("url", "https://portal.example.gov.cn/")
    return Asset.objects.create(contract=contract, name=name, **fields)


def make_schedule(contract, name="每日巡检", **fields):
    fields.setdefault("what", "按功能清单巡检")
    schedule = InspectionSchedule(contract=contract, name=name, **fields)
    schedule.full_clean()
    schedule.save()
    return schedule


def make_slot(contract, due, schedule=None, period=None, **fields):
    return InspectionSlot.objects.create(
        contract=contract,
        schedule=schedule,
        heightened_period=period,
        due_at=due,
        deadline=due + dt.timedelta(hours=2),
        **fields,
    )


def make_check(contract, asset, name="门户首页", **fields):
    fields.setdefault("kind", AutomatedCheck.Kind.HTTP)
    fields.setdefault("target", "http://127.0.0.1:8080/")
    return AutomatedCheck.objects.create(contract=contract, asset=asset, name=name, **fields)


def make_automated_run(slot, statuses, name_prefix="检查"):
    """A finished automated run with one result per status given, each on its own check."""
    run = InspectionRun.objects.create(
        slot=slot,
        contract=slot.contract,
        mode="automated",
        started_at=slot.due_at,
        finished_at=slot.due_at + dt.timedelta(seconds=5),
        checks_total=len(statuses),
        checks_failed=sum(s != "ok" for s in statuses),
    )
    asset = make_asset(slot.contract, name=f"{name_prefix}-{slot.pk}")
    for n, status in enumerate(statuses):
        check = make_check(slot.contract, asset, name=f"{name_prefix}-{slot.pk}-{n}")
        CheckResult.objects.create(
            run=run,
            automated_check=check,
            contract=slot.contract,
            status=status,
            message="Keyword %(keyword)r not found" if status == "failed" else "OK",
            params={"keyword": "ok"} if status == "failed" else {},
            values={"status": 200, "latency_ms": 12.5},
            started_at=slot.due_at + dt.timedelta(seconds=n),
            duration_ms=12.5,
        )
    return run


@pytest.fixture
def world(contract_a, contract_b):
    """One of everything on each contract: A's and B's must never mix."""
    objects = {}
    for contract in (contract_a, contract_b):
        asset = make_asset(contract)
        schedule = make_schedule(contract)
        template = ChecklistTemplate.objects.create(contract=contract, key="machine-room", name="机房巡检")
        ChecklistItem.objects.create(template=template, label="空调运行正常")
        check = make_check(contract, asset, password=PASSWORD)
        slot = make_slot(contract, at(2026, 6, 1, 9, 0), schedule=schedule)
        run = make_automated_run(slot, ["ok", "failed"])
        period = HeightenedPeriod.objects.create(
            name=f"{contract.code} 高考", starts_on=dt.date(2026, 6, 7), ends_on=dt.date(2026, 6, 8)
        )
        period.contracts.set([contract])
        objects[contract.code] = {
            "inspection-schedules": schedule.pk,
            "heightened-periods": period.pk,
            "inspection-slots": slot.pk,
            "inspection-runs": run.pk,
            "checklist-templates": template.pk,
            "checks": check.pk,
            "check-results": run.results.first().pk,
        }
    return objects


RESOURCES = [
    "inspection-schedules",
    "heightened-periods",
    "inspection-slots",
    "inspection-runs",
    "checklist-templates",
    "checks",
    "check-results",
]


def found(api, resource, **params) -> set[int]:
    response = api.get(f"/api/v1/{resource}/", params)
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- Scope ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
def test_each_side_sees_its_own_and_the_other_is_404(world, resource, client_staff_a, outsider):
    mine, theirs = world["A-2026-OM"][resource], world["B-2026-OM"][resource]
    staff = api_as(client_staff_a)
    assert mine in found(staff, resource) and theirs not in found(staff, resource)
    assert staff.get(f"/api/v1/{resource}/{mine}/").status_code == 200
    assert staff.get(f"/api/v1/{resource}/{theirs}/").status_code == 404
    # The other organisation's manager: the mirror image.
    other = api_as(outsider)
    assert theirs in found(other, resource) and mine not in found(other, resource)
    assert other.get(f"/api/v1/{resource}/{mine}/").status_code == 404
    # Filtering by the other contract's code finds nothing, rather than an error.
    assert found(staff, resource, contract="B-2026-OM") == set()
    assert APIClient().get(f"/api/v1/{resource}/").status_code in (401, 403)


def test_the_password_never_leaves(world, manager_a):
    api = api_as(manager_a)
    bodies = [api.get(f"/api/v1/{resource}/").content for resource in RESOURCES]
    bodies += [api.get(f"/api/v1/checks/{world['A-2026-OM']['checks']}/").content]
    asset = Asset.objects.get(contract__code="A-2026-OM", name="应用服务器01")
    created = api.post(
        "/api/v1/checks/",
        {
            "contract": "A-2026-OM",
            "asset": asset.pk,
            "name": "业务库登录",
            "kind": "postgres",
            "target": "10.1.2.3",
            "port": 5432,
            "options": {"dbname": "app", "user": "monitor"},
            "password": "another-Secret-99",
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["has_password"] is True
    bodies.append(created.content)
    bodies.append(api.patch(f"/api/v1/checks/{created.json()['id']}/", {"name": "业务库"}).content)
    bodies.append(api.options("/api/v1/checks/").content)
    for body in bodies:
        assert PASSWORD.encode() not in body and b"another-Secret-99" not in body
    assert all("password" not in row for row in api.get("/api/v1/checks/").json()["results"])
    # Left out of the update, the stored password stayed.
    assert AutomatedCheck.objects.get(name="业务库").password == "another-Secret-99"


# --- Write rights ----------------------------------------------------------------------------------

SCHEDULE = {
    "contract": "A-2026-OM",
    "name": "夜间巡检",
    "kind": "daily",
    "times_of_day": ["22:00"],
    "what": "机房",
}


def test_engineers_read_schedules_but_may_not_change_them(world, vendor_engineer_a, contract_a):
    api = api_as(vendor_engineer_a)
    pk = world["A-2026-OM"]["inspection-schedules"]
    assert api.get(f"/api/v1/inspection-schedules/{pk}/").status_code == 200
    assert api.post("/api/v1/inspection-schedules/", SCHEDULE).status_code == 403
    assert api.patch(f"/api/v1/inspection-schedules/{pk}/", {"active": False}).status_code == 403
    assert api.delete(f"/api/v1/inspection-schedules/{pk}/").status_code == 403
    assert list(InspectionSchedule.objects.filter(contract=contract_a).values_list("name", "active")) == [
        ("每日巡检", True)
    ]
    # The same for checklists and checks: the vendor's manager sets them, not its engineers.
    template = {"contract": "A-2026-OM", "key": "night", "name": "夜间", "items": []}
    assert api.post("/api/v1/checklist-templates/", template).status_code == 403
    check = world["A-2026-OM"]["checks"]
    assert api.patch(f"/api/v1/checks/{check}/", {"active": False}).status_code == 403


def test_a_manager_adds_a_schedule_and_its_slots_follow_at_once(contract_a, manager_a):
    api = api_as(manager_a)
    response = api.post(
        "/api/v1/inspection-schedules/",
        {
            "contract": "A-2026-OM",
            "name": "重点时段巡检",
            "kind": "several_daily",
            "times_of_day": ["19:00", "08:00", "13:00"],
            "grace": "01:00:00",
            "checklist_kind": "function-list",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    # Stored as the day runs (the model's clean() sorts them).
    assert body["times_of_day"] == ["08:00", "13:00", "19:00"]
    assert body["grace"] == "01:00:00"
    # Three times a day, materialised over the next 48 hours: each time of day falls twice.
    assert InspectionSlot.objects.filter(schedule_id=body["id"]).count() == 6


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"times_of_day": ["25:00"]}, "times_of_day"),
        ({"times_of_day": ["08:00", "13:00"]}, "times_of_day"),  # daily: exactly one
        ({"kind": "weekly"}, "weekday"),
        ({"weekday": 2}, "weekday"),  # only for weekly ones
        ({"kind": "monthly_working_day", "nth_working_day": 16}, "nth_working_day"),
        ({"grace": "-01:00:00"}, "grace"),
        ({"grace": "2 00:00:00"}, "grace"),  # a daily slot cannot stay open for two days
        ({"what": "", "checklist_kind": ""}, "what"),
        ({"contract": "B-2026-OM"}, "contract"),  # another organisation's: "does not exist"
        ({"contract": "NOPE"}, "contract"),
        ({"name": ""}, "name"),
        ({"name": "每日巡检"}, "non_field_errors"),  # the contract has one of that name
        ({"mode": "robot"}, "mode"),
    ],
)
def test_bad_schedules_are_400s_naming_the_field(world, manager_a, change, field):
    before = InspectionSchedule.objects.count()
    response = api_as(manager_a).post("/api/v1/inspection-schedules/", {**SCHEDULE, **change})
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert InspectionSchedule.objects.count() == before


def test_a_schedule_stays_on_its_contract_and_one_with_slots_is_retired_not_deleted(
    world, manager_a, contract_a2
):
    api = api_as(manager_a)
    pk = world["A-2026-OM"]["inspection-schedules"]
    moved = api.patch(f"/api/v1/inspection-schedules/{pk}/", {"contract": "A-2026-NET"})
    assert moved.status_code == 400 and "contract" in moved.json()
    refused = api.delete(f"/api/v1/inspection-schedules/{pk}/")
    assert refused.status_code == 409
    assert InspectionSchedule.objects.filter(pk=pk).exists()
    retired = api.patch(f"/api/v1/inspection-schedules/{pk}/", {"active": False})
    assert retired.status_code == 200 and retired.json()["active"] is False
    # A schedule nothing refers to yet can go.
    fresh = make_schedule(contract_a2, name="周巡检", kind="weekly", weekday=0)
    InspectionSlot.objects.filter(schedule=fresh).delete()
    assert api.delete(f"/api/v1/inspection-schedules/{fresh.pk}/").status_code == 204


# --- Heightened periods ------------------------------------------------------------------------------


PERIOD = {"name": "国庆重保", "starts_on": "2026-10-01", "ends_on": "2026-10-07", "contracts": ["A-2026-OM"]}


def test_a_period_lists_contracts_by_code_and_each_must_be_managed(
    contract_a, contract_b, manager_a, client_staff_a, vendor_org_a, client_org_b, make_user
):
    created = api_as(manager_a).post("/api/v1/heightened-periods/", PERIOD)
    assert created.status_code == 201, created.content
    # Seed 000's times by default: 08:00, 13:00 and 19:00.
    assert created.json()["contracts"] == ["A-2026-OM"]
    assert created.json()["times_of_day"] == ["08:00", "13:00", "19:00"]
    # Client staff see contract A but do not manage its inspections.
    assert api_as(client_staff_a).post("/api/v1/heightened-periods/", PERIOD).status_code == 403
    # A vendor manager of A who is also an engineer of B's vendor sees both, manages only A:
    # refused whole.
    both = make_user(Role.VENDOR_MANAGER, vendor_org_a)
    Membership.objects.create(user=both, organization=contract_b.vendor, role=Role.VENDOR_ENGINEER)
    count = HeightenedPeriod.objects.count()
    shared = {**PERIOD, "contracts": ["A-2026-OM", "B-2026-OM"]}
    assert api_as(both).post("/api/v1/heightened-periods/", shared).status_code == 403
    # For manager A, contract B does not exist.
    hidden = api_as(manager_a).post("/api/v1/heightened-periods/", shared)
    assert hidden.status_code == 400 and "contracts" in hidden.json()
    assert HeightenedPeriod.objects.count() == count


def test_a_period_shared_with_another_bureau_shows_only_ones_own_contract(
    contract_a, contract_b, manager_a, make_user
):
    admin = make_user(is_superuser=True)
    shared = {**PERIOD, "contracts": ["A-2026-OM", "B-2026-OM"]}
    created = api_as(admin).post("/api/v1/heightened-periods/", shared)
    assert created.status_code == 201 and created.json()["contracts"] == ["A-2026-OM", "B-2026-OM"]
    pk = created.json()["id"]
    assert api_as(manager_a).get(f"/api/v1/heightened-periods/{pk}/").json()["contracts"] == ["A-2026-OM"]
    # Its dates bind contract B too: the administrators' to change.
    assert api_as(manager_a).patch(f"/api/v1/heightened-periods/{pk}/", {"name": "国庆"}).status_code == 403
    assert api_as(manager_a).delete(f"/api/v1/heightened-periods/{pk}/").status_code == 403
    assert HeightenedPeriod.objects.get(pk=pk).name == "国庆重保"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_on": "2026-09-30"}, "ends_on"),
        ({"times_of_day": ["8:00"]}, "times_of_day"),
        ({"times_of_day": []}, "times_of_day"),
        ({"contracts": []}, "contracts"),
        ({"grace": "00:00:00"}, "grace"),
        ({"starts_on": "2026-13-01"}, "starts_on"),
    ],
)
def test_bad_periods_are_400s_naming_the_field(contract_a, manager_a, change, field):
    response = api_as(manager_a).post("/api/v1/heightened-periods/", {**PERIOD, **change})
    assert response.status_code == 400 and field in response.json(), response.content
    assert HeightenedPeriod.objects.count() == 0


# --- Checklists with their items ---------------------------------------------------------------------


ROUND = {
    "contract": "A-2026-OM",
    "key": "machine-room",
    "name": "机房巡检",
    "items": [
        {"section": "机房", "label": "空调运行正常", "kind": "check"},
        {
            "section": "机房",
            "label": "机房温度",
            "kind": "number",
            "unit": "°C",
            "min_value": "18",
            "max_value": "27",
        },
        {"section": "机柜", "label": "机柜照片", "kind": "photo"},
    ],
}


def test_a_checklist_is_written_whole_with_its_items(contract_a, manager_a):
    api = api_as(manager_a)
    response = api.post("/api/v1/checklist-templates/", ROUND)
    assert response.status_code == 201, response.content
    items = response.json()["items"]
    assert [(i["position"], i["label"], i["kind"]) for i in items] == [
        (0, "空调运行正常", "check"),
        (1, "机房温度", "number"),
        (2, "机柜照片", "photo"),
    ]
    assert (items[1]["min_value"], items[1]["max_value"]) == ("18.000", "27.000")
    pk = response.json()["id"]
    # Keep the first (renamed), drop the second, add one: the list is the checklist.
    changed = api.patch(
        f"/api/v1/checklist-templates/{pk}/",
        {
            "items": [
                {"id": items[0]["id"], "label": "精密空调运行正常", "kind": "check"},
                {"label": "UPS 告警", "kind": "check"},
            ]
        },
    )
    assert changed.status_code == 200, changed.content
    after = changed.json()["items"]
    assert [(i["label"], i["position"]) for i in after] == [("精密空调运行正常", 0), ("UPS 告警", 1)]
    assert after[0]["id"] == items[0]["id"]
    assert ChecklistItem.objects.filter(template_id=pk).count() == 2
    # A change is judged with what is stored: a number item made a tick keeps its thresholds.
    stored = api.get(f"/api/v1/checklist-templates/{pk}/").json()["items"]
    assert stored[0]["kind"] == "check"
    retyped = api.patch(
        f"/api/v1/checklist-templates/{pk}/",
        {
            "items": [
                {"id": stored[0]["id"], "kind": "number", "min_value": "30", "max_value": "20"},
                {"id": stored[1]["id"]},
            ]
        },
    )
    assert retyped.status_code == 400 and retyped.json()["items"] == {
        "0": {"max_value": ["The highest normal value is below the lowest."]}
    }
    ChecklistItem.objects.filter(pk=stored[0]["id"]).update(kind="number", min_value=18)
    retyped = api.patch(
        f"/api/v1/checklist-templates/{pk}/", {"items": [{"id": stored[0]["id"], "kind": "check"}]}
    )
    assert retyped.status_code == 400 and list(retyped.json()["items"]["0"]) == ["min_value"]
    unnamed = api.patch(
        f"/api/v1/checklist-templates/{pk}/", {"items": [{"id": stored[1]["id"]}, {"kind": "check"}]}
    )
    assert unnamed.status_code == 400 and list(unnamed.json()["items"]["1"]) == ["label"]
    # Without "items", an update leaves them alone.
    assert len(api.patch(f"/api/v1/checklist-templates/{pk}/", {"name": "机房"}).json()["items"]) == 2


def test_an_items_errors_come_back_at_its_index_and_nothing_is_saved(
    contract_a, contract_a2, contract_b, manager_a
):
    api = api_as(manager_a)
    items = [
        {"label": "空调运行正常", "kind": "check"},
        {"label": "机房湿度", "kind": "check", "min_value": "40"},  # thresholds: numbers only
        {"label": "机房温度", "kind": "number", "min_value": "27", "max_value": "18"},
        {"label": "防火墙", "kind": "check", "asset": make_asset(contract_b).pk},  # not the caller's
        {"label": "", "kind": "dial"},
        {"label": "机房温度", "kind": "number", "max_value": "abc"},
    ]
    response = api.post("/api/v1/checklist-templates/", {**ROUND, "items": items})
    assert response.status_code == 400, response.content
    errors = response.json()["items"]
    # DRF's shape for a list: the index of each item in error, the valid ones left out.
    assert {index: sorted(fields) for index, fields in errors.items()} == {
        "1": ["min_value"],
        "2": ["max_value"],
        "3": ["asset"],
        "4": ["kind", "label"],
        "5": ["max_value"],
    }
    # An asset of the same bureau's other contract: checked against the template's contract.
    other = [items[0], {"label": "交换机", "kind": "check", "asset": make_asset(contract_a2).pk}]
    response = api.post("/api/v1/checklist-templates/", {**ROUND, "items": other})
    assert response.status_code == 400
    assert response.json()["items"] == {"1": {"asset": ["The asset belongs to another contract."]}}
    assert ChecklistTemplate.objects.count() == 0 and ChecklistItem.objects.count() == 0


def test_an_answered_item_stays_and_a_foreign_item_id_is_refused(world, manager_a, contract_a):
    api = api_as(manager_a)
    template = ChecklistTemplate.objects.get(contract=contract_a)
    answered = template.items.get()
    slot = make_slot(
        contract_a, at(2026, 6, 2, 9, 0), schedule=InspectionSchedule.objects.get(contract=contract_a)
    )
    run = InspectionRun.objects.create(slot=slot, contract=contract_a, mode="manual", started_at=slot.due_at)
    ItemResult.objects.create(run=run, item=answered, passed=True)
    kept = api.patch(f"/api/v1/checklist-templates/{template.pk}/", {"items": [{"label": "新项目"}]})
    assert kept.status_code == 400 and "空调运行正常" in json.dumps(kept.json(), ensure_ascii=False)
    foreign = ChecklistItem.objects.get(template__contract__code="B-2026-OM")
    stolen = api.patch(
        f"/api/v1/checklist-templates/{template.pk}/",
        {"items": [{"id": answered.pk, "label": answered.label}, {"id": foreign.pk, "label": "x"}]},
    )
    assert stolen.status_code == 400
    assert stolen.json()["items"] == {"1": {"id": ["Not an item of this checklist."]}}
    assert list(template.items.values_list("label", flat=True)) == ["空调运行正常"]
    assert ChecklistItem.objects.get(pk=foreign.pk).label == "空调运行正常"
    # Deleting the template would take the answered item with it: refused.
    assert api.delete(f"/api/v1/checklist-templates/{template.pk}/").status_code == 409


# --- Automated checks ----------------------------------------------------------------------------------


def check_payload(asset, **change):
    return {
        "contract": "A-2026-OM",
        "asset": asset.pk,
        "name": "门户健康检查",
        "kind": "http",
        "target": "https://portal.example.gov.cn/health",
        "options": {"expected_status": 200, "keyword": "ok", "max_latency_ms": 800, "min_cert_days": 30},
        **change,
    }


def test_a_manager_adds_a_check_and_its_monitoring_state_is_read_only(contract_a, manager_a):
    asset = make_asset(contract_a)
    api = api_as(manager_a)
    created = api.post("/api/v1/checks/", check_payload(asset))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["has_password"] is False and body["last_status"] == "" and body["incident"] is None
    forged = api.patch(
        f"/api/v1/checks/{body['id']}/",
        {"last_status": "ok", "failing_since": "2026-06-01T09:00:00+08:00", "incident": 1},
    )
    assert forged.status_code == 200
    check = AutomatedCheck.objects.get(pk=body["id"])
    assert (check.last_status, check.failing_since, check.incident_id) == ("", None, None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target": "htp://portal.example.gov.cn/"}, "target"),  # not http(s)
        ({"target": "http://user:pw@portal/"}, "target"),  # credentials in the URL
        ({"options": {"max_latency_ms": "fast"}}, "options"),  # a threshold of the wrong type
        ({"options": {"expected_status": True}}, "options"),  # a bool is not a status code
        ({"options": {"max_cpu": 90}}, "options"),  # not an option of HTTP checks
        ({"options": ["expected_status", 200]}, "options"),
        ({"kind": "tcp", "target": "127.0.0.1", "options": {}}, "port"),  # neither it nor the asset
        ({"kind": "postgres", "target": "127.0.0.1", "options": {"dbname": "app"}}, "options"),
        ({"kind": "smtp"}, "kind"),
        ({"port": 70000}, "port"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": 61}, "timeout"),
        ({"severity": "apocalyptic"}, "severity"),
    ],
)
def test_bad_checks_are_400s_naming_the_field(contract_a, manager_a, change, field):
    asset = make_asset(contract_a)
    response = api_as(manager_a).post("/api/v1/checks/", check_payload(asset, **change))
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert AutomatedCheck.objects.count() == 0


def test_a_checks_asset_must_be_its_contracts(contract_a, contract_a2, contract_b, manager_a):
    api = api_as(manager_a)
    same_bureau = api.post("/api/v1/checks/", check_payload(make_asset(contract_a2)))
    assert same_bureau.status_code == 400
    assert same_bureau.json()["asset"] == ["The asset belongs to another contract."]
    other_bureau = api.post("/api/v1/checks/", check_payload(make_asset(contract_b)))
    assert other_bureau.status_code == 400 and "asset" in other_bureau.json()
    assert AutomatedCheck.objects.count() == 0


def test_a_blank_target_takes_the_assets_and_a_bad_one_on_the_asset_is_refused(contract_a, manager_a):
    api = api_as(manager_a)
    exporter = make_asset(contract_a, name="vm-01", url="http://10.0.0.5:9100/metrics")
    ok = api.post(
        "/api/v1/checks/",
        check_payload(exporter, kind="node_exporter", target="", options={"max_filesystem_used_pct": 85}),
    )
    assert ok.status_code == 201, ok.content
    broken = make_asset(contract_a, name="vm-02", url="10.0.0.6:9100")
    refused = api.post(
        "/api/v1/checks/", check_payload(broken, name="vm-02", kind="node_exporter", target="", options={})
    )
    assert refused.status_code == 400 and "target" in refused.json()


@pytest.mark.parametrize("resource", RESOURCES)
def test_the_browsable_pages_render(world, manager_a, resource):
    api = api_as(manager_a)
    pk = world["A-2026-OM"][resource]
    for url in (f"/api/v1/{resource}/", f"/api/v1/{resource}/{pk}/"):
        response = api.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert PASSWORD not in response.content.decode()
