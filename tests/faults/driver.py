"""What a beat (or a web request) does, run as a child process of a fault test: the product's own
code paths, on the broker, database and queue that the environment names.

    python -m tests.faults.driver tick [--chunk N] [--go FILE] [--reports]
    python -m tests.faults.driver dispatch [--chunk N] [--pause S] SLOT_ID...
    python -m tests.faults.driver send RUN_ID CHECK_ID...
    python -m tests.faults.driver heartbeat
    python -m tests.faults.driver build REPORT_ID     (a person pressing "build": request_build)

Each prints one JSON line per step (flushed), which the test reads to know where the child is.
"""

import argparse
import json
import os
import sys
import time


def say(**fields):
    print(json.dumps(fields, default=str), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="driver")
    parser.add_argument("command", choices=["tick", "dispatch", "send", "heartbeat", "build"])
    parser.add_argument("ids", nargs="*", type=int)
    parser.add_argument("--chunk", type=int, default=0, help="checks per message (monitoring.CHUNK)")
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument("--go", default="", help="wait for this file before starting (a barrier)")
    parser.add_argument("--reports", action="store_true", help="tick reports.services too")
    args = parser.parse_intermixed_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "om_portal.settings")
    import django

    django.setup()
    from inspections import monitoring
    from om_portal.celery import app  # noqa: F401  (binds the shared tasks to the portal's app)

    if args.chunk:
        monitoring.CHUNK = args.chunk
    say(ready=os.getpid())
    if args.go:
        deadline = time.monotonic() + 60
        while not os.path.exists(args.go):
            if time.monotonic() > deadline:
                sys.exit("no go signal")
            time.sleep(0.005)

    if args.command == "tick":
        say(tick=monitoring.tick())
        if args.reports:
            from reports import beat

            say(reports=beat.tick())
    elif args.command == "dispatch":
        from inspections.models import InspectionSlot

        for slot_id in args.ids:
            run = monitoring.dispatch(InspectionSlot.objects.get(pk=slot_id))
            say(slot=slot_id, run=run.pk if run else None)
            time.sleep(args.pause)
    elif args.command == "send":
        from inspections.tasks import run_chunk

        run_chunk.delay(args.ids[0], args.ids[1:])
        say(sent=args.ids)
    elif args.command == "heartbeat":
        from om_portal.tasks import heartbeat

        heartbeat.delay()
        say(sent="heartbeat")
    elif args.command == "build":
        from django.db import transaction

        from reports import services
        from reports.models import Report

        # In a transaction: the row commits first, then on_commit sends (or fails to).
        with transaction.atomic():
            queued = services.request_build(Report.objects.get(pk=args.ids[0]))
        say(queued=queued)
    say(done=True)


if __name__ == "__main__":
    main()
