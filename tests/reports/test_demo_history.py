"""``make run`` shows a portal in use: ``seed_demo_history`` lays eight weeks of history on the
demo contract through the services, and the dashboard reads it back as the engine computed it.
Only with DEBUG on; a second run adds nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from contracts.models import Breach, Contract, DutyShift, Membership, Severity
from incidents.models import ChangeRequest, Complaint, Consultation, Incident
from inspections.models import CheckResult, InspectionRun, InspectionSlot
from reports.dashboard import dashboard_data
from reports.management.commands.seed_demo_history import MARKER
from reports.models import AcceptancePackage, Report

pytestmark = pytest.mark.django_db(transaction=False)


def _seed():
    for command in ("seed_demo", "seed_demo_incidents", "seed_demo_reports", "seed_demo_history"):
        call_command(command, verbosity=0)
        if command == "seed_demo_incidents":
            call_command("seed_demo_inspections", port=8000, verbosity=0)


def _counts(until):
    models = [Incident, Breach, InspectionRun, CheckResult, Report, ChangeRequest]
    models += [Consultation, Complaint, DutyShift, Membership, AcceptancePackage]
    counts = {model.__name__: model.objects.count() for model in models}
    # seed_demo_inspections keeps a rolling window of slots ahead of now: a slot entering it
    # between the two runs is that command's, not the history's.
    counts["InspectionSlot"] = InspectionSlot.objects.filter(due_at__lt=until).count()
    return counts


def test_the_demo_has_a_history_the_dashboard_shows_and_a_second_run_adds_nothing(settings, capsys, as_user):
    settings.DEBUG = True
    _seed()
    user = get_user_model().objects.get(username="client_manager")
    contracts = list(Contract.objects.restrict(user))
    # The demo client sees more than its own contract, to compare them; one side only.
    assert len(contracts) >= 2
    assert {c.pk for c in contracts} >= {c.pk for c in Contract.objects.filter(code__in=["BJ-2026-RP"])}
    sides = {m.organization.kind for m in Membership.objects.filter(user=user).select_related("organization")}
    assert len(sides) == 1

    board = dashboard_data(user, contracts)
    assert len(board.contracts) >= 2
    # Several weeks of bars: an SLA rate and an inspection rate in most of the eight weeks.
    assert sum(a.percent is not None for a in board.weekly_sla) >= 6
    assert sum(c.percent is not None for c in board.weekly_inspections) >= 6
    # Some clocks met, some not (seed 003: fixed within 4 hours); both rates below 100.
    assert any(a.breached for a in board.weekly_sla) and any(a.met for a in board.weekly_sla)
    assert any(c.missed for c in board.weekly_inspections)

    page = as_user(user).get("/")
    assert page.status_code == 200
    for contract in board.contracts:
        assert contract.contract.code in page.content.decode()

    rp = Contract.objects.get(code="BJ-2026-RP")
    assert set(rp.incidents.values_list("severity", flat=True)) == set(Severity.values)
    assert Breach.objects.filter(contract=rp, source=Breach.Source.INCIDENT).exists()
    assert Breach.objects.filter(contract=rp, source=Breach.Source.INSPECTION).exists()
    assert CheckResult.objects.filter(contract_id=rp.pk).exclude(status="ok").exists()
    statuses = list(Report.objects.filter(contract=rp).values_list("status", flat=True))
    assert statuses.count(Report.Status.SIGNED_OFF) >= 1
    assert statuses.count(Report.Status.SUBMITTED) == 1
    assert [r.pk for r in board.to_sign_off] == list(
        Report.objects.filter(contract=rp, status=Report.Status.SUBMITTED).values_list("pk", flat=True)
    )
    change = ChangeRequest.objects.get(contract=rp, title=MARKER)
    assert change.status == ChangeRequest.Status.FIRST_APPROVED
    assert change.second_approved_by is None
    assert Consultation.objects.filter(contract=rp, answered=True).count() == 8
    assert Complaint.objects.filter(contract=rp).count() == 2
    assert DutyShift.objects.filter(contract=rp).count() == 14
    package = AcceptancePackage.objects.get(contract=rp)
    assert package.status == AcceptancePackage.Status.SUBMITTED and package.data

    until = timezone.now()
    before = _counts(until)
    _seed()
    assert _counts(until) == before
    assert "Demo history exists already." in capsys.readouterr().out


def test_the_history_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo_history")
    assert not Incident.objects.exists()
