"""Issue 17's targets for automated checks through the real worker path, each against a baseline
measured in the same run (loopback targets served by another process, as in bench/sweep.py):

1. 10,000 checks (98% answering after 50 ms within a 1 s latency limit, 1% never answering, 1%
   refused) dispatched by the beat's tick to a real probes worker (``manage.py worker probes``:
   its pool of threads, its engine's process, Redis, PostgreSQL), a first run (every check new:
   200 incidents to open, their failures confirmed) and a steady one (the same failures again):
   the time from the tick to the run's end, against the bare sweep of the same targets by the
   probe engine alone in this process. Targets: first run ≤ 1.5×, steady ≤ 1.2×.
2. Queries per chunk of 500 on a first run, with 10 and with 200 of its checks failing: the
   chunk function the worker runs, here in this process under CaptureQueriesContext. Target ≤ 10.
3. Incidents opened by a first run of 10,000 fresh checks with 200 real failures while CPU
   burners keep the machine's load average at 4 or more (2 cores): exactly 200. Beside it, what
   the bare sweep counts as failed under the same load (no confirmation).

Run: .venv/bin/python bench/probes_worker.py [--checks N] [--sections 1,2,3] (PostgreSQL on
DATABASE_URL and Redis on REDIS_URL;
a throw-away database and queue of its own; about five minutes). --smoke: 200 targets, a worker,
one run each, the counts asserted (one incident per dead or refused target, none on the steady
run, none more under load), the speed targets not.
"""

import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

# The bench's own queues (a worker of someone else's never takes its chunks), set before Django.
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = f"om-bench-probes-{os.getpid()}"

import sweep  # bench/sweep.py: the targets, the bare sweep, the mix
from _django import test_database

SMOKE = sweep.SMOKE
ARGS = sys.argv[1:]
# --checks N: fewer (or more) checks than the 10,000 (a busy machine); --sections 1,3: only those.
TARGETS = int(ARGS[ARGS.index("--checks") + 1]) if "--checks" in ARGS else sweep.TARGETS
SECTIONS = ARGS[ARGS.index("--sections") + 1].split(",") if "--sections" in ARGS else ["1", "2", "3"]
ROOT = Path(__file__).resolve().parent.parent
BURNERS = 6  # busy processes on 2 cores: a load average of about 6
LOAD_WANTED = 4.0
FIRST_GOAL, STEADY_GOAL, QUERIES_GOAL = 1.5, 1.2, 10


def burn(stop):
    while not stop.is_set():
        for _ in range(100_000):
            pass


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} cores)"


PIDS: dict[str, int] = {}  # the worker's and the targets' server's


def cpu_snapshot() -> Counter:
    """CPU seconds used so far by the processes a run keeps busy: this one (the bare sweep, the
    beat's tick), the worker and its engine's process, the targets' server and PostgreSQL's
    backends (2 cores for all)."""
    used = Counter(bench=sweep.cpu_seconds(os.getpid()))
    for name, pid in PIDS.items():
        used[name] = sweep.cpu_seconds(pid)
    if "worker" in PIDS:  # and its engine's process (inspections.probes.process)
        for child in children(PIDS["worker"]):
            used["engine"] += sweep.cpu_seconds(child)
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "comm").read_text().strip() == "postgres":
                used["postgres"] += sweep.cpu_seconds(proc.name)
        except OSError:  # gone meanwhile
            continue
    return used


def children(pid: int) -> list[str]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += (task / "children").read_text().split()
        except OSError:  # the thread ended meanwhile
            continue
    return found


def cpu_since(before: Counter) -> str:
    after = cpu_snapshot()
    names = ("bench", *PIDS, "engine", "postgres")
    return ", ".join(f"{name} {after[name] - before[name]:.2f}" for name in names)


def measured(function, *args):
    """``function(*args)``, and the CPU seconds each of those processes spent meanwhile."""
    before = cpu_snapshot()
    value = function(*args)
    return value, cpu_since(before)


