"""The second factor (TOTP): enrolment and verification with real codes, who must use it, the gate
on pages and on the session-authenticated API, and the token endpoint's one-time code."""

import base64
import re
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """These tests read the English messages: the pages in English, and the code outside them."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


TOKEN_URL = "/api/v1/auth/token/"
PAGE = "/contracts/"


@pytest.fixture(autouse=True)
def second_factor_on(settings):
    settings.OTP_REQUIRED_ROLES = ["client_manager", "administrator"]


def code(device, drift=0):
    """The code the user's app shows now (drift=1: the next one), computed as RFC 6238 says."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, drift=drift):06d}"


def wrong_code(device):
    # Any code that none of the accepted time steps (one either side of now) shows.
    accepted = {code(device, drift) for drift in (-1, 0, 1, 2)}
    return next(c for c in (f"{n:06d}" for n in range(1000)) if c not in accepted)


def enrolled(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def verify_url(next_url=PAGE):
    return f"{reverse('otp-verify')}?{urlencode({'next': next_url})}"


def _session_key(client):
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def test_a_client_manager_enrols_after_the_password(client, client_manager_a):
    response = client.post(reverse("login"), {"username": client_manager_a.username, "password": PASSWORD})
    assert response.status_code == 302
    # Every page sends them to the second factor first; with no device yet, to enrolment.
    assert client.get(PAGE)["Location"] == verify_url()
    enrol_url = client.get(verify_url())["Location"]
    assert enrol_url == f"{reverse('otp-enrol')}?{urlencode({'next': PAGE})}"
    page = client.get(enrol_url)
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=client_manager_a)
    assert not device.confirmed
    # The QR code is an SVG inside the page; the secret is shown to type in.
    assert re.search(r"<svg[^>]*>.*<path", html, re.S)
    assert "<img" not in html
    assert device.bin_key and page.context["secret"].replace(" ", "") in html.replace(" ", "")
    key_before = _session_key(client)

    response = client.post(enrol_url, {"code": code(device), "next": PAGE})
    assert response.status_code == 302
    assert response["Location"] == PAGE
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(PAGE).status_code == 200
    # The session gained a privilege, and a new key with it.
    assert _session_key(client) != key_before


def test_the_secret_in_the_qr_code_is_the_devices(client, client_manager_a):
    client.force_login(client_manager_a)
    page = client.get(reverse("otp-enrol"))
    device = TOTPDevice.objects.get(user=client_manager_a)
    typed = page.context["secret"].replace(" ", "")
    assert base64.b32decode(typed + "=" * (-len(typed) % 8)) == device.bin_key
    assert "secret=" + typed in device.config_url
    # Reloading keeps the same secret (the app may already have scanned it).
    assert client.get(reverse("otp-enrol")).context["secret"] == page.context["secret"]
    assert TOTPDevice.objects.filter(user=client_manager_a).count() == 1


def test_a_wrong_enrolment_code_is_refused(client, client_manager_a):
    client.force_login(client_manager_a)
    client.get(reverse("otp-enrol"))
    device = TOTPDevice.objects.get(user=client_manager_a)
    response = client.post(reverse("otp-enrol"), {"code": wrong_code(device)})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(PAGE).status_code == 302


def test_an_enrolled_client_manager_verifies_a_code(client, client_manager_a):
    device = enrolled(client_manager_a)
    client.force_login(client_manager_a)
    assert client.get(PAGE)["Location"] == verify_url()
    page = client.get(verify_url())
    assert page.status_code == 200
    assert "registration/otp_verify.html" in [t.name for t in page.templates]
    key_before = _session_key(client)
    response = client.post(reverse("otp-verify"), {"code": code(device), "next": PAGE})
    assert response["Location"] == PAGE
    assert client.get(PAGE).status_code == 200
    assert _session_key(client) != key_before


def test_a_wrong_code_is_refused_and_guessing_is_slowed(client, client_manager_a):
    device = enrolled(client_manager_a)
    client.force_login(client_manager_a)
    response = client.post(reverse("otp-verify"), {"code": wrong_code(device), "next": PAGE})
    assert response.status_code == 200
    assert "wrong or has expired" in " ".join(response.context["form"].errors["code"])
    # Right after a failure, even the right code waits (django-otp: 1 s after one failure).
    response = client.post(reverse("otp-verify"), {"code": code(device), "next": PAGE})
    assert "Too many wrong codes" in " ".join(response.context["form"].errors["code"])
    assert client.get(PAGE).status_code == 302
    # Once the wait is over (moved back rather than slept), the right code passes.
    device.refresh_from_db()
    device.throttle_reset()
    assert client.post(reverse("otp-verify"), {"code": code(device), "next": PAGE}).status_code == 302
    assert client.get(PAGE).status_code == 200


def test_a_code_is_not_accepted_twice(client, client_manager_a):
    device = enrolled(client_manager_a)
    used = code(device)
    client.force_login(client_manager_a)
    client.post(reverse("otp-verify"), {"code": used})
    other = type(client)()
    other.force_login(client_manager_a)
    response = other.post(reverse("otp-verify"), {"code": used})
    assert response.status_code == 200
    assert other.get(PAGE).status_code == 302


def test_the_password_alone_cannot_replace_the_authenticator(client, client_manager_a):
    enrolled(client_manager_a)
    client.force_login(client_manager_a)
    response = client.get(reverse("otp-enrol"))
    assert response["Location"].startswith(reverse("otp-verify"))
    assert TOTPDevice.objects.filter(user=client_manager_a).count() == 1


