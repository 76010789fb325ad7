"""Issue 17: does the CheckResult table stay fast at a year of results for 10,000 checks every
5 minutes (10,000 × 288 × 365 ≈ 1.05 billion rows, some 250 GB with its indexes: more than this
machine's disk)? Measured at growing sizes on PostgreSQL, then extrapolated.

One contract with 10,000 HTTP checks (2% of them failing every run: the dead and refused targets
of bench/sweep.py), an automated run every 5 minutes, each run a result per check. The table is
grown by INSERT … SELECT in SQL, run after run in time order (as the worker writes it, every
index in place), then VACUUM ANALYZEd. At each size, the real code paths, each timed (median of a
few, warm) with the plan of its CheckResult query (EXPLAIN ANALYZE's node chain):

1. a chunk's INSERT of 500 results (inspections.monitoring_chunk._save_results: bulk_create);
2. the chunk's read of what the run already saved (run_chunk's first query, 500 checks);
3. the run's count when a chunk finishes (monitoring._finish_if_complete, 10,000 rows);
4. a check's history, newest page and a page half a table back (the API's keyset pages of 50);
5. the contract's newest results (the API's check-results list);
6. a run's failures (the tablet's done page, inspections.views.tablet._done_context) and the
   ledger of a day (inspections.ledger), beside the same ledger with every failure of the day
   loaded, as it was before it kept MAX_LISTED per run (``uncapped``: the ratio is printed);
7. the failed checks of a month in a report (reports.building.failed_checks);
8. the retention purge: one batch of 5,000 of the oldest rows (inspections.retention).

Each figure's ratio is to the same measure at the first size, in the same run: a ratio near 1 as
the table grows tenfold is what lets a year be extrapolated. The purge is also compared with what
a year's table asks of it: a day's rows (2.88 million) deleted within the daily run's 120 s.

Run: DATABASE_URL=postgres://… .venv/bin/python bench/results_year.py [--sizes 1,5,20]
(millions of rows; a throw-away test database, dropped at the end; ~250 bytes a row on disk).
--smoke: 5,000 then 10,000 rows on 1,000 checks, checking each query's answer (rows found, the
insert's 500 rows, the purge's batch), the verdicts printed, not asserted (the test suite runs it).
"""

import datetime as dt
import json
import statistics
import sys
import time
import zoneinfo

from _django import test_database
from django.db import connection

SMOKE = "--smoke" in sys.argv[1:]
CN = zoneinfo.ZoneInfo("Asia/Shanghai")
CHECKS = 1_000 if SMOKE else 10_000
FAILING_EVERY = 50  # one check in 50 fails every run (2%)
EVERY = dt.timedelta(minutes=5)
CHUNK = 500
ROUNDS = 1 if SMOKE else 5
YEAR_ROWS = 10_000 * 288 * 365
PURGE_BUDGET_S = 120.0  # inspections.retention.purge's default per daily run
T0 = dt.datetime(2026, 1, 1, tzinfo=CN)


def sizes() -> list[int]:
    if SMOKE:
        return [5_000, 10_000]
    args = sys.argv[1:]
    millions = args[args.index("--sizes") + 1] if "--sizes" in args else "1,5,20"
    return [int(float(m) * 1_000_000) for m in millions.split(",")]


def load() -> str:
    return " ".join(f"{n:.2f}" for n in __import__("os").getloadavg())


# --- the world --------------------------------------------------------------------------------


