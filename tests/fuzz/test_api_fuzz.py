"""Schemathesis against /api/schema/: every operation, for every role's token and for no token,
must answer without a server error and with a body that its schema describes.

Each generated request is sent once per identity with its path keys replaced by an object of
organisation A (every role of the world belongs to A, so the request reaches the view's code,
not only its 404), and once more as generated, by the administrator, for the path parsing. Half
of the request bodies also get A's objects in their foreign keys, so that positive cases pass
validation and reach the services. Each request runs in a savepoint that is rolled back.

One test per resource of the API router, each fuzzing the resource's operations as subtests,
and one for whatever lies outside the router's resources, so that a new route is fuzzed without
anyone adding it here. (schemathesis's own pytest loader for a schema from a fixture, the one a
database-backed schema needs, relies on a pytest internal that pytest 9.2 removed: the loop over
operations is written out here instead.)
"""

import os
import re

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

import om_portal.urls  # noqa: F401  (registers every app's viewsets on the router)
from om_portal.api import router
from tests.access.world import ROLES
from tests.fuzz.conftest import body_keys, real_keys, token_header

pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, response_schema_conformance]
IDENTITIES = (None, *ROLES)  # None: no token at all
# Per operation; each example is sent 8 or 9 times (see above). 5 keep the folder near two minutes
# on two cores (180 operations, ~900 examples, ~7,800 requests); FUZZ_MAX_EXAMPLES digs deeper.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "5"))
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,  # the same requests on every run: a failure here is a failure on CI
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
RESOURCES = sorted(prefix for prefix, _viewset, _basename in router.registry)
OTHER = "(outside the router)"
# The token endpoint counts failed passwords towards the lockout (django-axes): not fuzzed.
NOT_FUZZED = {"POST /api/v1/auth/token/"}


def resource_of(path: str) -> str:
    match = re.match(r"^/api/v1/([^/]+)/", path)
    return match.group(1) if match and match.group(1) in RESOURCES else OTHER


def send_as_every_role(case, data, world):
    if isinstance(case.body, dict) and data.draw(st.booleans(), label="A's objects in the body's keys"):
        for name, value in body_keys(world).items():
            if name in case.body:
                case.body[name] = value
    generated = dict(case.path_parameters or {})
    real = {**generated, **real_keys(world).get(resource_of(case.operation.path), {})} if generated else {}
    sends = [(role, real) for role in IDENTITIES]
    if generated:
        sends.append(("administrator", generated))
    for role, path in sends:
        case.path_parameters = dict(path)
        key = world.tokens[role] if role else None
        with transaction.atomic():
            try:
                case.call_and_validate(headers=token_header(key), checks=CHECKS)
            except BaseException as exc:
                exc.add_note(f"Sent as: {role or 'anonymous'}, path keys {path}")
                raise
            finally:
                transaction.set_rollback(True)


def fuzz(operation, world):
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @FUZZ_SETTINGS
    @given(case=strategy, data=st.data())
    def run(case, data):
        send_as_every_role(case, data, world)

    run()


@pytest.mark.parametrize("resource", [*RESOURCES, OTHER])
def test_api_operations_survive_fuzzing(resource, fuzz_world, db, subtests):
    operations = [
        result.ok()
        for result in fuzz_world.schema.get_all_operations()
        if resource_of(result.ok().path) == resource and result.ok().label not in NOT_FUZZED
    ]
    if resource != OTHER:
        assert operations, f"/api/v1/{resource}/ has no operation in the schema"
    for operation in operations:
        with subtests.test(msg=operation.label):
            fuzz(operation, fuzz_world)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_token_is_accepted(role, fuzz_world, db, client):
    # Were a token refused, every request above would be a bare 401 and prove nothing.
    answer = client.get("/api/v1/contracts/", HTTP_AUTHORIZATION=f"Token {fuzz_world.tokens[role]}")
    assert answer.status_code == 200, answer.content
    codes = [contract["code"] for contract in answer.json()["results"]]
    # The security administrator keeps accounts and sees no contract (separation of duties).
    assert (fuzz_world.a.code in codes) == (role != "security_admin"), codes
