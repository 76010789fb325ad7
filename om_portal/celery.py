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
