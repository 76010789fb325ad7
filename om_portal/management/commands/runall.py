"""``make run``: migrate, create the demo data, then run web, three Celery workers and beat together.

Each child runs in its own process group, so Ctrl-C reaches this command only and it stops the
children in order (a worker finishes its current task on SIGTERM); a child that dies stops the rest.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

STOP_GRACE_SECONDS = 15


class Command(BaseCommand):
    help = "Run the portal (web, Celery worker, Celery beat) in the foreground; Ctrl-C stops all."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--noreload", action="store_true", help="Do not restart web on code changes.")
        parser.add_argument("--no-demo", action="store_true", help="Do not create the demo data.")

    def handle(self, *args, addr, port, noreload, no_demo, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if settings.DEBUG and not no_demo:
            # By name: the apps' commands, which this lowest layer must not import.
            for command in ("seed_demo", "seed_demo_incidents"):
                call_command(command)
            call_command("seed_demo_inspections", port=port)
            call_command("seed_demo_reports")
            call_command("seed_demo_history")
        python = sys.executable
        web = [python, "manage.py", "runserver", f"{addr}:{port}"] + (["--noreload"] if noreload else [])
        commands = {
            "web": web,
            # Renders apart, one at a time: a long PDF never holds up the SLA tick or the probes.
            "worker": [python, "manage.py", "worker", "default,realtime,notify", "--", "-c", "2"],
            # Probes apart, in a pool of threads: a run's chunks wait on their targets side by side.
            "probes": [python, "manage.py", "worker", "probes"],
            "render": [python, "manage.py", "worker", "render"],
            "beat": [python, "-m", "celery", "-A", "om_portal", "beat", "--loglevel=INFO"],
        }
        broker = settings.CELERY_BROKER_URL.split("@")[-1]
        self.stdout.write(
            f"Database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}  Broker: {broker}"
        )
        if problem := _pdf_problem():
            self.stdout.write(self.style.WARNING(problem))
        self.stdout.write(f"Portal on http://{addr}:{port}/ — Ctrl-C stops web, workers and beat.")
        if settings.DEBUG and not no_demo and settings.OTP_REQUIRED_ROLES:
            # The last lines before the logs: where a demo account's one-time code comes from.
            python_path = os.path.relpath(python, settings.BASE_DIR)
            self.stdout.write(
                "Asked for a one-time code? In another terminal: "
                f"{python if python_path.startswith('..') else python_path} manage.py demo_code <user>"
            )

        stopping = []

        def request_stop(signum, frame):
            stopping.append(signum)

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)

        children = {
            name: subprocess.Popen(command, cwd=settings.BASE_DIR, start_new_session=True)  # noqa: S603
            for name, command in commands.items()
        }
        exit_code = 0
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with {child.returncode}: stopping the others.")
                        exit_code = 1
                        stopping.append(name)
                        break
                time.sleep(0.3)
        finally:
            self._stop(children)
        if exit_code:
            sys.exit(exit_code)

    def _stop(self, children):
        # SIGTERM to each leader: Celery's main process stops its own pool; then whatever is left
        # in a child's process group (runserver's autoreload child) is killed.
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, child in children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} did not stop in {STOP_GRACE_SECONDS} s: killing it.")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        self.stdout.write("Stopped web, workers and beat.")


def _pdf_problem() -> str:
    """What the machine lacks for the PDFs, said once at start rather than per render in the logs."""
    try:
        from weasyprint.text import ffi  # loads Pango and HarfBuzz as WeasyPrint will
    except OSError:
        return "PDFs cannot be rendered: Pango is missing (sudo apt-get install -y libpangoft2-1.0-0)."
    if ffi.harfbuzz_subset is None:
        return (
            "PDFs render slowly (seconds each): HarfBuzz-Subset is missing "
            "(sudo apt-get install -y libharfbuzz-subset0)."
        )
    return ""
