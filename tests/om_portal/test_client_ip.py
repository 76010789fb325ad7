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
    settings.TRUSTED_PROXIES, settings.TRUSTED_PROXY_COUNT = [], 1
    assert client_ip(request("203.0.113.9")) == PROXY


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        # The proxy appended what it saw; the client sent nothing.
        (["10.0.0.2"], "198.51.100.7", "198.51.100.7"),
        # The client's own header is left of the proxy's entry and is never believed.
        (["10.0.0.2"], "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        # Two proxies: the outer one saw the client, the inner one saw the outer one.
        (["10.0.0.0/8"], "1.2.3.4, 198.51.100.7, 10.0.0.1", "198.51.100.7"),
        # A client inside a proxy's range is still the client once the proxies are skipped.
        (["10.0.0.0/8"], "10.9.9.9", "10.9.9.9"),
        # Garbage where an address should be: the last proxy that vouched.
        (["10.0.0.2"], "not-an-address", PROXY),
        (["10.0.0.2"], "2001:db8::1", "2001:db8::1"),
        # No header at all: the socket's address.
        (["10.0.0.2"], None, PROXY),
    ],
)
def test_behind_listed_proxies_the_first_address_that_is_not_one(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXIES, settings.TRUSTED_PROXY_COUNT = proxies, 0
    assert client_ip(request(forwarded)) == expected


@pytest.mark.parametrize("count", [0, 1, 2])
def test_a_client_reaching_the_portal_directly_cannot_choose_its_address(settings, count):
    """Issue 14, Medium 4: with TRUSTED_PROXY_COUNT=1 alone, a client that reached the web port
    (published beside the proxy) was whoever its X-Forwarded-For said."""
    settings.TRUSTED_PROXIES, settings.TRUSTED_PROXY_COUNT = ["10.0.0.2"], count
    direct = RequestFactory().get("/", REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert client_ip(direct) == "192.0.2.50"


def test_the_count_caps_the_entries_read(settings):
    settings.TRUSTED_PROXIES, settings.TRUSTED_PROXY_COUNT = ["10.0.0.0/8"], 1
    # The second proxy's entry is beyond the cap: the walk stops at the first proxy's view.
    assert client_ip(request("198.51.100.7, 10.0.0.1")) == "10.0.0.1"


@pytest.mark.django_db
def test_a_lockout_behind_the_proxy_locks_one_client_not_everyone(client, settings, make_user, client_org_a):
    from contracts.models import Role

    settings.TRUSTED_PROXIES, settings.TRUSTED_PROXY_COUNT = [PROXY], 1
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


@pytest.mark.django_db
def test_rotating_a_forged_header_does_not_escape_the_lockout(client, settings, make_user, client_org_a):
    """Issue 14: a client sending its own X-Forwarded-For, a new one each time, straight to the
    web port; the lockout counts its real address, and the audit trail records it."""
    from contracts.models import Role

    settings.TRUSTED_PROXIES, settings.TRUSTED_PROXY_COUNT = [PROXY], 1
    settings.AXES_FAILURE_LIMIT = 3
    make_user(Role.CLIENT_STAFF, client_org_a, username="zhang")
    answers = [
        client.post(
            "/login/",
            {"username": "zhang", "password": "wrong"},
            REMOTE_ADDR="192.0.2.50",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(5)
    ]
    assert answers == [200, 200, 429, 429, 429]
    failed = AuditEntry.objects.filter(action__startswith="login_").values_list("address", flat=True)
    assert set(failed) == {"192.0.2.50"}
