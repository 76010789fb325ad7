"""SLA clocks in working time, with pauses and switches, rebuilt from the timeline.

Expected instants are worked out by hand from the contract text and China's 2024 calendar
(National Day 10-01..10-07 off; Sunday 09-29 and Saturday 10-12 worked), in the comments.
"""

import pytest

from contracts.models import Breach, PenaltyClause
from incidents import services
from incidents.models import Incident
from tests.incidents.conftest import at

pytestmark = pytest.mark.django_db


def report(contract, by, when, **fields):
    return services.report_incident(
        contract, by=by, title="数据同步中断", source="phone", reported_at=when, **fields
    )


def test_seed_000_five_working_days_across_national_day(contract_a, engineer_a, term):
    # Seed 000: a problem without an immediate fix is solved within 5 working days.
    term("resolution", 5, "working_days")
    incident = report(contract_a, engineer_a, at(2024, 9, 27, 16, 0))  # a Friday afternoon
    # Working days after Fri 09-27: Sun 09-29 (1, 调休), Mon 09-30 (2), 10-01..07 off,
    # Tue 10-08 (3), Wed 10-09 (4), Thu 10-10 (5): due at the close of 10-10, 17:30.
    assert incident.resolution_due == at(2024, 10, 10, 17, 30)
    # Warned at 80% of the working time: 1.5 h on Friday + 5 × 8.5 h = 44 h; 80% = 35.2 h:
    # 1.5 (Fri) + 8.5 (09-29) + 8.5 (09-30) + 8.5 (10-08) = 27 h, then 8.2 h of 10-09 → 17:12.
    clock = services.clocks_of(incident)["resolution"]
    assert clock.warn_at == at(2024, 10, 9, 17, 12)
    # Issue 13 (7.1): the list's "next deadline" is the deadline; the warning is its own field,
    # and the checker's next look is the warning (the old expectation counted down to it).
    assert incident.next_deadline == at(2024, 10, 10, 17, 30)
    assert incident.next_warning_at == clock.warn_at == incident.next_check_at


def test_waiting_on_the_client_pauses_and_pushes_the_deadline(contract_a, engineer_a, term):
    term("resolution", 5, "working_days")
    incident = report(contract_a, engineer_a, at(2024, 9, 27, 16, 0))
    services.transition(incident, "acknowledge", by=engineer_a, at=at(2024, 9, 27, 16, 10))
    services.transition(incident, "wait_client", by=engineer_a, at=at(2024, 10, 8, 10, 0), note="等待确认")
    incident.refresh_from_db()
    assert incident.resolution_due is None  # paused: no deadline while the client has the ball
    assert incident.next_deadline is None
    services.transition(incident, "resume", by=engineer_a, at=at(2024, 10, 9, 10, 0))
    incident.refresh_from_db()
    # The pause lasted 7.5 h (10-08 10:00–17:30) + 1 h (10-09 09:00–10:00) = 8.5 h of working
    # time, one working day: 10-10 17:30 becomes Fri 10-11 17:30.
    assert incident.resolution_due == at(2024, 10, 11, 17, 30)
    assert incident.status == Incident.Status.ACKNOWLEDGED


def test_seed_001_seven_by_twenty_four_ignores_holidays(contract_a, engineer_a, term):
    # Seed 001: 7×24 duty, respond in 1 hour, on site in 2, fixed in 4.
    for clock, hours in [("response", 1), ("arrival", 2), ("resolution", 4)]:
        term(clock, hours, "hours", severity="emergency")
    incident = report(contract_a, engineer_a, at(2026, 10, 1, 3, 0), severity="emergency", needs_onsite=True)
    assert (incident.response_due, incident.arrival_due, incident.resolution_due) == (
        at(2026, 10, 1, 4, 0),
        at(2026, 10, 1, 5, 0),
        at(2026, 10, 1, 7, 0),
    )


def test_the_most_specific_term_wins_and_arrival_only_counts_when_dispatched(contract_a, engineer_a, term):
    term("response", 4, "hours")  # any severity
    term("response", 1, "hours", severity="emergency")
    term("arrival", 2, "hours")
    incident = report(contract_a, engineer_a, at(2026, 6, 1, 9, 0), severity="emergency")
    assert incident.response_due == at(2026, 6, 1, 10, 0)
    assert incident.arrival_due is None  # fixed by phone so far
    services.dispatch(incident, by=engineer_a, at=at(2026, 6, 1, 9, 30))
    incident.refresh_from_db()
    assert incident.arrival_due == at(2026, 6, 1, 11, 0)  # counted from the report


