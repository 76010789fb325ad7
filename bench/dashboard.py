"""Issue 6's dashboard target on PostgreSQL: the home page of a client manager whose bureau has 20
contracts, 10,000 assets and 100,000 incidents (plus their breaches, three inspection slots a day
for two years, milestones and weekly reports) answers in ≤ 1 s, in a constant number of queries.

Baseline, measured in the same run: the same page for a second bureau with the same contracts,
slots, milestones and reports but 1,000 incidents (and 100 assets): the ratio shows what the
100× more incidents cost. Each of the page's queries is then EXPLAIN ANALYZEd on the big bureau,
with the indexes its plan uses.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/om_bench_dashboard .venv/bin/python bench/dashboard.py
(on a throw-away test database; SQLite is refused: the target is PostgreSQL's)
--smoke: 3 contracts, 30 days, 200 and 20 incidents, one round; the same page, plans and checks
(200, the same number of queries for both bureaus); the target not asserted (the test suite).
"""

import datetime as dt
import json
import statistics
import sys
import time
from decimal import Decimal

from _django import test_database
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from contracts.models import Asset, Breach, Contract, Membership, Milestone, Organization, PenaltyClause, Role
from incidents.models import Incident
from inspections.models import InspectionSchedule, InspectionSlot
from reports.models import Report, ReportKind

SMOKE = "--smoke" in sys.argv[1:]
CONTRACTS = 3 if SMOKE else 20
DAYS = 30 if SMOKE else 730  # two years of history
WEEKS = 5 if SMOKE else 104  # of weekly reports
SLOT_TIMES = (dt.time(8), dt.time(13), dt.time(19))
ROUNDS = 1 if SMOKE else 5
SIZES = {"big": (200, 20), "small": (20, 10)} if SMOKE else {"big": (100_000, 10_000), "small": (1_000, 100)}
TARGET_S = 1.0
BATCH = 5000
# The tables whose dashboard query has an index meant for it.
INDEXED = ("incidents_incident", "contracts_breach", "inspections_inspectionslot", "contracts_milestone")