def test_a_verified_user_replaces_the_authenticator(client, client_manager_a):
    old = enrolled(client_manager_a)
    client.force_login(client_manager_a)
    client.post(reverse("otp-verify"), {"code": code(old)})
    client.get(reverse("otp-enrol"))
    new = TOTPDevice.objects.get(user=client_manager_a, confirmed=False)
    client.post(reverse("otp-enrol"), {"code": code(new)})
    assert list(TOTPDevice.objects.filter(user=client_manager_a).values_list("pk", "confirmed")) == [
        (new.pk, True)
    ]
    assert client.get(PAGE).status_code == 200


def test_a_vendor_engineer_is_not_asked(client, vendor_engineer_a):
    client.force_login(vendor_engineer_a)
    assert client.get(PAGE).status_code == 200


@pytest.mark.parametrize("who", ["administrator", "superuser"])
def test_administrators_and_superusers_are_asked(client, administrator, make_user, who):
    user = administrator if who == "administrator" else make_user(is_superuser=True, is_staff=True)
    client.force_login(user)
    assert client.get(PAGE)["Location"] == verify_url()
    assert client.get("/admin/")["Location"] == verify_url("/admin/")


def test_the_required_roles_are_a_setting(client, client_manager_a, vendor_engineer_a, settings):
    settings.OTP_REQUIRED_ROLES = ["vendor_engineer"]
    client.force_login(vendor_engineer_a)
    assert client.get(PAGE).status_code == 302
    client.force_login(client_manager_a)
    assert client.get(PAGE).status_code == 200


def test_off_when_no_role_is_listed(client, client_manager_a, settings):
    settings.OTP_REQUIRED_ROLES = []
    enrolled(client_manager_a)
    client.force_login(client_manager_a)
    assert client.get(PAGE).status_code == 200
    assert "turned off" in client.get(reverse("security")).content.decode()


def test_the_pages_a_pending_user_may_reach(client, client_manager_a):
    client.force_login(client_manager_a)
    assert client.get(reverse("healthz")).status_code in (200, 503)
    assert client.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert SESSION_KEY not in client.session


def test_the_session_api_needs_a_verified_session(client, client_manager_a):
    device = enrolled(client_manager_a)
    client.force_login(client_manager_a)
    refused = client.get("/api/v1/contracts/")
    assert refused.status_code == 403
    assert "second factor" in refused.json()["detail"]
    assert client.get("/api/schema/").status_code == 403
    client.post(reverse("otp-verify"), {"code": code(device)})
    assert client.get("/api/v1/contracts/").status_code == 200


# --- The token endpoint --------------------------------------------------------------------------


def _token(user, **extra):
    return APIClient().post(
        TOKEN_URL, {"username": user.username, "password": PASSWORD, **extra}, format="json"
    )


def test_a_client_manager_needs_a_code_for_a_token(client_manager_a):
    device = enrolled(client_manager_a)
    missing = _token(client_manager_a)
    assert missing.status_code == 400
    assert list(missing.json()) == ["otp"]
    assert _token(client_manager_a, otp=wrong_code(device)).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()
    issued = _token(client_manager_a, otp=code(device))
    assert issued.status_code == 200
    # The token works on the API without a session to verify.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    assert api.get("/api/v1/contracts/").status_code == 200


def test_no_token_before_enrolment(client_manager_a):
    response = _token(client_manager_a, otp="123456")
    assert response.status_code == 400
    assert "Security page" in response.json()["otp"][0]


def test_a_vendor_engineer_gets_a_token_without_a_code(vendor_engineer_a):
    assert _token(vendor_engineer_a).status_code == 200


def test_a_wrong_password_is_not_an_otp_question(client_manager_a):
    enrolled(client_manager_a)
    response = APIClient().post(
        TOKEN_URL, {"username": client_manager_a.username, "password": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "otp" not in response.json()


# --- Optional enrolment --------------------------------------------------------------------------


def test_a_vendor_engineer_may_enrol_and_then_must_verify(client, vendor_engineer_a):
    client.force_login(vendor_engineer_a)
    page = client.get(reverse("security")).content.decode()
    assert reverse("otp-enrol") in page
    client.get(reverse("otp-enrol"))
    device = TOTPDevice.objects.get(user=vendor_engineer_a)
    client.post(reverse("otp-enrol"), {"code": code(device), "next": reverse("security")})
    assert client.get(PAGE).status_code == 200

    # At the next login the code is asked, and the token endpoint asks for it too.
    other = type(client)()
    other.post(reverse("login"), {"username": vendor_engineer_a.username, "password": PASSWORD})
    assert other.get(PAGE)["Location"] == verify_url()
    assert _token(vendor_engineer_a).status_code == 400

    # Turning it off takes a current code.
    refused = client.post(reverse("otp-disable"), {"code": wrong_code(device)})
    assert refused.status_code == 400
    device.refresh_from_db()
    device.throttle_reset()
    client.post(reverse("otp-disable"), {"code": code(device, drift=1)})
    assert not TOTPDevice.objects.filter(user=vendor_engineer_a).exists()
    assert other.get(PAGE).status_code == 200


def test_a_required_user_cannot_turn_it_off(client, client_manager_a):
    device = enrolled(client_manager_a)
    client.force_login(client_manager_a)
    client.post(reverse("otp-verify"), {"code": code(device)})
    client.post(reverse("otp-disable"), {"code": code(device, drift=1)})
    assert TOTPDevice.objects.filter(user=client_manager_a).exists()


def test_next_does_not_leave_the_portal(client, client_manager_a):
    device = enrolled(client_manager_a)
    client.force_login(client_manager_a)
    response = client.post(reverse("otp-verify"), {"code": code(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")
