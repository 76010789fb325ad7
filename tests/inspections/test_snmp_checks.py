"""An SNMP check through the portal and the API: its community and v3 keys are written, kept in
the password column, and never shown again (pages, API reads, the OPTIONS description)."""

import json

import pytest

from contracts.models import Asset
from inspections.models import AutomatedCheck
from tests.inspections.manage_helpers import PAGE, check_data, errors
from tests.inspections.test_api import api_as, manager_a  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
COMMUNITY, AUTH, PRIV = "Comm-s3cret-交换机", "auth-S3cret-2026", "priv-S3cret-2026"


@pytest.fixture
def switch(contract_a):
    return Asset.objects.create(
        contract=contract_a, kind=Asset.Kind.NETWORK, name="核心交换机", host="10.1.9.1"
    )


def test_the_portal_form_keeps_the_secrets_unseen(client, switch, vendor_manager_a):
    client.force_login(vendor_manager_a)
    data = check_data(
        switch, name="核心交换机 SNMP", kind="snmp", version="3", username="om-monitor", auth_key=AUTH,
        priv_key=PRIV, interfaces="*", max_memory_used_pct="90",
    )  # fmt: skip
    bad = client.post(f"{PAGE}checks/add/", {**data, "max_cpu_pct": "150"})
    assert "max_cpu_pct" in errors(bad)
    bodies = [bad.content.decode()]
    assert client.post(f"{PAGE}checks/add/", data).status_code == 302
    check = AutomatedCheck.objects.get()
    assert check.options == {
        "version": "3",
        "username": "om-monitor",
        "interfaces": "*",
        "max_memory_used_pct": 90,
    }
    assert json.loads(check.password) == {"auth_key": AUTH, "priv_key": PRIV}
    probe = check.probe()
    assert (probe.host, probe.port, probe.auth_key, probe.priv_key) == ("10.1.9.1", 161, AUTH, PRIV)
    edit_url = f"{PAGE}checks/{check.pk}/edit/"
    bodies += [client.get(PAGE).content.decode(), client.get(edit_url).content.decode()]
    # Saved again with the boxes blank: the keys stay; a new community is added beside them.
    blank = {**data, "auth_key": "", "priv_key": "", "community": COMMUNITY}
    assert client.post(edit_url, blank).status_code == 302
    check.refresh_from_db()
    assert json.loads(check.password) == {"auth_key": AUTH, "priv_key": PRIV, "community": COMMUNITY}
    bodies.append(client.get(edit_url).content.decode())
    for body in bodies:
        assert AUTH not in body and PRIV not in body and COMMUNITY not in body
    # Forgotten on request.
    client.post(edit_url, {**data, "auth_key": "", "priv_key": "", "clear_password": "on", "version": "2c",
                           "community": "new-Comm-1"})  # fmt: skip
    check.refresh_from_db()
    assert json.loads(check.password) == {"community": "new-Comm-1"}


def test_the_api_takes_the_secrets_in_options_and_never_returns_them(switch, manager_a):  # noqa: F811
    api = api_as(manager_a)
    created = api.post(
        "/api/v1/checks/",
        {
            "contract": switch.contract.code,
            "asset": switch.pk,
            "name": "交换机 SNMP",
            "kind": "snmp",
            "options": {"community": COMMUNITY, "interfaces": "ge-0/0/1", "max_interface_errors": 10},
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["options"] == {"interfaces": "ge-0/0/1", "max_interface_errors": 10}
    assert body["has_password"] is True
    check = AutomatedCheck.objects.get(pk=body["id"])
    assert check.probe().community == COMMUNITY
    # An update of the thresholds alone keeps the community.
    patched = api.patch(f"/api/v1/checks/{check.pk}/", {"options": {"max_cpu_pct": 80}})
    assert patched.status_code == 200, patched.content
    check.refresh_from_db()
    assert check.probe().community == COMMUNITY and check.options == {"max_cpu_pct": 80}
    reads = [
        created.content,
        patched.content,
        api.get("/api/v1/checks/").content,
        api.get(f"/api/v1/checks/{check.pk}/").content,
        api.options("/api/v1/checks/").content,
    ]
    for read in reads:
        assert COMMUNITY.encode() not in read
    # v3 without its keys, or a secret that is not text: a 400 naming the options.
    for options in ({"version": "3", "username": "u"}, {"community": 7}):
        response = api.patch(f"/api/v1/checks/{check.pk}/", {"options": options})
        assert response.status_code == 400 and "options" in response.json(), response.content


def test_a_mysql_check_is_a_database_login_like_postgres(contract_a, db_asset):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    check = AutomatedCheck(contract=contract_a, asset=db_asset, name="MySQL 登录", kind="mysql", port=3306)
    check.options = {"dbname": "app"}
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        check.full_clean()
    assert caught.value.message_dict["options"] == [
        "A database check needs “dbname” and “user” in its options."
    ]
    check.options, check.password = {"dbname": "app", "user": "monitor"}, "My-s3cret"
    check.full_clean()
    probe = check.probe()
    assert (probe.host, probe.port, probe.user, probe.password) == ("10.1.2.4", 3306, "monitor", "My-s3cret")
    assert check.target_display == "10.1.2.4:3306"