def test_seed_004_another_unit_or_the_finance_department_switch_the_target(contract_a, engineer_a, term):
    # Seed 004: on site within 2 h; 4 h when another unit is involved; 1 day with finance.
    term("arrival", 2, "hours")
    term("arrival", 4, "hours", condition="other_unit")
    term("arrival", 1, "calendar_days", condition="finance_department")
    term("resolution", 48, "hours")
    incident = report(contract_a, engineer_a, at(2025, 3, 3, 10, 0), needs_onsite=True)
    assert incident.arrival_due == at(2025, 3, 3, 12, 0)
    services.transition(incident, "acknowledge", by=engineer_a, at=at(2025, 3, 3, 10, 5))
    services.transition(
        incident, "wait_other_unit", by=engineer_a, at=at(2025, 3, 3, 10, 30), note="等待确认"
    )
    incident.refresh_from_db()
    assert incident.arrival_due == at(2025, 3, 3, 14, 0)
    # The contract has no resolution term for another unit: that clock pauses instead.
    assert incident.resolution_due is None

    other = report(contract_a, engineer_a, at(2025, 3, 3, 10, 0), needs_onsite=True)
    services.transition(other, "acknowledge", by=engineer_a, at=at(2025, 3, 3, 10, 5))
    services.transition(other, "wait_finance", by=engineer_a, at=at(2025, 3, 3, 11, 0), note="等待确认")
    other.refresh_from_db()
    assert other.arrival_due == at(2025, 3, 4, 10, 0)


def test_a_reopened_incident_does_not_count_the_time_it_stood_resolved(
    contract_a, engineer_a, client_manager_a, term
):
    term("resolution", 48, "hours")
    incident = report(contract_a, engineer_a, at(2025, 3, 3, 10, 0))
    services.transition(incident, "acknowledge", by=engineer_a, at=at(2025, 3, 3, 10, 5))
    fix = {"cause": "配置错误", "method": "修正配置", "result": "恢复"}
    services.transition(incident, "resolve", by=engineer_a, at=at(2025, 3, 3, 12, 0), **fix)
    services.transition(incident, "reopen", by=client_manager_a, at=at(2025, 3, 4, 12, 0), note="仍有问题")
    incident.refresh_from_db()
    # Due 03-05 10:00, plus the 24 h it stood resolved: 03-06 10:00.
    assert incident.resolution_due == at(2025, 3, 6, 10, 0)


def test_stored_clocks_equal_the_clocks_rebuilt_from_the_timeline(contract_a, engineer_a, term):
    term("response", 30, "minutes")
    term("arrival", 2, "hours")
    term("resolution", 5, "working_days")
    incident = report(contract_a, engineer_a, at(2024, 9, 27, 16, 0), needs_onsite=True)
    services.transition(incident, "acknowledge", by=engineer_a, at=at(2024, 9, 27, 16, 40))
    services.transition(incident, "arrive", by=engineer_a, at=at(2024, 9, 27, 17, 30))
    services.transition(incident, "wait_client", by=engineer_a, at=at(2024, 9, 30, 9, 0), note="等待确认")
    services.transition(incident, "resume", by=engineer_a, at=at(2024, 10, 8, 9, 0))
    incident.refresh_from_db()
    stored = (incident.response_due, incident.arrival_due, incident.resolution_due, incident.responded_at)
    # Drift the stored columns, then rebuild them from the events alone.
    Incident.objects.filter(pk=incident.pk).update(response_due=None, resolution_due=None, responded_at=None)
    incident.refresh_from_db()
    services.refresh_clocks(incident)
    incident.refresh_from_db()
    assert (
        incident.response_due,
        incident.arrival_due,
        incident.resolution_due,
        incident.responded_at,
    ) == stored
    clocks = services.clocks_of(incident)
    assert clocks["response"].state(at(2024, 10, 8, 9, 0)) == "met_late"  # acknowledged after 40 min
    assert clocks["arrival"].state(at(2024, 10, 8, 9, 0)) == "met"  # on site in 1.5 h


def test_a_per_day_penalty_grows_until_the_clock_is_met(contract_a, engineer_a, term, monkeypatch):
    from django.utils import timezone

    from incidents import checker

    contract_a.total = 708000
    contract_a.save()
    clause = PenaltyClause.objects.create(
        contract=contract_a,
        kind="late_service",
        title="技术支持未按时完成",
        shape="per_day",
        rate_percent="0.3",
    )
    term("resolution", 5, "working_days", penalty_clause=clause)
    incident = report(contract_a, engineer_a, at(2024, 9, 27, 16, 0))
    services.transition(incident, "acknowledge", by=engineer_a, at=at(2024, 9, 27, 16, 5))
    # The checker runs after the deadline (10-10 17:30): one day late so far.
    checker.check_deadlines(now=at(2024, 10, 11, 9, 0))
    breach = Breach.objects.get(contract=contract_a)
    assert (breach.kind, breach.source_ref, breach.days_late) == (
        "late_service",
        f"incident:{incident.pk}:resolution",
        1,
    )
    # Resolved on 10-13 10:00: 2 days and 16.5 hours late, so 3 days begun.
    monkeypatch.setattr(timezone, "now", lambda: at(2024, 10, 13, 10, 0))
    fix = {"cause": "接口变更", "method": "适配新接口", "result": "恢复"}
    services.transition(incident, "resolve", by=engineer_a, at=at(2024, 10, 13, 10, 0), **fix)
    breach.refresh_from_db()
    assert breach.days_late == 3
    # 3 days × 0.3% × ¥708,000 = ¥6,372.
    from contracts.penalties import penalty_summary

    assert penalty_summary(contract_a).vendor_total == 6372