def main():
    sweep.raise_fd_limit()
    context = multiprocessing.get_context("spawn")
    ports_in, ports_out = context.Pipe(duplex=False)
    stop = context.Event()
    server = context.Process(target=sweep.serve_targets, args=(ports_out, stop, b""), daemon=True)
    server.start()
    PIDS["targets"] = server.pid
    try:
        ports = ports_in.recv()
        with test_database():
            bench(ports, context)
        if SMOKE:
            print("smoke: ok")
    finally:
        stop.set()
        server.join(timeout=5)
        if server.is_alive():
            server.terminate()


def bench(ports, context):
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit(
            "bench/probes_worker.py needs PostgreSQL (DATABASE_URL): a worker process shares its database"
        )
    print(
        f"{TARGETS:,} automated HTTP checks on {len(ports)} loopback ports served by another process: "
        f"{sweep.DEAD_SHARE:.0%} never answering, {sweep.REFUSED_SHARE:.0%} refused, the others after "
        f"{sweep.ANSWER_DELAY * 1000:.0f} ms (limit 1 s); timeout {sweep.TIMEOUT:g} s. {load()}"
    )
    worker, log = start_worker()
    PIDS["worker"] = worker.pid
    try:
        if "1" in SECTIONS:
            timings(ports)
        if "2" in SECTIONS:
            queries(ports)
        if "3" in SECTIONS:
            under_load(ports, context)
    except BaseException:
        print(f"--- the worker's log\n{log.read_text()[-4000:]}")
        raise
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()


def start_worker():
    """A real probes worker as the stack runs it, on this bench's database and queues."""
    from django.db import connection

    from om_portal.celery import app

    settings = connection.settings_dict
    url = "postgres://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(
        **{k: settings[k] or "" for k in settings}
    )
    name = f"bench-probes-{uuid.uuid4().hex[:6]}@localhost"
    log = Path(tempfile.mkstemp(prefix="bench-probes-worker-", suffix=".log")[1])
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "manage.py", "worker", "probes", "--", "-n", name, "--loglevel=WARNING"]
    worker = subprocess.Popen(  # noqa: S603 — our own interpreter and command
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[name], timeout=0.5):
        if time.monotonic() > deadline or worker.poll() is not None:
            raise RuntimeError(f"the worker did not start:\n{log.read_text()[-3000:]}")
    from django.conf import settings as django_settings

    print(
        f"   worker: manage.py worker probes, a pool of {django_settings.PROBES_WORKER_CONCURRENCY} threads "
        "and its engine's process"
    )
    return worker, log


def make_contract(code: str, urls: list[str]):
    from contracts.models import Asset, Contract, Organization, SLATerm

    client = Organization.objects.create(name=f"基准公安局 {code}", kind=Organization.Kind.CLIENT)
    vendor = Organization.objects.create(name=f"基准科技公司 {code}", kind=Organization.Kind.VENDOR)
    contract = Contract.objects.create(code=code, title="基准", client=client, vendor=vendor, status="active")
    # A clock to start: the incidents' SLA terms are read and their clocks computed, as in use.
    SLATerm.objects.create(contract=contract, clock="response", target=30, unit="minutes")
    asset = Asset.objects.create(contract=contract, kind=Asset.Kind.APPLICATION, name="应用")

    sweep.make_approved_http_checks(contract, asset, urls)
    return contract


def mix(ports, count, seed=5):
    """URLs of the bench's mix, in a repeatable random order; returns (urls, failures)."""
    import random

    closed = sweep.refused_ports(sweep.REFUSED_PORTS)
    dead, refused = round(count * sweep.DEAD_SHARE), round(count * sweep.REFUSED_SHARE)
    kinds = ["ok"] * (count - dead - refused) + ["silent"] * dead + ["refused"] * refused
    random.Random(seed).shuffle(kinds)  # noqa: S311 — a repeatable order, not a secret

    def port(n, kind):
        return closed[n % len(closed)] if kind == "refused" else ports[n % len(ports)]

    return [f"http://127.0.0.1:{port(n, kind)}/{kind}/{n}" for n, kind in enumerate(kinds)], dead + refused


def bare_sweep(urls):
    from inspections.probes import HttpCheck

    return sweep.sweep([HttpCheck(url, max_latency_ms=1000) for url in urls])


