"""How much a contract's penalty summary costs with 10,000 breaches, against two baselines measured
in the same run: a plain ``SELECT COUNT(*)`` of the breaches (the floor of any aggregate), and
loading the breaches into Python and summing them there (what a naive summary would do).

Run: .venv/bin/python bench/penalties.py  (SQLite in memory, or DATABASE_URL's server)
Target: the summary in at most 200 ms, in a constant number of queries.
--smoke: 200 breaches, 2 rounds, the same checks, the target not asserted (the test suite runs it).
"""

import datetime as dt
import statistics
import sys
import time
from collections import defaultdict
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

from _django import test_database
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts.models import Breach, Contract, Organization, PenaltyClause
from contracts.penalties import penalty_summary

SMOKE = "--smoke" in sys.argv[1:]
BREACHES = 200 if SMOKE else 10_000
ROUNDS = 2 if SMOKE else 30
TARGET_MS = 200

# Seed-like clauses: seed 001's delay, other breaches and leak under its 30% cap, seed 004's
# escalating and threshold clauses, seed 002's one-off and client late payment.
CLAUSES = [
    {"kind": "late_delivery", "shape": "per_day", "rate_percent": D("0.5"), "cap_percent": D(10)},
    {"kind": "late_service", "shape": "per_day", "rate_percent": D("0.3")},
    {"kind": "other_breach", "shape": "per_occurrence", "rate_percent": D(10)},
    {"kind": "service_breach", "shape": "per_occurrence", "rate_percent": D(1), "escalation_at": 3,
     "escalation_percent": D(20)},
    {"kind": "staff_replacement", "shape": "count_threshold", "rate_percent": D(1), "threshold_count": 2},
    {"kind": "secret_leak", "shape": "one_off", "rate_percent": D(30)},
    {"kind": "late_payment", "shape": "per_day", "rate_percent": D("0.01"), "party": "client",
     "base": "overdue_amount"},
]  # fmt: skip


def median_ms(fn):
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def populate():
    client = Organization.objects.create(name="bench bureau", kind="client")
    vendor = Organization.objects.create(name="bench vendor", kind="vendor")
    contract = Contract.objects.create(
        code="BENCH-PEN",
        title="bench",
        client=client,
        vendor=vendor,
        total=D("6986000.00"),
        penalty_cap_percent=D(30),
    )
    clauses = [PenaltyClause.objects.create(contract=contract, title=c["kind"], **c) for c in CLAUSES]
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = []
    for i in range(BREACHES):
        # Every eighth breach has a kind without a clause (unpriced); every tenth is waived.
        clause = clauses[i % 8] if i % 8 < len(clauses) else None
        rows.append(
            Breach(
                contract=contract,
                clause=clause,
                kind=clause.kind if clause else "late_report",
                occurred_at=start + dt.timedelta(minutes=i),
                days_late=i % 7 + 1,
                overdue_amount=D("636000.00") + i % 100 if clause and clause.kind == "late_payment" else None,
                source="inspection",
                source_ref=f"bench:{i}",
                waived=i % 10 == 0,
                waived_reason="bench" if i % 10 == 0 else "",
            )
        )
    Breach.objects.bulk_create(rows, batch_size=2000)
    return contract


def naive(contract):
    """Every breach into Python, summed per clause: the shape of a summary without aggregation.
    A per-day clause counts each Beijing day its breaches cover once (contracts.daycount)."""
    figures = defaultdict(lambda: [0, set(), 0, D(0)])
    for breach in Breach.objects.filter(contract=contract, waived=False).select_related("clause"):
        entry = figures[breach.clause_id]
        entry[0] += 1
        days, first = breach.days_late or 0, timezone.localdate(breach.occurred_at)
        entry[1].update(first + dt.timedelta(days=n) for n in range(days))
        entry[2] += days
        if breach.overdue_amount is not None:
            entry[3] += days * breach.overdue_amount
    return figures


def main():
    with test_database():
        contract = populate()
        summary = penalty_summary(contract)
        expected = naive(contract)
        for item in summary.clauses:
            count, covered, days, day_amount = expected[item.clause.id]
            assert item.breaches == count, item.clause.kind
            if item.clause.shape == "per_day":
                overdue = item.clause.base == "overdue_amount"
                assert item.days == (days if overdue else len(covered)), (item.clause.kind, item.days)
            if item.clause.base == "overdue_amount":
                exact = (item.clause.rate_percent / 100 * day_amount).quantize(D("0.01"), ROUND_HALF_UP)
                assert item.amount == exact, (item.amount, exact)
        with CaptureQueriesContext(connection) as queries:
            penalty_summary(contract)

        summary_ms = median_ms(lambda: penalty_summary(contract))
        count_ms = median_ms(lambda: Breach.objects.filter(contract=contract).count())
        naive_ms = median_ms(lambda: naive(contract))
        print(
            f"{connection.vendor}, {Breach.objects.count()} breaches on one contract, {len(CLAUSES)} clauses"
        )
        print(
            f"vendor ¥{summary.vendor_subtotal:,.2f} capped to ¥{summary.vendor_total:,.2f}; "
            f"client ¥{summary.client_total:,.2f}; unpriced {sum(u.breaches for u in summary.unpriced)}"
        )
        print(f"penalty_summary:        {summary_ms:.2f} ms (median of {ROUNDS}), {len(queries)} queries")
        print(
            f"baseline SELECT COUNT(*): {count_ms:.2f} ms -> ratio summary/count {summary_ms / count_ms:.2f}"
        )
        print(
            f"baseline naive load+sum:  {naive_ms:.2f} ms -> ratio summary/naive {summary_ms / naive_ms:.2f}"
        )
        verdict = "within" if summary_ms <= TARGET_MS else "ABOVE"
        print(f"target {TARGET_MS} ms: {verdict}")
        if SMOKE:
            # A constant number of queries: the same for a contract of the same clauses and one breach.
            single = Contract.objects.create(
                code="BENCH-PEN-1", title="bench", client=contract.client, vendor=contract.vendor
            )
            clause = [PenaltyClause.objects.create(contract=single, title=c["kind"], **c) for c in CLAUSES][2]
            Breach.objects.create(
                contract=single,
                clause=clause,
                kind=clause.kind,
                occurred_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                source="inspection",
                source_ref="bench:one",
            )
            with CaptureQueriesContext(connection) as few:
                penalty_summary(single)
            assert len(few) == len(queries), (len(few), len(queries))
            print("smoke: ok")


if __name__ == "__main__":
    main()
