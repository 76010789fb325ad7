"""The contract pages: every tab renders for its parties, is 404 for others, and edits follow roles."""

import re

import pytest
from rest_framework.test import APIClient

from contracts.models import Milestone, Role, ServiceItem, SLATerm

pytestmark = pytest.mark.django_db

TABS = ["", "items/", "sla/", "penalties/", "milestones/", "staff/", "assets/"]


@pytest.fixture
def client_manager_a(make_user, client_org_a):
    return make_user(Role.CLIENT_MANAGER, client_org_a)


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_renders_for_a_party_and_is_404_for_others(
    client, contract_a, vendor_engineer_a, outsider, tab
):
    client.force_login(vendor_engineer_a)
    assert client.get(f"/contracts/A-2026-OM/{tab}").status_code == 200
    client.force_login(outsider)
    assert client.get(f"/contracts/A-2026-OM/{tab}").status_code == 404


def test_list_filters(client, contract_a, contract_b, administrator):
    client.force_login(administrator)
    body = client.get("/contracts/", {"q": "乙市"}).content.decode()
    assert "B-2026-OM" in body
    assert "A-2026-OM" not in body


def test_staff_cannot_edit_a_contract_but_its_client_manager_can(
    client, contract_a, client_staff_a, client_manager_a
):
    client.force_login(client_staff_a)
    assert client.get("/contracts/A-2026-OM/items/add/").status_code == 403
    assert (
        client.post(
            "/contracts/A-2026-OM/items/add/", {"category": "x", "name": "y", "amount": "1"}
        ).status_code
        == 403
    )
    assert not ServiceItem.objects.exists()

    client.force_login(client_manager_a)
    response = client.post(
        "/contracts/A-2026-OM/items/add/",
        {
            "category": "基础设施维护",
            "name": "操作系统",
            "quantity": "38",
            "unit_price": "4500",
            "amount": "171000",
            "position": "0",
        },
    )
    assert response.status_code == 302
    assert ServiceItem.objects.get().amount == 171000


def test_bad_input_is_a_form_error_and_writes_nothing(client, contract_a, client_manager_a):
    client.force_login(client_manager_a)
    cases = [
        (
            "edit/",
            {
                "title": "t",
                "status": "active",
                "starts_on": "2026-06-01",
                "ends_on": "2026-05-01",
                "total": "100",
                "acceptance_method": "one_time",
                "business_day_starts": "09:00",
                "business_day_ends": "17:30",
            },
            "ends_on",
        ),
        ("items/add/", {"category": "c", "name": "n", "amount": "-5", "position": "0"}, "amount"),
        (
            "items/add/",
            {
                "category": "c",
                "name": "n",
                "quantity": "38",
                "unit_price": "4500",
                "amount": "170000",
                "position": "0",
            },
            "amount",
        ),
        (
            "milestones/add/",
            {
                "name": "m",
                "percent": "150",
                "trigger": "signing",
                "offset": "0",
                "offset_unit": "calendar_days",
                "status": "pending",
                "position": "0",
            },
            "percent",
        ),
        (
            "sla/add/",
            {
                "clock": "response",
                "severity": "catastrophic",
                "target": "1",
                "unit": "hours",
                "coverage": "7x24",
            },
            "severity",
        ),
    ]
    for url, data, field in cases:
        response = client.post(f"/contracts/A-2026-OM/{url}", data)
        assert response.status_code == 200, url
        assert field in response.context["form"].errors, (url, response.context["form"].errors)
    contract_a.refresh_from_db()
    assert contract_a.ends_on is None
    assert (
        not ServiceItem.objects.exists() and not Milestone.objects.exists() and not SLATerm.objects.exists()
    )


