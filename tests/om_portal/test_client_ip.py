"""The client's address behind the TLS proxy: what the lockout counts failures by and the audit
trail records (om_portal.middleware.client_ip)."""

import pytest
from django.test import RequestFactory

from om_portal.middleware import client_ip
from om_portal.models import AuditEntry

PROXY = "10.0.0.2"


def request(forwarded=None):
    extra = {"REMOTE_ADDR": PROXY}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request("203.0.113.9")) == PROXY


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        # The proxy appended what it saw; the client sent nothing.
        (1, "198.51.100.7", "198.51.100.7"),
        # The client's own header is left of the proxy's entry and is never believed.
        (1, "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        # Two proxies: the outer one saw the client, the inner one saw the outer one.
        (2, "1.2.3.4, 198.51.100.7, 10.0.0.1", "198.51.100.7"),
        # Fewer entries than proxies: not through the chain; the socket's address.
        (2, "198.51.100.7", PROXY),
        # Garbage where an address should be.
        (1, "not-an-address", PROXY),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_behind_proxies_the_address_the_outermost_one_saw(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(request(forwarded)) == expected


@pytest.mark.django_db
def test_a_lockout_behind_the_proxy_locks_one_client_not_everyone(client, settings, make_user, client_org_a):
    from contracts.models import Role

    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 2
    make_user(Role.CLIENT_STAFF, client_org_a, username="zhang")
    for _ in range(2):
        client.post(
            "/login/",
            {"username": "zhang", "password": "wrong"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
    locked = client.post(
        "/login/",
        {"username": "zhang", "password": "wrong"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert locked.status_code == 429
    other = client.post(
        "/login/",
        {"username": "zhang", "password": "wrong"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    assert other.status_code == 200  # the form again, not the lockout
    failed = AuditEntry.objects.filter(action="login_failed").values_list("address", flat=True)
    assert set(failed) == {"198.51.100.7", "198.51.100.8"}
