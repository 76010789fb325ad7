"""Issue 17's "SLA tick on time while a 200-page render runs" (≤ 5 s late), on real Celery workers.

The workers are started as ``make run`` starts them (om_portal/management/commands/runall.py):
``manage.py worker default,realtime,probes,notify -- -c 2`` and ``manage.py worker render``, each
with ``-E`` so that they send Celery's task events. Two annual reports of about 200 pages each
(bench/reports.py's data) are queued for a build (reports.services.request_build: the render
queue), as at a term's end when the hourly tick builds every closed period's report; while they
render, the beat's SLA task (incidents.tasks.check_sla_deadlines, the ``realtime`` queue) is sent
once a second. A tick's lateness is its task-started event's time minus the time it was sent (one
clock: the same machine). Measured in the same run:

- baseline: the same ticks with no render running;
- the layout before issue 17, for contrast: one worker taking every queue with a prefork pool of
  2 (``celery worker -Q <all> -c 2``), the same two renders and ticks. With one render, its other
  pool process would still take the ticks; two renders fill the pool.

Run: DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/queues.py
(a throw-away test database and queues of this process's own; PostgreSQL and Redis are required:
the workers are other processes). About four minutes on 2 cores.
--smoke: the smallest annual report, 3 ticks before and 3 during its render, the new layout only;
checks that every tick ran and the report was built, the target not asserted (the test suite).
"""

import importlib.util
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
SMOKE = "--smoke" in sys.argv[1:]
# The queues and the var folder (media, keys) of this run alone, for this process and its workers:
# set before Django reads its settings.
QUEUE = f"om-bench-queues-{os.getpid()}"
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE
VAR = tempfile.TemporaryDirectory(prefix="om-bench-queues-")
os.environ["OM_VAR_DIR"] = VAR.name

from _django import test_database  # noqa: E402  (after the environment above)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from om_portal.celery import app  # noqa: E402

TARGET_LATE_S = 5.0
RENDERS = 1 if SMOKE else 2
BASELINE_TICKS = 3 if SMOKE else 20
SMOKE_TICKS = 3  # during the render, in smoke mode; in a full run: until the renders are done
TICK_EVERY_S = 1.0
TICK = "incidents.tasks.check_sla_deadlines"


