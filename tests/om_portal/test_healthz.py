"""GET /healthz: database, broker and worker heartbeat; no login, no data."""

import datetime as dt

import pytest
from django.utils import timezone

from om_portal import health
from om_portal.celery import app
from om_portal.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_healthy_when_a_worker_beat_recently(client):
    health.record_heartbeat("celery@test")
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "broker", "worker"}


def test_no_heartbeat_is_503_naming_the_worker(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]
    assert response.json()["checks"]["worker"]["error"] == "no heartbeat yet"


def test_stale_heartbeat_is_503_naming_the_worker(client, settings):
    settings.HEARTBEAT_MAX_AGE = 180
    WorkerHeartbeat.objects.create(worker="celery@old", seen_at=timezone.now() - dt.timedelta(seconds=181))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]
    assert response.json()["checks"]["worker"]["age_seconds"] >= 181


def test_unreachable_broker_is_503_naming_the_broker(client, monkeypatch):
    health.record_heartbeat("celery@test")
    # A real refused connection: nothing listens on port 1.
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]
    # The failure is named, its details (hosts, ports) stay in the server's log.
    assert "127.0.0.1" not in response.content.decode()


def test_healthz_needs_no_login_and_refuses_writes(client):
    assert client.get("/healthz").status_code in (200, 503)
    assert client.post("/healthz").status_code == 405
