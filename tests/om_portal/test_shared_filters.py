"""Issue 16 (shared plumbing): one FilterSet per model, read by the portal's list and by the API.
The same query string selects the same rows on the page and in /api/v1/; a value no filter can
read is a 400 in the API and a message on the page (the list shown without that filter), never a
500. Also the API's shared conversion of Django validation errors."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from contracts.models import Asset, Severity
from incidents.models import Consultation, Incident
from om_portal.api import drf_validation_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(vendor_engineer_a):
    return vendor_engineer_a


@pytest.fixture
def api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def portal(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def incidents(contract_a, contract_b):
    now = timezone.now()

    def make(contract=contract_a, **fields):
        fields = {"title": "打印机卡纸", "source": "phone", "reported_at": now, **fields}
        return Incident.objects.create(contract=contract, **fields)

    return [
        make(severity=Severity.EMERGENCY, title="核心交换机宕机", next_deadline=now + dt.timedelta(hours=2)),
        make(severity=Severity.GENERAL, status=Incident.Status.RESOLVED, arrival_breached_at=now),
        make(severity=Severity.GENERAL, status=Incident.Status.CLOSED, description="交换机端口"),
        make(severity=Severity.SEVERE, response_breached_at=now, next_deadline=now + dt.timedelta(days=9)),
        make(contract=contract_b, severity=Severity.EMERGENCY),  # another organisation's: never listed
    ]


def api_ids(api, path, query) -> set[int]:
    response = api.get(path, {**query, "page_size": 500})
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def page_ids(portal, route, query) -> set[int]:
    response = portal.get(reverse(route), query)
    assert response.status_code == 200
    assert not list(response.context["messages"]), query  # every value was read
    return {row.pk for row in response.context["page"].object_list}


INCIDENT_QUERIES = [
    {},
    {"contract": "A-2026-OM"},
    {"contract": "B-2026-OM"},
    {"severity": Severity.GENERAL},
    {"status": "open"},  # the portal's "Open" choice
    {"status": Incident.Status.CLOSED},
    {"breached": "true"},
    {"breached": "true", "status": "open"},
    {"due_within": "24"},
    {"q": "交换机"},
    {"open": "false", "severity": Severity.GENERAL},
]


@pytest.mark.parametrize("query", INCIDENT_QUERIES, ids=[str(q) for q in INCIDENT_QUERIES])
def test_the_incident_list_and_the_api_select_the_same_incidents(api, portal, incidents, query):
    expected = api_ids(api, "/api/v1/incidents/", query)
    assert page_ids(portal, "incidents:list", query) == expected
    assert incidents[4].pk not in expected


def test_the_shared_filters_select_what_they_say(api, incidents):
    critical, resolved, closed, high, _theirs = incidents
    assert api_ids(api, "/api/v1/incidents/", {"status": "open"}) == {critical.pk, high.pk}
    assert api_ids(api, "/api/v1/incidents/", {"breached": "true"}) == {resolved.pk, high.pk}
    assert api_ids(api, "/api/v1/incidents/", {"due_within": "24"}) == {critical.pk}
    assert api_ids(api, "/api/v1/incidents/", {"q": "交换机"}) == {critical.pk, closed.pk}


@pytest.fixture
def consultations(contract_a, user):
    now = timezone.now()

    def ask(answered, question="缴费后未出票"):
        return Consultation.objects.create(
            contract=contract_a,
            channel=Consultation.Channel.PHONE,
            question=question,
            asked_at=now,
            engineer=user,
            answered=answered,
            replied_at=now if answered else None,
        )

    return ask(True), ask(False), ask(False, question="发票抬头怎么改")


@pytest.mark.parametrize("portal_value, api_value", [("yes", "true"), ("no", "false")])
def test_the_portals_yes_and_no_read_as_the_apis_true_and_false(
    api, portal, consultations, portal_value, api_value
):
    expected = api_ids(api, "/api/v1/consultations/", {"answered": api_value})
    assert expected == {row.pk for row in consultations if row.answered == (api_value == "true")}
    assert api_ids(api, "/api/v1/consultations/", {"answered": portal_value}) == expected
    assert page_ids(portal, "incidents:consultations", {"answered": portal_value}) == expected
    assert page_ids(portal, "incidents:consultations", {"answered": portal_value, "q": "发票"}) == (
        expected & {consultations[2].pk}
    )


ASSET_QUERIES = [{}, {"q": "db"}, {"kind": Asset.Kind.VM}, {"kind": Asset.Kind.VM, "q": "10.0.0"}]


@pytest.mark.parametrize("query", ASSET_QUERIES, ids=[str(q) for q in ASSET_QUERIES])
def test_the_asset_ledger_and_the_api_select_the_same_assets(api, portal, contract_a, contract_b, query):
    for contract in (contract_a, contract_b):
        Asset.objects.create(contract=contract, kind=Asset.Kind.VM, name="db-01", host="10.0.0.5")
    Asset.objects.create(contract=contract_a, kind=Asset.Kind.VM, name="web-01", host="10.0.0.6")
    Asset.objects.create(contract=contract_a, kind=Asset.Kind.SERVER, name="db-backup", host="10.0.1.9")
    expected = api_ids(api, "/api/v1/assets/", {**query, "contract": contract_a.code})
    assert expected and expected == set(
        Asset.objects.filter(contract=contract_a, **({"kind": query["kind"]} if "kind" in query else {}))
        .filter(**({"name__icontains": query["q"]} if query.get("q") == "db" else {}))
        .filter(**({"host__icontains": query["q"]} if query.get("q") == "10.0.0" else {}))
        .values_list("pk", flat=True)
    )
    response = portal.get(reverse("contracts:assets", args=[contract_a.code]), query)
    assert {row.pk for row in response.context["page"].object_list} == expected


BAD_VALUES = [
    ("/api/v1/incidents/", "incidents:list", {"severity": "catastrophic"}),
    ("/api/v1/incidents/", "incidents:list", {"status": "nonsense"}),
    ("/api/v1/incidents/", "incidents:list", {"due_within": "soon"}),
    ("/api/v1/incidents/", "incidents:list", {"reported_at_after": "2026-13-45"}),
    ("/api/v1/reports/", "reports:index", {"kind": "weekly-ish"}),
    ("/api/v1/change-requests/", "incidents:changes", {"status": "sideways"}),
    ("/api/v1/work-log/", "incidents:worklog", {"category": "napping"}),
]


@pytest.mark.parametrize("path, route, query", BAD_VALUES, ids=[str(b[2]) for b in BAD_VALUES])
def test_a_bad_filter_value_is_a_400_in_the_api_and_a_message_on_the_page(
    api, portal, incidents, path, route, query
):
    assert api.get(path, query).status_code == 400
    portal.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        answer = portal.get(reverse(route), query)
        unfiltered = portal.get(reverse(route))
    assert answer.status_code == 200
    said = [str(message) for message in answer.context["messages"]]
    assert len(said) == 1 and "was left out" in said[0], said
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", said[0]), said  # the filter's label, no raw name
    # The list is shown without the filter it could not read, as the page always did.
    listed = [row.pk for row in answer.context["page"].object_list]
    assert listed == [row.pk for row in unfiltered.context["page"].object_list]


def test_a_huge_due_within_is_capped_not_a_server_error(api, portal, incidents):
    query = {"due_within": "99999999999", "open": "true"}
    everything_due = api_ids(api, "/api/v1/incidents/", {"contract": "A-2026-OM", "open": "true"})
    assert api_ids(api, "/api/v1/incidents/", query) == everything_due
    assert page_ids(portal, "incidents:list", query) == everything_due
    # Beyond django-filter's bound (1e50) it is a bad value, not a number to build.
    assert api.get("/api/v1/incidents/", {"due_within": "1E+999999999"}).status_code == 400
    assert portal.get(reverse("incidents:list"), {"due_within": "1E+999999999"}).status_code == 200


@pytest.mark.parametrize(
    "error, whole_key, detail",
    [
        (DjangoValidationError({"target": "太大"}), None, {"target": ["太大"]}),
        (DjangoValidationError("已结束"), None, ["已结束"]),
        (DjangoValidationError("已结束"), "detail", {"detail": ["已结束"]}),
        (DjangoValidationError({"__all__": ["重名"]}), None, {"__all__": ["重名"]}),
        (DjangoValidationError({"__all__": ["重名"]}), "non_field_errors", {"non_field_errors": ["重名"]}),
    ],
)
def test_a_django_validation_error_keeps_its_shape_in_the_api(error, whole_key, detail):
    assert drf_validation_error(error, whole_key=whole_key).detail == detail
