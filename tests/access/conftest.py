"""The access matrix's world, built once per test module.

Several hundred cases read the same two organisations, so the world is made once in a
transaction that spans the module and is rolled back at its end; each test runs in a savepoint
inside it (pytest-django's ``db``), and each role's requests in a savepoint of their own, so that
what one role changes no other role and no other test sees. This is what Django's
``TestCase.setUpTestData`` does for a class.
"""

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.access import query_counts
from tests.access.world import build_world, rolled_back


def log_in(world):
    """A session per role, made once: each request then only presents its cookie."""
    world.sessions, world.clients = {}, {}
    for role, user in world.roles.items():
        client = Client()
        client.force_login(user)
        world.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("access-media"))
    media.enable()
    try:
        with rolled_back(django_db_blocker):
            world = build_world()
            log_in(world)
            yield world
    finally:
        media.disable()


def pytest_sessionfinish(session):
    if query_counts.RECORDING:
        from tests.access.api_cases import API_CASES
        from tests.access.portal_cases import PORTAL_CASES

        query_counts.write({case.id for case in (*PORTAL_CASES, *API_CASES)})
