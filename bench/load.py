"""Issue 7's load target: under gunicorn on PostgreSQL, 50 tablets submitting inspection rounds at
once for a minute: nothing lost, no error, p95 reported; the portal's pages and API keep their
query counts.

What it does, on a database of its own (``om_bench_load``, made from the migrations, dropped at
the end) and a gunicorn of its own (4 sync workers on a loopback port, DEBUG off, the production
settings as the compose stack sets them behind its TLS proxy: the proxy's X-Forwarded-Proto and
X-Forwarded-For are sent by the clients, secure cookies are kept by hand):

1. loads the five seed contracts and their inspection duties (contracts/seeds/,
   inspections/seeds.py), and 50 vendor engineers spread over the vendors of the seed contracts
   that have a manual checklist, each with a round schedule of their own and a stock of open slots;
2. logs each engineer in through the login form, as a tablet's browser does;
3. runs the tablets: each one opens its next slot's round page (GET, for the CSRF token) and posts
   the round with every item answered (and the machine-room photo where the checklist asks for
   one), the redirect to "Today" being the success; first 1 tablet for 10 s (the baseline), then
   50 for 60 s, then 50 for 60 s again with the audit trail's model-save receivers disconnected in
   the workers (bench/_load_gunicorn.py: the portal has no switch for that, on purpose);
4. after each run, checks that nothing was lost: every round answered with success has exactly one
   run, its answers, its photo and its slot done in the database, and nothing else was written;
   at the end, that the audit chain verifies;
5. counts the queries of the tablet's pages and the main API routes in-process
   (CaptureQueriesContext), before the load and after it (thousands of runs more), beside the
   counts that tests assert.

The tablets do not follow the redirect to "Today": the bench's slot stock (hundreds per engineer,
all open at once) would make that page list them all, which no real tablet sees.

Run: .venv/bin/python bench/load.py   (PostgreSQL on DATABASE_URL's server, default
postgres://postgres@127.0.0.1:5432/postgres; Redis db 12 on 127.0.0.1, which it needs empty and
flushes; about five minutes on 2 cores). --smoke: 3 tablets, 2 workers, runs of 2 and 3 s, on a
database named after the process and no Redis (the cache in each worker, Celery's filesystem
broker under the bench's temporary folder), checking the same answers: nothing lost, no error,
the audit chain whole, the same query counts before and after; the p95 not asserted.
"""

import asyncio
import datetime as dt
import io
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SMOKE = "--smoke" in sys.argv[1:]
WORKERS = 2 if SMOKE else 4
CLIENTS = 3 if SMOKE else 50
SECONDS = 3 if SMOKE else 60
BASELINE_SECONDS = 2 if SMOKE else 10
SLOTS_PER_CLIENT = 15 if SMOKE else 150  # per 60-s run; a tablet that runs out stops, and the report says so
BASELINE_SLOTS = 20 if SMOKE else 600
# Side by side (the suite's smoke runs), each run needs a database of its own, and no shared Redis.
DATABASE = f"om_bench_load_smoke_{os.getpid()}" if SMOKE else "om_bench_load"
REDIS_URL = "" if SMOKE else "redis://127.0.0.1:6379/12"
# The gunicorn beside the Python running the bench (a worktree has no .venv of its own).
GUNICORN = Path(sys.executable).with_name("gunicorn")
PASSWORD = "Tablet-Bench-2026"  # noqa: S105  (a throw-away database's users)
TESTS_ASSERT = {
    "GET / (client manager)": "≤ 15 (tests/reports/test_dashboard.py MAX_QUERIES)",
    "GET / (engineer)": "constant in contracts (tests/contracts/test_access.py)",
    "GET /contracts/": "constant in contracts (tests/contracts/test_access.py)",
    "GET /api/v1/contracts/": "constant in contracts (tests/contracts/test_access.py)",
    "GET /api/v1/inspection-runs/": "constant in rows (tests/inspections/test_api_reads.py)",
    "GET /api/v1/inspection-schedules/": "constant in rows (tests/inspections/test_api_reads.py)",
}

