"""Issue 14, low: names refuse bidirectional controls; numbers refuse digits other than ASCII."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from rest_framework.test import APIClient

from contracts.models import Asset, Organization

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # The messages are read in English whatever the compiled catalogue holds.
    with translation.override("en"):
        yield


@pytest.fixture
def api(vendor_engineer_a):
    api = APIClient()
    api.force_authenticate(vendor_engineer_a)
    return api


@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f"])
def test_a_name_with_a_bidi_control_is_refused(api, contract_a, control):
    body = {"contract": contract_a.code, "kind": "vm", "name": f"invoice{control}fdp.exe"}
    response = api.post("/api/v1/assets/", body, format="json")
    assert response.status_code == 400 and "name" in response.json()
    assert not Asset.objects.exists()


def test_the_model_refuses_it_too_so_every_form_does():
    with pytest.raises(ValidationError, match="direction"):
        Organization(name="甲\u202e乙", kind="client").full_clean()


@pytest.mark.parametrize("field", ["port", "quantity"])  # declared on the serializer; from the model
@pytest.mark.parametrize("digits", ["１２３", "١٢٣", "12３"])
def test_a_number_in_other_digits_is_refused(api, contract_a, field, digits):
    body = {"contract": contract_a.code, "kind": "vm", "name": "VM 1", field: digits}
    response = api.post("/api/v1/assets/", body, format="json")
    # The API speaks Chinese whatever the client asks: 半角数字 is "ASCII digits".
    assert response.status_code == 400 and "半角数字" in str(response.json()[field])
    assert not Asset.objects.exists()


def test_ascii_numbers_still_pass(api, contract_a):
    for port, name in (("123", "VM 1"), (124, "VM 2")):
        body = {"contract": contract_a.code, "kind": "vm", "name": name, "port": port}
        assert api.post("/api/v1/assets/", body, format="json").status_code == 201
    assert sorted(Asset.objects.values_list("port", flat=True)) == [123, 124]


def test_a_nul_character_in_a_query_or_form_is_a_400(client, vendor_engineer_a, contract_a):
    # Found by tests/fuzz/test_form_fuzz.py: the contract's code in the query of "report an
    # incident" reached PostgreSQL, which refuses NUL in a string: a 500.
    client.force_login(vendor_engineer_a)
    assert client.get("/incidents/add/", {"contract": "A\x00"}).status_code == 400
    assert client.post("/incidents/add/", {"contract": "A\x00", "title": "x"}).status_code == 400
    assert client.get("/incidents/add/", {"contract": contract_a.code}).status_code == 200
