"""The Celery app of the portal: its configuration comes from Django's settings (CELERY_*)."""

import os

from celery import Celery
from celery.signals import setup_logging, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "om_portal.settings")

app = Celery("om_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _use_django_logging(**kwargs):
    # Django's LOGGING alone: Celery's own set-up would add a second handler and print every
    # line of worker and beat twice.
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@worker_ready.connect
def _announce_worker(sender, **kwargs):
    # A fresh worker reports at once rather than waiting for beat's next heartbeat, so that
    # /healthz turns green within seconds of start-up.
    from om_portal.tasks import heartbeat

    heartbeat.delay()


def _closed_channel_raises_a_connection_error():
    """Keep a worker alive when Redis goes away while it holds an unacknowledged message.

    On losing the broker, Celery 5.7's consumer closes the connection twice (``collect()``, then
    ``close()``); by the second time kombu 5.7 has dropped the transport's client, and closing
    the Redis channel, which tries to put the unacknowledged messages back, fails building a
    client from it with an AttributeError. That is not among the connection errors the close
    ignores, so it escapes as "Unrecoverable error" and the worker exits instead of
    reconnecting (tests/faults/test_redis_restart.py). Raised as Redis's ConnectionError it is
    ignored like any other error of a dead broker; the messages stay in Redis's unacked set,
    which kombu restores after the visibility timeout (tasks are idempotent). The same trace as
    celery/kombu#582; remove this once kombu closes a dead channel without it.
    """
    from kombu.transport import redis as kombu_redis

    connparams = getattr(kombu_redis.Channel, "_connparams", None)
    if connparams is None or getattr(connparams, "_om_guarded", False):
        return  # a kombu without this method has another close path: nothing to guard

    def guarded(self, asynchronous=False):
        if self.connection.client is None:
            raise kombu_redis.get_redis_ConnectionError()("the broker connection is closed")
        return connparams(self, asynchronous=asynchronous)

    guarded._om_guarded = True
    kombu_redis.Channel._connparams = guarded


_closed_channel_raises_a_connection_error()
