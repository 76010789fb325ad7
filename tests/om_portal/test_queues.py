"""Queues by kind of work: a render never waits in front of the SLA tick (issue 17).

The routing is checked on the real broker: a task sent as the portal sends it lands in its own
queue's Redis list and in no other.
"""

import importlib
import os

import pytest
from django.conf import settings
from django.core.management.base import CommandError

from om_portal.celery import app
from om_portal.management.commands.worker import worker_command

KINDS = {
    "om_portal.tasks.heartbeat": "realtime",
    "incidents.tasks.check_sla_deadlines": "realtime",
    "incidents.tasks.escalate": "realtime",
    "inspections.tasks.tick": "realtime",
    "inspections.tasks.run_chunk": "probes",
    "reports.tasks.build_report": "render",
    "reports.tasks.seal_version": "render",
    "reports.tasks.seal_package": "render",
    "om_portal.tasks.send_delivery": "notify",
    "reports.tasks.tick": "default",
    "om_portal.tasks.purge_audit": "default",
}


def test_each_task_goes_to_the_queue_of_its_kind():
    for module in ("om_portal", "contracts", "incidents", "inspections", "reports"):
        importlib.import_module(f"{module}.tasks")
    for task, kind in KINDS.items():
        assert task in app.tasks
        assert app.amqp.router.route({}, task)["queue"].name == settings.CELERY_QUEUES[kind], task
    # Every task the portal has lands in one of the known queues.
    names = set(settings.CELERY_QUEUES.values())
    for task in (name for name in app.tasks if not name.startswith("celery.")):
        assert app.amqp.router.route({}, task)["queue"].name in names, task


def test_no_two_queues_share_a_routing_key():
    # Only the portal's own queues: a test that sends to a queue of its own adds it to the app's.
    names = set(settings.CELERY_QUEUES.values())
    declared = [queue for queue in app.amqp.queues.values() if queue.name in names]
    assert {queue.name for queue in declared} == names
    assert all(queue.exchange.name == queue.routing_key == queue.name for queue in declared)


def test_renders_have_a_time_limit_that_ends_inside_the_task():
    for task in ("reports.tasks.build_report", "reports.tasks.seal_version", "reports.tasks.seal_package"):
        limits = settings.CELERY_TASK_ANNOTATIONS[task]
        assert limits["soft_time_limit"] == settings.RENDER_TIME_LIMIT_SECONDS < limits["time_limit"]
    assert "incidents.tasks.check_sla_deadlines" not in settings.CELERY_TASK_ANNOTATIONS


def test_the_worker_command_names_queues_by_kind():
    command = worker_command(["render"], ["--loglevel=DEBUG"])
    assert command[command.index("-Q") + 1] == settings.CELERY_QUEUES["render"]
    assert "--concurrency=1" in command
    assert f"--max-memory-per-child={settings.RENDER_WORKER_MAX_MEMORY_MB * 1024}" in command
    assert command[-1] == "--loglevel=DEBUG"
    command = worker_command(["default", "realtime"], [])
    queues = command[command.index("-Q") + 1].split(",")
    assert queues == [settings.CELERY_QUEUES["default"], settings.CELERY_QUEUES["realtime"]]
    assert "--concurrency=1" not in command
    with pytest.raises(CommandError, match="unknown kind of work pdf"):
        worker_command(["pdf"], [])


def test_a_probes_worker_runs_its_chunks_in_a_pool_of_threads(settings):
    """Chunks wait on the network: a pool of threads lets a run's dead targets' timeouts overlap
    (issue 17); options after -- still come last and win."""
    settings.PROBES_WORKER_CONCURRENCY = 12
    command = worker_command(["probes"], [])
    assert command[command.index("-Q") + 1] == settings.CELERY_QUEUES["probes"]
    assert "--pool=threads" in command and "--concurrency=12" in command
    assert worker_command(["probes"], ["--concurrency=4"])[-1] == "--concurrency=4"
    assert "--pool=threads" not in worker_command(["default", "realtime", "notify"], [])
    assert "--pool=threads" not in worker_command(["render"], [])


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a real Redis)")
@pytest.mark.django_db
def test_a_render_lands_in_the_render_queue_only():
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queues = settings.CELERY_QUEUES
    before = {kind: client.llen(name) for kind, name in queues.items()}
    # A report id no row has: should a worker take it, the build claims nothing.
    app.send_task("reports.tasks.build_report", args=[-1])
    try:
        after = {kind: client.llen(name) for kind, name in queues.items()}
        assert after["render"] == before["render"] + 1
        assert {k: v for k, v in after.items() if k != "render"} == {
            k: v for k, v in before.items() if k != "render"
        }
    finally:
        client.lrem(queues["render"], 1, client.lindex(queues["render"], 0) or b"")


def test_the_queues_follow_the_default_queue_of_this_process():
    """Under xdist each test process renames its default queue (tests/conftest.py): the queues of
    the other kinds must follow, or a worker a test starts would never see its probes or renders."""
    default = settings.CELERY_TASK_DEFAULT_QUEUE
    assert settings.CELERY_QUEUES["default"] == default
    others = {kind: name for kind, name in settings.CELERY_QUEUES.items() if kind != "default"}
    assert others and all(name == f"{default}-{kind}" for kind, name in others.items())
