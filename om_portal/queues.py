"""Queues by kind of work, so that a 60-second render never holds up the one-minute SLA tick nor a
sweep of probes (settings.CELERY_*; README "Workers").

Each queue is named after the default queue, so that a test run's own name keeps its queues apart
too; a worker started without -Q takes them all (the embedded mode's and the tests' workers), and
the stack runs a worker per kind (manage.py worker). Plain Python: settings.py builds from it.
"""

from kombu import Exchange, Queue

KINDS = {
    "default": (),  # beat's periodic housekeeping, and any task not named below
    # SLA clocks, slot claims, the heartbeat /healthz reads: never behind anything else
    "realtime": (
        "om_portal.tasks.heartbeat",
        "incidents.tasks.check_sla_deadlines",
        "incidents.tasks.escalate",
        "inspections.tasks.tick",
    ),
    "probes": ("inspections.tasks.run_chunk", "inspections.tasks.run_check_now"),  # checks, I/O bound
    # Long, CPU-bound work, one job at a time: PDFs, and reading an uploaded PDF (OCR takes
    # seconds a page; a .txt or .docx is sent to the default queue, contracts.intake.flow).
    "render": (
        "reports.tasks.build_report",
        "reports.tasks.seal_version",
        "reports.tasks.seal_package",
        "contracts.tasks.read_upload",
    ),
    # e-mail, WeCom, DingTalk, webhooks; and the notices gathered into them
    "notify": (
        "om_portal.tasks.send_delivery",
        "om_portal.tasks.flush_notices",
        "om_portal.tasks.flush_all_notices",
    ),
}


def names(default_queue: str) -> dict[str, str]:
    return {kind: default_queue if kind == "default" else f"{default_queue}-{kind}" for kind in KINDS}


def declared(queue_names: dict[str, str]) -> list[Queue]:
    # An exchange and a routing key of its own each: left to Celery's defaults, every queue would
    # be bound to the default queue's key and a message would reach them all.
    return [Queue(name, Exchange(name), routing_key=name) for name in queue_names.values()]


def routes(queue_names: dict[str, str]) -> dict[str, dict]:
    return {task: {"queue": queue_names[kind]} for kind, tasks in KINDS.items() for task in tasks}


def annotations(render_time_limit: int) -> dict[str, dict]:
    """A render past its soft limit is stopped inside the task and recorded as failed, with why;
    the hard limit behind it ends a render stuck in C code."""
    limits = {"soft_time_limit": render_time_limit, "time_limit": render_time_limit + 60}
    found = dict.fromkeys(KINDS["render"], limits)
    # OCR of up to 80 pages, each command bounded by contracts.intake.reading: its own limits.
    found["contracts.tasks.read_upload"] = {"soft_time_limit": 1800, "time_limit": 1860}
    return found


def settings_for(default_queue: str, render_time_limit: int) -> dict:
    """The CELERY_* settings of the queues, for settings.py (and a test worker's own queue)."""
    queue_names = names(default_queue)
    return {
        "CELERY_QUEUES": queue_names,
        "CELERY_TASK_QUEUES": declared(queue_names),
        "CELERY_TASK_ROUTES": routes(queue_names),
        "CELERY_TASK_ANNOTATIONS": annotations(render_time_limit),
    }