# The production settings, before Django reads them: DEBUG off, behind the TLS proxy, files under
# a temporary folder; the same environment is the gunicorn's.
WORK = Path(tempfile.mkdtemp(prefix="om_bench_load_"))
os.environ.update(
    DEBUG="false",
    SECRET_KEY=secrets.token_urlsafe(50),
    ALLOWED_HOSTS="127.0.0.1",
    BEHIND_TLS_PROXY="true",
    TRUSTED_PROXY_COUNT="1",
    OM_VAR_DIR=str(WORK / "var"),
    MEDIA_ROOT=str(WORK / "media"),
    STATIC_ROOT=str(WORK / "static"),
    REDIS_URL=REDIS_URL,
    CELERY_TASK_DEFAULT_QUEUE="om_bench_load",
    LOG_LEVEL="WARNING",
)
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
if SMOKE:
    os.environ.pop("CELERY_BROKER_URL", None)  # the filesystem broker under OM_VAR_DIR

from _django import test_database  # noqa: E402  (after the environment it reads)
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from contracts.models import Membership, Role  # noqa: E402
from contracts.services import load_seed_contracts  # noqa: E402
from inspections.models import (  # noqa: E402
    ChecklistItem,
    ChecklistTemplate,
    InspectionPhoto,
    InspectionRun,
    InspectionSchedule,
    InspectionSlot,
    ItemResult,
)
from inspections.seeds import load_seed_inspections  # noqa: E402
from om_portal import audit  # noqa: E402
from om_portal.models import AuditEntry  # noqa: E402

Kind = ChecklistItem.Kind


# --- Seeding --------------------------------------------------------------------------------------


def photo_jpeg() -> bytes:
    """A 1024 × 768 JPEG of noise (it does not compress to nothing, as a real photo does not)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((1024, 768), 24).convert("RGB").save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


@dataclass
class Tablet:
    """One engineer's tablet: its session cookies, its address, the answers it gives, its slots."""

    n: int
    username: str
    schedule: InspectionSchedule
    fields: list[tuple[str, str]]
    photo_field: str | None
    answers: int
    address: str
    cookies: dict = field(default_factory=dict)
    slots: list[int] = field(default_factory=list)


def answer_fields(template: ChecklistTemplate) -> tuple[list[tuple[str, str]], str | None, int]:
    """The round's form as an engineer fills it: every item answered, the readings in range."""
    fields, photo = [("note", "巡检完成，未见异常。")], None
    items = list(template.items.order_by("position", "id"))
    for item in items:
        name = f"item-{item.pk}"
        if item.kind == Kind.CHECK:
            fields.append((name, "normal"))
        elif item.kind == Kind.NUMBER:
            low, high = item.min_value or 0, item.max_value or (item.min_value or 0) + 10
            fields.append((name, str((low + high) / 2)))
        elif item.kind == Kind.TEXT:
            fields.append((name, "正常"))
        else:
            photo = name
        fields.append((f"{name}-note", ""))
    return fields, photo, len(items)


def seed() -> tuple[list[Tablet], object]:
    """The seed contracts, 50 engineers over the vendors of those with a manual checklist, each
    with a schedule of their own; and a client manager for the dashboard's query count."""
    load_seed_contracts()
    load_seed_inspections()
    templates = list(
        ChecklistTemplate.objects.filter(active=True).select_related("contract").order_by("contract__code")
    )
    User = get_user_model()
    password = make_password(PASSWORD)  # hashed once: 50 × PBKDF2 would only slow the seeding
    tablets = []
    for n in range(CLIENTS):
        template = templates[n % len(templates)]
        contract = template.contract
        user = User.objects.create(username=f"tablet{n:02d}", password=password)
        Membership.objects.create(user=user, organization=contract.vendor, role=Role.VENDOR_ENGINEER)
        schedule = InspectionSchedule.objects.create(
            contract=contract,
            name=f"平板巡检 {n:02d}",
            times_of_day=["09:00"],
            checklist_kind=template.key,
        )
        fields, photo, answers = answer_fields(template)
        tablets.append(
            Tablet(n, user.username, schedule, fields, photo, answers, f"10.20.{n // 200}.{n % 200}")
        )
    manager = User.objects.create(username="bench-manager", password=password)
    Membership.objects.create(
        user=manager, organization=templates[0].contract.client, role=Role.CLIENT_MANAGER
    )
    return tablets, manager


def stock_slots(tablets: list[Tablet], per_tablet: int) -> list[int]:
    """Open slots for each tablet: due in the last minutes, deadline hours away."""
    now = timezone.now()
    rows = [
        InspectionSlot(
            contract_id=t.schedule.contract_id,
            schedule=t.schedule,
            due_at=now - dt.timedelta(minutes=5, seconds=i),
            deadline=now + dt.timedelta(hours=6),
        )
        for t in tablets
        for i in range(per_tablet)
    ]
    made = InspectionSlot.objects.bulk_create(rows, batch_size=5000)
    for t in tablets:
        t.slots = [s.pk for s in made if s.schedule_id == t.schedule.pk]
    return [s.pk for s in made]


