"""The embedded demo can be tried without a phone: the accounts that must prove a second factor
come enrolled with a demo authenticator, and ``manage.py demo_code <user>`` shows its code. Only with
DEBUG on and only for the demo's accounts; production keeps asking for the factor as before."""

import django_otp
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from contracts.management.commands.seed_demo import DEMO_PASSWORD
from om_portal.auth import otp
from om_portal.auth.forms import CodeForm

pytestmark = pytest.mark.django_db

# The production default (settings.py): the roles that must prove a second factor.
PRODUCTION_ROLES = ["client_manager", "administrator", "security_admin", "auditor"]


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    settings.OTP_REQUIRED_ROLES = PRODUCTION_ROLES
    call_command("seed_demo", verbosity=0)
    return get_user_model().objects


def demo_code(capsys, username):
    capsys.readouterr()
    call_command("demo_code", username)
    return capsys.readouterr().out.strip()


def test_the_demo_enrols_the_roles_that_need_a_second_factor_and_shows_their_code(demo, capsys):
    enrolled = set(
        TOTPDevice.objects.filter(confirmed=True, name="demo").values_list("user__username", flat=True)
    )
    assert enrolled == {"client_manager", "admin", "auditor", "security"}
    for username in enrolled:
        user = demo.get(username=username)
        shown = demo_code(capsys, username)
        assert len(shown) == 6 and shown.isdigit()
        # The code is one the real verification accepts (and only once).
        assert django_otp.verify_token(user, otp.confirmed_device(user).persistent_id, shown) is not None
    # A rerun keeps the devices (a code already read stays valid) and enrols nobody twice.
    keys = dict(TOTPDevice.objects.values_list("user__username", "key"))
    call_command("seed_demo", verbosity=0)
    assert dict(TOTPDevice.objects.values_list("user__username", "key")) == keys


def test_the_seed_tells_the_terminal_how_to_get_the_code(settings, capsys):
    settings.DEBUG = True
    settings.OTP_REQUIRED_ROLES = PRODUCTION_ROLES
    call_command("seed_demo")
    assert "manage.py demo_code <user>" in capsys.readouterr().out


def test_a_demo_manager_logs_in_with_the_code_from_the_terminal(demo, client, capsys):
    response = client.post(reverse("login"), {"username": "client_manager", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get(response["Location"], follow=True)
    assert page.request["PATH_INFO"] == reverse("otp-verify")
    assert "demo_code client_manager" in page.content.decode()
    verified = client.post(reverse("otp-verify"), {"code": demo_code(capsys, "client_manager"), "next": "/"})
    assert verified.status_code == 302
    assert client.get("/").status_code == 200


def test_demo_code_refuses_with_debug_off(demo, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("demo_code", "client_manager")


def test_demo_code_refuses_other_accounts_and_real_authenticators(demo, make_user, client_org_a):
    from contracts.models import Role

    make_user(Role.CLIENT_MANAGER, client_org_a, username="someone")
    with pytest.raises(CommandError):
        call_command("demo_code", "someone")
    # A demo account that enrolled its own phone: its code is nobody's business.
    manager = demo.get(username="client_manager")
    phone = TOTPDevice.objects.create(user=manager, name="authenticator", confirmed=False)
    otp.confirm(phone)
    with pytest.raises(CommandError, match="no demo authenticator"):
        call_command("demo_code", "client_manager")
    # An account without a device (the vendor roles need none).
    with pytest.raises(CommandError, match="no demo authenticator"):
        call_command("demo_code", "vendor_engineer")


def test_production_still_asks_for_the_factor_and_gives_no_hint(demo, settings, client):
    settings.DEBUG = False
    client.post(reverse("login"), {"username": "auditor", "password": DEMO_PASSWORD})
    page = client.get("/", follow=True)
    assert page.request["PATH_INFO"] == reverse("otp-verify")
    assert "demo_code" not in page.content.decode()
    device = otp.confirmed_device(demo.get(username="auditor"))
    accepted = {
        f"{totp(device.bin_key, device.step, device.t0, device.digits, drift=d):06d}" for d in (-1, 0, 1, 2)
    }
    wrong = next(c for c in (f"{n:06d}" for n in range(1000)) if c not in accepted)
    client.post(reverse("otp-verify"), {"code": wrong, "next": "/"})
    assert client.get("/", follow=True).request["PATH_INFO"] == reverse("otp-verify")


def test_production_settings_demand_the_factor_of_a_new_account(settings, make_user, client_org_a, client):
    from contracts.models import Role

    settings.DEBUG = False
    settings.OTP_REQUIRED_ROLES = PRODUCTION_ROLES
    manager = make_user(Role.CLIENT_MANAGER, client_org_a)
    client.force_login(manager)
    # Nothing enrols it: the first page it asks for is the enrolment wall.
    assert client.get("/", follow=True).request["PATH_INFO"] == reverse("otp-enrol")
    assert not TOTPDevice.objects.filter(user=manager, confirmed=True).exists()


def test_the_code_field_reads_yanzhengma_and_the_contract_code_bianhao():
    with translation.override("zh-hans"):
        assert str(CodeForm().fields["code"].label) == "验证码"
        assert translation.gettext("Code") == "编号"
