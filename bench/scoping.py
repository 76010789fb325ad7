"""How much the one scoping path costs: a user's contract list through restrict() against the
hand-written query for the same rows (the user's organisation ids known in advance).

Run: .venv/bin/python bench/scoping.py  (SQLite in memory, or DATABASE_URL's server)
Prints the median time of each and their ratio; both are measured in this run.
--smoke: 20 organisations, 3 rounds, the same checks (the test suite runs it).
"""

import statistics
import sys
import time

from _django import test_database
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q

from contracts.models import Contract, Membership, Organization, Role

SMOKE = "--smoke" in sys.argv[1:]
ORGANIZATIONS = 20 if SMOKE else 1000  # 500 bureaus and 500 vendors
CONTRACTS_PER_PAIR = 4
ROUNDS = 3 if SMOKE else 200


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
        # Two bureaus of different pairs (7 and 42; 7 and 2 in a smoke run): a user holds roles on
        # one side only (the membership_one_side trigger), so not a bureau and a vendor.
        first, second = clients[7], clients[42 % len(clients)]
        for organization in (first, second):
            Membership.objects.create(user=user, organization=organization, role=Role.CLIENT_STAFF)
        org_ids = [first.id, second.id]

        def scoped():
            return list(Contract.objects.restrict(user).values_list("code", flat=True))

        def baseline():
            return list(
                Contract.objects.filter(Q(client_id__in=org_ids) | Q(vendor_id__in=org_ids)).values_list(
                    "code", flat=True
                )
            )

        assert sorted(scoped()) == sorted(baseline()), "the two queries must return the same rows"
        assert len(scoped()) == 2 * CONTRACTS_PER_PAIR, scoped()
        total = Contract.objects.count()
        scoped_ms, baseline_ms = median_ms(scoped), median_ms(baseline)
        print(f"{connection.vendor}, {total} contracts, user in 2 organisations, {len(scoped())} visible")
        print(f"restrict(user) list:  {scoped_ms:.3f} ms (median of {ROUNDS})")
        print(f"hand-written baseline: {baseline_ms:.3f} ms")
        print(f"ratio restrict/baseline: {scoped_ms / baseline_ms:.2f}")
        if SMOKE:
            print("smoke: ok")


if __name__ == "__main__":
    main()
