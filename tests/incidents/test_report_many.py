"""report_incidents (a chunk of automated checks' new failures) makes what as many calls of
report_incident would: the same incidents with the same clocks, timelines, handlers and audit
lines, in a number of queries that does not grow with the incidents."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.models import Asset, Severity
from incidents import services
from incidents.models import Incident
from om_portal import audit
from om_portal.models import AuditEntry
from tests.incidents.conftest import at

pytestmark = pytest.mark.django_db

SKIPPED = {"id", "created_at", "updated_at"}


@pytest.fixture
def terms(term):
    term("response", 30, "minutes")
    term("arrival", 4, "hours", coverage="5x8")  # working hours: the calendar is read
    term("resolution", 2, "working_days")


@pytest.fixture
def reports(contract_a, engineer_a):
    asset = Asset.objects.create(contract=contract_a, kind=Asset.Kind.SERVER, name="人口库服务器")
    return [
        {
            "title": "人口库连接失败",
            "asset": asset,
            "severity": Severity.SEVERE,
            "reported_at": at(2026, 6, 5, 17, 50),
        },
        {"title": "网闸同步失败", "needs_onsite": True, "reported_at": at(2026, 6, 6, 10, 0)},  # a Saturday
        {
            "title": "接口超时",
            "handlers": [engineer_a],
            "description": "超时 3 次",
            "reported_at": at(2026, 6, 8, 9),
        },
        {"title": "磁盘将满", "reported_at": at(2026, 6, 8, 23, 59)},
    ]


def row(incident) -> dict:
    incident = Incident.objects.get(pk=incident.pk)
    values = {f.attname: getattr(incident, f.attname) for f in Incident._meta.concrete_fields}
    values = {name: value for name, value in values.items() if name not in SKIPPED}
    events = incident.events.order_by("at", "id").values_list(
        "kind", "at", "actor_id", "from_value", "to_value", "note"
    )
    return {
        **values,
        "handlers": sorted(incident.handlers.values_list("pk", flat=True)),
        "events": list(events),
    }


def lines(incidents) -> list[tuple]:
    """The audit lines of these incidents and of their events, in the chain's order, each
    incident's number (its id) left out."""
    wanted = {("incidents.incident", str(incident.pk)) for incident in incidents}
    wanted |= {
        ("incidents.incidentevent", str(pk))
        for i in incidents
        for pk in i.events.values_list("pk", flat=True)
    }
    found = []
    for entry in AuditEntry.objects.order_by("pk"):
        if (entry.object_type, entry.object_id) in wanted:
            found.append(
                (
                    entry.action,
                    entry.object_type,
                    re.sub(r"-\d{5} ", "-N ", entry.object_repr),
                    entry.user_id,
                    entry.username,
                    entry.contract_id,
                    entry.contract_code,
                    entry.outcome,
                    entry.detail,
                )
            )
    return found


def test_report_incidents_makes_what_report_incident_makes_one_by_one(contract_a, engineer_a, terms, reports):
    one_by_one = [
        services.report_incident(contract_a, by=engineer_a, source="phone", **report) for report in reports
    ]
    together = services.report_incidents(contract_a, reports, by=engineer_a, source="phone")

    assert [row(incident) for incident in together] == [row(incident) for incident in one_by_one]
    # The clocks are there, not empty: the comparison compared something.
    fresh = [Incident.objects.get(pk=incident.pk) for incident in together]
    assert all(incident.response_due and incident.next_check_at for incident in fresh)
    assert fresh[1].arrival_due is not None and fresh[0].arrival_due is None
    assert [incident.number for incident in fresh] == [f"A-2026-OM-{incident.pk:05d}" for incident in fresh]
    assert lines(together) == lines(one_by_one)
    assert len(lines(together)) == 4 + 5  # an incident each, a "created" event each, one "dispatched"
    checked, problems = audit.verify()
    assert problems == [] and checked >= 18


def test_its_queries_do_not_grow_with_the_incidents(contract_a, engineer_a, terms):
    def count(n):
        reports = [{"title": f"故障 {k}", "reported_at": at(2026, 6, 8, 9, k)} for k in range(n)]
        with CaptureQueriesContext(connection) as queries:
            services.report_incidents(contract_a, reports, by=None, source="monitoring")
        return len(queries)

    # The terms, a year of the calendar, the incidents, their events, the audit trail's three.
    assert count(3) == count(60) <= 8
    assert Incident.objects.count() == 63


def test_a_bad_report_among_them_writes_nothing(contract_a, contract_b, engineer_a):
    elsewhere = Asset.objects.create(contract=contract_b, kind=Asset.Kind.SERVER, name="别人的服务器")
    reports = [{"title": "好的"}, {"title": "错的", "asset": elsewhere}]
    with pytest.raises(ValidationError) as refused:
        services.report_incidents(contract_a, reports, by=engineer_a, source="phone")
    assert "asset" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.report_incidents(
            contract_a, [{"title": "未来", "reported_at": at(2099, 1, 1)}], by=None, source="phone"
        )
    assert not Incident.objects.exists()
