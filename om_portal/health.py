"""The health of the portal's parts, as /healthz reports it: database, broker, worker."""

import logging

from django.conf import settings
from django.db import connection
from django.utils import timezone

log = logging.getLogger(__name__)


def record_heartbeat(worker: str) -> None:
    from om_portal.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(worker=worker, defaults={"seen_at": timezone.now()})


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        log.exception("health: database unreachable")
        return {"ok": False, "error": "unreachable"}
    return {"ok": True}


def check_broker() -> dict:
    from om_portal.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=3)
    except Exception:
        log.exception("health: broker unreachable")
        return {"ok": False, "error": "unreachable"}
    return {"ok": True}


def check_worker() -> dict:
    from om_portal.models import WorkerHeartbeat

    try:
        last = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    except Exception:
        # The database check names this failure; the worker's state is unknown.
        return {"ok": False, "error": "unknown"}
    if last is None:
        return {"ok": False, "error": "no heartbeat yet"}
    age = int((timezone.now() - last).total_seconds())
    if age > settings.HEARTBEAT_MAX_AGE:
        return {"ok": False, "error": "heartbeat too old", "age_seconds": age}
    return {"ok": True, "age_seconds": age}


def report() -> dict:
    checks = {"database": check_database(), "broker": check_broker(), "worker": check_worker()}
    failing = [name for name, result in checks.items() if not result["ok"]]
    return {"status": "fail" if failing else "ok", "failing": failing, "checks": checks}