def test_a_part_of_another_contract_is_404_even_through_ones_own(
    client, contract_a, contract_b, client_manager_a
):
    item = ServiceItem.objects.create(contract=contract_b, category="c", name="n", amount=1)
    client.force_login(client_manager_a)
    assert client.get(f"/contracts/A-2026-OM/items/{item.pk}/edit/").status_code == 404


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_api_refuses_bad_input_with_the_field_named(contract_a, client_manager_a):
    api = api_as(client_manager_a)
    bad = [
        (
            "/api/v1/service-items/",
            {"contract": "A-2026-OM", "category": "c", "name": "n", "amount": "-1"},
            "amount",
        ),
        (
            "/api/v1/service-items/",
            {
                "contract": "A-2026-OM",
                "category": "c",
                "name": "n",
                "quantity": "38",
                "unit_price": "4500",
                "amount": "1",
            },
            "amount",
        ),
        (
            "/api/v1/sla-terms/",
            {
                "contract": "A-2026-OM",
                "severity": "catastrophic",
                "clock": "response",
                "target": 1,
                "unit": "hours",
            },
            "severity",
        ),
        (
            "/api/v1/milestones/",
            {"contract": "A-2026-OM", "name": "m", "percent": "101", "trigger": "signing"},
            "percent",
        ),
        ("/api/v1/contracts/A-2026-OM/", None, None),
    ]
    for url, data, field in bad[:-1]:
        response = api.post(url, data, format="json")
        assert response.status_code == 400, (url, response.json())
        assert field in response.json(), response.json()
    response = api.patch(
        "/api/v1/contracts/A-2026-OM/", {"starts_on": "2026-06-01", "ends_on": "2026-05-01"}, format="json"
    )
    assert response.status_code == 400
    assert "ends_on" in response.json()
    assert (
        not ServiceItem.objects.exists() and not SLATerm.objects.exists() and not Milestone.objects.exists()
    )


def test_api_refuses_a_foreign_contract_code_and_roles_without_the_right(
    contract_a, contract_b, client_manager_a, client_staff_a
):
    item = {"category": "c", "name": "n", "amount": "10"}
    response = api_as(client_manager_a).post(
        "/api/v1/service-items/", {**item, "contract": "B-2026-OM"}, format="json"
    )
    assert response.status_code == 400
    assert "contract" in response.json()
    response = api_as(client_staff_a).post(
        "/api/v1/service-items/", {**item, "contract": "A-2026-OM"}, format="json"
    )
    assert response.status_code == 403
    assert not ServiceItem.objects.exists()


def test_api_lists_are_filtered_by_contract_code(contract_a, contract_b, administrator):
    ServiceItem.objects.create(contract=contract_a, category="c", name="a", amount=1)
    ServiceItem.objects.create(contract=contract_b, category="c", name="b", amount=1)
    rows = api_as(administrator).get("/api/v1/service-items/", {"contract": "B-2026-OM"}).json()["results"]
    assert [row["name"] for row in rows] == ["b"]


def test_api_price_list_of_a_contract(contract_a, vendor_engineer_a):
    ServiceItem.objects.create(contract=contract_a, category="软件", name="a", amount=100)
    contract_a.total = 150
    contract_a.save()
    body = api_as(vendor_engineer_a).get("/api/v1/contracts/A-2026-OM/price-list/").json()
    assert body["priced_total"] == "100.00"
    assert body["difference"] == "50.00"
    assert body["warning"]


