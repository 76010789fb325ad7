"""The OpenAPI schema stays valid and complete as resources are added."""

import io

import pytest
from django.core.management import call_command

RESOURCES = [
    "contracts",
    "service-items",
    "sla-terms",
    "penalty-clauses",
    "breaches",
    "milestones",
    "assets",
    "staff-posts",
    "staff-assignments",
    "duty-shifts",
    "calendar-days",
    "lpr-rates",
    "build-timelines",
    "incidents",
    "change-requests",
    "knowledge-articles",
    "emergency-plans",
    "drills",
    "consultations",
    "complaints",
    "work-log",
    "service-records",
    "escalation-policies",
    "inspection-schedules",
    "heightened-periods",
    "inspection-slots",
    "inspection-runs",
    "checklist-templates",
    "checks",
    "check-results",
    "report-requirements",
    "reports",
    "report-versions",
    "acceptance-packages",
]


def test_schema_validates_without_warnings(tmp_path):
    # --fail-on-warn turns drf-spectacular's guesses (an unknown field type...) into failures.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))


@pytest.mark.django_db
def test_every_resource_of_the_design_is_routed(client, administrator):
    client.force_login(administrator)
    root = client.get("/api/v1/").json()
    assert [name for name in RESOURCES if name not in root] == []
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    assert "/api/v1/contracts/{code}/penalties/" in out.getvalue()
