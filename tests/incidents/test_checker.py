"""The per-minute checker: warnings before, breaches after, each exactly once."""

import threading

import pytest
from django.db import connection

from contracts.models import Breach, PenaltyClause
from incidents import checker, services
from incidents.models import Incident, IncidentEvent
from tests.incidents.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed_004_terms(contract_a, term):
    # Seed 004: each breach 1% of the total; a fault unresolved after 48 hours is a breach.
    contract_a.total = 770000
    contract_a.save()
    clause = PenaltyClause.objects.create(
        contract=contract_a, kind="service_breach", title="违约", shape="per_occurrence", rate_percent=1
    )
    term("resolution", 48, "hours", penalty_clause=clause)
    term("response", 1, "hours")
    return clause


def open_incident(contract, by, when):
    return services.report_incident(
        contract, by=by, title="缴费平台异常", source="platform", reported_at=when
    )


def test_warning_then_breach_once_each(contract_a, engineer_a, seed_004_terms):
    incident = open_incident(contract_a, engineer_a, at(2025, 3, 3, 10, 0))
    services.transition(incident, "acknowledge", by=engineer_a, at=at(2025, 3, 3, 10, 10))
    # 80% of 48 h is 38.4 h: warned from 03-05 00:24.
    assert checker.check_deadlines(now=at(2025, 3, 4, 12, 0))["incidents"] == 0
    assert checker.check_deadlines(now=at(2025, 3, 5, 0, 30)) == {
        "incidents": 1,
        "warnings": 1,
        "breaches": 0,
    }
    assert checker.check_deadlines(now=at(2025, 3, 5, 0, 31))["incidents"] == 0  # nothing new to do
    done = checker.check_deadlines(now=at(2025, 3, 5, 10, 1))
    assert done == {"incidents": 1, "warnings": 0, "breaches": 1}
    assert checker.check_deadlines(now=at(2025, 3, 5, 10, 2))["incidents"] == 0
    breach = Breach.objects.get()
    assert (breach.kind, breach.occurred_at, breach.source) == (
        "service_breach",
        at(2025, 3, 5, 10, 0),
        "incident",
    )
    kinds = list(incident.events.values_list("kind", flat=True))
    assert kinds.count(IncidentEvent.Kind.WARNING) == 1 and kinds.count(IncidentEvent.Kind.BREACH) == 1
    incident.refresh_from_db()
    # Nothing more for the checker; the list still shows the (missed) deadline of the running
    # resolution clock (issue 13, 7.1: the deadline, not the checker's next look).
    assert incident.next_check_at is None
    assert incident.next_deadline == at(2025, 3, 5, 10, 0)
    # The contract's ledger prices it: 1% × ¥770,000 = ¥7,700.
    from contracts.penalties import penalty_summary

    assert penalty_summary(contract_a).vendor_total == 7700


def test_a_clock_without_a_clause_is_recorded_unpriced(contract_a, engineer_a, seed_004_terms):
    open_incident(contract_a, engineer_a, at(2025, 3, 3, 10, 0))
    checker.check_deadlines(now=at(2025, 3, 3, 11, 30))  # nobody acknowledged within 1 hour
    assert list(Breach.objects.values_list("kind", "clause")) == [("sla_response", None)]


def test_a_met_or_paused_clock_is_left_alone(contract_a, engineer_a, seed_004_terms):
    incident = open_incident(contract_a, engineer_a, at(2025, 3, 3, 10, 0))
    services.transition(incident, "acknowledge", by=engineer_a, at=at(2025, 3, 3, 10, 30))
    services.transition(incident, "wait_client", by=engineer_a, at=at(2025, 3, 3, 11, 0), note="等待确认")
    assert checker.check_deadlines(now=at(2025, 3, 9, 0, 0))["incidents"] == 0
    assert not Breach.objects.exists()


def test_the_due_query_uses_the_partial_index(
    contract_a, engineer_a, seed_004_terms, django_assert_num_queries
):
    open_incident(contract_a, engineer_a, at(2025, 3, 3, 10, 0))
    with django_assert_num_queries(1):
        assert len(checker.due_incidents(now=at(2025, 3, 9, 0, 0))) == 1
    if connection.vendor == "postgresql":
        sql, params = (
            Incident.objects.filter(next_check_at__lte=at(2025, 3, 9))
            .order_by("next_check_at")
            .values("pk")
            .query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "incident_next_check_idx" in plan


@pytest.mark.django_db(transaction=True)
def test_two_checkers_at_once_record_each_breach_exactly_once(contract_a, engineer_a, seed_004_terms):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need a real PostgreSQL (DATABASE_URL); SQLite serialises them")
    for n in range(20):
        open_incident(contract_a, engineer_a, at(2025, 3, 3, 10, n))
    barrier = threading.Barrier(4)
    results = []

    def run():
        barrier.wait()
        try:
            results.append(checker.check_deadlines(now=at(2025, 3, 9, 0, 0)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each incident breached its response (no acknowledgement) and its resolution (48 h): 40 in
    # all, claimed by whichever checker got there first.
    assert sum(r["breaches"] for r in results) == 40
    assert Breach.objects.count() == 40
    assert IncidentEvent.objects.filter(kind=IncidentEvent.Kind.BREACH).count() == 40