def bench_reports():
    """bench/reports.py's data makers (its name is the reports app's: loaded by path)."""
    spec = importlib.util.spec_from_file_location("bench_reports", BENCH / "reports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    where = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"postgres://{db['USER'] or 'postgres'}{password}@{where}"


def load() -> str:
    return "load average " + " ".join(f"{n:.2f}" for n in os.getloadavg())


# --- workers -------------------------------------------------------------------------------------


class Workers:
    """Worker processes on the test database and this run's queues; stopped on exit."""

    def __init__(self, layout: str, log_dir: Path):
        env = {**os.environ, "DATABASE_URL": database_url(), "PYTHONPATH": str(ROOT)}
        python = sys.executable
        tag = uuid.uuid4().hex[:6]
        if layout == "by kind":  # runall's two commands, events on, names of this run's own
            commands = {
                f"realtime-{tag}@localhost": [
                    *(python, "manage.py", "worker", "default,realtime,probes,notify", "--", "-c", "2")
                ],
                f"render-{tag}@localhost": [python, "manage.py", "worker", "render", "--"],
            }
        else:  # before issue 17: one pool of 2 for every kind of work
            every = ",".join(settings.CELERY_QUEUES.values())
            commands = {
                f"all-{tag}@localhost": [
                    *(
                        python,
                        "-m",
                        "celery",
                        "-A",
                        "om_portal",
                        "worker",
                        "-Q",
                        every,
                        "-c",
                        "2",
                        "--loglevel=INFO",
                    )
                ],
            }
        self.processes = []
        for name, command in commands.items():
            log = (log_dir / f"{name.split('@')[0]}.log").open("w")
            process = subprocess.Popen(  # noqa: S603  (our interpreter, our arguments)
                [*command, "-E", "-n", name], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            self.processes.append((process, log))
        self.names = list(commands)
        deadline = time.monotonic() + 90
        while len(app.control.ping(destination=self.names, timeout=1.0)) < len(self.names):
            for process, _log in self.processes:
                if process.poll() is not None:
                    raise SystemExit(f"a worker exited with {process.returncode}; see {log_dir}")
            if time.monotonic() > deadline:
                raise SystemExit(f"workers not up within 90 s; see {log_dir}")

    def stop(self):
        for process, _log in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGQUIT)  # cold: nothing is left running by now
        for process, log in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


class Events:
    """Celery's task events, received in a thread: uuid → {event type: worker's timestamp}."""

    def __init__(self):
        self.seen: dict[str, dict[str, float]] = {}
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.receiver = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(30):
            raise SystemExit("no event receiver within 30 s")

    def _record(self, event):
        with self.lock:
            self.seen.setdefault(event["uuid"], {})[event["type"]] = event["timestamp"]

    def _run(self):
        with app.connection() as conn:
            handlers = {kind: self._record for kind in ("task-received", "task-started", "task-succeeded")}
            self.receiver = app.events.Receiver(conn, handlers=handlers)
            # Ready once bound to the events' fanout: no tick is sent before.
            self.receiver.on_consume_ready = lambda *args, **kwargs: self.ready.set()
            self.receiver.capture(limit=None, timeout=None, wakeup=False)

    def of(self, task_id: str) -> dict[str, float]:
        with self.lock:
            return dict(self.seen.get(task_id, {}))

    def close(self):
        if self.receiver is not None:
            self.receiver.should_stop = True
        self.thread.join(timeout=5)


# --- the measure -----------------------------------------------------------------------------------


def send_ticks(count: int | None, until=None) -> list[tuple[str, float]]:
    """Send the SLA task once a second, ``count`` times or until ``until()`` is true."""
    from incidents.tasks import check_sla_deadlines

    sent = []
    next_at = time.monotonic()
    while (count is None or len(sent) < count) and not (until and until()):
        sent_at = time.time()
        sent.append((check_sla_deadlines.apply_async().id, sent_at))
        next_at += TICK_EVERY_S
        time.sleep(max(0.0, next_at - time.monotonic()))
    return sent


def lateness(events: Events, sent: list[tuple[str, float]], timeout: float) -> list[float]:
    """Seconds from sending to the task-started event, for every tick (waits for them all)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all("task-succeeded" in events.of(task_id) for task_id, _at in sent):
            break
        time.sleep(0.2)
    late = []
    for task_id, sent_at in sent:
        started = events.of(task_id).get("task-started")
        if started is None:
            raise SystemExit(f"tick {task_id} did not start within {timeout:.0f} s of the last one sent")
        late.append(started - sent_at)
    return late


def queue_renders(contracts) -> list[int]:
    from reports import services
    from reports.models import Report

    bench = bench_reports()
    ids = []
    for contract in contracts:
        Report.objects.filter(contract=contract).delete()
        report = services.create_report(contract, "annual", *bench.TERM)
        assert services.request_build(report), "the build was not queued"
        ids.append(report.pk)
    return ids


def renders_done(report_ids) -> bool:
    from reports.models import BuildState, Report

    states = Report.objects.filter(pk__in=report_ids).values_list("build_state", flat=True)
    return all(state in (BuildState.DONE, BuildState.FAILED) for state in states)


def render_figures(report_ids) -> str:
    from reports.models import Report

    parts = []
    for report in Report.objects.filter(pk__in=report_ids).order_by("pk"):
        pages = len(PdfReader(report.draft_pdf.open("rb")).pages) if report.draft_pdf else 0
        why = f" ({report.build_error[:80]})" if report.build_error else ""
        parts.append(f"{report.build_state}{why}, {pages} pages")
        if SMOKE:
            assert report.build_state == "done" and pages >= 1, (report.build_state, report.build_error)
    return "; ".join(parts)


def summary(name: str, late: list[float]) -> str:
    return (
        f"{name:34} {len(late):3d} ticks  late: median {statistics.median(late):6.2f} s, "
        f"max {max(late):6.2f} s"
    )


def scenario(layout: str, events: Events, contracts, log_dir: Path) -> dict:
    """Baseline ticks with nothing rendering, then ticks while the renders run (one layout)."""
    workers = Workers(layout, log_dir)
    try:
        result = {"load_before": load()}
        if layout == "by kind":
            result["baseline"] = lateness(events, send_ticks(BASELINE_TICKS), timeout=60)
        began = time.monotonic()
        report_ids = queue_renders(contracts)
        # Smoke: a tiny render may be done before the third tick; the ticks are sent all the same.
        sent = send_ticks(SMOKE_TICKS) if SMOKE else send_ticks(None, until=lambda: renders_done(report_ids))
        if SMOKE:
            while not renders_done(report_ids):
                time.sleep(0.5)
        result["render_s"] = time.monotonic() - began
        result["during"] = lateness(events, sent, timeout=600)
        result["renders"] = render_figures(report_ids)
        result["load_after"] = load()
        return result
    finally:
        workers.stop()


def main():
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        raise SystemExit("bench/queues.py needs a real Redis (REDIS_URL): its workers are other processes")
    bench = bench_reports()
    with test_database():
        if connection.vendor != "postgresql":
            raise SystemExit(
                "bench/queues.py needs PostgreSQL (DATABASE_URL): its workers share the database"
            )
        contracts = []
        for n in range(RENDERS):
            contract = bench.make_contract(f"BENCH-ANNUAL-{n + 1}")
            bench.add_incidents(contract, bench.ANNUAL_INCIDENTS, bench.TERM[0], 365, text_sentences=0)
            bench.add_work_log(contract, bench.ANNUAL_WORK_LOG, bench.TERM[0], 365)
            bench.add_slots(contract, *bench.TERM)
            bench.add_breaches_and_staff(contract)
            contracts.append(contract)
        print(
            f"{os.cpu_count()} cores; queue {QUEUE}; {RENDERS} annual report(s) of "
            f"{bench.ANNUAL_INCIDENTS:,} incidents and {bench.ANNUAL_WORK_LOG:,} log lines; "
            f"an SLA tick ({TICK}) sent every {TICK_EVERY_S:g} s"
        )
        events = Events()
        log_dir = Path(VAR.name) / "logs"
        log_dir.mkdir()
        try:
            layouts = ["by kind"] if SMOKE else ["by kind", "one pool of 2"]
            results = {layout: scenario(layout, events, contracts, log_dir) for layout in layouts}
        finally:
            events.close()
        verdict = {True: "met", False: "MISSED"}
        new = results["by kind"]
        base_max = max(new["baseline"])
        print("\nlayout by kind (make run: worker default,realtime,probes,notify -c 2 + worker render):")
        print(f"   {summary('baseline, nothing rendering', new['baseline'])}   [{new['load_before']}]")
        print(
            f"   {summary(f'while {RENDERS} render(s) ran', new['during'])}   [{new['load_after']}]\n"
            f"   renders {new['render_s']:.0f} s in all: {new['renders']}\n"
            f"   worst lateness / baseline's: {max(new['during']) / base_max:.1f}×; "
            f"target ≤ {TARGET_LATE_S:g} s late: {verdict[max(new['during']) <= TARGET_LATE_S]}"
        )
        if "one pool of 2" in results:
            old = results["one pool of 2"]
            print("\nlayout before issue 17 (one worker, every queue, prefork 2), for contrast:")
            print(
                f"   {summary(f'while {RENDERS} render(s) ran', old['during'])}   [{old['load_after']}]\n"
                f"   renders {old['render_s']:.0f} s in all: {old['renders']}\n"
                f"   worst lateness / baseline's: {max(old['during']) / base_max:.1f}×; "
                f"target ≤ {TARGET_LATE_S:g} s late: {verdict[max(old['during']) <= TARGET_LATE_S]}"
            )
        if SMOKE:
            assert len(new["baseline"]) == BASELINE_TICKS and len(new["during"]) == SMOKE_TICKS, new
            print("smoke: ok")
    VAR.cleanup()


if __name__ == "__main__":
    main()
