"""``manage.py bootstrap``: the first security administrator and administrator of a new
installation, each with a one-time password that must be replaced at the first login."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from contracts.models import Membership, Role
from om_portal.auth import passwords

pytestmark = pytest.mark.django_db


def bootstrap(capsys, *args):
    capsys.readouterr()
    call_command("bootstrap", *args)
    out = capsys.readouterr().out
    return dict(re.findall(r"^  (\S+)\s+.*\s(\S+)$", out, flags=re.MULTILINE))


def test_bootstrap_creates_the_two_accounts_with_one_time_passwords(capsys, client, settings):
    created = bootstrap(capsys, "--security-admin", "wang.sec", "--admin", "li.admin")
    assert set(created) == {"wang.sec", "li.admin"}
    users = get_user_model().objects
    roles = dict(Membership.objects.values_list("user__username", "role"))
    assert roles == {"wang.sec": Role.SECURITY_ADMIN, "li.admin": Role.ADMINISTRATOR}
    assert users.get(username="li.admin").is_staff and not users.get(username="wang.sec").is_staff
    assert not users.filter(is_superuser=True).exists()
    assert created["wang.sec"] != created["li.admin"]
    for username, password in created.items():
        user = users.get(username=username)
        assert user.check_password(password)
        assert passwords.change_required(user)
    # The printed password logs in, and the first page is the forced password change.
    settings.OTP_REQUIRED_ROLES = []  # this test is about the password; the factor is tested apart
    assert (
        client.post(reverse("login"), {"username": "wang.sec", "password": created["wang.sec"]}).status_code
        == 302
    )
    assert client.get("/users/").url == reverse("password-change")


def test_the_bootstrapped_roles_must_prove_a_second_factor(capsys, settings):
    settings.OTP_REQUIRED_ROLES = ["client_manager", "administrator", "security_admin", "auditor"]
    from om_portal.auth import otp

    bootstrap(capsys, "--security-admin", "sec", "--admin", "adm")
    for username in ("sec", "adm"):
        assert otp.required_by_role(get_user_model().objects.get(username=username))


def test_bootstrap_refuses_once_the_installation_has_its_overseers(capsys, make_user, client_org_a):
    bootstrap(capsys, "--security-admin", "sec", "--admin", "adm")
    with pytest.raises(CommandError, match="already has"):
        call_command("bootstrap", "--security-admin", "sec2", "--admin", "adm2")
    assert not get_user_model().objects.filter(username__in=["sec2", "adm2"]).exists()


def test_bootstrap_refuses_when_an_administrator_exists(make_user, client_org_a):
    make_user(Role.ADMINISTRATOR, client_org_a)
    with pytest.raises(CommandError, match="already has"):
        call_command("bootstrap", "--security-admin", "sec", "--admin", "adm")
    assert not get_user_model().objects.filter(username__in=["sec", "adm"]).exists()


def test_bootstrap_refuses_taken_or_equal_names_and_writes_nothing(make_user):
    make_user(username="adm")
    with pytest.raises(CommandError, match="taken"):
        call_command("bootstrap", "--security-admin", "sec", "--admin", "ADM")
    with pytest.raises(CommandError, match="two different"):
        call_command("bootstrap", "--security-admin", "same", "--admin", "same")
    assert not Membership.objects.exists()
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["adm"]
