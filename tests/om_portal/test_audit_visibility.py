"""Issue 14, medium 6: what the auditor sees. Out-of-scope probes (a signed-in user's 404 on an
object's URL), failed logins and lockouts tied to the account they aimed at, a superuser's acts,
lines kept with the contract's id (and the code fixed once the contract is active), and each
update line's values before and after (secrets named, never written)."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from contracts.models import Role
from om_portal import audit
from om_portal.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor_a(make_user, client_org_a):
    return make_user(Role.AUDITOR, client_org_a)


def _seen(client, auditor, **query):
    client.force_login(auditor)
    response = client.get(reverse("audit"), query)
    assert response.status_code == 200
    return {line.pk for line in response.context["page"].object_list}


def test_a_signed_in_users_404_on_an_objects_url_is_on_record(client, client_manager_a, contract_b):
    client.force_login(client_manager_a)
    probe = reverse("contracts:detail", kwargs={"code": contract_b.code})
    assert client.get(probe).status_code == 404
    line = AuditEntry.objects.get(action="not_found")
    assert (line.user_id, line.outcome, line.detail["path"], line.detail["status"]) == (
        client_manager_a.pk,
        "denied",
        probe,
        404,
    )
    # A path that names no object (a favicon, a typo) leaves no line: the trail is not flooded.
    assert client.get("/no-such-page/").status_code == 404
    assert AuditEntry.objects.filter(action="not_found").count() == 1


def test_failed_logins_and_the_lockout_are_the_targeted_accounts(client, auditor_a, client_staff_a):
    name = client_staff_a.username
    for _ in range(5):
        client.post(reverse("login"), {"username": name, "password": "wrong"})
    client.post(reverse("login"), {"username": "nobody-here", "password": "wrong"})
    failed = AuditEntry.objects.filter(action="login_failed", username=name)
    locked = AuditEntry.objects.get(action="login_locked_out", username=name)
    assert failed.count() >= 5 and set(failed.values_list("user_id", flat=True)) == {client_staff_a.pk}
    assert locked.user_id == client_staff_a.pk
    assert AuditEntry.objects.get(action="login_failed", username="nobody-here").user_id is None
    # The auditor of the account's organisation sees them.
    seen = _seen(client, auditor_a, username=name)
    assert {locked.pk, *failed.values_list("pk", flat=True)} <= seen


def test_a_superusers_acts_are_visible_to_auditors(client, auditor_a, contract_b):
    root = get_user_model().objects.create_superuser("root", password=PASSWORD)
    act = audit.record("update", user=root, obj=root)
    seen = _seen(client, auditor_a)
    assert act.pk in seen
    # Not those on another organisation's contract: isolation holds for auditors too.
    other = audit.record("update", user=root, obj=contract_b)
    assert other.pk not in _seen(client, auditor_a)


def test_lines_keep_the_contracts_id_and_a_drafts_new_code_finds_them(client, auditor_a, contract_a):
    contract_a.status = "draft"
    contract_a.save()
    line = AuditEntry.objects.filter(object_type="contracts.contract").latest("pk")
    assert (line.contract_id, line.contract_code) == (contract_a.pk, "A-2026-OM")
    contract_a.code = "A-2026-OM-1"
    contract_a.full_clean()  # a draft's code may still change
    contract_a.save()
    assert line.pk in _seen(client, auditor_a, contract="A-2026-OM-1")


def test_an_active_contracts_code_is_fixed(client, contract_a, client_manager_a):
    contract_a.code = "A-2026-XX"
    with pytest.raises(ValidationError) as refused:
        contract_a.full_clean()
    assert "code" in refused.value.message_dict
    client.force_login(client_manager_a)
    response = client.patch(
        "/api/v1/contracts/A-2026-OM/", {"code": "A-2026-XX"}, content_type="application/json"
    )
    assert response.status_code == 400 and "code" in response.json()
    contract_a.refresh_from_db()
    assert contract_a.code == "A-2026-OM"


def test_an_update_line_holds_the_values_before_and_after(client, contract_a, client_manager_a):
    client.force_login(client_manager_a)
    response = client.patch(
        "/api/v1/contracts/A-2026-OM/", {"total": "1200000.00"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    line = AuditEntry.objects.filter(action="update", object_type="contracts.contract").latest("pk")
    assert line.detail["changes"] == {"total": ["0.00", "1200000.00"]}
    assert audit.verify()[1] == []


def test_secrets_are_named_never_written(client_staff_a):
    user = get_user_model().objects.get(pk=client_staff_a.pk)
    old_hash = user.password
    user.set_password("Another-pass-2026!")
    user.save()
    line = AuditEntry.objects.filter(action="update", object_type="auth.user").latest("pk")
    assert line.detail["secrets_changed"] == ["password"]
    assert "password" not in line.detail["changes"]
    assert old_hash not in str(line.detail) and user.password not in str(line.detail)
