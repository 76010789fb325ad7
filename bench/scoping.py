"""How much the one scoping path costs: a user's contract list through restrict() against the
hand-written query for the same rows (the user's organisation ids known in advance).

Run: .venv/bin/python bench/scoping.py  (SQLite in memory, or DATABASE_URL's server)
Prints the median time of each and their ratio; both are measured in this run.
"""

import statistics
import time

from _django import test_database
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q

from contracts.models import Contract, Membership, Organization, Role

ORGANIZATIONS = 1000  # 500 bureaus and 500 vendors
CONTRACTS_PER_PAIR = 4
ROUNDS = 200


def median_ms(fn):
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main():
    with test_database():
        clients = Organization.objects.bulk_create(
            Organization(name=f"bureau {i}", kind="client") for i in range(ORGANIZATIONS // 2)
        )
        vendors = Organization.objects.bulk_create(
            Organization(name=f"vendor {i}", kind="vendor") for i in range(ORGANIZATIONS // 2)
        )
        Contract.objects.bulk_create(
            Contract(code=f"C-{i}-{n}", title="bench", client=client, vendor=vendor, status="active")
            for i, (client, vendor) in enumerate(zip(clients, vendors, strict=True))
            for n in range(CONTRACTS_PER_PAIR)
        )
        user = get_user_model().objects.create_user("bench")
        for organization in (clients[7], vendors[42]):
            Membership.objects.create(user=user, organization=organization, role=Role.CLIENT_STAFF)
        org_ids = [clients[7].id, vendors[42].id]

        def scoped():
            return list(Contract.objects.restrict(user).values_list("code", flat=True))

        def baseline():
            return list(
                Contract.objects.filter(Q(client_id__in=org_ids) | Q(vendor_id__in=org_ids)).values_list(
                    "code", flat=True
                )
            )

        assert sorted(scoped()) == sorted(baseline()), "the two queries must return the same rows"
        total = Contract.objects.count()
        scoped_ms, baseline_ms = median_ms(scoped), median_ms(baseline)
        print(f"{connection.vendor}, {total} contracts, user in 2 organisations, {len(scoped())} visible")
        print(f"restrict(user) list:  {scoped_ms:.3f} ms (median of {ROUNDS})")
        print(f"hand-written baseline: {baseline_ms:.3f} ms")
        print(f"ratio restrict/baseline: {scoped_ms / baseline_ms:.2f}")


if __name__ == "__main__":
    main()
