"""The fuzzer's world: the access matrix's two organisations (tests/access/world.py), a DRF token
for each of A's roles, and the OpenAPI schema as the application serves it at /api/schema/.

The world is built once per module in a transaction that is rolled back at its end (as the access
matrix does); each test runs in a savepoint inside it (pytest-django's ``db``), and every request
the fuzzer sends in a savepoint of its own, so a fuzzed write never changes what the next request
sees.

Requests go to ``om_portal.wsgi.application`` in this thread through schemathesis's WSGI client:
the same database connection, hence the same transaction. Django closes "obsolete" connections
around each request, and a connection inside a transaction counts as one: as Django's own test
client does, the fixtures unhook that for the duration.
"""

from types import SimpleNamespace

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings

from om_portal.auth import tokens
from om_portal.wsgi import application
from tests.access.world import build_world, rolled_back

SCHEMA_PATH = "/api/schema/"

# The generation settings shared by every operation; the budget (max_examples, derandomize) is
# the hypothesis settings in the test module.
CONFIG = {
    # Positive cases reach the services, negative ones the validation: both must answer < 500.
    "generation": {"mode": "all", "with-security-parameters": False},
    # The coverage phase adds dozens of boundary cases per operation and parameter, more than the
    # budget of ~3 minutes allows for ~180 operations × 8 identities.
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
}


def token_header(key: str | None) -> dict:
    return {"Authorization": f"Token {key}"} if key else {}


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker, tmp_path_factory):
    # The fuzzer's WSGI client sends Host: localhost.
    overrides = override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("fuzz-media"),
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "localhost"],
        # Tokens are handed out only after the second factor; a token request is not fuzzed.
        OTP_REQUIRED_ROLES=[],
    )
    overrides.enable()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with rolled_back(django_db_blocker):
            world = build_world()
            world.tokens = {role: tokens.issue(user)[0] for role, user in world.roles.items()}
            world.schema = schemathesis.openapi.from_wsgi(
                SCHEMA_PATH,
                application,
                config=schemathesis.Config.from_dict(CONFIG),
                headers=token_header(world.tokens["administrator"]),
            )
            yield world
    finally:
        request_finished.connect(close_old_connections)
        request_started.connect(close_old_connections)
        overrides.disable()


def real_keys(world: SimpleNamespace) -> dict:
    """The path key of one object of organisation A per resource (the first segment after
    /api/v1/): every role of the world belongs to A, so these are found, not 404."""
    a = world.a
    objects = {
        "acceptance-packages": a.package,
        "assets": a.asset,
        "breaches": a.breach,
        "build-timelines": a.timeline,
        "change-requests": a.change,
        "check-results": a.result,
        "checklist-templates": a.template,
        "checks": a.check,
        "complaints": a.complaint,
        "consultations": a.consultation,
        "drills": a.drill,
        "duty-shifts": a.shift,
        "emergency-plans": a.plan,
        "heightened-periods": a.period,
        "incidents": a.incident,
        "inspection-runs": a.run,
        "inspection-schedules": a.schedule,
        "inspection-slots": a.slot,
        "knowledge-articles": a.article,
        "milestones": a.milestone,
        "penalty-clauses": a.clause,
        "report-requirements": a.requirement,
        "report-versions": a.version,
        "reports": a.report,
        "service-items": a.item,
        "service-records": a.record,
        "sla-terms": a.sla,
        "staff-assignments": a.assignment,
        "staff-posts": a.post,
        "work-log": a.worklog,
    }
    keys = {name: {"id": obj.pk} for name, obj in objects.items()}
    keys["contracts"] = {"code": a.code}
    keys["calendar-days"] = {"date": world.calendar_day.date.isoformat()}
    keys["lpr-rates"] = {"effective_on": world.lpr.effective_on.isoformat()}
    return keys


def body_keys(world: SimpleNamespace) -> dict:
    """Foreign keys a request body may name, as objects of organisation A."""
    a = world.a
    return {
        "contract": a.code,
        "contracts": [a.code],
        "asset": a.asset.pk,
        "incident": a.incident.pk,
        "engineer": world.roles["vendor_engineer"].pk,
        "engineer_id": world.roles["vendor_engineer"].pk,
        "penalty_clause": a.clause.pk,
        "plan": a.plan.pk,
        "post": a.post.pk,
    }
