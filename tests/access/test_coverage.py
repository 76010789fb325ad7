"""The guard: a route that the matrix does not walk fails the suite, until it has cases (or an
exemption with its reason in routes.py)."""

from tests.access.api_cases import API_CASES
from tests.access.portal_cases import PORTAL_CASES
from tests.access.routes import EXEMPT, routes


def _covered():
    covered: dict[str, set] = {}
    for case in (*PORTAL_CASES, *API_CASES):
        covered.setdefault(case.route, set()).add(case.method)
    return covered


def test_every_route_and_method_is_in_the_matrix():
    covered = _covered()
    missing = []
    for name, methods in sorted(routes().items()):
        if name in EXEMPT:
            continue
        if name not in covered:
            missing.append(f"{name}: no case")
        elif methods is not None and (methods - covered[name]):
            missing.append(f"{name}: no case for {sorted(methods - covered[name])}")
    assert not missing, "Routes the access matrix does not walk:\n" + "\n".join(missing)


def test_the_matrix_names_no_route_that_is_gone():
    known = routes()
    assert not [name for name in _covered() if name not in known]


def test_an_exemption_names_a_route_that_exists():
    assert not [name for name in EXEMPT if name not in routes()]
