"""Every API route and method × every role of organisation A, and the anonymous user (see
matrix.py)."""

import pytest

from tests.access.api_cases import API_CASES
from tests.access.matrix import run_case


@pytest.mark.parametrize("case", API_CASES, ids=lambda case: case.id)
def test_api_route(case, world, db):
    problems = run_case(case, world)
    assert not problems, f"{case.id}:\n" + "\n".join(problems)
