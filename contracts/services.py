"""Business rules of contracts, as plain functions over the models."""

from django.db import transaction

from contracts.models import Contract, Organization
from contracts.seeds import SEED_CONTRACTS


@transaction.atomic
def load_seed_contracts() -> list[tuple[Contract, bool]]:
    """Create the five seed contracts and their parties; what exists already is left as it is."""
    loaded = []
    for seed in SEED_CONTRACTS:
        client, _ = Organization.objects.get_or_create(
            name=seed["client"], defaults={"kind": Organization.Kind.CLIENT}
        )
        vendor, _ = Organization.objects.get_or_create(
            name=seed["vendor"], defaults={"kind": Organization.Kind.VENDOR}
        )
        contract, created = Contract.objects.get_or_create(
            code=seed["code"],
            defaults={
                "title": seed["title"],
                "client": client,
                "vendor": vendor,
                "starts_on": seed["starts_on"],
                "ends_on": seed["ends_on"],
                "status": seed["status"],
            },
        )
        loaded.append((contract, created))
    return loaded
