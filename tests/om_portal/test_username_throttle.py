"""The per-account limit across addresses (issue 14, Medium 4): a guesser who spreads attempts
over many addresses is slowed to a doubling wait (429 with Retry-After); the real user is never
locked out, and from an address they logged in from before is not slowed at all."""

import time

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from contracts.models import Role
from om_portal.auth import throttle
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.2"
USERNAME = "wang.wu"


@pytest.fixture
def account(settings, make_user, client_org_a):
    settings.TRUSTED_PROXIES, settings.TRUSTED_PROXY_COUNT = [PROXY], 1
    settings.LOGIN_USERNAME_FAILURE_LIMIT = 3
    settings.AXES_FAILURE_LIMIT = 5  # per address: never reached by one guess per address
    cache.delete_many([throttle._key("failures", USERNAME), throttle._key("known", USERNAME)])
    yield make_user(Role.CLIENT_STAFF, client_org_a, username=USERNAME)
    cache.delete_many([throttle._key("failures", USERNAME), throttle._key("known", USERNAME)])


def attempt(client, address, guess="wrong"):
    return client.post(
        "/login/",
        {"username": USERNAME, "password": guess},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=address,
    )


def test_the_waits_double_and_stop_at_the_maximum(settings):
    settings.LOGIN_USERNAME_FAILURE_LIMIT, settings.LOGIN_USERNAME_MAX_DELAY_SECONDS = 3, 300
    name = "arithmetic.only"
    cache.delete(throttle._key("failures", name))
    waits = []
    for _ in range(12):
        throttle.note_failure(name)
        last = cache.get(throttle._key("failures", name))["last"]
        waits.append(throttle.wait_for(name, None, now=last))
    cache.delete(throttle._key("failures", name))
    # Failures 1–2: free; the 3rd (the limit): 2 s; then 4, 8, ... 256, and 300 at most.
    assert waits == [0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


def test_a_guesser_rotating_addresses_is_slowed(client, account):
    # Three addresses, one guess each: axes (per address) never locks any of them.
    assert [attempt(client, f"198.51.100.{n}").status_code for n in range(3)] == [200, 200, 200]
    slowed = attempt(client, "198.51.100.9")
    assert slowed.status_code == 429 and 1 <= int(slowed["Retry-After"]) <= 2
    # The token endpoint too, in JSON, without checking the password.
    api = APIClient()
    answer = api.post(
        "/api/v1/auth/token/",
        {"username": USERNAME, "password": PASSWORD},
        format="json",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.10",
    )
    assert answer.status_code == 429 and answer["Retry-After"] and "detail" in answer.json()
    # Refused attempts are not counted: the wait does not grow while the guesser hammers.
    assert cache.get(throttle._key("failures", USERNAME))["count"] == 3


def test_the_real_user_is_not_locked_out(client, account):
    # The user's own workstation, known from an earlier login.
    assert attempt(client, "192.0.2.10", PASSWORD).status_code == 302
    client.logout()
    for n in range(4):
        attempt(client, f"198.51.100.{n}")
    assert attempt(client, "198.51.100.20", PASSWORD).status_code == 429  # elsewhere: wait
    # From the known address: in at once.
    assert attempt(client, "192.0.2.10", PASSWORD).status_code == 302
    client.logout()
    # The success cleared the count: from anywhere again.
    assert attempt(client, "198.51.100.21", PASSWORD).status_code == 302


def test_after_the_wait_one_attempt_goes_through(client, account):
    for n in range(3):
        attempt(client, f"198.51.100.{n}")
    assert attempt(client, "198.51.100.30", PASSWORD).status_code == 429
    time.sleep(2.1)  # the first wait: 2 seconds
    assert attempt(client, "198.51.100.30", PASSWORD).status_code == 302