def test_the_calendar_warning_reaches_administrators_and_is_a_quiet_note_for_the_others(
    client, contract_a, vendor_engineer_a, administrator
):
    import datetime as dt

    from contracts.models import CalendarYear

    # Seed 003's term ends 2027-05-28; no package knows 2027's official schedule.
    contract_a.starts_on, contract_a.ends_on = dt.date(2026, 5, 29), dt.date(2027, 5, 28)
    contract_a.save()
    # The administrator, who can enter the schedule, is warned on the dashboard and the contract.
    client.force_login(administrator)
    for url in ["/", "/contracts/A-2026-OM/"]:
        response = client.get(url)
        assert "A-2026-OM" in response.context["beyond_calendar"][0].code
        assert 'class="message error" role="alert">' in response.content.decode()
        assert "2027" in response.content.decode()
    # The others cannot act on it: no banner on their dashboard, a quiet note on the contract only.
    client.force_login(vendor_engineer_a)
    home = client.get("/")
    assert list(home.context["beyond_calendar"]) == []
    assert "calendar-note" not in home.content.decode()
    page = client.get("/contracts/A-2026-OM/").content.decode()
    # The note names the last year whose schedule is known.
    [note] = re.findall(r'<p class="muted small calendar-note">(.*?)</p>', page, flags=re.DOTALL)
    assert "2026" in note
    assert 'class="message error" role="alert">' not in page
    # Once the year is entered, nobody is warned.
    CalendarYear.objects.create(year=2027, source="国务院办公厅通知")
    for user in (administrator, vendor_engineer_a):
        client.force_login(user)
        for url in ["/", "/contracts/A-2026-OM/"]:
            response = client.get(url)
            assert list(response.context["beyond_calendar"]) == []
            assert "calendar-note" not in response.content.decode()


def test_breaches_are_recorded_and_waived_in_the_portal_by_client_managers(
    client, contract_a, client_manager_a, vendor_engineer_a
):
    from contracts.models import Breach, PenaltyClause

    clause = PenaltyClause.objects.create(
        contract=contract_a, kind="late_service", title="逾期", shape="per_day", rate_percent="0.3"
    )
    form = {"clause": clause.pk, "occurred_at": "2026-06-08T09:00", "days_late": "3", "note": "周巡检"}
    client.force_login(vendor_engineer_a)
    assert client.post("/contracts/A-2026-OM/penalties/breaches/add/", form).status_code == 403
    client.force_login(client_manager_a)
    # A per-day clause needs its days: a form error, nothing written.
    response = client.post("/contracts/A-2026-OM/penalties/breaches/add/", {**form, "days_late": ""})
    assert "days_late" in response.context["form"].errors
    assert not Breach.objects.exists()
    assert client.post("/contracts/A-2026-OM/penalties/breaches/add/", form).status_code == 302
    breach = Breach.objects.get()
    assert (breach.source, breach.days_late, breach.recorded_by) == ("manual", 3, client_manager_a)

    url = f"/contracts/A-2026-OM/penalties/breaches/{breach.pk}/waive/"
    client.post(url, {"reason": ""})
    breach.refresh_from_db()
    assert not breach.waived
    client.post(url, {"reason": "甲方同意豁免"})
    breach.refresh_from_db()
    assert breach.waived and breach.waived_reason == "甲方同意豁免"


def test_client_manager_deducts_penalties_from_unpaid_milestones(
    client, contract_a, client_manager_a, vendor_engineer_a
):
    import datetime as dt
    from decimal import Decimal

    from contracts.models import Breach, PenaltyClause

    contract_a.total = Decimal("708000.00")
    contract_a.save()
    PenaltyClause.objects.create(
        contract=contract_a, kind="late_service", title="逾期", shape="per_day", rate_percent="0.3"
    )
    Breach.objects.create(
        contract=contract_a,
        kind="late_service",
        clause=contract_a.penalty_clauses.get(),
        days_late=3,
        occurred_at=dt.datetime(2026, 6, 8, tzinfo=dt.UTC),
        source="manual",
    )
    balance = Milestone.objects.create(
        contract=contract_a, name="尾款", amount=Decimal("636000.00"), trigger="term_end"
    )
    client.force_login(vendor_engineer_a)
    assert client.post("/contracts/A-2026-OM/milestones/deduct/").status_code == 403
    client.force_login(client_manager_a)
    assert client.post("/contracts/A-2026-OM/milestones/deduct/").status_code == 302
    balance.refresh_from_db()
    # 3 days × 0.3% × ¥708,000 = ¥6,372 off the balance.
    assert balance.deduction == Decimal("6372.00")
    assert balance.payable == Decimal("629628.00")