def populate(name: str, incidents: int, assets: int, now: dt.datetime):
    """A bureau with CONTRACTS contracts of one vendor, and its client manager."""
    today = timezone.localdate(now)
    bureau = Organization.objects.create(name=f"{name}公安局", kind="client")
    vendor = Organization.objects.create(name=f"{name}科技有限公司", kind="vendor")
    contracts = Contract.objects.bulk_create(
        Contract(
            code=f"{name}-{n:02d}",
            title="运维服务",
            client=bureau,
            vendor=vendor,
            status="active",
            # Terms of three years that started 400–685 days ago: 20 different contract years.
            starts_on=today - dt.timedelta(days=400 + 15 * n),
            ends_on=today - dt.timedelta(days=400 + 15 * n) + dt.timedelta(days=3 * 365),
            total=Decimal("708000.00"),
            penalty_cap_percent=Decimal(30),
        )
        for n in range(CONTRACTS)
    )
    clauses = {
        c.pk: PenaltyClause.objects.create(
            contract=c, kind="sla_resolution", title="故障未按时解决", shape="per_occurrence", rate_percent=1
        )
        for c in contracts
    }
    for c in contracts:
        PenaltyClause.objects.create(
            contract=c, kind="late_inspection", title="未按时巡检", shape="per_day", rate_percent="0.3"
        )
    kinds = Asset.Kind.values
    asset_rows = Asset.objects.bulk_create(
        (
            Asset(
                contract=contracts[i % CONTRACTS],
                kind=kinds[i % len(kinds)],
                name=f"设备 {i}",
                host=f"10.0.{i // 250}.{i % 250}",
            )
            for i in range(assets)
        ),
        batch_size=BATCH,
    )

    # Incidents spread evenly over two years, newest last; the newest 2% are open; every 12th
    # breached its resolution (and is a breach in the ledger, every 10th of those waived).
    step = dt.timedelta(days=DAYS) / incidents
    severities = ["emergency", "severe", "general", "general"]
    rows = []
    open_from = incidents - incidents // 50
    for i in range(incidents):
        reported = now - dt.timedelta(days=DAYS) + i * step
        breached = i % 12 == 0
        is_open = i >= open_from
        rows.append(
            Incident(
                contract=contracts[i % CONTRACTS],
                asset=asset_rows[i % len(asset_rows)],
                title=f"故障 {i}",
                description="系统报障",
                severity=severities[i % 4],
                source="phone",
                status=("new", "acknowledged", "on_site")[i % 3] if is_open else "closed",
                reported_at=reported,
                resolved_at=None if is_open else reported + dt.timedelta(hours=5),
                closed_at=None if is_open else reported + dt.timedelta(days=1),
                response_due=reported + dt.timedelta(minutes=30),
                responded_at=reported + dt.timedelta(minutes=10),
                resolution_due=reported + dt.timedelta(hours=4),
                resolution_breached_at=reported + dt.timedelta(hours=4) if breached else None,
                created_at=reported,
                updated_at=reported,
            )
        )
    made = Incident.objects.bulk_create(rows, batch_size=BATCH)
    Breach.objects.bulk_create(
        (
            Breach(
                contract=incident.contract,
                clause=clauses[incident.contract_id],
                kind="sla_resolution",
                occurred_at=incident.resolution_breached_at,
                source="incident",
                source_ref=f"incident:{incident.pk}:resolution",
                waived=n % 10 == 0,
                waived_reason="不可抗力" if n % 10 == 0 else "",
            )
            for n, incident in enumerate(i for i in made if i.resolution_breached_at)
        ),
        batch_size=BATCH,
    )

    # Three slots a day for two years: 3% missed, those still open pending.
    slots = []
    for c in contracts:
        schedule = InspectionSchedule.objects.create(
            contract=c,
            name="日常巡检",
            kind="several_daily",
            times_of_day=[t.strftime("%H:%M") for t in SLOT_TIMES],
        )
        for day in range(DAYS, -1, -1):
            date = today - dt.timedelta(days=day)
            for k, moment in enumerate(SLOT_TIMES):
                due = timezone.make_aware(dt.datetime.combine(date, moment))
                deadline = due + dt.timedelta(hours=4)
                if deadline > now:
                    status, done_at = "pending", None
                elif (day * 3 + k + c.pk) % 33 == 0:
                    status, done_at = "missed", None
                else:
                    status, done_at = "done", due + dt.timedelta(minutes=40)
                slots.append(
                    InspectionSlot(
                        contract=c,
                        schedule=schedule,
                        due_at=due,
                        deadline=deadline,
                        status=status,
                        done_at=done_at,
                    )
                )
    InspectionSlot.objects.bulk_create(slots, batch_size=BATCH)

    Milestone.objects.bulk_create(
        Milestone(
            contract=c,
            name=name,
            percent=Decimal(percent),
            trigger="signing",
            due_on=today + dt.timedelta(days=days + n),
            status=status,
            paid_on=today if status == "paid" else None,
            position=k,
        )
        for n, c in enumerate(contracts)
        for k, (name, percent, days, status) in enumerate(
            [("首付款", 30, -400, "paid"), ("进度款", 30, 20, "invoiced"), ("尾款", 40, 700, "pending")]
        )
    )
    # Weekly reports for two years: signed off, but the last two of each contract: one with the
    # client for sign-off, one draft due. Each carries a few KB of figures, as built ones do.
    figures = {
        "schema": 1,
        "kind": "weekly",
        "incidents": [{"title": f"故障 {i}", "result": "已恢复"} for i in range(60)],
    }
    monday = today - dt.timedelta(days=today.weekday())
    reports = []
    for c in contracts:
        for week in range(WEEKS, 0, -1):
            start = monday - dt.timedelta(weeks=week)
            status = {2: "submitted", 1: "draft"}.get(week, "signed_off")
            reports.append(
                Report(
                    contract=c,
                    kind=ReportKind.WEEKLY,
                    period_start=start,
                    period_end=start + dt.timedelta(days=6),
                    due_on=start + dt.timedelta(days=9),
                    status=status,
                    data=figures,
                    submitted_at=now - dt.timedelta(days=week * 7 - 9) if status != "draft" else None,
                )
            )
    Report.objects.bulk_create(reports, batch_size=BATCH)

    user = get_user_model().objects.create_user(f"{name}-manager")
    Membership.objects.create(user=user, organization=bureau, role=Role.CLIENT_MANAGER)
    return user


class Captured(list):
    """The SQL and parameters of each query run (an execute wrapper sees them whatever DEBUG is)."""

    def __call__(self, execute, sql, params, many, context):
        self.append((sql, params))
        return execute(sql, params, many, context)


def timed_page(user):
    client = Client()
    client.force_login(user)
    # A client manager must have passed the second factor: the session says which device, as
    # django_otp.login writes it after the code.
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    response = client.get("/")  # warm: templates compiled, connection open
    assert response.status_code == 200, (response.status_code, response.get("Location"))
    queries = Captured()
    with connection.execute_wrapper(queries):
        response = client.get("/")
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        response = client.get("/")
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    return statistics.median(times), queries, response.context["board"]


