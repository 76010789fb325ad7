"""The incidents' speed targets on PostgreSQL with 1,000,000 incidents (10,000 open), each against a
baseline measured in the same run:

1. the checker's due query (``checker.due_incidents``): database time by EXPLAIN ANALYZE, against
   the same query with its partial index dropped (in a transaction that is rolled back) —
   target ≤ 5 ms and ≥ 1,000× faster;
2. one ``checker.check_deadlines`` tick claiming and recording 1,000 breaches, against a bare bulk
   INSERT of 1,000 breach rows (the floor) — target ≤ 1 s, exactly 1,000 breaches;
3. the incident list API's first, middle and last page, against the bare ORM slice of the same
   page — target ≤ 100 ms a page, the same number of queries on every page.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/om_bench_incidents .venv/bin/python bench/incidents.py
(a throw-away test database is created and destroyed; SQLite is refused: the targets are PostgreSQL's)
"""

import cProfile
import datetime as dt
import io
import itertools
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "om_portal.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from contracts.models import Breach, Contract, Membership, Organization, PenaltyClause, Role, SLATerm  # noqa: E402
from incidents import checker, services  # noqa: E402
from incidents.models import Incident  # noqa: E402

TOTAL, OPEN, DUE = 1_000_000, 10_000, 1_000
CONTRACTS = 100  # the bulk incidents' contracts (10 bureaus × 10 vendors)
BREACHES = 1_000
PAGE = 50  # settings.REST_FRAMEWORK["PAGE_SIZE"]
CHECKER_TARGET_MS, SPEEDUP_TARGET, TICK_TARGET_S, PAGE_TARGET_MS = 5, 1000, 1.0, 100

# One INSERT … SELECT: row i = 1 is the oldest, 150 s apart (≈ 4.75 years). The newest OPEN rows
# are open (as in life, old incidents are closed, so open rows sit at the table's end); of those,
# the DUE oldest have a next_deadline in the last ~5.5 hours, the others over the next ~3 days.
# Closed rows carry their resolution and no next_deadline (NULL: outside the partial index).
BULK_INSERT = """
INSERT INTO incidents_incident (
    contract_id, title, description, severity, kind, condition, source, reporter_name,
    reporter_unit, needs_onsite, status, reported_at, resolved_at, closed_at, cause, impact,
    method, result, next_deadline, created_at, updated_at)
SELECT (%(contracts)s::bigint[])[1 + mod(i, cardinality(%(contracts)s::bigint[]))],
    '故障 ' || i, '系统报障，编号 ' || i,
    (ARRAY['emergency', 'severe', 'general'])[1 + mod(i, 3)],
    (ARRAY['hardware', 'software', 'network', 'data', 'security'])[1 + mod(i, 5)], '',
    (ARRAY['inspection', 'monitoring', 'phone', 'wechat', 'platform'])[1 + mod(i, 5)],
    '值班民警', '指挥中心', false,
    CASE WHEN j > 0 THEN (ARRAY['new', 'acknowledged', 'on_site'])[1 + mod(i, 3)] ELSE 'closed' END,
    at, CASE WHEN j > 0 THEN NULL ELSE at + interval '4 hours' END,
    CASE WHEN j > 0 THEN NULL ELSE at + interval '1 day' END,
    CASE WHEN j > 0 THEN '' ELSE '硬件老化' END, '', CASE WHEN j > 0 THEN '' ELSE '更换部件' END,
    CASE WHEN j > 0 THEN '' ELSE '已恢复' END,
    CASE WHEN j <= 0 THEN NULL
         WHEN j <= %(due)s THEN %(now)s - (%(due)s - j + 1) * interval '20 seconds'
         ELSE %(now)s + (j - %(due)s) * interval '30 seconds' END,
    at, at
FROM (SELECT i, i - (%(total)s - %(open)s) AS j,
             %(now)s - interval '1 hour' - (%(total)s - i) * interval '150 seconds' AS at
      FROM generate_series(1, %(total)s) AS i) AS rows
"""


