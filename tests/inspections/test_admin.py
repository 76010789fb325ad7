"""The admin of every inspections model: lists and forms load for a superuser, records of what
happened are read-only, and a check's password is never sent to the browser."""

import datetime as dt
import zoneinfo

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.models import Asset
from incidents import services as incident_services
from inspections.models import (
    AllowedNetwork,
    AutomatedCheck,
    ChecklistItem,
    ChecklistTemplate,
    CheckResult,
    HeightenedPeriod,
    InspectionPhoto,
    InspectionRun,
    InspectionSchedule,
    InspectionSlot,
    ItemResult,
)

pytestmark = pytest.mark.django_db
CN = zoneinfo.ZoneInfo("Asia/Shanghai")
PASSWORD = "db-Secret-2718"
MODELS = [
    AllowedNetwork,
    InspectionSchedule,
    HeightenedPeriod,
    InspectionSlot,
    ChecklistTemplate,
    ChecklistItem,
    AutomatedCheck,
    CheckResult,
    InspectionRun,
    ItemResult,
    InspectionPhoto,
]
# What happened is evidence: shown, never added or changed here.
RECORDS = {InspectionSlot, CheckResult, InspectionRun, ItemResult, InspectionPhoto}


@pytest.fixture
def superuser(make_user):
    return make_user(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def one_of_each(contract_a, vendor_engineer_a, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    asset = Asset.objects.create(
        contract=contract_a, kind="database", name="业务库", host="10.1.2.4", port=5432
    )
    schedule = InspectionSchedule.objects.create(
        contract=contract_a, name="机房日巡检", checklist_kind="machine-room"
    )
    period = HeightenedPeriod.objects.create(
        name="国庆重保", starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2026, 10, 7)
    )
    period.contracts.set([contract_a])
    template = ChecklistTemplate.objects.create(contract=contract_a, key="machine-room", name="机房巡检单")
    item = ChecklistItem.objects.create(
        template=template, label="机房温度", kind="number", min_value=18, max_value=27
    )
    check = AutomatedCheck.objects.create(
        contract=contract_a,
        asset=asset,
        name="业务库登录",
        kind="postgres",
        options={"dbname": "app", "user": "monitor"},
        password=PASSWORD,
    )
    due = dt.datetime(2026, 6, 1, 9, tzinfo=CN)
    slot = InspectionSlot.objects.create(
        contract=contract_a, schedule=schedule, due_at=due, deadline=due + dt.timedelta(hours=2)
    )
    run = InspectionRun.objects.create(
        slot=slot,
        contract=contract_a,
        mode="manual",
        template=template,
        performed_by=vendor_engineer_a,
        started_at=due,
    )
    incident = incident_services.report_incident(
        contract_a, by=vendor_engineer_a, title="机房温度过高", source="inspection", reported_at=due
    )
    answer = ItemResult.objects.create(run=run, item=item, number="31", abnormal=True, incident=incident)
    photo = InspectionPhoto.objects.create(
        run=run,
        answer=answer,
        file="inspections/1/1/abc.png",
        token="abc",
        extension="png",
        content_type="image/png",
        size=68,
        width=1,
        height=1,
        original_name="温度计.png",
    )
    sweep_slot = InspectionSlot.objects.create(
        contract=contract_a,
        heightened_period=period,
        due_at=due + dt.timedelta(hours=4),
        deadline=due + dt.timedelta(hours=6),
    )
    sweep = InspectionRun.objects.create(
        slot=sweep_slot, contract=contract_a, mode="automated", started_at=due
    )
    result = CheckResult.objects.create(
        run=sweep,
        automated_check=check,
        contract=contract_a,
        status="failed",
        message="Login refused",
        values={"latency_ms": 3.2},
        started_at=due,
        duration_ms=3.2,
    )
    return {
        AllowedNetwork: AllowedNetwork.objects.create(contract=contract_a, network="10.1.2.0/24"),
        InspectionSchedule: schedule,
        HeightenedPeriod: period,
        InspectionSlot: slot,
        ChecklistTemplate: template,
        ChecklistItem: item,
        AutomatedCheck: check,
        CheckResult: result,
        InspectionRun: run,
        ItemResult: answer,
        InspectionPhoto: photo,
    }


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def test_every_model_is_registered():
    assert [model.__name__ for model in MODELS if model not in admin.site._registry] == []


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_lists_and_forms_load(client, superuser, one_of_each, model):
    client.force_login(superuser)
    obj = one_of_each[model]
    listing = client.get(admin_url(model, "changelist"))
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == model.objects.count() >= 1
    form = client.get(admin_url(model, "change", obj.pk))
    assert form.status_code == 200
    searched = client.get(admin_url(model, "changelist"), {"q": "A-2026-OM"})
    assert searched.status_code == 200
    add = client.get(admin_url(model, "add"))
    assert add.status_code == (403 if model in RECORDS else 200)
    if model in RECORDS:
        # Viewable, not editable: no form to post, and a post changes nothing.
        assert not form.context["has_change_permission"]
        assert client.post(admin_url(model, "change", obj.pk), {}).status_code == 403


def test_a_run_shows_its_answers_photos_and_failed_results(client, superuser, one_of_each):
    client.force_login(superuser)
    body = client.get(admin_url(InspectionRun, "change", one_of_each[InspectionRun].pk)).content.decode()
    assert "机房温度" in body and "温度计.png" in body
    sweep = one_of_each[CheckResult].run
    assert "Login refused" in client.get(admin_url(InspectionRun, "change", sweep.pk)).content.decode()


def test_a_template_edits_its_items_inline(client, superuser, one_of_each):
    client.force_login(superuser)
    response = client.get(admin_url(ChecklistTemplate, "change", one_of_each[ChecklistTemplate].pk))
    assert [formset.formset.prefix for formset in response.context["inline_admin_formsets"]] == ["items"]


def test_the_password_is_never_sent_and_a_blank_one_keeps_the_stored(client, superuser, one_of_each):
    client.force_login(superuser)
    check = one_of_each[AutomatedCheck]
    url = admin_url(AutomatedCheck, "change", check.pk)
    page = client.get(url)
    assert PASSWORD not in page.content.decode()
    # The monitoring state is shown, not editable.
    assert {"last_status", "failing_since", "incident"} <= set(page.context["adminform"].readonly_fields)
    data = {
        "contract": check.contract_id,
        "asset": check.asset_id,
        "name": "业务库登录",
        "kind": "postgres",
        "severity": "general",
        "active": "on",
        "target": "",
        "port": "",
        "options": '{"dbname": "app", "user": "monitor"}',
        "timeout": "",
        "password": "",
    }
    assert client.post(url, data).status_code == 302
    check.refresh_from_db()
    assert check.password == PASSWORD
    assert client.post(url, {**data, "password": "new-Secret"}).status_code == 302
    check.refresh_from_db()
    assert check.password == "new-Secret"
    assert client.post(url, {**data, "clear_password": "on"}).status_code == 302
    check.refresh_from_db()
    assert check.password == ""
    # The model's rules reach the form: a threshold of the wrong type is a field error.
    bad = client.post(
        url, {**data, "options": '{"dbname": "app", "user": "monitor", "max_latency_ms": "fast"}'}
    )
    assert bad.status_code == 200 and "options" in bad.context["adminform"].form.errors


@pytest.mark.parametrize(
    "model", [InspectionSlot, CheckResult, ItemResult, InspectionRun], ids=lambda m: m.__name__
)
def test_busy_lists_do_not_query_per_row(client, superuser, one_of_each, model):
    client.force_login(superuser)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(admin_url(model, "changelist")).status_code == 200
        return len(captured)

    few = count()
    obj = one_of_each[model]
    for n in range(1, 6):
        copy = model.objects.get(pk=obj.pk)
        copy.pk = None
        if model is InspectionSlot:
            copy.due_at += dt.timedelta(days=n)
            copy.deadline += dt.timedelta(days=n)
        elif model is InspectionRun:
            copy.slot = InspectionSlot.objects.create(
                contract=obj.contract,
                schedule=obj.slot.schedule,
                due_at=obj.slot.due_at + dt.timedelta(days=n),
                deadline=obj.slot.deadline + dt.timedelta(days=n),
            )
        elif model is CheckResult:
            copy.run = InspectionRun.objects.create(
                slot=InspectionSlot.objects.create(
                    contract=obj.contract,
                    heightened_period=obj.run.slot.heightened_period,
                    due_at=obj.started_at + dt.timedelta(days=n),
                    deadline=obj.started_at + dt.timedelta(days=n, hours=2),
                ),
                contract=obj.contract,
                mode="automated",
                started_at=obj.started_at,
            )
        else:
            copy.item = ChecklistItem.objects.create(template=obj.item.template, label=f"项目 {n}")
        copy.save()
    assert count() == few
