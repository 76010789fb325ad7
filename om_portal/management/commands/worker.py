"""``manage.py worker KIND[,KIND...] [-- celery options]``: a Celery worker for some kinds of work.

The kinds are settings.CELERY_QUEUES' keys (default, realtime, probes, render, notify); their
queue names follow CELERY_TASK_DEFAULT_QUEUE, so a deployment never spells them. A render
worker renders one PDF at a time and its child is replaced once it has grown past
RENDER_WORKER_MAX_MEMORY_MB, so that a long report's memory is given back. A probes worker runs
a pool of PROBES_WORKER_CONCURRENCY threads whose chunks hand their probes to one event loop of
the process (inspections.probes.shared): chunks wait on the network, not on the CPU, so the dead
targets' timeouts of a whole run overlap instead of being waited out two chunks at a time. The
command replaces itself with Celery (exec), which then receives the container's stop signal
directly. Options after -- come last and win.
"""

import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def worker_command(kinds: list[str], extra: list[str]) -> list[str]:
    unknown = [kind for kind in kinds if kind not in settings.CELERY_QUEUES]
    if unknown or not kinds:
        known = ", ".join(settings.CELERY_QUEUES)
        raise CommandError(f"unknown kind of work {', '.join(unknown) or '(none)'}; known: {known}")
    queues = ",".join(settings.CELERY_QUEUES[kind] for kind in kinds)
    name = f"{'+'.join(kinds)}@%h"
    command = [sys.executable, "-m", "celery", "-A", "om_portal", "worker", "-Q", queues, "-n", name]
    if "render" in kinds:
        limit_kb = settings.RENDER_WORKER_MAX_MEMORY_MB * 1024
        command += ["--concurrency=1", f"--max-memory-per-child={limit_kb}"]
    elif "probes" in kinds:
        command += ["--pool=threads", f"--concurrency={settings.PROBES_WORKER_CONCURRENCY}"]
    return [*command, "--loglevel=INFO", *extra]


class Command(BaseCommand):
    help = "Run a Celery worker for the given kinds of work (default, realtime, probes, render, notify)."

    def add_arguments(self, parser):
        parser.add_argument("kinds", help="comma-separated: " + ", ".join(settings.CELERY_QUEUES))
        parser.add_argument("celery_options", nargs="*", help="passed to celery worker (after --)")

    def handle(self, *args, kinds, celery_options, **options):
        command = worker_command([kind.strip() for kind in kinds.split(",") if kind.strip()], celery_options)
        os.execv(command[0], command)  # noqa: S606  (our own interpreter and arguments)