def through_worker(contract, label: str) -> float:
    """Seconds from the beat's tick to the end of the contract's run, all chunks on the worker:
    the run finished (its results all saved) and every check's result acted on (the chunk that
    finishes the run need not be the last to open its incidents)."""
    from django.db.models import Q
    from django.utils import timezone

    from inspections import monitoring
    from inspections.models import AutomatedCheck, InspectionRun, InspectionSchedule

    minute = timezone.localtime(timezone.now()).strftime("%H:%M")
    InspectionSchedule(
        contract=contract, name=label, mode="automated", times_of_day=[minute], what="接口"
    ).save()
    started = time.perf_counter()
    assert monitoring.tick()["dispatched"] == 1
    run = InspectionRun.objects.filter(contract=contract).latest("started_at", "pk")
    deadline = time.monotonic() + 600
    behind = AutomatedCheck.objects.filter(contract=contract).filter(
        Q(last_checked_at__isnull=True) | Q(last_checked_at__lt=run.started_at)
    )
    while not InspectionRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists() or behind.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"run {run.pk} unfinished after 600 s")
        time.sleep(0.02)
    return time.perf_counter() - started


def timings(ports):
    from incidents.models import Incident
    from inspections import monitoring

    urls, failures = mix(ports, TARGETS)
    contract = make_contract("BENCH-W1", urls)
    # The beat is a long-running process: a tick with nothing due first, so that the timed one
    # does not pay for this process's first imports (the working-day calendars, 0.2 s).
    monitoring.tick()
    bare = []
    for _ in range(1 if SMOKE else 3):
        (elapsed, results), bare_cpu = measured(bare_sweep, urls)
        bare.append(elapsed)
    bare_time = statistics.median(bare)
    print(
        f"\n1. bare sweep of the same targets in this process: {sweep.spread(bare)}  [{sweep.tally(results)}]"
        f"\n   CPU seconds of its last run: {bare_cpu}"
    )
    first, first_cpu = measured(through_worker, contract, "首次巡检")
    opened = Incident.objects.filter(contract=contract).count()
    steady, steady_cpu = measured(through_worker, contract, "再次巡检")
    after = Incident.objects.filter(contract=contract).count()
    first_ratio, steady_ratio = first / bare_time, steady / bare_time
    print(
        f"   through the worker, first run (every check new, {opened} incidents opened): {first:.2f} s "
        f"= {first_ratio:.2f}× the bare sweep\n      (target ≤ {FIRST_GOAL}×: "
        f"{sweep.verdict(first_ratio <= FIRST_GOAL)})\n"
        f"   through the worker, steady run (the same failures, {after - opened} incidents more): "
        f"{steady:.2f} s = {steady_ratio:.2f}×\n      (target ≤ {STEADY_GOAL}×: "
        f"{sweep.verdict(steady_ratio <= STEADY_GOAL)})  [{load()}]\n"
        f"   CPU seconds, first run: {first_cpu}\n   CPU seconds, steady run: {steady_cpu}"
    )
    bare_floor, first_floor = floors(len(urls))
    print(
        f"   the least this mix can take at {sweep.CONCURRENCY} probes at once, the dead targets known only "
        f"once probed:\n      bare sweep {bare_floor:.2f} s; a first run, each dead target probed twice "
        f"(its failure confirmed; the second probe a pause after the first), {first_floor:.2f} s "
        f"= {first_floor / bare_floor:.2f}× that"
    )
    if SMOKE:
        assert (opened, after) == (failures, failures), (opened, after, failures)


def floors(count: int) -> tuple[float, float]:
    """Seconds the bare sweep and a first run cannot beat: the probes' time in the slots (a live
    target's answer delay, a dead one's timeout, a refusal next to nothing) spread over the
    slots, then what a dead target started last (in a random order, one is near the end) takes:
    its timeout for the bare sweep; for a confirmed failure, the pause before its second probe
    (started beside the first, still unanswered) and that probe's timeout."""
    from django.conf import settings

    dead = round(count * sweep.DEAD_SHARE)
    live = count - dead - round(count * sweep.REFUSED_SHARE)
    busy = live * sweep.ANSWER_DELAY + dead * sweep.TIMEOUT
    bare = busy / sweep.CONCURRENCY + sweep.TIMEOUT
    pause = settings.MONITORING_CONFIRM_DELAY_SECONDS
    first = (busy + dead * sweep.TIMEOUT) / sweep.CONCURRENCY + pause + sweep.TIMEOUT
    return bare, first