def median_ms(fn, rounds):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def explain(sql):
    """(Execution Time in ms, the plan's node chain, shared buffers hit+read) of a captured query."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
        result = cursor.fetchone()[0]
    result = json.loads(result) if isinstance(result, str) else result
    node, chain = result[0]["Plan"], []
    buffers = node.get("Shared Hit Blocks", 0) + node.get("Shared Read Blocks", 0)
    while node:
        chain.append(node["Node Type"] + (f" on {node['Index Name']}" if "Index Name" in node else ""))
        node = (node.get("Plans") or [None])[0]
    return result[0]["Execution Time"], " > ".join(chain), buffers


def captured(fn):
    with CaptureQueriesContext(connection) as queries:
        fn()
    return [q["sql"] for q in queries.captured_queries]


def populate(now):
    bureaus = Organization.objects.bulk_create(
        Organization(name=f"公安局 {i}", kind="client") for i in range(10)
    )
    vendors = Organization.objects.bulk_create(
        Organization(name=f"厂商 {i}", kind="vendor") for i in range(10)
    )
    contracts = Contract.objects.bulk_create(
        Contract(code=f"OM-{n:03d}", title="运维", client=bureaus[n % 10], vendor=vendors[n // 10])
        for n in range(CONTRACTS)
    )
    params = {"contracts": [c.pk for c in contracts], "due": DUE, "now": now, "total": TOTAL, "open": OPEN}
    with connection.cursor() as cursor:
        cursor.execute(BULK_INSERT, params)
        cursor.execute("VACUUM ANALYZE incidents_incident")  # what autovacuum would have done
    return bureaus[0]


def bench_checker(now):
    print("\n1. Checker query (checker.due_incidents), EXPLAIN (ANALYZE, BUFFERS) Execution Time")
    assert Incident.objects.filter(next_deadline__lte=now).count() == DUE
    [sql] = captured(lambda: checker.due_incidents(now))
    explain(sql)  # warm the cache
    runs = [explain(sql) for _ in range(21)]
    indexed = statistics.median(r[0] for r in runs)
    print(
        f"   with incident_next_deadline_idx: {indexed:.3f} ms (median of 21); {runs[0][1]}; "
        f"{runs[0][2]} buffers"
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX incident_next_deadline_idx")
        explain(sql)
        runs = [explain(sql) for _ in range(7)]
        transaction.set_rollback(True)  # the index comes back
    bare = statistics.median(r[0] for r in runs)
    print(
        f"   baseline without the index:      {bare:.3f} ms (median of 7); {runs[0][1]}; {runs[0][2]} buffers"
    )
    print(
        f"   ratio without/with: {bare / indexed:,.0f}×  → target ≤ {CHECKER_TARGET_MS} ms: "
        f"{'within' if indexed <= CHECKER_TARGET_MS else 'ABOVE'}; ≥ {SPEEDUP_TARGET:,}×: "
        f"{'within' if bare / indexed >= SPEEDUP_TARGET else 'BELOW'}"
    )


def bench_breaches(bureau):
    print(f"\n2. One checker tick recording {BREACHES:,} breaches (checker.check_deadlines)")
    # Seed 004's terms: a fault unresolved after 48 hours is a breach, 1% of the total each.
    vendor = Organization.objects.create(name="违约厂商", kind="vendor")
    contract = Contract.objects.create(
        code="OM-SLA", title="运维", client=bureau, vendor=vendor, total=770000
    )
    clause = PenaltyClause.objects.create(
        contract=contract, kind="service_breach", title="违约", shape="per_occurrence", rate_percent=1
    )
    SLATerm.objects.create(
        contract=contract, clock="resolution", target=48, unit="hours", penalty_clause=clause
    )
    # Two batches: the first (due 2 days ago) is timed, the second (due 1 day ago) profiled. Both
    # come before the bulk rows' due ones (last hours) in the checker's next_deadline order, and
    # one tick takes checker.BATCH = 1,000 incidents, so a tick takes exactly one batch.
    # Reported through the real path (timeline event, clocks, next_deadline).
    start = time.perf_counter()
    for days in (4, 3):
        reported = timezone.now() - dt.timedelta(days=days)
        for n in range(BREACHES):
            at = reported + dt.timedelta(seconds=n)
            services.report_incident(contract, by=None, title=f"缴费故障 {n}", source="phone", reported_at=at)
    print(
        f"   (set-up: {2 * BREACHES:,} incidents through services.report_incident in "
        f"{time.perf_counter() - start:.1f} s)"
    )

    now = timezone.now()
    start = time.perf_counter()
    done = checker.check_deadlines(now)
    tick = time.perf_counter() - start
    created = Breach.objects.filter(contract=contract).count()
    claimed = Incident.objects.filter(contract=contract, resolution_breached_at=now).count()
    print(
        f"   check_deadlines: {tick:.3f} s; {done}; {created:,} breaches in the ledger, "
        f"{claimed:,} incidents claimed"
    )

    # Second tick, the second batch, under cProfile and with its queries captured.
    profile = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        profile.enable()
        second = checker.check_deadlines(timezone.now())
        profile.disable()
    db_s = sum(float(q["time"]) for q in queries.captured_queries)
    print(
        f"   second tick (profiled): {second['breaches']:,} breaches, {len(queries):,} queries "
        f"({len(queries) / max(second['incidents'], 1):.1f} per incident), {db_s:.2f} s of them "
        "waiting on the database"
    )

    rounds = itertools.count()

    def bulk():  # fresh source_refs each round: (contract, source, source_ref) is unique
        batch = next(rounds)
        fields = {"contract": contract, "clause": clause, "kind": clause.kind, "occurred_at": now}
        Breach.objects.bulk_create(
            Breach(**fields, source=Breach.Source.INCIDENT, source_ref=f"floor:{batch}:{i}")
            for i in range(BREACHES)
        )

    floor = median_ms(bulk, 5) / 1000
    print(f"   baseline bulk INSERT of {BREACHES:,} Breach rows: {floor:.3f} s (median of 5)")
    print(
        f"   ratio tick/floor: {tick / floor:.0f}×  → target ≤ {TICK_TARGET_S:.0f} s: "
        f"{'within' if tick <= TICK_TARGET_S else 'ABOVE'}; exactly {BREACHES:,} breaches: "
        f"{'yes' if created == done['breaches'] == BREACHES else 'NO'}"
    )
    if tick > TICK_TARGET_S:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(15)
        print("   where the second tick's time goes (cProfile, top 15 by cumtime):")
        print("\n".join("   " + line for line in out.getvalue().splitlines() if line.strip()))


def bench_list(bureau):
    print("\n3. Incident list API, GET /api/v1/incidents/?page=N")
    portal_admin = get_user_model().objects.create_user("portal-admin")
    Membership.objects.create(user=portal_admin, organization=bureau, role=Role.ADMINISTRATOR)
    superuser = get_user_model().objects.create_superuser("root", "root@example.org", None)
    count = Incident.objects.count()
    last = -(-count // PAGE)
    for user in (portal_admin, superuser):
        client = Client()
        client.force_login(user)
        label = "superuser" if user.is_superuser else "Role.ADMINISTRATOR member"
        print(f"   as {label} ({count:,} incidents, {last:,} pages of {PAGE}):")
        query_counts = set()
        for page in (1, last // 2, last):
            url = f"/api/v1/incidents/?page={page}"

            def get(url=url, client=client):
                response = client.get(url, HTTP_ACCEPT="application/json")
                assert response.status_code == 200, response.content[:300]
                assert response.json()["count"] == count and response.json()["results"]
                return response

            sqls = captured(get)
            query_counts.add(len(sqls))
            api = median_ms(get, 5)
            # The two queries on incidents_incident: the paginator's COUNT and the page itself.
            count_sql = next(s for s in sqls if "COUNT(*)" in s and "incidents_incident" in s)
            page_sql = next(s for s in sqls if "LIMIT" in s and 'FROM "incidents_incident"' in s)
            count_ms, count_plan, _ = explain(count_sql)
            page_ms, page_plan, _ = explain(page_sql)
            offset = (page - 1) * PAGE
            bare_page = Incident.objects.order_by("-reported_at", "-id")[offset : offset + PAGE]
            bare = median_ms(lambda q=bare_page: list(q.all()), 5)
            print(
                f"     page {page:>6}: {api:8.1f} ms (median of 5), {len(sqls)} queries "
                f"[{'within' if api <= PAGE_TARGET_MS else 'ABOVE'}]; baseline bare ORM slice "
                f"{bare:.1f} ms, ratio {api / bare:.1f}×"
            )
            print(
                f"                  database: COUNT {count_ms:.1f} ms ({count_plan}); page SELECT "
                f"{page_ms:.1f} ms ({page_plan})"
            )
        verdict = "constant" if len(query_counts) == 1 else "NOT constant"
        print(f"     queries per page: {sorted(query_counts)} → {verdict}")


def main():
    if connection.vendor != "postgresql":
        sys.exit(
            "bench/incidents.py measures PostgreSQL's plans (partial index, EXPLAIN ANALYZE): set "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/om_bench_incidents. SQLite is refused."
        )
    began = time.perf_counter()
    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        now = timezone.now()
        start = time.perf_counter()
        bureau = populate(now)
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            print(cursor.fetchone()[0].split(" on ")[0])
        print(
            f"{Incident.objects.count():,} incidents ({OPEN:,} open, {DUE:,} due) built and "
            f"VACUUM ANALYZEd in {time.perf_counter() - start:.1f} s"
        )
        bench_checker(now)
        bench_breaches(bureau)
        bench_list(bureau)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
    print(f"\nwhole run: {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
