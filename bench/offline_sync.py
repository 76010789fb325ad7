"""Issue 19's bench: 50 tablets come back online at once, each with a round queued offline and two
photos, through gunicorn on PostgreSQL: nothing lost, nothing doubled, p95 reported.

Each tablet's queue (static/js/offline.js) sends its round to ``/inspections/slots/<id>/sync/``
with the id it made on the device. A tablet coming back online sends it from two tabs at once
(both pages see the browser's "online" event), and once more after, as a retry whose reply was
lost does: three sends of one round. The server must record each round once (201 to one send,
200 "the same round" to the others), with its two photos, never a 5xx.

The baseline, in the same run and on the same server: one tablet sending its rounds one after
another, nothing else running. The figure is the p95 of a send with 50 tablets at once, and its
ratio to the baseline's.

It shares bench/load.py's machinery: the production settings (DEBUG off, behind the TLS proxy),
the seed contracts, the engineers logged in through the login form, gunicorn with 4 sync workers
(2 in smoke mode) on a loopback port, a database of its own dropped at the end.

Run: .venv/bin/python bench/offline_sync.py   (PostgreSQL on DATABASE_URL's server; Redis db 12,
which it needs empty; about a minute). --smoke: 3 tablets, 2 workers, no Redis, the same checks.
"""

import asyncio
import datetime as dt
import os
import sys
import time
import uuid
from collections import Counter
from urllib.parse import urlsplit

import load  # bench/load.py: sets the production environment before Django starts
from _django import test_database
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from load import CLIENTS, SMOKE, WORKERS, Gunicorn, free_port, percentiles, photo_jpeg, seed, stock_slots

from inspections.models import InspectionPhoto, InspectionRun, InspectionSlot

DATABASE = f"om_bench_offline_smoke_{os.getpid()}" if SMOKE else "om_bench_offline"
BASELINE_ROUNDS = 3 if SMOKE else 20
SENDS_PER_ROUND = 3  # two tabs at once, then a retry
PHOTOS_PER_ROUND = 2


class Tablet(load.Browser):
    """A tablet's browser sending its queue: the CSRF token from its cookie, as offline.js does."""

    def round_form(self, slot: int, client_id: uuid.UUID, photo: bytes):
        import aiohttp

        device_at = (timezone.now() - dt.timedelta(minutes=3)).isoformat()
        form = aiohttp.FormData()
        for name, value in self.tablet.fields:
            form.add_field(name, value)
            if name.startswith("item-") and not name.endswith("-note"):
                form.add_field(f"{name}-entered_at", device_at)
        field = self.tablet.photo_field or "photos"
        for n in range(PHOTOS_PER_ROUND):
            form.add_field(field, photo, filename=f"IMG_{n}.jpg", content_type="image/jpeg")
        form.add_field("client_id", str(client_id))
        form.add_field("device_at", device_at)
        return form

    async def send(self, kind: str, slot: int, client_id: uuid.UUID, photo: bytes):
        """One send of the queued round, with the headers load.Browser sends behind the proxy
        and the queue's own: the CSRF token from the cookie, JSON asked for."""
        path = f"/inspections/slots/{slot}/sync/"
        headers = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.tablet.address,
            "Referer": self.origin + path,
            "Origin": self.origin,
            "Accept": "application/json",
            "X-CSRFToken": self.tablet.cookies.get("csrftoken", ""),
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.tablet.cookies.items()),
        }
        start = time.perf_counter()
        try:
            form = self.round_form(slot, client_id, photo)
            async with self.http.post(
                self.base + path, data=form, headers=headers, allow_redirects=False
            ) as r:
                await r.read()
                status = r.status
        except Exception as error:  # a dropped connection or a timeout counts as an error
            status = type(error).__name__
        self.tally.requests.append((kind, status, time.perf_counter() - start))
        return status


async def with_tablets(port, tablets, work, tally):
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=180),
        cookie_jar=aiohttp.DummyCookieJar(),
    ) as http:
        return await asyncio.gather(*(work(Tablet(http, port, t, tally)) for t in tablets))