def queries(ports):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inspections import monitoring, tasks

    sent = []
    send = tasks.run_chunk.apply_async
    tasks.run_chunk.apply_async = lambda args, **options: sent.append(args)  # run here, counted
    try:
        counts = {}
        for failing in (10, 200):
            urls, _ = mix(ports, 2 * monitoring.CHUNK, seed=failing)
            refused = sweep.refused_ports(1)[0]
            for n in range(0, 2 * failing, 2):  # among the first chunk's
                urls[n] = f"http://127.0.0.1:{refused}/refused/{n}"
            for n in range(2 * failing, monitoring.CHUNK):  # the rest of it answers
                urls[n] = f"http://127.0.0.1:{ports[n % len(ports)]}/ok/{n}"
            contract = make_contract(f"BENCH-Q{failing}", urls)
            sent.clear()
            from django.utils import timezone

            from inspections.models import InspectionSchedule

            minute = timezone.localtime(timezone.now()).strftime("%H:%M")
            InspectionSchedule(
                contract=contract, name="计数", mode="automated", times_of_day=[minute], what="接口"
            ).save()
            monitoring.tick()
            chunk_counts = []
            for message in sent:
                with CaptureQueriesContext(connection) as captured:
                    monitoring.run_chunk(*message)
                chunk_counts.append(len(captured))
            counts[failing] = chunk_counts
    finally:
        tasks.run_chunk.apply_async = send
    worst = max(counts[10][0], counts[200][0])
    print(
        f"\n2. queries per chunk of {monitoring.CHUNK} on a first run (the worker's chunk function, "
        f"here): 10 failing: {counts[10][0]}, 200 failing: {counts[200][0]}\n   (the run's last chunk, "
        f"which also finishes it: {counts[10][1]}, {counts[200][1]}); target ≤ {QUERIES_GOAL}: "
        f"{sweep.verdict(worst <= QUERIES_GOAL)}"
    )
    assert counts[10][0] == counts[200][0], counts  # whatever the failures


def under_load(ports, context):
    from incidents.models import Incident
    from inspections.models import CheckResult

    urls, failures = mix(ports, TARGETS, seed=17)
    contract = make_contract("BENCH-W3", urls)
    stop = context.Event()
    burners = [context.Process(target=burn, args=(stop,), daemon=True) for _ in range(BURNERS)]
    for burner in burners:
        burner.start()
    try:
        deadline = time.monotonic() + (0 if SMOKE else 150)
        while os.getloadavg()[0] < LOAD_WANTED and time.monotonic() < deadline:
            time.sleep(1)
        at_start = load()
        elapsed, results = bare_sweep(urls)
        bare_failed = sum(not result.ok for result in results)
        first = through_worker(contract, "负载下首次巡检")
        at_end = load()
    finally:
        stop.set()
        for burner in burners:
            burner.join(timeout=5)
    opened = Incident.objects.filter(contract=contract).count()
    failures_seen = CheckResult.objects.filter(contract=contract).exclude(status="ok")
    failed = failures_seen.count()
    wrong = failures_seen.exclude(automated_check__target__contains="/silent/").exclude(
        automated_check__target__contains="/refused/"
    )
    kinds = Counter(f"{status}: {message}" for status, message in wrong.values_list("status", "message"))
    bare_wrong = Counter(
        f"{result.status}: {result.message}"
        for url, result in zip(urls, results, strict=True)
        if "/ok/" in url and not result.ok
    )
    print(
        f"   live targets judged failed, by the worker's run: {dict(kinds.most_common(3)) or 'none'}; "
        f"by the bare sweep: {dict(bare_wrong.most_common(3)) or 'none'}"
    )
    print(
        f"\n3. under load ({BURNERS} CPU burners; at the start: {at_start}; at the end: {at_end})\n"
        f"   {failures} real failures among {TARGETS:,}: the bare sweep counts {bare_failed} failed "
        f"({elapsed:.2f} s); the first run through the worker\n   ({first:.2f} s) saved {failed} "
        f"failed results and opened {opened} incidents: target exactly {failures}: "
        f"{sweep.verdict(opened == failures)}"
    )
    if SMOKE:
        assert opened == failed == failures, (opened, failed, failures)


if __name__ == "__main__":
    main()