# --- gunicorn -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, port: int, database_url: str, *, audit_off: bool):
        self.port, self.audit_on = port, not audit_off
        self.log = WORK / f"gunicorn-{'audit-off' if audit_off else 'audit-on'}.log"
        env = {**os.environ, "DATABASE_URL": database_url, "OM_BENCH_AUDIT_OFF": "1" if audit_off else "0"}
        command = [
            str(GUNICORN),
            *("-c", str(ROOT / "bench/_load_gunicorn.py")),
            *("--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}"),
            "om_portal.wsgi",
        ]
        with self.log.open("w") as log:
            # A session of its own: if the master dies, its workers are killed by the group's id.
            self.process = subprocess.Popen(  # noqa: S603 — our gunicorn, our port
                command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
            )

    def wait_ready(self, timeout: float = 60) -> None:
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                return
            except urllib.error.HTTPError:  # 503: up, the Celery worker's heartbeat is missing
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within a minute")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def errors(self) -> str:
        text = self.log.read_text()
        start = text.find("Traceback")
        return text[start : start + 3000] if start >= 0 else ""


# --- The tablets ----------------------------------------------------------------------------------

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Tally:
    """What the clients saw: (kind, status, seconds) per request, and the slots submitted."""

    requests: list = field(default_factory=list)
    submitted: set = field(default_factory=set)
    refused: list = field(default_factory=list)
    ran_out: int = 0
    seconds: float = 0.0
    locks: str = ""


class Browser:
    """Requests as the tablet's browser behind the TLS proxy sends them; its cookies are kept by
    hand because they are Secure and the loopback hop is plain HTTP."""

    def __init__(self, http, port: int, tablet: Tablet, tally: Tally | None):
        self.http, self.tablet, self.tally = http, tablet, tally
        self.base, self.origin = f"http://127.0.0.1:{port}", f"https://127.0.0.1:{port}"

    async def request(self, kind: str, method: str, path: str, data=None):
        headers = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.tablet.address,
            "Referer": self.origin + path,
            "Accept-Language": "zh-CN,zh;q=0.9",
        }
        if method == "POST":
            headers["Origin"] = self.origin
        if self.tablet.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.tablet.cookies.items())
        start = time.perf_counter()
        try:
            async with self.http.request(
                method, self.base + path, data=data, headers=headers, allow_redirects=False
            ) as response:
                body = await response.text()
                status = response.status
                for name, morsel in response.cookies.items():
                    if morsel["max-age"] == "0":
                        self.tablet.cookies.pop(name, None)
                    else:
                        self.tablet.cookies[name] = morsel.value
                location = response.headers.get("Location", "")
        except Exception as error:  # a dropped connection or a timeout is an error like a 500
            status, body, location = f"{type(error).__name__}", "", ""
        if self.tally is not None:
            self.tally.requests.append((kind, status, time.perf_counter() - start))
        return status, body, location

    async def log_in(self) -> None:
        status, body, _ = await self.request("login", "GET", "/login/")
        token = CSRF.search(body).group(1)
        form = {"username": self.tablet.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
        status, _, location = await self.request("login", "POST", "/login/", form)
        if status != 302 or "login" in location:
            raise RuntimeError(f"{self.tablet.username} could not log in: {status} {location}")

    async def submit(self, slot: int, photo: bytes) -> None:
        import aiohttp

        path = f"/inspections/slots/{slot}/"
        status, body, _ = await self.request("GET round page", "GET", path)
        found = CSRF.search(body) if status == 200 else None
        if found is None:
            return
        form = aiohttp.FormData()
        form.add_field("csrfmiddlewaretoken", found.group(1))
        for name, value in self.tablet.fields:
            form.add_field(name, value)
        if self.tablet.photo_field:
            form.add_field(self.tablet.photo_field, photo, filename="机房全景.jpg", content_type="image/jpeg")
        status, body, location = await self.request("POST round", "POST", path, form)
        if status == 302 and location.rstrip("/").endswith("/inspections"):
            self.tally.submitted.add(slot)
        elif status == 200:
            # The form came back with errors: not a server error, but not a submitted round either.
            errors = re.findall(r'class="errorlist[^"]*"[^>]*><li>([^<]+)', body)
            self.tally.refused.append((slot, errors[:2]))


async def with_browsers(port: int, tablets: list[Tablet], work, tally: Tally | None = None):
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
    ) as http:
        return await asyncio.gather(*(work(Browser(http, port, t, tally)) for t in tablets))


