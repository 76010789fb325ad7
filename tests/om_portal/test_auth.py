"""Authentication hardening: lockout (django-axes) on the login form and the API token endpoint,
password complexity, idle and absolute session timeouts, and a new session key at login."""

import datetime as dt
import time

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.password_validation import get_password_validators, validate_password
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from om_portal.auth.middleware import LAST_SEEN_KEY, STARTED_KEY
from om_portal.auth.passwords import CharacterClassValidator, character_classes
from tests.conftest import PASSWORD
from tests.om_portal.helpers import clean_env, manage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """These tests read the English messages: the pages in English, and the code outside them."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


TOKEN_URL = "/api/v1/auth/token/"


def _login(client, username, password, address="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def _token(username, password, address="10.0.0.1", **extra):
    return APIClient().post(
        TOKEN_URL, {"username": username, "password": password, **extra}, format="json", REMOTE_ADDR=address
    )


# --- Lockout -------------------------------------------------------------------------------------


def test_the_login_form_locks_after_the_fifth_failure(client, client_staff_a):
    name = client_staff_a.username
    # Failures 1 to 4: the form again, with its error.
    assert [_login(client, name, "wrong").status_code for _ in range(4)] == [200] * 4
    # The 5th failure reaches AXES_FAILURE_LIMIT (5): the lockout page, not the form.
    locked = _login(client, name, "wrong")
    assert locked.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in locked.templates]
    assert locked["Retry-After"] == str(30 * 60)
    # Now even the right password is refused, and nobody is logged in.
    assert _login(client, name, PASSWORD).status_code == 429
    assert SESSION_KEY not in client.session
    # The trail has the five failures, the attempt refused while locked, and the lockout.
    from om_portal.models import AuditEntry

    assert AuditEntry.objects.filter(action="login_failed", username=name).count() == 5 + 1
    assert AuditEntry.objects.filter(action="login_locked_out", username=name, outcome="denied").exists()


def test_the_lock_holds_one_username_at_one_address(client, client_staff_a, vendor_engineer_a):
    for _ in range(5):
        _login(client, client_staff_a.username, "wrong", address="10.0.0.1")
    # The same user from another address, and another user from the same address, log in.
    assert _login(client, client_staff_a.username, PASSWORD, address="10.0.0.2").status_code == 302
    client.logout()
    assert _login(client, vendor_engineer_a.username, PASSWORD, address="10.0.0.1").status_code == 302


def test_the_token_endpoint_locks_too_with_json(client_staff_a, settings):
    settings.AXES_FAILURE_LIMIT = 3
    name = client_staff_a.username
    assert [_token(name, "wrong").status_code for _ in range(2)] == [400, 400]
    locked = _token(name, "wrong")
    assert locked.status_code == 429
    assert "30" in locked.json()["detail"]  # minutes to wait
    assert locked["Retry-After"] == "1800"
    assert _token(name, PASSWORD).status_code == 429
    assert _token(name, PASSWORD, address="10.0.0.9").status_code == 200


def test_form_and_token_failures_count_together(client, client_staff_a):
    name = client_staff_a.username
    for _ in range(3):
        _login(client, name, "wrong")
    assert _token(name, "wrong").status_code == 400  # 4th
    assert _token(name, "wrong").status_code == 429  # 5th
    assert _login(client, name, PASSWORD).status_code == 429


def test_the_lock_ends_after_the_cool_off(client, client_staff_a, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=30)
    name = client_staff_a.username
    _login(client, name, "wrong")
    assert _login(client, name, "wrong").status_code == 429
    # 29 minutes after the last failure: still locked (and that attempt starts the wait again).
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=29))
    assert _login(client, name, PASSWORD).status_code == 429
    # 31 minutes after it: the attempts have expired and the password works.
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=31))
    assert _login(client, name, PASSWORD).status_code == 302
    assert int(client.session[SESSION_KEY]) == client_staff_a.pk


def test_a_success_clears_the_failures(client, client_staff_a):
    name = client_staff_a.username
    for _ in range(4):
        _login(client, name, "wrong")
    assert _login(client, name, PASSWORD).status_code == 302
    client.logout()
    # Counting starts again: four more failures do not lock.
    assert [_login(client, name, "wrong").status_code for _ in range(4)] == [200] * 4


def test_the_reset_command_unlocks(client, client_staff_a):
    for _ in range(5):
        _login(client, client_staff_a.username, "wrong")
    call_command("axes_reset")
    assert _login(client, client_staff_a.username, PASSWORD).status_code == 302


def test_the_settings_come_from_the_environment(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), s.SESSION_IDLE_MINUTES, "
        "','.join(s.OTP_REQUIRED_ROLES) or '-')"
    )
    env = clean_env(tmp_path)
    defaults = manage("shell", "--no-imports", "-c", code, env=env)
    assert defaults.stdout.split() == [
        "5",
        "1800",
        "30",
        "client_manager,administrator,security_admin,auditor",
    ], defaults.stderr
    env.update(
        AXES_FAILURE_LIMIT="7", AXES_COOLOFF_MINUTES="15", SESSION_IDLE_MINUTES="10", OTP_REQUIRED_ROLES=""
    )
    configured = manage("shell", "--no-imports", "-c", code, env=env)
    assert configured.stdout.split() == ["7", "900", "10", "-"], configured.stderr


# --- Password complexity -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "classes"),
    [
        ("Abcdefg1", {"upper", "lower", "digit"}),
        ("abcdefg1", {"lower", "digit"}),
        ("Ab1!", {"upper", "lower", "digit", "other"}),
        ("密码abcd", {"other", "lower"}),  # Chinese characters have no case: "other"
    ],
)
def test_character_classes(password, classes):
    assert character_classes(password) == classes


def test_three_classes_and_eight_characters():
    rules = [
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 8},
        },
        {"NAME": "om_portal.auth.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    ]
    validators = get_password_validators(rules)
    validate_password("Abcdefg1", password_validators=validators)  # 3 classes, 8 characters
    with pytest.raises(ValidationError) as two_classes:
        validate_password("abcdefg1", password_validators=validators)
    assert [e.code for e in two_classes.value.error_list] == ["password_too_simple"]
    with pytest.raises(ValidationError) as short:
        validate_password("Ab1!", password_validators=validators)  # 4 classes, 4 characters
    assert [e.code for e in short.value.error_list] == ["password_too_short"]


def test_the_portals_validators_include_the_rule():
    # Django's list of common passwords, kept as the brief asks, also refuses "Abcdefg1".
    with pytest.raises(ValidationError) as common:
        validate_password("Abcdefg1")
    assert [e.code for e in common.value.error_list] == ["password_too_common"]
    with pytest.raises(ValidationError) as simple:
        validate_password("kestrel-harbour")
    assert [e.code for e in simple.value.error_list] == ["password_too_simple"]
    validate_password(PASSWORD)
    validate_password("OmPortal-Demo-2026")  # the demo users' password


def test_a_password_change_shows_the_rule(client_staff_a):
    form = SetPasswordForm(
        client_staff_a, {"new_password1": "kestrelharbour7", "new_password2": "kestrelharbour7"}
    )
    assert not form.is_valid()
    assert "at least 3 of these four kinds" in " ".join(form.errors["new_password2"])


def test_the_validator_checks_its_option():
    with pytest.raises(ValueError):
        CharacterClassValidator(min_classes=5)


# --- Sessions ------------------------------------------------------------------------------------


def _set_clock(client, **times):
    session = client.session
    session.update(times)
    session.save()


def test_an_idle_session_is_logged_out(client, client_staff_a):
    client.force_login(client_staff_a)
    now = int(time.time())
    _set_clock(client, **{LAST_SEEN_KEY: now - 29 * 60})
    assert client.get(reverse("security")).status_code == 200
    # That request was activity: the last-seen time moved to now.
    assert client.session[LAST_SEEN_KEY] >= now
    _set_clock(client, **{LAST_SEEN_KEY: now - 31 * 60})
    response = client.get(reverse("security"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert SESSION_KEY not in client.session
    assert "30 minutes without activity" in response.content.decode()


def test_the_idle_limit_is_configurable(client, client_staff_a, settings):
    settings.SESSION_IDLE_MINUTES = 5
    client.force_login(client_staff_a)
    _set_clock(client, **{LAST_SEEN_KEY: int(time.time()) - 6 * 60})
    assert client.get(reverse("security")).status_code == 302
    assert SESSION_KEY not in client.session


def test_activity_is_written_at_most_once_a_minute(client, client_staff_a):
    client.force_login(client_staff_a)
    earlier = int(time.time()) - 30
    _set_clock(client, **{LAST_SEEN_KEY: earlier})
    client.get(reverse("security"))
    assert client.session[LAST_SEEN_KEY] == earlier  # 30 s ago: not rewritten
    _set_clock(client, **{LAST_SEEN_KEY: earlier - 31})
    client.get(reverse("security"))
    assert client.session[LAST_SEEN_KEY] >= earlier + 30  # 61 s ago: now


def test_a_busy_session_ends_at_its_absolute_lifetime(client, client_staff_a):
    client.force_login(client_staff_a)
    now = int(time.time())
    _set_clock(client, **{STARTED_KEY: now - django_settings.SESSION_COOKIE_AGE - 1, LAST_SEEN_KEY: now})
    response = client.get(reverse("security"), follow=True)
    assert SESSION_KEY not in client.session
    assert "longest allowed time of 8 hours" in response.content.decode()


def test_login_starts_the_clocks(client, client_staff_a):
    before = int(time.time())
    _login(client, client_staff_a.username, PASSWORD)
    assert client.session[STARTED_KEY] >= before
    assert client.session[LAST_SEEN_KEY] >= before


def test_token_requests_have_no_session(client_staff_a):
    api = APIClient()
    token = _token(client_staff_a.username, PASSWORD).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.get("/api/v1/contracts/")
    assert response.status_code == 200
    assert django_settings.SESSION_COOKIE_NAME not in response.cookies


def test_login_gives_a_new_session_key(client, client_staff_a):
    # An anonymous session first (as a language choice or a CSRF-protected form would leave).
    session = client.session
    session["before_login"] = True
    session.save()
    old_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert SessionStore().exists(old_key)

    assert _login(client, client_staff_a.username, PASSWORD).status_code == 302
    new_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert new_key != old_key
    assert not SessionStore().exists(old_key)
    assert SessionStore(session_key=new_key)["before_login"] is True  # data carried over, key not
