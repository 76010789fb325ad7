"""Issue 4's speed targets on PostgreSQL with 1,000,000 incidents (10,000 open), each against a
baseline measured in the same run:

1. the checker's due query by EXPLAIN ANALYZE, against the same query with its partial index
   dropped (in a transaction rolled back): ≤ 5 ms and ≥ 1,000× faster;
2. one checker tick claiming and recording 1,000 breaches, against a bulk INSERT of 1,000
   breaches (the floor): ≤ 1 s, exactly 1,000 breaches;
3. the incident list API's first, middle and last page, against the bare ORM slice of the same
   page: ≤ 100 ms a page, the same number of queries on every page.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/om_bench_incidents .venv/bin/python bench/incidents.py
(on a throw-away test database; SQLite is refused: the targets are PostgreSQL's)
--sections 1,3 runs only those sections (the table is built all the same); --smoke builds 2,000
incidents (200 open, 20 due, 20 breaches) and checks the same answers (the due counts, exactly
the breaches, 200 on every page in the same number of queries), the targets not asserted.
"""

import base64
import cProfile
import datetime as dt
import io
import itertools
import json
import pstats
import statistics
import sys
import time
import urllib.parse

from _django import test_database
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from contracts.models import Breach, Contract, Membership, Organization, PenaltyClause, Role, SLATerm
from incidents import checker, services
from incidents.models import Incident

SMOKE = "--smoke" in sys.argv[1:]
TOTAL, OPEN, DUE, BREACHES = (2_000, 200, 20, 20) if SMOKE else (1_000_000, 10_000, 1_000, 1_000)
ROUNDS = 1 if SMOKE else None  # None: each measure's own number of rounds
PASSWORD = "Bench-Incidents-2026"  # noqa: S105  (a throw-away database's users)
CONTRACTS = 100  # the bulk incidents' contracts (10 bureaus × 10 vendors)
PAGE = 50  # settings.REST_FRAMEWORK["PAGE_SIZE"]
CHECKER_TARGET_MS, SPEEDUP_TARGET, TICK_TARGET_S, PAGE_TARGET_MS = 5, 1000, 1.0, 100

# One INSERT … SELECT: row i = 1 is the oldest, 150 s apart (≈ 4.75 years). The newest OPEN rows
# are open (as in life, old incidents are closed, so open rows sit at the table's end); of those,
# the DUE oldest have a next_check_at in the last ~5.5 hours, the others over the next ~3 days.
# Closed rows carry their resolution and no next_check_at (NULL: outside the partial index).
BULK_INSERT = """
INSERT INTO incidents_incident (
    contract_id, title, description, severity, kind, condition, source, reporter_name,
    reporter_unit, needs_onsite, status, reported_at, resolved_at, closed_at, cause, impact,
    method, result, next_check_at, created_at, updated_at, escalation_level)
SELECT (%(contracts)s::bigint[])[1 + mod(i, cardinality(%(contracts)s::bigint[]))],
    '故障 ' || i, '系统报障，编号 ' || i, (ARRAY['emergency', 'severe', 'general'])[1 + mod(i, 3)],
    (ARRAY['hardware', 'software', 'network', 'data', 'security'])[1 + mod(i, 5)], '',
    (ARRAY['inspection', 'monitoring', 'phone', 'wechat', 'platform'])[1 + mod(i, 5)],
    '值班民警', '指挥中心', false,
    CASE WHEN j > 0 THEN (ARRAY['new', 'acknowledged', 'on_site'])[1 + mod(i, 3)] ELSE 'closed' END,
    at, CASE WHEN j <= 0 THEN at + interval '4 hours' END, CASE WHEN j <= 0 THEN at + interval '1 day' END,
    CASE WHEN j > 0 THEN '' ELSE '硬件老化' END, '', CASE WHEN j > 0 THEN '' ELSE '更换部件' END,
    CASE WHEN j > 0 THEN '' ELSE '已恢复' END,
    CASE WHEN j <= 0 THEN NULL
         WHEN j <= %(due)s THEN %(now)s - (%(due)s - j + 1) * interval '20 seconds'
         ELSE %(now)s + (j - %(due)s) * interval '30 seconds' END,
    at, at, 0
FROM (SELECT i, i - (%(total)s - %(open)s) AS j,
             %(now)s - interval '1 hour' - (%(total)s - i) * interval '150 seconds' AS at
      FROM generate_series(1, %(total)s) AS i) AS rows
"""