def test_engineer_updates_an_asset_during_a_round_and_outsiders_cannot(
    client, contract_a, vendor_engineer_a, outsider
):
    from contracts.models import Asset

    asset = Asset.objects.create(contract=contract_a, kind="server", name="机房服务器 1")
    url = f"/contracts/A-2026-OM/assets/{asset.pk}/edit/"
    form = {"kind": "server", "name": "机房服务器 1", "quantity": "1", "status": "faulty", "attributes": "{}"}
    client.force_login(outsider)
    assert client.post(url, form).status_code == 404
    client.force_login(vendor_engineer_a)
    # Seed 003: the device ledger is updated at each inspection.
    assert client.post(url, form).status_code == 302
    asset.refresh_from_db()
    assert asset.status == "faulty"
    response = client.post(url, {**form, "port": "70000"})
    assert "port" in response.context["form"].errors


def test_new_contracts_are_entered_by_the_bureaus_managers(
    client, client_org_a, vendor_org_a, client_org_b, client_manager_a, vendor_engineer_a
):
    from contracts.models import Contract

    form = {
        "code": "A-2027-OM",
        "client": client_org_a.pk,
        "vendor": vendor_org_a.pk,
        "title": "甲市 2027 运维",
        "status": "draft",
        "total": "708000",
        "acceptance_method": "one_time",
        "business_day_starts": "09:00",
        "business_day_ends": "17:30",
        "sla_warning_percent": "80",
    }
    client.force_login(vendor_engineer_a)
    assert client.get("/contracts/add/").status_code == 403
    client.force_login(client_manager_a)
    # Another bureau is not among the choices.
    response = client.post("/contracts/add/", {**form, "client": client_org_b.pk})
    assert "client" in response.context["form"].errors
    assert client.post("/contracts/add/", form).status_code == 302
    assert Contract.objects.get(code="A-2027-OM").client == client_org_a
    api = api_as(client_manager_a)
    body = {"code": "B-2027-OM", "client": client_org_b.name, "vendor": vendor_org_a.name, "title": "x"}
    assert api.post("/api/v1/contracts/", body, format="json").status_code == 403
    assert not Contract.objects.filter(code="B-2027-OM").exists()


def test_a_clause_with_breaches_is_kept_with_a_message_and_a_free_one_is_deleted(
    client, contract_a, client_manager_a
):
    import datetime as dt

    from contracts.models import Breach, PenaltyClause

    used = PenaltyClause.objects.create(
        contract=contract_a, kind="late_report", title="报告迟交", shape="per_occurrence", rate_percent=1
    )
    Breach.objects.create(
        contract=contract_a,
        clause=used,
        kind="late_report",
        occurred_at=dt.datetime(2026, 6, 1, 2, tzinfo=dt.UTC),
        source=Breach.Source.MANUAL,
        source_ref="r-1",
    )
    free = PenaltyClause.objects.create(
        contract=contract_a, kind="late_inspection", title="未用", shape="per_occurrence", rate_percent=1
    )
    client.force_login(client_manager_a)
    client.cookies["django_language"] = "en"  # the portal is Chinese unless the user chose
    response = client.post(f"/contracts/A-2026-OM/clauses/{used.pk}/delete/", follow=True)
    assert response.status_code == 200
    assert "Records refer to this; it cannot be deleted." in response.content.decode()
    assert PenaltyClause.objects.filter(pk=used.pk).exists()

    client.post(f"/contracts/A-2026-OM/clauses/{free.pk}/delete/")
    assert not PenaltyClause.objects.filter(pk=free.pk).exists()


def test_deleting_a_contract_with_a_history_over_the_api_is_a_409(contract_a, administrator):
    from django.utils import timezone

    from incidents.models import Incident

    Incident.objects.create(contract=contract_a, title="故障", severity="minor", reported_at=timezone.now())
    api = APIClient()
    api.force_authenticate(administrator)
    response = api.delete("/api/v1/contracts/A-2026-OM/")
    assert response.status_code == 409, response.content
    assert contract_a.__class__.objects.filter(pk=contract_a.pk).exists()
