import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from contracts.models import Contract, Membership, Organization, Role

pytestmark = pytest.mark.django_db

SEED_CODES = ["BJ-2026-RP", "BJ-SSP-UPG", "XJ-2024-PAY", "XX-2024-SEAL", "ZH-2023-SPS"]


def test_load_seed_contracts_creates_the_five_and_a_rerun_changes_nothing():
    call_command("load_seed_contracts")
    first = list(Contract.objects.order_by("code").values())
    call_command("load_seed_contracts")
    assert list(Contract.objects.order_by("code").values()) == first
    assert [row["code"] for row in first] == SEED_CODES
    # Five bureaus and five vendors, one pair per contract (DOMAIN.md).
    assert Organization.objects.filter(kind="client").count() == 5
    assert Organization.objects.filter(kind="vendor").count() == 5
    rp = Contract.objects.get(code="BJ-2026-RP")
    assert (str(rp.starts_on), str(rp.ends_on)) == ("2026-05-29", "2027-05-28")


def test_seed_demo_creates_one_user_per_role(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    roles = sorted(Membership.objects.values_list("role", flat=True))
    assert roles == sorted(Role.values)
    from contracts.management.commands.seed_demo import DEMO_PASSWORD

    user = get_user_model().objects.get(username="client_manager")
    assert user.check_password(DEMO_PASSWORD)
    assert DEMO_PASSWORD in capsys.readouterr().out


def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()
