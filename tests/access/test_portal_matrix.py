"""Every portal route × every role of organisation A, and the anonymous user (see matrix.py)."""

import pytest

from tests.access.matrix import run_case
from tests.access.portal_cases import PORTAL_CASES


@pytest.mark.parametrize("case", PORTAL_CASES, ids=lambda case: case.id)
def test_portal_route(case, world, db):
    problems = run_case(case, world)
    assert not problems, f"{case.id}:\n" + "\n".join(problems)