def median_ms(fn, rounds):
    rounds = ROUNDS or rounds
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def explain(sql, params, rounds=1, timing="ON"):
    """EXPLAIN (ANALYZE, BUFFERS) a captured query ``rounds`` times after one run to warm the
    cache: the median Execution Time (ms), and the first run's plan (main node chain) and buffers.
    TIMING OFF spares a plan over a million rows the cost of timing each row in each node."""
    rounds = ROUNDS or rounds
    times, plans = [], []
    with connection.cursor() as cursor:
        for _ in range(rounds + 1):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, TIMING {timing}, FORMAT JSON) " + sql, params)
            result = cursor.fetchone()[0]
            result = (json.loads(result) if isinstance(result, str) else result)[0]
            times.append(result["Execution Time"])
            plans.append(result["Plan"])
    node, chain = plans[1], []
    buffers = node.get("Shared Hit Blocks", 0) + node.get("Shared Read Blocks", 0)
    while node:
        chain.append(node["Node Type"] + (f" on {node['Index Name']}" if "Index Name" in node else ""))
        children = [n for n in node.get("Plans", ()) if "Subplan Name" not in n]  # not InitPlans
        node = children[0] if children else None
    return statistics.median(times[1:]), " > ".join(chain), buffers


class Captured(list):
    """(sql, params) of each query run and the seconds spent on them; unlike CaptureQueriesContext,
    not limited to the last 9,000 queries."""

    seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.append((sql, params))


def captured(fn):
    queries = Captured()
    with connection.execute_wrapper(queries):
        fn()
    return queries


