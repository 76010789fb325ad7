"""The escalation policies' page (the contract's Escalation tab) and API: the client's manager and
the administrator change them, the vendor reads them; bad input is a field error, never a 500."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from contracts.models import Role, Severity
from incidents.models import EscalationPolicy, EscalationStep

pytestmark = pytest.mark.django_db

URL = "/api/v1/escalation-policies/"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def client_manager_a(make_user, client_org_a):
    return make_user(Role.CLIENT_MANAGER, client_org_a)


@pytest.fixture
def administrator(make_user, client_org_b):
    return make_user(Role.ADMINISTRATOR, client_org_b)


@pytest.fixture
def policy(contract_a):
    policy = EscalationPolicy.objects.create(contract=contract_a, severity="emergency", note="按时限升级")
    EscalationStep.objects.create(policy=policy, after_minutes=30, notify="vendor_manager")
    EscalationStep.objects.create(policy=policy, after_minutes=60, notify="client_manager")
    return policy


def step(minutes, notify):
    return {"after_minutes": minutes, "notify": notify}


def body(contract, **fields):
    return {
        "contract": contract.code,
        "severity": "severe",
        "steps": [step(60, "vendor_manager"), step(90, "client_manager")],
        **fields,
    }


# --- API ----------------------------------------------------------------------------------------


def test_the_client_manager_creates_a_policy_with_its_steps(contract_a, client_manager_a):
    response = api(client_manager_a).post(URL, body(contract_a), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["steps"] == [
        {"after_minutes": 60, "notify": "vendor_manager"},
        {"after_minutes": 90, "notify": "client_manager"},
    ]
    policy = EscalationPolicy.objects.get(severity="severe")
    assert list(policy.steps.values_list("after_minutes", "notify")) == [
        (60, "vendor_manager"),
        (90, "client_manager"),
    ]


def test_the_administrator_changes_and_the_vendor_only_reads(
    contract_a, policy, administrator, vendor_manager_a
):
    detail = f"{URL}{policy.pk}/"
    vendor = api(vendor_manager_a)
    assert vendor.get(URL, {"contract": contract_a.code}).json()["count"] == 1
    assert vendor.patch(detail, {"active": False}, format="json").status_code == 403
    assert vendor.post(URL, body(contract_a), format="json").status_code == 403
    assert vendor.delete(detail).status_code == 403
    steps = [{"after_minutes": 15, "notify": "on_duty"}]
    response = api(administrator).patch(detail, {"steps": steps}, format="json")
    assert response.status_code == 200, response.content
    assert list(policy.steps.values_list("after_minutes", "notify")) == [(15, "on_duty")]
    assert api(administrator).delete(detail).status_code == 204
    assert not EscalationPolicy.objects.exists()


def test_another_organisations_policy_is_not_found(contract_b, make_user, client_org_a, client_manager_a):
    theirs = EscalationPolicy.objects.create(contract=contract_b, severity=Severity.EMERGENCY)
    client = api(client_manager_a)
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.get(URL).json()["count"] == 0
    assert client.post(URL, body(contract_b), format="json").status_code == 400


@pytest.mark.parametrize(
    "change, field",
    [
        ({"steps": []}, "steps"),
        ({"steps": [{"after_minutes": 0, "notify": "vendor_manager"}]}, "steps"),
        ({"steps": [{"after_minutes": 60, "notify": "the_boss"}]}, "steps"),
        ({"steps": [step(60, "on_duty"), step(60, "client_manager")]}, "steps"),
        ({"steps": [{"after_minutes": m, "notify": "on_duty"} for m in range(1, 13)]}, "steps"),
        ({"steps": [{"after_minutes": 10**9, "notify": "on_duty"}]}, "steps"),
        ({"steps": [{"after_minutes": "６０", "notify": "on_duty"}]}, "steps"),
        ({"severity": "emergency"}, "severity"),  # the contract has one for it already
        ({"severity": "apocalyptic"}, "severity"),
        ({"note": "x" * 301}, "note"),
    ],
)
def test_bad_input_is_a_400_with_the_field(contract_a, policy, client_manager_a, change, field):
    response = api(client_manager_a).post(URL, body(contract_a, **change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert EscalationPolicy.objects.count() == 1


def test_a_repeated_minute_names_its_step(contract_a, client_manager_a):
    steps = [{"after_minutes": 30, "notify": "on_duty"}, {"after_minutes": 30, "notify": "client_manager"}]
    response = api(client_manager_a).post(URL, body(contract_a, steps=steps), format="json")
    assert response.status_code == 400
    errors = response.json()["steps"]
    second = errors["1"] if isinstance(errors, dict) else errors[1]
    assert "after_minutes" in second


def test_the_contract_of_a_policy_cannot_change(contract_a, contract_b, policy, make_user, client_org_a):
    root = make_user(is_superuser=True)
    response = api(root).patch(f"{URL}{policy.pk}/", {"contract": contract_b.code}, format="json")
    assert response.status_code == 400 and "contract" in response.json()


def test_the_list_filters_by_severity(contract_a, policy, client_manager_a):
    client = api(client_manager_a)
    assert client.get(URL, {"severity": "emergency"}).json()["count"] == 1
    assert client.get(URL, {"severity": "general"}).json()["count"] == 0
    assert client.get(URL, {"severity": "bogus"}).status_code == 400


# --- The portal's page --------------------------------------------------------------------------


def page_url(contract, name="incidents:escalation", **kwargs):
    return reverse(name, kwargs={"code": contract.code, **kwargs})


def test_the_contract_page_links_to_the_tab_which_lists_the_policies_in_chinese(
    client, contract_a, policy, vendor_manager_a
):
    client.force_login(vendor_manager_a)
    contract_page = client.get(reverse("contracts:detail", kwargs={"code": contract_a.code}))
    assert page_url(contract_a) in contract_page.content.decode()
    response = client.get(page_url(contract_a), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    text = response.content.decode()
    assert "升级策略" in text and "紧急" in text and "乙方项目经理" in text and "甲方负责人" in text
    assert "报告后 30 分钟仍未受理" in text and "再过 30 分钟" in text
    # The vendor reads: no way to add or change.
    assert page_url(contract_a, "incidents:escalation-add") not in text
    assert client.get(page_url(contract_a, "incidents:escalation-add")).status_code == 403
    assert client.post(page_url(contract_a, "incidents:escalation-add"), {}).status_code == 403


def form_body(**fields):
    data = {
        "severity": "general",
        "active": "on",
        "note": "",
        "steps-TOTAL_FORMS": "3",
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "10",
        "steps-0-after_minutes": "120",
        "steps-0-notify": "vendor_manager",
        "steps-1-after_minutes": "240",
        "steps-1-notify": "client_manager",
        "steps-2-after_minutes": "",
        "steps-2-notify": "",
    }
    data.update(fields)
    return data


def test_the_client_manager_adds_and_edits_a_policy(client, contract_a, policy, client_manager_a):
    client.force_login(client_manager_a)
    assert client.get(page_url(contract_a, "incidents:escalation-add")).status_code == 200
    response = client.post(page_url(contract_a, "incidents:escalation-add"), form_body())
    assert response.status_code == 302, response.content.decode()[-3000:]
    added = EscalationPolicy.objects.get(severity="general")
    assert list(added.steps.values_list("after_minutes", "notify")) == [
        (120, "vendor_manager"),
        (240, "client_manager"),
    ]
    edit = page_url(contract_a, "incidents:escalation-edit", pk=policy.pk)
    form = client.get(edit).content.decode()
    assert 'value="30"' in form and 'value="60"' in form
    data = form_body(
        severity="emergency",
        **{"steps-INITIAL_FORMS": "2", "steps-0-after_minutes": "30", "steps-1-DELETE": "on"},
    )
    assert client.post(edit, data).status_code == 302
    assert list(policy.steps.values_list("after_minutes", flat=True)) == [30]


@pytest.mark.parametrize(
    "fields, message",
    [
        (
            dict.fromkeys(
                ["steps-0-after_minutes", "steps-0-notify", "steps-1-after_minutes", "steps-1-notify"], ""
            ),
            "请至少添加一个步骤",
        ),
        ({"steps-1-after_minutes": "120"}, "已有步骤在这一分钟触发"),
        ({"steps-0-after_minutes": "0"}, "steps-0-after_minutes"),
        ({"steps-0-after_minutes": "abc"}, "steps-0-after_minutes"),
        ({"steps-0-notify": "the_boss"}, "steps-0-notify"),
        ({"severity": "emergency"}, "本合同已有该严重程度的升级策略"),
        ({"steps-TOTAL_FORMS": "x"}, 'role="alert"'),
    ],
)
def test_bad_form_input_shows_field_errors(client, contract_a, policy, client_manager_a, fields, message):
    client.force_login(client_manager_a)
    response = client.post(
        page_url(contract_a, "incidents:escalation-add"), form_body(**fields), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert message in text
    assert 'class="errors"' in text or "errorlist" in text
    assert EscalationPolicy.objects.count() == 1


def test_deleting_a_policy_from_its_page(client, contract_a, policy, client_manager_a):
    client.force_login(client_manager_a)
    response = client.post(page_url(contract_a, "incidents:escalation-delete", pk=policy.pk))
    assert response.status_code == 302
    assert not EscalationPolicy.objects.exists()
