"""Issue 13, item 1: the kinds of breach are one registry (contracts.obligations)."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from rest_framework.test import APIClient

from contracts import obligations
from contracts.models import Breach, PenaltyClause
from contracts.penalties import BreachSpec, check_clause, record_breach, record_breaches

pytestmark = pytest.mark.django_db
WHEN = timezone.make_aware(dt.datetime(2026, 6, 1, 10))

# Every code the portal and its scripts use today, unchanged (API values), and the three new ones.
IN_USE = {
    "late_service", "late_inspection", "late_report", "late_response",
    "sla_response", "sla_arrival", "sla_resolution",
    "late_delivery", "late_payment", "staff_replacement", "quality_failure", "subcontracting",
    "other_breach", "secret_leak", "major_outage", "missing_service_record", "vendor_breach",
    "service_breach", "kpi_failure",
    "staff_conduct", "trial_run_problem", "late_consultation",
}  # fmt: skip


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_every_code_in_use_is_registered():
    assert set(obligations.KINDS) >= IN_USE
    # The seeds, the inspection schedules and the SLA checker's fallback name only registered kinds.
    from contracts.seeds import SEED_CONTRACTS
    from inspections.schedules import MISSED_BREACH_KINDS
    from reports.seeds import SEED_REQUIREMENTS

    seeded = {clause["kind"] for seed in SEED_CONTRACTS for clause in seed["penalty_clauses"]}
    required = {row[3] for rows in SEED_REQUIREMENTS.values() for row in rows if row[3]}
    fallback = {f"sla_{clock}" for clock in ("response", "arrival", "resolution")}
    assert seeded | required | set(MISSED_BREACH_KINDS) | fallback <= set(obligations.KINDS)


def test_the_label_follows_the_language():
    with translation.override("zh-hans"):
        assert obligations.label("sla_arrival") == "到达现场超时"
        assert dict(obligations.choices())["late_payment"] == "甲方逾期付款"
    with translation.override("en"):
        assert obligations.label("sla_arrival") == "Late arrival on site"
        assert str(dict(obligations.choices())["late_payment"]) == "Late payment by the client"


def test_a_breach_of_an_unknown_kind_is_refused(contract_a):
    with pytest.raises(ValidationError) as raised:
        record_breach(contract_a, "late_lunch", occurred_at=WHEN, source="manual")
    assert "kind" in raised.value.message_dict
    spec = BreachSpec(contract_a, "late_lunch", WHEN, "incident", "incident:1:lunch")
    with pytest.raises(ValidationError):
        record_breaches([BreachSpec(contract_a, "sla_arrival", WHEN, "incident", "incident:1:arrival"), spec])
    # Nothing half-written: the known one in the same batch was not recorded either.
    assert not Breach.objects.exists()


def test_a_clause_of_a_shape_its_kind_does_not_allow_is_refused(contract_a):
    # Seed 004's staff replacements are counted in a contract year (count threshold); a secret's
    # leak (seed 001) is a one-off 30%, never "per day".
    check_clause(
        PenaltyClause(
            contract=contract_a, kind="staff_replacement", shape="count_threshold", threshold_count=2
        )
    )
    with pytest.raises(ValidationError) as raised:
        check_clause(PenaltyClause(contract=contract_a, kind="secret_leak", shape="per_day", rate_percent=1))
    assert "shape" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        check_clause(PenaltyClause(contract=contract_a, kind="late_lunch", shape="one_off", rate_percent=1))
    assert "kind" in raised.value.message_dict


def test_the_api_offers_and_enforces_the_registry(contract_a, client_manager_a):
    api = api_as(client_manager_a)
    clause = {"contract": contract_a.code, "title": "泄露秘密", "rate_percent": "30"}
    response = api.post(
        "/api/v1/penalty-clauses/", {**clause, "kind": "late_lunch", "shape": "one_off"}, format="json"
    )
    assert response.status_code == 400 and "kind" in response.json()
    response = api.post(
        "/api/v1/penalty-clauses/", {**clause, "kind": "secret_leak", "shape": "per_day"}, format="json"
    )
    assert response.status_code == 400 and "shape" in response.json()
    response = api.post(
        "/api/v1/penalty-clauses/", {**clause, "kind": "secret_leak", "shape": "one_off"}, format="json"
    )
    assert response.status_code == 201 and response.json()["kind"] == "secret_leak"

    breach = {"contract": contract_a.code, "occurred_at": "2026-06-01T10:00:00+08:00"}
    response = api.post("/api/v1/breaches/", {**breach, "kind": "late_lunch"}, format="json")
    assert response.status_code == 400 and "kind" in response.json()
    response = api.post("/api/v1/breaches/", {**breach, "kind": "secret_leak"}, format="json")
    assert response.status_code == 201 and response.json()["kind"] == "secret_leak"

    schema = api.get("/api/schema/", {"format": "json"}).json()
    enums = [
        component["enum"]
        for component in schema["components"]["schemas"].values()
        if "sla_arrival" in component.get("enum", [])
    ]
    assert enums and all(set(enum) - {"", None} == set(obligations.KINDS) for enum in enums)


def test_the_portal_form_refuses_a_shape_the_kind_does_not_allow(contract_a, client, client_manager_a):
    client.force_login(client_manager_a)
    url = f"/contracts/{contract_a.code}/clauses/add/"
    data = {"kind": "secret_leak", "title": "泄露秘密", "party": "vendor", "shape": "per_day"}
    data |= {"base": "total", "rate_percent": "30", "escalation_mode": "replaces", "rate_source": "fixed"}
    response = client.post(url, data)
    assert response.status_code == 200 and "shape" in response.context["form"].errors
    response = client.post(url, {**data, "shape": "one_off"})
    assert response.status_code == 302
    assert PenaltyClause.objects.get(contract=contract_a).kind == "secret_leak"


def test_the_admin_offers_the_kinds_by_label(contract_a, admin_client):
    html = admin_client.get("/admin/contracts/penaltyclause/add/").content.decode()
    assert re.search(r'<option value="sla_arrival">(到达现场超时|Late arrival on site)</option>', html)
    response = admin_client.post(
        "/admin/contracts/penaltyclause/add/",
        {
            "contract": contract_a.pk,
            "kind": "late_lunch",
            "title": "x",
            "party": "vendor",
            "shape": "one_off",
            "base": "total",
            "rate_percent": "1",
            "escalation_mode": "replaces",
        },
    )
    assert response.status_code == 200 and "kind" in response.context["adminform"].form.errors
    assert not PenaltyClause.objects.exists()


def test_a_breach_shows_its_label(contract_a):
    breach, _ = record_breach(contract_a, "sla_arrival", occurred_at=WHEN, source="manual", days_late=None)
    with translation.override("zh-hans"):
        assert breach.get_kind_display() == "到达现场超时"
        assert "到达现场超时" in str(breach)


def test_every_seeded_clause_has_a_shape_its_kind_allows():
    # The five contracts' clauses as load_seed_contracts writes them, e.g. seed 004's staff
    # replacements (count threshold) and seed 001's late delivery (per day, at most 10%).
    from contracts.seeds import SEED_CONTRACTS

    for seed in SEED_CONTRACTS:
        for clause in seed["penalty_clauses"]:
            assert obligations.shape_allowed(clause["kind"], clause["shape"]), (seed["code"], clause["kind"])


def test_the_migration_refuses_rows_of_an_unregistered_kind(contract_a):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("contracts.migrations.0004_breach_kind_choices")
    migration.check_kinds_registered(apps, None)  # nothing unknown: passes
    PenaltyClause.objects.create(
        contract=contract_a, kind="late_lunch", title="x", shape="one_off", rate_percent=1
    )
    with pytest.raises(RuntimeError, match="late_lunch"):
        migration.check_kinds_registered(apps, None)