def populate(now):
    orgs = Organization.objects.bulk_create(
        Organization(name=f"{kind} {i}", kind=kind) for kind in ("client", "vendor") for i in range(10)
    )
    contracts = Contract.objects.bulk_create(
        Contract(code=f"OM-{n:03d}", title="运维", client=orgs[n % 10], vendor=orgs[10 + n // 10])
        for n in range(CONTRACTS)
    )
    params = {"contracts": [c.pk for c in contracts], "due": DUE, "now": now, "total": TOTAL, "open": OPEN}
    with connection.cursor() as cursor:
        cursor.execute(BULK_INSERT, params)
        cursor.execute("VACUUM ANALYZE incidents_incident")  # what autovacuum would have done
    return orgs[0]


def bench_checker(now):
    print("\n1. Checker query (checker.due_incidents), EXPLAIN (ANALYZE, BUFFERS) Execution Time")
    # The tick the target names (1,000 due) and, for context, a quiet tick with 10 due.
    quiet = now - (DUE - 9) * dt.timedelta(seconds=20)
    assert Incident.objects.filter(next_check_at__lte=now).count() == DUE
    assert Incident.objects.filter(next_check_at__lte=quiet).count() == 10
    ticks = {f"{DUE:,} due": now, "10 due (context)": quiet}
    sqls = {label: captured(lambda t=t: checker.due_incidents(t))[0] for label, t in ticks.items()}
    indexed = {label: explain(*sql, rounds=21) for label, sql in sqls.items()}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX incident_next_check_idx")
        bare = {label: explain(*sql, rounds=7) for label, sql in sqls.items()}
        transaction.set_rollback(True)  # the index comes back
    for label, (ms, plan, buffers) in indexed.items():
        bare_ms, bare_plan, bare_buffers = bare[label]
        print(f"   {label}: with the index {ms:.3f} ms (median of {ROUNDS or 21}; {plan}; {buffers} buffers)")
        print(
            f"      baseline, index dropped: {bare_ms:.3f} ms (median of {ROUNDS or 7}; {bare_plan}; "
            f"{bare_buffers} b.)"
        )
        print(
            f"      ratio without/with: {bare_ms / ms:,.0f}×  → target ≤ {CHECKER_TARGET_MS} ms: "
            f"{'within' if ms <= CHECKER_TARGET_MS else 'ABOVE'}; ≥ {SPEEDUP_TARGET:,}×: "
            f"{'within' if bare_ms / ms >= SPEEDUP_TARGET else 'BELOW'}"
        )


def bench_breaches(bureau):
    print(f"\n2. One checker batch recording {BREACHES:,} breaches (checker.check_batch)")
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
    # Two batches reported through the real path (timeline event, clocks, next_deadline): the
    # first (due 2 days ago) is timed, the second (due 1 day ago) profiled. A tick runs batches
    # until nothing is due (the bulk rows too), so each batch is timed by itself.
    start = time.perf_counter()
    for days in (4, 3):
        reported = timezone.now() - dt.timedelta(days=days)
        for n in range(BREACHES):
            at = reported + dt.timedelta(seconds=n)
            services.report_incident(contract, by=None, title=f"缴费故障 {n}", source="phone", reported_at=at)
    setup_s = time.perf_counter() - start
    print(f"   (set-up: {2 * BREACHES:,} incidents by services.report_incident in {setup_s:.0f} s)")
    now = timezone.now()
    first, second_ids = (
        list(
            Incident.objects.filter(
                contract=contract, reported_at__lt=timezone.now() - dt.timedelta(days=days)
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for days in (3.5, 2.5)
    )
    second_ids = second_ids[len(first) :]
    start = time.perf_counter()
    done = checker.check_batch(first, now)
    tick = time.perf_counter() - start
    created = Breach.objects.filter(contract=contract).count()
    claimed = Incident.objects.filter(contract=contract, resolution_breached_at=now).count()
    print(f"   check_batch: {tick:.3f} s; {done}; {created:,} breaches recorded, {claimed:,} claimed")

    # Second tick, the second batch, under cProfile: its queries counted and their time summed.
    profile, second = cProfile.Profile(), {}
    queries = captured(
        lambda: second.update(profile.runcall(checker.check_batch, second_ids, timezone.now()))
    )
    print(
        f"   second tick (under cProfile): {second['breaches']:,} breaches, {len(queries):,} queries "
        f"({len(queries) / BREACHES:.1f} per incident), {queries.seconds:.2f} s waiting on them "
        "(round trips included); the rest of a tick is Python"
    )

    batches = itertools.count()

    def bulk():  # fresh source_refs each round: (contract, source, source_ref) is unique
        batch, fields = next(batches), {"contract": contract, "clause": clause, "occurred_at": now}
        Breach.objects.bulk_create(
            Breach(**fields, kind=clause.kind, source="incident", source_ref=f"floor:{batch}:{i}")
            for i in range(BREACHES)
        )

    floor = median_ms(bulk, 5) / 1000
    print(f"   baseline bulk INSERT of {BREACHES:,} Breach rows: {floor:.3f} s (median of {ROUNDS or 5})")
    print(
        f"   ratio tick/floor: {tick / floor:.0f}×  → target ≤ {TICK_TARGET_S:.0f} s: "
        f"{'within' if tick <= TICK_TARGET_S else 'ABOVE'}; exactly {BREACHES:,} breaches: "
        f"{'yes' if created == claimed == done['breaches'] == BREACHES else 'NO'}"
    )
    if SMOKE:
        assert created == claimed == done["breaches"] == second["breaches"] == BREACHES, (created, done)
    if tick > TICK_TARGET_S:  # where the time goes: all functions, then the project's own
        stats = pstats.Stats(profile).sort_stats("cumulative")
        for title, only in (("", ""), (", project code", r"/(incidents|contracts|om_portal)/\w+\.py")):
            stats.stream = out = io.StringIO()
            stats.print_stats(only, 15)
            lines = out.getvalue().splitlines()
            table = lines[next(i for i, x in enumerate(lines) if "ncalls" in x) :]
            print(f"   where the second tick's time goes (cProfile, top 15 by cumtime{title}):")
            print("\n".join("   " + x for x in table if x.strip()))


def cursor_after(row) -> str:
    """DRF's cursor for the page that follows ``row`` (newest first: position = its reported_at)."""
    token = urllib.parse.urlencode({"p": str(row.reported_at)})
    return base64.b64encode(token.encode()).decode()


def api_client(user) -> Client:
    """A client logged in as a script is: a token from the token endpoint, with the second factor
    (an administrator and a superuser must give one; a session alone answers 403 on the API)."""
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    answer = Client().post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": PASSWORD, "otp": code},
        content_type="application/json",
    )
    assert answer.status_code == 200, (answer.status_code, answer.content[:300])
    return Client(headers={"Authorization": f"Token {answer.json()['token']}"})


def bench_list(bureau):
    print("\n3. Incident list API, GET /api/v1/incidents/ (keyset pages of 50, newest first)")
    portal_admin = get_user_model().objects.create_user("portal-admin", password=PASSWORD)
    Membership.objects.create(user=portal_admin, organization=bureau, role=Role.ADMINISTRATOR)
    superuser = get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)
    count = Incident.objects.count()
    newest = Incident.objects.order_by("-reported_at", "-id")
    for user, label in ((portal_admin, "a Role.ADMINISTRATOR member"), (superuser, "a superuser")):
        client = api_client(user)
        print(f"   as {label} ({count:,} incidents):")
        query_counts = set()
        for where, offset in (("first", None), ("middle", count // 2), ("last", count - PAGE - 1)):
            after = newest[offset] if offset is not None else None
            url = "/api/v1/incidents/" + (
                f"?cursor={urllib.parse.quote(cursor_after(after))}" if after else ""
            )

            def get(url=url, client=client):
                response = client.get(url, HTTP_ACCEPT="application/json")
                assert response.status_code == 200 and len(response.json()["results"]) == PAGE, response

            queries = captured(get)
            query_counts.add(len(queries))
            api = median_ms(get, 5)
            bare_rows = newest.filter(reported_at__lt=after.reported_at) if after else newest
            bare = median_ms(lambda q=bare_rows: list(q[:PAGE]), 5)
            mine = [q for q in queries if 'FROM "incidents_incident"' in q[0]]
            page_ms, page_plan, _ = explain(*mine[0], 3, "OFF")
            print(
                f"     {where:>6} page: {api:7.1f} ms (median of {ROUNDS or 5}), {len(queries)} queries "
                f"[{'within' if api <= PAGE_TARGET_MS else 'ABOVE'}]; baseline bare keyset query "
                f"{bare:.1f} ms, ratio {api / bare:.1f}×; db {page_ms:.1f} ms ({page_plan})"
            )
        verdict = "constant" if len(query_counts) == 1 else "NOT constant"
        print(f"     queries per page: {sorted(query_counts)} → {verdict}")
        if SMOKE:
            assert len(query_counts) == 1, query_counts


def sections() -> set[int]:
    """The sections asked for by --sections 1,3 (all of them by default)."""
    args = sys.argv[1:]
    if "--sections" not in args:
        return {1, 2, 3}
    return {int(n) for n in args[args.index("--sections") + 1].split(",")}


def main():
    if connection.vendor != "postgresql":
        sys.exit("Refused on SQLite: the targets are PostgreSQL's. Set DATABASE_URL=postgres://…")
    chosen = sections()
    began = time.perf_counter()
    with test_database():
        now = timezone.now()
        bureau = populate(now)
        pg = connection.pg_version
        print(f"PostgreSQL {pg // 10000}.{pg % 100}: {TOTAL:,} incidents, {OPEN:,} open, {DUE:,} due,")
        print(f"built and VACUUM ANALYZEd in {time.perf_counter() - began:.0f} s")
        if 1 in chosen:
            bench_checker(now)
        if 2 in chosen:
            bench_breaches(bureau)
        if 3 in chosen:
            bench_list(bureau)
    print(f"\nwhole run: {time.perf_counter() - began:.0f} s")
    if SMOKE:
        print("smoke: ok")


if __name__ == "__main__":
    main()