def measure(began: float, servers: list) -> bool:
    manifest = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": manifest}):
        call_command("collectstatic", interactive=False, verbosity=0)
    tablets, _manager = seed()
    photo = photo_jpeg()
    database_url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{DATABASE}").geturl()
    port = free_port()
    server = Gunicorn(port, database_url, audit_off=False)
    servers.append(server)
    server.wait_ready()
    asyncio.run(load.with_browsers(port, tablets, lambda b: b.log_in()))
    print(
        f"gunicorn {WORKERS} sync workers, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
        f"{CLIENTS} tablets, {PHOTOS_PER_ROUND} photos of {len(photo) // 1024} KB per round; "
        f"seeded in {time.perf_counter() - began:.0f} s"
    )

    # Baseline: one tablet, its rounds one after another.
    base_tally = load.Tally()
    base_slots = stock_slots(tablets[:1], BASELINE_ROUNDS)

    async def one_by_one(tablet):
        for slot in base_slots:
            await tablet.send("baseline", slot, uuid.uuid4(), photo)

    asyncio.run(with_tablets(port, tablets[:1], one_by_one, base_tally))

    # 50 tablets back online at once: each round sent from two tabs at once, then retried.
    tally = load.Tally()
    slots = stock_slots(tablets, 1)
    ids = {t.n: uuid.uuid4() for t in tablets}

    async def back_online(tablet):
        slot, client_id = tablet.tablet.slots[0], ids[tablet.tablet.n]
        await asyncio.gather(
            tablet.send("online", slot, client_id, photo), tablet.send("online", slot, client_id, photo)
        )
        await tablet.send("online", slot, client_id, photo)

    started = time.monotonic()
    asyncio.run(with_tablets(port, tablets, back_online, tally))
    seconds = time.monotonic() - started
    load_after = os.getloadavg()[0]
    server.stop()

    statuses = Counter(status for _, status, _ in tally.requests)
    runs = InspectionRun.objects.filter(slot_id__in=slots)
    photos = InspectionPhoto.objects.filter(run__slot_id__in=slots).count()
    done = InspectionSlot.objects.filter(pk__in=slots, done_at__isnull=False).count()
    doubled = runs.count() - runs.values("slot_id").distinct().count()
    ok = (
        runs.count() == len(slots) == done
        and doubled == 0
        and photos == len(slots) * PHOTOS_PER_ROUND
        and statuses.get(201, 0) == len(slots)
        and statuses.get(200, 0) == len(slots) * (SENDS_PER_ROUND - 1)
        and sum(n for s, n in statuses.items() if s not in (200, 201)) == 0
    )
    base = percentiles([s for _, _, s in base_tally.requests])
    loaded = percentiles([s for _, _, s in tally.requests])
    print(
        f"\nbaseline, 1 tablet, {len(base_tally.requests)} rounds one by one: "
        f"p50 {base[0] * 1000:.0f} ms, p95 {base[1] * 1000:.0f} ms; statuses "
        f"{dict(Counter(s for _, s, _ in base_tally.requests))}"
    )
    print(
        f"{CLIENTS} tablets back online at once, {len(tally.requests)} sends in {seconds:.1f} s: "
        f"p50 {loaded[0] * 1000:.0f} ms, p95 {loaded[1] * 1000:.0f} ms, p99 {loaded[2] * 1000:.0f} ms "
        f"→ p95 ratio to the baseline {loaded[1] / base[1]:.1f}×; load average after {load_after:.2f}"
    )
    print(f"   statuses {dict(sorted(statuses.items(), key=str))}")
    print(
        f"   {'nothing lost, nothing doubled' if ok else 'FAILED'}: {runs.count()} runs for {len(slots)} "
        f"rounds ({doubled} doubled), {done} slots done, {photos} photos of "
        f"{len(slots) * PHOTOS_PER_ROUND}"
    )
    if server.errors():
        print(f"   gunicorn logged:\n{server.errors()}")
    return ok


def main():
    if connection.vendor != "postgresql":
        sys.exit("Refused on SQLite: the target is PostgreSQL's. Set DATABASE_URL=postgres://…")
    import redis

    cache = redis.Redis.from_url(load.REDIS_URL) if load.REDIS_URL else None
    if cache is not None and cache.dbsize():
        sys.exit(f"{load.REDIS_URL} is not empty: the bench flushes it at the end.")
    began = time.perf_counter()
    connection.settings_dict["TEST"]["NAME"] = DATABASE
    servers = []
    try:
        with test_database():
            try:
                ok = measure(began, servers)
            finally:
                for server in servers:
                    server.stop()
    finally:
        if cache is not None:
            cache.flushdb()
        load.shutil.rmtree(load.WORK, ignore_errors=True)
    print(f"whole run: {time.perf_counter() - began:.0f} s")
    if SMOKE:
        assert ok, "lost or doubled rounds, or errors: see above"
        print("smoke: ok")
    elif not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