def make_world():
    from contracts.models import Asset, Contract, Organization
    from inspections.models import AutomatedCheck, InspectionSchedule

    client = Organization.objects.create(name="北京市公安局科技信息化局", kind="client")
    vendor = Organization.objects.create(name="北京燕讯通信技术开发公司", kind="vendor")
    contract = Contract.objects.create(
        code="BENCH-RESULTS",
        title="全市接口监测运维服务",
        client=client,
        vendor=vendor,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2027, 12, 31),
        total=1_000_000,
        status="active",
    )
    asset = Asset.objects.create(contract=contract, kind=Asset.Kind.APPLICATION, name="接口网关")
    schedule = InspectionSchedule.objects.create(
        contract=contract, name="接口监测", mode="automated", what="接口", times_of_day=["00:00"]
    )
    AutomatedCheck.objects.bulk_create(
        AutomatedCheck(
            contract=contract,
            asset=asset,
            name=f"接口 {n:05d}",
            kind="http",
            target=f"http://10.{n // 65536}.{n // 256 % 256}.{n % 256}/health",
            approval="approved",
            admin_allowed=True,
        )
        for n in range(CHECKS)
    )
    return contract, schedule


def add_runs(contract, schedule, first: int, count: int) -> list:
    """Runs number first … first+count-1, 5 minutes apart from T0, each with its done slot."""
    from inspections.models import InspectionRun, InspectionSlot

    slots = InspectionSlot.objects.bulk_create(
        InspectionSlot(
            contract=contract,
            schedule=schedule,
            due_at=T0 + n * EVERY,
            deadline=T0 + n * EVERY + EVERY,
            status="done",
            done_at=T0 + n * EVERY + dt.timedelta(seconds=30),
        )
        for n in range(first, first + count)
    )
    return InspectionRun.objects.bulk_create(
        InspectionRun(
            slot=slot,
            contract=contract,
            mode="automated",
            started_at=slot.due_at,
            finished_at=slot.done_at,
            checks_total=CHECKS,
            checks_failed=CHECKS // FAILING_EVERY,
        )
        for slot in slots
    )


# A run's results in the shapes the probes store; the failing 2% time out or are refused.
GROW = """
INSERT INTO inspections_checkresult
    (run_id, automated_check_id, contract_id, status, message, params, "values", started_at, duration_ms)
SELECT r.id, c.id, r.contract_id,
    CASE WHEN c.n %% %(every)s = 0 THEN 'failed' ELSE 'ok' END,
    CASE WHEN c.n %% %(every)s = 0 THEN 'Timed out after %%(seconds)s s' ELSE 'OK' END,
    CASE WHEN c.n %% %(every)s = 0 THEN '{"seconds": 2}'::jsonb ELSE '{}'::jsonb END,
    CASE WHEN c.n %% %(every)s = 0 THEN '{}'::jsonb
         ELSE jsonb_build_object('http_status', 200, 'latency_ms', 40 + (c.n * 7 + r.id) %% 90,
                                 'bytes', 2) END,
    r.started_at + (c.n / 200) * interval '50 milliseconds',
    CASE WHEN c.n %% %(every)s = 0 THEN 2000.0 ELSE 40 + (c.n * 7 + r.id) %% 90 END
FROM (SELECT id, contract_id, started_at FROM inspections_inspectionrun
      WHERE id = ANY(%(runs)s)) r
CROSS JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM inspections_automatedcheck
            WHERE contract_id = %(contract)s) c
ORDER BY r.started_at, c.n
"""


def grow(contract, schedule, runs_have: int, runs_want: int) -> float:
    """Add runs (and their results) up to runs_want, a batch of runs per statement."""
    began = time.perf_counter()
    batch = max(1, 1_000_000 // CHECKS)
    with connection.cursor() as cursor:
        for first in range(runs_have, runs_want, batch):
            runs = add_runs(contract, schedule, first, min(batch, runs_want - first))
            cursor.execute(
                GROW, {"runs": [run.pk for run in runs], "contract": contract.pk, "every": FAILING_EVERY}
            )
        cursor.execute("VACUUM ANALYZE inspections_checkresult")
        cursor.execute("VACUUM ANALYZE inspections_inspectionrun")
    return time.perf_counter() - began


def table_size() -> tuple[int, int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM inspections_checkresult), "
            "pg_table_size('inspections_checkresult'), pg_indexes_size('inspections_checkresult')"
        )
        return cursor.fetchone()