def plan_of(sql: str, params, *, seqscan: bool = True):
    """EXPLAIN ANALYZE a captured query: its execution time (ms) and the scans of its plan. With
    ``seqscan=False`` the planner avoids sequential scans: which index it would use instead."""
    with transaction.atomic(), connection.cursor() as cursor:
        if not seqscan:
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
        result = cursor.fetchone()[0]
    result = (json.loads(result) if isinstance(result, str) else result)[0]
    scans, nodes = [], [result["Plan"]]
    while nodes:
        node = nodes.pop()
        if "Index Name" in node:
            scans.append(f"{node['Node Type']} on {node['Index Name']}")
        elif node["Node Type"] == "Seq Scan":
            scans.append(f"Seq Scan on {node['Relation Name']}")
        nodes.extend(node.get("Plans", ()))
    return result["Execution Time"], sorted(set(scans))


def main():
    if connection.vendor != "postgresql":
        sys.exit("Refused on SQLite: the target is PostgreSQL's. Set DATABASE_URL=postgres://…")
    began = time.perf_counter()
    with test_database():
        now = timezone.now()
        big = populate("BIG", *SIZES["big"], now=now)
        small = populate("SMALL", *SIZES["small"], now=now)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # what autovacuum would have done
        pg = connection.pg_version
        print(
            f"PostgreSQL {pg // 10000}.{pg % 100}: {Incident.objects.count():,} incidents, "
            f"{Asset.objects.count():,} assets, {InspectionSlot.objects.count():,} slots, "
            f"{Breach.objects.count():,} breaches, {Report.objects.count():,} reports; "
            f"built in {time.perf_counter() - began:.0f} s"
        )
        results, query_counts = {}, []
        (big_incidents, big_assets), (small_incidents, _) = SIZES.values()
        for label, user in (
            (f"{big_incidents:,} incidents, {big_assets:,} assets", big),
            (f"baseline: {small_incidents:,} incidents", small),
        ):
            seconds, queries, board = timed_page(user)
            results[label] = seconds
            query_counts.append(len(queries))
            assert len(board.contracts) == CONTRACTS, board.contracts
            totals = board.totals
            print(
                f"\nGET / as the client manager, {label}: {seconds * 1000:.0f} ms (median of {ROUNDS}), "
                f"{len(queries)} queries"
            )
            print(
                f"   {len(board.contracts)} contracts; SLA 30 days {totals.sla_recent.percent}% of "
                f"{totals.sla_recent.with_target:,}, contract year {totals.sla_year.percent}% of "
                f"{totals.sla_year.with_target:,}; open {totals.open_total:,}; exposure "
                f"¥{totals.exposure.vendor_total:,} ({totals.exposure.breaches:,} breaches); inspections "
                f"30 days {totals.inspections_recent.percent}%; {board.milestone_count} milestones; "
                f"{board.to_sign_off_count} reports to sign off"
            )
            if user is big:
                print("   the page's queries on PostgreSQL (EXPLAIN ANALYZE), slowest first:")
                plans = sorted(
                    (
                        (*plan_of(sql, params), sql, params)
                        for sql, params in queries
                        if sql.startswith("SELECT")
                    ),
                    reverse=True,
                )
                for ms, scans, sql, params in plans:
                    table = sql.split(" FROM ", 1)[1].split()[0].strip('"')
                    print(f"   {ms:7.2f} ms  {table:<28} {'; '.join(scans)}")
                    if f"Seq Scan on {table}" in scans and table in INDEXED:
                        # The planner's choice at this size; show the index is there when it pays.
                        ms, scans = plan_of(sql, params, seqscan=False)
                        print(f"   {'':>10}  {'(seq scans off:':<28} {ms:.2f} ms, {'; '.join(scans)})")
        big_s, base_s = results.values()
        print(
            f"\nratio {big_incidents:,} / {small_incidents:,} incidents: {big_s / base_s:.2f}×  → target "
            f"≤ {TARGET_S:.0f} s: {'within' if big_s <= TARGET_S else 'ABOVE'}"
        )
    print(f"whole run: {time.perf_counter() - began:.0f} s")
    if SMOKE:
        # A constant number of queries: the same for 10× the incidents.
        assert query_counts[0] == query_counts[1], query_counts
        print("smoke: ok")


if __name__ == "__main__":
    main()
