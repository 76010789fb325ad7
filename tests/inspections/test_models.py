"""Automated checks built from stored rows, checklist items judging answers, the seed duties."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from contracts.models import Asset
from contracts.services import load_seed_contracts
from inspections import probes
from inspections.models import AutomatedCheck, ChecklistItem, ChecklistTemplate, InspectionSchedule
from inspections.schedules import slots_between
from inspections.seeds import load_seed_inspections

pytestmark = pytest.mark.django_db


@pytest.fixture
def vm(contract_a):
    return Asset.objects.create(
        contract=contract_a, kind=Asset.Kind.VM, name="VM 01", host="10.1.2.3", port=22
    )


WEB = "http://10.1.2.3/"


def check(contract, asset, **fields):
    return AutomatedCheck(contract=contract, asset=asset, name=fields.pop("name", "c"), **fields)


def test_a_tcp_check_takes_host_and_port_from_its_asset(contract_a, vm):
    probe = check(contract_a, vm, kind="tcp", options={"max_latency_ms": 200}).probe()
    assert probe == probes.TcpCheck("10.1.2.3", 22, max_latency_ms=200)


def test_a_node_exporter_check_with_thresholds(contract_a, vm):
    c = check(
        contract_a,
        vm,
        kind="node_exporter",
        target="http://10.1.2.3:9100/metrics",
        options={"max_memory_used_pct": 90, "max_filesystem_used_pct": 85.5, "max_network_errors": 0},
        timeout=3,
    )
    probe = c.probe()
    assert isinstance(probe, probes.NodeExporterCheck)
    assert (probe.max_memory_used_pct, probe.max_filesystem_used_pct, probe.timeout) == (90, 85.5, 3)


def test_a_database_check_keeps_its_password_out_of_repr(contract_a, vm):
    c = check(
        contract_a, vm, kind="postgres", port=5432, password="s3cret", options={"dbname": "app", "user": "ro"}
    )
    probe = c.probe()
    assert probe.password == "s3cret" and "s3cret" not in repr(probe)


@pytest.mark.parametrize(
    ("fields", "field", "fragment"),
    [
        ({"kind": "http", "target": "ftp://10.1.2.3/"}, "target", "http://"),
        ({"kind": "http", "target": "http://exa mple/"}, "target", "spaces"),
        ({"kind": "http", "target": WEB, "options": {"max_latency_ms": "fast"}}, "options", "type"),
        ({"kind": "http", "target": WEB, "options": {"max_latency_ms": True}}, "options", "type"),
        ({"kind": "http", "target": WEB, "options": {"max_latency_ms": -5}}, "options", "above 0"),
        ({"kind": "http", "target": WEB, "options": {"command": "rm -rf /"}}, "options", "command"),
        ({"kind": "http", "target": WEB, "options": ["not", "a", "dict"]}, "options", ""),
        ({"kind": "node_exporter", "target": WEB, "options": {"max_memory_used_pct": 150}}, "options", "100"),
        ({"kind": "postgres", "options": {"dbname": "app"}}, "options", "user"),
        ({"kind": "tcp", "target": "bad host name!"}, "target", "host"),
    ],
)  # fmt: skip
def test_a_malformed_check_names_the_field_and_says_why(contract_a, vm, fields, field, fragment):
    with translation.override("en"), pytest.raises(ValidationError) as raised:
        check(contract_a, vm, **fields).full_clean()
    errors = raised.value.message_dict
    assert field in errors, errors
    assert fragment in " ".join(errors[field])


def test_a_tcp_check_needs_a_port_from_somewhere(contract_a):
    bare = Asset.objects.create(contract=contract_a, kind=Asset.Kind.SERVER, name="bare", host="10.0.0.9")
    with pytest.raises(ValidationError) as raised:
        check(contract_a, bare, kind="tcp").full_clean()
    assert "port" in raised.value.message_dict


def test_a_check_cannot_bind_another_contracts_asset(contract_a, contract_b, vm):
    with pytest.raises(ValidationError) as raised:
        check(contract_b, vm, kind="tcp").full_clean()
    assert "asset" in raised.value.message_dict


def test_items_judge_their_answers(contract_a):
    template = ChecklistTemplate.objects.create(contract=contract_a, key="room", name="机房巡检")
    tick = ChecklistItem(template=template, label="空调", kind="check")
    temperature = ChecklistItem(
        template=template, label="温度", kind="number", min_value=Decimal(18), max_value=Decimal(27)
    )
    assert tick.is_abnormal(passed=False) and not tick.is_abnormal(passed=True)
    assert not temperature.is_abnormal(number=Decimal("27.000"))
    assert temperature.is_abnormal(number=Decimal("27.1")) and temperature.is_abnormal(number=Decimal("17.9"))


def test_thresholds_belong_to_number_items_only(contract_a):
    template = ChecklistTemplate.objects.create(contract=contract_a, key="room", name="机房巡检")
    with pytest.raises(ValidationError) as raised:
        ChecklistItem(template=template, label="空调", kind="check", max_value=Decimal(1)).full_clean()
    assert "max_value" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        ChecklistItem(template=template, label="温度", kind="number", min_value=5, max_value=1).full_clean()
    assert "max_value" in raised.value.message_dict


def test_the_seed_duties_load_once():
    load_seed_contracts()
    first = load_seed_inspections()
    assert first > 0
    assert load_seed_inspections() == 0
    # Seed 000: the daily inspection runs 7 days a week: 7 rounds in any week of its term.
    daily = InspectionSchedule.objects.get(contract__code="ZH-2023-SPS", kind="daily")
    week = slots_between(daily.contract, dt.date(2024, 3, 4), dt.date(2024, 3, 11))
    assert sum(1 for slot in week if slot.schedule == daily) == 7
    # Seed 004: one ledger line per system, nine systems.
    systems = ChecklistTemplate.objects.get(contract__code="XJ-2024-PAY", key="systems")
    assert systems.items.filter(kind="check").count() == 9
    # Seed 003: the machine-room round's items point at the ledger assets they inspect.
    room = ChecklistTemplate.objects.get(contract__code="BJ-2026-RP", key="machine-room")
    assert room.items.filter(asset__name="政务网链路").exists()