# --- measuring ------------------------------------------------------------------------------------


class Captured(list):
    def __call__(self, execute, sql, params, many, context):
        self.append((sql, params))
        return execute(sql, params, many, context)


def timed(fn, rounds=ROUNDS):
    """Median seconds of ``fn()`` after one warm-up call, the warm-up's answer, and its queries."""
    queries = Captured()
    with connection.execute_wrapper(queries):
        answer = fn()
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), answer, queries


def plan(queries) -> str:
    """EXPLAIN ANALYZE of the (first) query that reads or writes check results: its node chain."""
    for sql, params in queries:  # noqa: B007  (the one found is used after the loop)
        if "inspections_checkresult" in sql and not sql.lstrip().upper().startswith("INSERT"):
            break
    else:
        return "(no query of the table)"
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")  # a DELETE's EXPLAIN ANALYZE deletes: rolled back
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
        result = cursor.fetchone()[0]
        cursor.execute("ROLLBACK")
    result = (json.loads(result) if isinstance(result, str) else result)[0]
    node, chain = result["Plan"], []
    buffers = node.get("Shared Hit Blocks", 0) + node.get("Shared Read Blocks", 0)
    while node:
        chain.append(node["Node Type"] + (f" on {node['Index Name']}" if "Index Name" in node else ""))
        children = [n for n in node.get("Plans", ()) if "Subplan Name" not in n]
        node = children[0] if children else None
    return f"{' > '.join(chain)}; {buffers} buffers, {result['Execution Time']:.1f} ms in the server"


