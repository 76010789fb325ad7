"""check --deploy names what production must set (issue 14): the proxies whose X-Forwarded-For
is believed, and the API tokens' lifetime."""

import pytest
from django.core.checks import run_checks

pytestmark = pytest.mark.django_db


def ids():
    return {
        message.id
        for message in run_checks(include_deployment_checks=True)
        if message.id.startswith("om_portal.")
    }


@pytest.fixture
def lifetime_set(monkeypatch):
    monkeypatch.setenv("API_TOKEN_LIFETIME_HOURS", "12")


@pytest.mark.parametrize(
    ("ssl_header", "count", "proxies", "warned"),
    [
        (("HTTP_X_FORWARDED_PROTO", "https"), 0, [], True),  # BEHIND_TLS_PROXY
        (None, 1, [], True),  # TRUSTED_PROXY_COUNT
        (("HTTP_X_FORWARDED_PROTO", "https"), 1, ["172.30.0.2"], False),
        (None, 0, [], False),  # no proxy: nothing to trust
    ],
)
def test_a_proxy_without_trusted_proxies_is_warned(
    settings, lifetime_set, ssl_header, count, proxies, warned
):
    settings.SECURE_PROXY_SSL_HEADER, settings.TRUSTED_PROXY_COUNT = ssl_header, count
    settings.TRUSTED_PROXIES = proxies
    assert ("om_portal.W010" in ids()) is warned


@pytest.mark.parametrize(
    ("hours", "warned"), [(12, False), (168, False), (169, True), (0, True), (24 * 365, True)]
)
def test_a_token_lifetime_too_long_or_none_is_warned(settings, lifetime_set, hours, warned):
    settings.API_TOKEN_LIFETIME_HOURS = hours
    assert ("om_portal.W011" in ids()) is warned


def test_an_unset_token_lifetime_is_warned(settings, monkeypatch):
    monkeypatch.delenv("API_TOKEN_LIFETIME_HOURS", raising=False)
    assert "om_portal.W012" in ids()
    monkeypatch.setenv("API_TOKEN_LIFETIME_HOURS", "12")
    assert "om_portal.W012" not in ids()
