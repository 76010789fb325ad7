"""Staff replacements through the API: the portal's rules and counting (issue 13, item 8)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from contracts.models import Breach, Contract, Role, StaffAssignment
from contracts.penalties import penalty_summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeds():
    call_command("load_seed_contracts", verbosity=0)
    return {c.code: c for c in Contract.objects.select_related("vendor")}


def api_as(make_user, contract, role=Role.VENDOR_MANAGER):
    api = APIClient()
    api.force_authenticate(make_user(role, contract.vendor))
    return api


def assign(contract, person, starts_on, role="engineer"):
    post = contract.staff_posts.first()
    return StaffAssignment.objects.create(post=post, person=person, role=role, starts_on=starts_on)


def replace(api, assignment, **body):
    return api.post(f"/api/v1/staff-assignments/{assignment.pk}/replace/", body, format="json")


def test_seed_004_replacements_through_the_api_are_counted_as_the_portals(seeds, make_user):
    contract = seeds["XJ-2024-PAY"]  # ¥770,000, contract year from 2024-12-16
    api = api_as(make_user, contract)
    a = assign(contract, "工程师甲", dt.date(2024, 12, 16))
    b = assign(contract, "工程师乙", dt.date(2024, 12, 16))

    answer = replace(api, a, person="工程师丙", on="2025-03-01", reason="离职")
    assert answer.status_code == 201, answer.content
    assert (answer.json()["person"], answer.json()["replaces"]) == ("工程师丙", a.pk)
    a.refresh_from_db()
    assert a.ends_on == dt.date(2025, 2, 28)
    assert not Breach.objects.filter(contract=contract).exists()

    assert replace(api, b, person="工程师丁", on="2025-06-01", reason="离职").status_code == 201
    # "一年内连续更换2人及以上者…扣除合同总金额的1%": the second within the contract year,
    # 1% × ¥770,000 = ¥7,700, recorded once.
    breach = Breach.objects.get(contract=contract)
    assert (breach.kind, breach.source) == ("staff_replacement", "staffing")
    assert penalty_summary(contract).vendor_total == Decimal("7700.00")


def test_seed_003_key_staff_replacement_through_the_api_needs_consent(seeds, make_user):
    # Seed 003: "项目经理及技术负责人不得随意更换，如需更换须提前通知甲方，并得到甲方的同意".
    contract = seeds["BJ-2026-RP"]
    api = api_as(make_user, contract)
    manager = assign(contract, "项目经理甲", dt.date(2026, 5, 29), role="project_manager")

    refused = replace(api, manager, person="项目经理乙", on="2026-08-01", reason="调岗")
    assert refused.status_code == 400
    assert "client_consent" in refused.json()
    manager.refresh_from_db()
    assert manager.ends_on is None
    assert StaffAssignment.objects.filter(post__contract=contract).count() == 1

    done = replace(
        api,
        manager,
        person="项目经理乙",
        on="2026-08-01",
        reason="调岗",
        client_consent=True,
        consent_note="甲方同意函",
    )
    assert done.status_code == 201, done.content
    assert done.json()["client_consent"] is True


def test_seed_003_key_staff_cannot_be_changed_around_the_replacement(seeds, make_user):
    contract = seeds["BJ-2026-RP"]
    api = api_as(make_user, contract)
    manager = assign(contract, "项目经理甲", dt.date(2026, 5, 29), role="project_manager")
    # Ending the manager and adding another was a replacement without consent.
    assert (
        api.patch(
            f"/api/v1/staff-assignments/{manager.pk}/", {"ends_on": "2026-07-31"}, format="json"
        ).status_code
        == 200
    )
    added = api.post(
        "/api/v1/staff-assignments/",
        {
            "post": manager.post_id,
            "person": "项目经理乙",
            "role": "project_manager",
            "starts_on": "2026-08-01",
        },
        format="json",
    )
    assert added.status_code == 400
    assert "client_consent" in added.json()
    # So was writing another person on the manager's assignment.
    renamed = api.patch(f"/api/v1/staff-assignments/{manager.pk}/", {"person": "项目经理乙"}, format="json")
    assert renamed.status_code == 400
    assert StaffAssignment.objects.get(pk=manager.pk).person == "项目经理甲"
    # An engineer is no key role: added freely.
    engineer = api.post(
        "/api/v1/staff-assignments/",
        {"post": manager.post_id, "person": "工程师", "role": "engineer", "starts_on": "2026-08-01"},
        format="json",
    )
    assert engineer.status_code == 201


def test_replacing_an_ended_assignment_or_on_a_bad_day_is_a_400(seeds, make_user):
    contract = seeds["XJ-2024-PAY"]
    api = api_as(make_user, contract)
    current = assign(contract, "工程师甲", dt.date(2024, 12, 16))
    assert replace(api, current, person="乙", on="2024-12-16", reason="离职").status_code == 400
    assert replace(api, current, person="乙", reason="离职").status_code == 400  # no date
    assert replace(api, current, person="乙", on="9999-12-31", reason="离职").status_code == 400
    assert replace(api, current, person="乙", on="2025-03-01", reason="离职").status_code == 201
    ended = replace(api, current, person="丙", on="2025-04-01", reason="离职")
    assert ended.status_code == 400
    assert StaffAssignment.objects.filter(post__contract=contract).count() == 2


def test_a_role_that_may_not_manage_staff_cannot_replace(seeds, make_user):
    contract = seeds["XJ-2024-PAY"]
    current = assign(contract, "工程师甲", dt.date(2024, 12, 16))
    api = api_as(make_user, contract, role=Role.VENDOR_ENGINEER)
    assert replace(api, current, person="乙", on="2025-03-01", reason="离职").status_code == 403
    assert StaffAssignment.objects.filter(post__contract=contract).count() == 1


def test_the_portal_form_cannot_add_a_second_project_manager_without_consent(seeds, make_user, client):
    # Seed 003: "项目经理及技术负责人不得随意更换…须…得到甲方的同意"; the form has no consent
    # field, so the change goes through the replacement, which asks for it.
    contract = seeds["BJ-2026-RP"]
    manager = assign(contract, "项目经理甲", dt.date(2026, 5, 29), role="project_manager")
    client.force_login(make_user(Role.VENDOR_MANAGER, contract.vendor))
    client.cookies["django_language"] = "en"
    answer = client.post(
        f"/contracts/{contract.code}/assignments/add/",
        {
            "post": manager.post_id,
            "person": "项目经理乙",
            "role": "project_manager",
            "starts_on": "2026-08-01",
        },
    )
    assert answer.status_code == 200  # the form again, with the refusal
    assert "record the change as a replacement" in answer.content.decode()
    assert StaffAssignment.objects.filter(post__contract=contract).count() == 1