async def tablet_loop(browser: Browser, until: float, photo: bytes) -> None:
    slots = browser.tablet.slots
    while time.monotonic() < until:
        if not slots:
            browser.tally.ran_out += 1
            return
        await browser.submit(slots.pop(0), photo)


class LockWatch(threading.Thread):
    """Samples, four times a second, how many of the portal's database sessions are running a
    query and how many of those wait on a lock (a row lock shows as a wait on a transaction)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples, self.done = [], threading.Event()

    def run(self):
        try:
            with connection.cursor() as cursor:
                while not self.done.wait(0.25):
                    cursor.execute(
                        "SELECT count(*) FILTER (WHERE state = 'active'),"
                        " count(*) FILTER (WHERE wait_event_type = 'Lock')"
                        " FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                    self.samples.append(cursor.fetchone())
        finally:
            connection.close()  # this thread's own connection

    def stop(self) -> str:
        self.done.set()
        self.join()
        active = statistics.mean(a for a, _ in self.samples) if self.samples else 0
        waiting = statistics.mean(w for _, w in self.samples) if self.samples else 0
        return (
            f"on average {active:.1f} of {WORKERS} workers' sessions in a query, "
            f"{waiting:.1f} waiting on a lock"
        )


def run_load(port: int, tablets: list[Tablet], seconds: float, photo: bytes) -> Tally:
    async def warm(browser):
        # One round page per tablet, uncounted: each worker has its templates and connection.
        await browser.request("warm", "GET", f"/inspections/slots/{browser.tablet.slots[0]}/")

    asyncio.run(with_browsers(port, tablets, warm))
    tally, watch = Tally(), LockWatch()
    watch.start()
    start = time.monotonic()
    asyncio.run(with_browsers(port, tablets, lambda b: tablet_loop(b, start + seconds, photo), tally))
    tally.seconds = time.monotonic() - start
    tally.locks = watch.stop()
    return tally


# --- Figures --------------------------------------------------------------------------------------


def percentiles(seconds: list[float]) -> tuple[float, float, float]:
    if len(seconds) < 2:
        return (seconds[0],) * 3 if seconds else (0.0, 0.0, 0.0)
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def report(label: str, tally: Tally) -> dict:
    requests = tally.requests
    statuses = Counter(status for _, status, _ in requests)
    errors = {s: n for s, n in statuses.items() if not (isinstance(s, int) and 200 <= s < 400)}
    print(
        f"\n{label}: {len(requests):,} requests in {tally.seconds:.1f} s "
        f"= {len(requests) / tally.seconds:.1f}/s"
    )
    print(f"   statuses {dict(sorted(statuses.items(), key=str))}; errors (non-2xx/3xx): {errors or 'none'}")
    figures = {}
    for kind in ("all", "GET round page", "POST round"):
        times = [s for k, _, s in requests if kind == "all" or k == kind]
        p50, p95, p99 = percentiles(times)
        figures[kind] = p95
        print(
            f"   {kind:<15} {len(times):>6,}  p50 {p50 * 1000:6.0f} ms  "
            f"p95 {p95 * 1000:6.0f} ms  p99 {p99 * 1000:6.0f} ms"
        )
    print(
        f"   rounds submitted: {len(tally.submitted):,} = {len(tally.submitted) / tally.seconds:.1f}/s; "
        f"forms refused: {len(tally.refused)}{' e.g. ' + str(tally.refused[0]) if tally.refused else ''}"
        + (f"; {tally.ran_out} tablets ran out of slots" if tally.ran_out else "")
    )
    print(f"   database: {tally.locks}")
    return {**figures, "errors": sum(errors.values()) + len(tally.refused)}


def verify_nothing_lost(tally: Tally, batch: list[int], tablets: list[Tablet], audit_on: bool) -> bool:
    """Every round answered with success is in the database once, whole; nothing else was."""
    runs = InspectionRun.objects.filter(slot_id__in=batch)
    per_slot = dict(runs.values_list("slot_id").annotate(n=Count("id")))
    written = set(per_slot)
    twice = [s for s, n in per_slot.items() if n > 1]
    lost, unseen = tally.submitted - written, written - tally.submitted
    answers_of = {t.schedule.pk: t.answers for t in tablets}
    photo_schedules = {t.schedule.pk for t in tablets if t.photo_field}
    done = InspectionSlot.objects.filter(pk__in=tally.submitted, status="done", done_at__isnull=False).count()
    expected_answers = sum(
        answers_of[s]
        for s in InspectionSlot.objects.filter(pk__in=tally.submitted).values_list("schedule_id", flat=True)
    )
    answers = ItemResult.objects.filter(run__slot_id__in=tally.submitted).count()
    photos = InspectionPhoto.objects.filter(run__slot_id__in=tally.submitted).count()
    expected_photos = InspectionSlot.objects.filter(
        pk__in=tally.submitted, schedule_id__in=photo_schedules
    ).count()
    run_ids = [str(pk) for pk in runs.values_list("pk", flat=True)]
    audited = AuditEntry.objects.filter(
        action="create", object_type="inspections.inspectionrun", object_id__in=run_ids
    ).count()
    ok = not (lost or unseen or twice) and done == len(tally.submitted) and answers == expected_answers
    ok = ok and photos == expected_photos and audited == (len(run_ids) if audit_on else 0)
    print(
        f"   nothing lost: {'yes' if ok else 'NO'}: {len(tally.submitted):,} succeeded, "
        f"{len(written):,} runs in the database ({len(lost)} lost, "
        f"{len(unseen)} written but not answered with success, "
        f"{len(twice)} twice); {done:,} slots done; {answers:,} answers of {expected_answers:,}; "
        f"{photos:,} photos of {expected_photos:,}; {audited:,} audit lines for the runs"
    )
    # Unused slots go, so that the next run and the query counts see only what was done.
    InspectionSlot.objects.filter(pk__in=batch, run__isnull=True, status="pending").delete()
    return ok


# --- Query counts ---------------------------------------------------------------------------------


def query_counts(tablet: Tablet, manager, photo: bytes) -> dict[str, int]:
    """Queries per request of the tablet's pages and the main API routes, in-process; each page
    once to warm, then counted. The second factor off, as the tests have it."""
    engineer = get_user_model().objects.get(username=tablet.username)
    slot_ids = stock_slots([tablet], 3)
    counts = {}

    def count(label, client, method, path, data=None, status=200):
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(path, data, secure=True)
        assert response.status_code == status, (label, response.status_code)
        counts[label] = len(captured)

    def round_form():
        data = dict(tablet.fields)
        if tablet.photo_field:
            from django.core.files.uploadedfile import SimpleUploadedFile

            data[tablet.photo_field] = SimpleUploadedFile("机房全景.jpg", photo, "image/jpeg")
        return data

    with override_settings(OTP_REQUIRED_ROLES=[]):
        browser = Client()
        browser.force_login(engineer)
        # The round first, so that the run lists have rows before the load too.
        browser.post(f"/inspections/slots/{slot_ids[1]}/", round_form(), secure=True)
        count("POST round", browser, "post", f"/inspections/slots/{slot_ids[2]}/", round_form(), status=302)
        pages = [
            ("GET / (engineer)", "/"),
            ("GET /inspections/", "/inspections/"),
            ("GET round page", f"/inspections/slots/{slot_ids[0]}/"),
            ("GET /contracts/", "/contracts/"),
            ("GET /api/v1/contracts/", "/api/v1/contracts/"),
            ("GET /api/v1/inspection-runs/", "/api/v1/inspection-runs/"),
            ("GET /api/v1/inspection-schedules/", "/api/v1/inspection-schedules/"),
        ]
        for label, path in pages:
            browser.get(path, secure=True)
            count(label, browser, "get", path)
        board = Client()
        board.force_login(manager)
        board.get("/", secure=True)
        count("GET / (client manager)", board, "get", "/")
    return counts


# --- The run --------------------------------------------------------------------------------------


def measure(began: float, servers: list) -> None:
    """Everything on the bench's database; each gunicorn started is put in ``servers``."""
    if SMOKE:
        # The same hashed names and manifest the workers read, without compressing every file
        # with Brotli and gzip (minutes of CPU on 2 cores): the workers serve them uncompressed.
        manifest = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
        with override_settings(STORAGES={**settings.STORAGES, "staticfiles": manifest}):
            call_command("collectstatic", interactive=False, verbosity=0)
    else:
        call_command("collectstatic", interactive=False, verbosity=0)
    tablets, manager = seed()
    photo = photo_jpeg()
    database_url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{DATABASE}").geturl()
    port = free_port()
    pg = connection.pg_version
    contracts = Counter(t.schedule.contract.code for t in tablets)
    print(
        f"PostgreSQL {pg // 10000}.{pg % 100}, gunicorn {WORKERS} sync workers on 127.0.0.1:{port} "
        f"(DEBUG off), {os.cpu_count()} cores; {CLIENTS} engineers on {dict(contracts)}; "
        f"photo {len(photo) // 1024} KB on the checklists that ask for one; seeded in "
        f"{time.perf_counter() - began:.0f} s"
    )
    before = query_counts(tablets[0], manager, photo)

    server = Gunicorn(port, database_url, audit_off=False)
    servers.append(server)
    server.wait_ready()
    asyncio.run(with_browsers(port, tablets, lambda b: b.log_in()))
    results, all_ok = {}, True
    runs = [
        (
            f"baseline: 1 tablet, {BASELINE_SECONDS} s, audit on",
            tablets[:1],
            BASELINE_SECONDS,
            BASELINE_SLOTS,
            True,
        ),
        (f"{CLIENTS} tablets, {SECONDS} s, audit on", tablets, SECONDS, SLOTS_PER_CLIENT, True),
        (
            f"{CLIENTS} tablets, {SECONDS} s, audit receivers off",
            tablets,
            SECONDS,
            SLOTS_PER_CLIENT,
            False,
        ),
    ]
    for label, group, seconds, stock, audit_on in runs:
        if not audit_on and server.audit_on:
            server.stop()
            server = Gunicorn(port, database_url, audit_off=True)
            servers.append(server)
            server.wait_ready()
        batch = stock_slots(group, stock)
        tally = run_load(port, group, seconds, photo)
        results[label] = report(label, tally)
        if SMOKE:
            assert tally.submitted, f"{label}: no round submitted"
        all_ok &= verify_nothing_lost(tally, batch, group, audit_on)
        all_ok &= results[label]["errors"] == 0
        if server.errors():
            print(f"   gunicorn logged:\n{server.errors()}")
    server.stop()

    base, loaded, unaudited = (r["POST round"] for r in results.values())
    print(
        f"\np95 of the round's POST: {loaded * 1000:.0f} ms with {CLIENTS} tablets, "
        f"{base * 1000:.0f} ms with 1 → ratio {loaded / base:.1f}×; with the audit receivers off "
        f"{unaudited * 1000:.0f} ms ({unaudited / loaded:.2f}× the audited p95)"
    )
    checked, problems = audit.verify()
    print(f"audit chain: {checked:,} lines checked, {len(problems)} problems {problems[:3] or ''}")
    all_ok &= not problems

    after = query_counts(tablets[0], manager, photo)
    print(
        f"\nqueries per request, in-process (before the load → after it: "
        f"{InspectionRun.objects.count():,} runs, {AuditEntry.objects.count():,} audit lines):"
    )
    for label, n in after.items():
        same = "same" if n == before[label] else "CHANGED"
        print(f"   {label:<36} {before[label]:>3} → {n:>3} {same:<8} {TESTS_ASSERT.get(label, '')}")
    print(f"\nverdict: {'nothing lost, no error' if all_ok else 'FAILED: see above'}")
    if SMOKE:
        assert all_ok, "lost rounds, errors or a broken audit chain: see above"
        assert after == before, (before, after)


def main():
    if connection.vendor != "postgresql":
        sys.exit("Refused on SQLite: the target is PostgreSQL's. Set DATABASE_URL=postgres://…")
    import redis

    cache = redis.Redis.from_url(REDIS_URL) if REDIS_URL else None
    if cache is not None and cache.dbsize():
        sys.exit(f"{REDIS_URL} is not empty: the bench flushes it at the end, so it needs it to itself.")
    began = time.perf_counter()
    connection.settings_dict["TEST"]["NAME"] = DATABASE
    servers = []
    try:
        with test_database():
            try:
                measure(began, servers)
            finally:
                # Before the database is dropped: the workers' connections would keep it.
                for server in servers:
                    server.stop()
    finally:
        if cache is not None:
            cache.flushdb()
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"whole run: {time.perf_counter() - began:.0f} s")
    if SMOKE:
        print("smoke: ok")


if __name__ == "__main__":
    main()