def measures(contract, schedule, runs_have: int):
    """name → (seconds, answer, queries) at the table's present size. Adds one run (the insert's)."""
    from inspections import ledger, monitoring_chunk, monitoring_states, retention
    from inspections.models import AutomatedCheck, CheckResult, InspectionRun, ResultStatus
    from inspections.views.tablet import _done_context
    from reports.building import failed_checks

    checks = list(AutomatedCheck.objects.filter(contract=contract).order_by("pk"))
    latest = InspectionRun.objects.filter(contract=contract).order_by("-started_at").first()
    middle = checks[len(checks) // 2 + 1]
    fresh = add_runs(contract, schedule, runs_have, 1)[0]
    chunks = iter(range(0, CHECKS, CHUNK))
    now = fresh.started_at

    def insert():  # a new chunk of the fresh run each time: nothing skipped as already saved
        start = next(chunks, None)
        if start is None:
            return 0
        part = checks[start : start + CHUNK]
        outcomes = [
            monitoring_states.Outcome(
                ResultStatus.OK, "OK", {}, {"http_status": 200, "latency_ms": 51.0}, now, 51.0
            )
            for _check in part
        ]
        monitoring_chunk._save_results(fresh, part, outcomes)
        return len(part)

    chunk_ids = [check.pk for check in checks[:CHUNK]]
    halfway = T0 + runs_have * EVERY / 2
    # The last whole day when there is one (288 runs), else the first day's runs so far.
    day = (latest.started_at.astimezone(CN) - dt.timedelta(days=1)).date()
    day = max(day, T0.date())
    month_start = latest.started_at - dt.timedelta(days=30)
    # The oldest runs are "past retention": two hours' (two runs' in smoke mode, whose table is small).
    oldest = CheckResult.objects.filter(contract=contract).order_by("started_at").first().started_at
    cutoff = oldest + (2 * EVERY if SMOKE else dt.timedelta(hours=2))

    def page(**filters):
        return lambda: len(list(CheckResult.objects.filter(**filters).order_by("-started_at", "-id")[:51]))

    return {
        "1. INSERT of a chunk of 500": timed(insert, rounds=min(ROUNDS, CHECKS // CHUNK - 1)),
        "2. chunk's saved results (500)": timed(
            lambda: len(
                CheckResult.objects.filter(run_id=latest.pk, automated_check_id__in=chunk_ids).values_list(
                    "automated_check_id", "automated_check__last_checked_at", "started_at"
                )
            )
        ),
        "3. run's count at a chunk's end": timed(
            lambda: CheckResult.objects.filter(run_id=latest.pk).count()
        ),
        "4a. a check's history, newest 50": timed(page(automated_check=middle)),
        "4b. a check's history, halfway back": timed(page(automated_check=middle, started_at__lt=halfway)),
        "5. contract's newest results": timed(page(contract=contract)),
        "6a. a run's failures (done page)": timed(lambda: len(_done_context(None, latest.slot)["results"])),
        "6b. ledger of a day": timed(
            lambda: len(ledger.ledger_rows(contract, day, day)), rounds=min(ROUNDS, 3)
        ),
        "6b0. ledger of a day, uncapped (before)": timed(
            lambda: uncapped(lambda: len(ledger.ledger_rows(contract, day, day))), rounds=min(ROUNDS, 3)
        ),
        "6c. ledger page (50 slots of the day)": timed(
            lambda: len(ledger.build_rows(contract, list(ledger.slots_in(contract, day, day)[:50])))
        ),
        "7. report's failed checks, 30 days": timed(lambda: len(failed_checks(contract, month_start, now))),
        "8. purge: one batch of the oldest": timed(
            lambda: retention._delete_batch(contract.pk, cutoff), rounds=min(ROUNDS, 3)
        ),
    }


def uncapped(fn):
    """``fn()`` with the ledger loading every failure of its runs, as it did before issue 17's
    cap (inspections.ledger._failed_results then): the baseline of "6b"."""
    from inspections import ledger
    from inspections.models import CheckResult, InspectionMode, ResultStatus

    def every_failure(runs):
        automated = [run.pk for run in runs if run.mode == InspectionMode.AUTOMATED and run.checks_total]
        grouped = {}
        results = (
            CheckResult.objects.filter(run__in=automated)
            .exclude(status=ResultStatus.OK)
            .select_related("automated_check")
            .order_by("run", "automated_check__name", "id")
        )
        for result in results if automated else ():
            grouped.setdefault(result.run_id, []).append(result)
        return {run: (found, len(found)) for run, found in grouped.items()}

    capped, ledger._failed_results = ledger._failed_results, every_failure
    try:
        return fn()
    finally:
        ledger._failed_results = capped


def main():
    from inspections import ledger

    with test_database():
        if connection.vendor != "postgresql":
            raise SystemExit("bench/results_year.py measures PostgreSQL (DATABASE_URL); SQLite is refused")
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            version = cursor.fetchone()[0].split(" on ")[0]
        contract, schedule = make_world()
        print(
            f"{version}; {CHECKS:,} checks every 5 minutes ({100 // FAILING_EVERY}% failing), one run "
            f"of {CHECKS:,} results each; a year = {YEAR_ROWS:,} rows"
        )
        runs = 0
        table: dict[int, dict] = {}
        for size in sizes():
            want = size // CHECKS
            seconds = grow(contract, schedule, runs, want)
            runs = want
            rows, heap, indexes = table_size()
            print(
                f"\n== {rows:,} rows ({runs:,} runs, {runs * 5 / 60 / 24:.1f} days): table "
                f"{heap / 2**30:.2f} GB + indexes {indexes / 2**30:.2f} GB "
                f"({(heap + indexes) / rows:.0f} B/row); grown in {seconds:.0f} s  [load {load()}]"
            )
            found = measures(contract, schedule, runs)
            runs += 1
            for name, (seconds, answer, queries) in found.items():
                first = table[next(iter(table))][name][0] if table else seconds
                print(
                    f"   {name:38} {seconds * 1000:9.2f} ms  ×{seconds / first:5.2f} of the first size  "
                    f"({len(queries)} queries; answer {answer})\n      {plan(queries)}"
                )
                if SMOKE:
                    assert answer, (name, answer)
            table[rows] = found
            after, before = (
                found["6b. ledger of a day"][0],
                found["6b0. ledger of a day, uncapped (before)"][0],
            )
            print(
                f"   ledger of a day: {after * 1000:.1f} ms with at most {ledger.MAX_LISTED} failures a run, "
                f"{before * 1000:.1f} ms loading every failure: ×{before / after:.1f} faster  [load {load()}]"
            )
            print(f"   [load {load()}]")
        experiment(contract, runs)
        conclude(table)
        if SMOKE:
            print("smoke: ok")


# What the ledger's query of failures (inspections.ledger._failed_results: the results of the
# period's runs that did not pass) would read with an index of its own, tried on the largest table
# and dropped: the reads that grow with the period, not the table, are the ledger's.
FAILED_INDEX = (
    "CREATE INDEX bench_check_result_failed_idx ON inspections_checkresult (run_id) WHERE status <> 'ok'"
)


def experiment(contract, runs_have: int):
    from inspections import ledger
    from inspections.models import InspectionRun

    latest = InspectionRun.objects.filter(contract=contract).order_by("-started_at").first()
    day = max((latest.started_at.astimezone(CN) - dt.timedelta(days=1)).date(), T0.date())

    def day_rows():
        return len(ledger.ledger_rows(contract, day, day))

    def page_rows():
        return len(ledger.build_rows(contract, list(ledger.slots_in(contract, day, day)[:50])))

    print(f"\nExperiment at {runs_have:,} runs: {FAILED_INDEX}")
    with connection.cursor() as cursor:
        began = time.perf_counter()
        cursor.execute(FAILED_INDEX)
        cursor.execute("ANALYZE inspections_checkresult")
        built = time.perf_counter() - began
        cursor.execute("SELECT pg_relation_size('bench_check_result_failed_idx')")
        size = cursor.fetchone()[0]
    print(f"   built in {built:.0f} s, {size / 2**20:.0f} MB  [load {load()}]")
    for name, fn in (("6b. ledger of a day", day_rows), ("6c. ledger page (50 slots of the day)", page_rows)):
        seconds, answer, queries = timed(fn, rounds=min(ROUNDS, 3))
        print(f"   {name:38} {seconds * 1000:9.2f} ms  (answer {answer})\n      {plan(queries)}")
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX bench_check_result_failed_idx")


def conclude(table: dict[int, dict]):
    sizes_seen = list(table)
    small, big = sizes_seen[0], sizes_seen[-1]
    print(f"\nFrom {small:,} to {big:,} rows ({big / small:.0f}× the rows):")
    for name in table[big]:
        print(f"   {name:38} ×{table[big][name][0] / table[small][name][0]:5.2f}")
    batch_s = table[big]["8. purge: one batch of the oldest"][0]
    per_day = YEAR_ROWS / 365
    needed = per_day / 5_000 * batch_s
    print(
        f"\nPurge at a year's size: a day's {per_day:,.0f} rows take {per_day / 5000:.0f} batches × "
        f"{batch_s * 1000:.0f} ms = {needed:.0f} s a day (EXTRAPOLATED from the batch time at "
        f"{big:,} rows); the daily run's budget is {PURGE_BUDGET_S:.0f} s: "
        f"{'enough' if needed <= PURGE_BUDGET_S else 'NOT enough'}"
    )
    insert_s = table[big]["1. INSERT of a chunk of 500"][0]
    print(
        f"Insert at a year's size: {YEAR_ROWS / 365 / 288 / CHUNK:.0f} chunks of 500 every 5 minutes × "
        f"{insert_s * 1000:.0f} ms = {YEAR_ROWS / 365 / 288 / CHUNK * insert_s:.1f} s of every 300 s "
        f"(EXTRAPOLATED: each index takes a chunk's rows at its right-hand end per check, run or "
        f"contract, pages that stay in memory whatever the table's size)"
    )


if __name__ == "__main__":
    main()
