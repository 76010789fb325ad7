"""A per-account limit across all addresses (issue 14, Medium 4): slows a guesser who spreads
attempts over many addresses, without locking the real user out.

django-axes locks a (username, address) pair after AXES_FAILURE_LIMIT failures, so that nobody
can lock another person out from elsewhere; but an attacker with many addresses (or, before
TRUSTED_PROXIES, a forged X-Forwarded-For) gets that many guesses per address. Here, once an
account has LOGIN_USERNAME_FAILURE_LIMIT failures from any addresses within
LOGIN_USERNAME_WINDOW_MINUTES, each further attempt must wait a delay that doubles with each
failure (2 s, 4 s, 8 s ... at most LOGIN_USERNAME_MAX_DELAY_SECONDS); an attempt during the wait
is answered 429 with Retry-After, its password never checked and the attempt not counted (so
hammering does not lengthen the wait). The account is never locked: after the wait one attempt
goes through. And an address the account has logged in from successfully before (its last few)
is not slowed at all: the user at their own workstation logs in while a guesser elsewhere waits.
A success clears the count. Counts live in the cache (Redis in production: shared by every
worker).
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from om_portal.auth.middleware import is_api_path
from om_portal.middleware import client_ip

KNOWN_ADDRESSES = 5
KNOWN_FOR_SECONDS = 90 * 24 * 3600
WAIT_ATTRIBUTE = "om_login_wait"


def _key(kind: str, username: str) -> str:
    return f"om-login-{kind}:{hashlib.sha256(username.strip().lower().encode()).hexdigest()}"


def _http(request):
    """The Django request under DRF's (the token endpoint hands DRF's to authenticate())."""
    return getattr(request, "_request", request)


def wait_for(username: str, address: str | None, now: float | None = None) -> int:
    """Seconds ``username`` must wait before an attempt from ``address``; 0 when it may try."""
    if address and address in cache.get(_key("known", username), []):
        return 0
    state = cache.get(_key("failures", username))
    if not state or state["count"] < settings.LOGIN_USERNAME_FAILURE_LIMIT:
        return 0
    delay = min(
        2 ** (state["count"] - settings.LOGIN_USERNAME_FAILURE_LIMIT + 1),
        settings.LOGIN_USERNAME_MAX_DELAY_SECONDS,
    )
    remaining = state["last"] + delay - (now if now is not None else time.time())
    return math.ceil(remaining) if remaining > 0 else 0


def note_failure(username: str) -> None:
    key = _key("failures", username)
    state = cache.get(key) or {"count": 0}
    state = {"count": state["count"] + 1, "last": time.time()}
    cache.set(
        key,
        state,
        timeout=settings.LOGIN_USERNAME_WINDOW_MINUTES * 60 + settings.LOGIN_USERNAME_MAX_DELAY_SECONDS,
    )


def note_success(username: str, address: str | None) -> None:
    cache.delete(_key("failures", username))
    if address:
        key = _key("known", username)
        known = [a for a in cache.get(key, []) if a != address]
        cache.set(key, [address, *known][:KNOWN_ADDRESSES], timeout=KNOWN_FOR_SECONDS)


class UsernameThrottleBackend:
    """Refuses, before any password is checked, an attempt on an account that must wait; it logs
    no one in (like axes's backend, it sits before ModelBackend)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None or not username:
            return None
        wait = wait_for(str(username), client_ip(_http(request)))
        if wait:
            setattr(_http(request), WAIT_ATTRIBUTE, wait)
            raise PermissionDenied  # ends authenticate(): no other backend checks the password
        return None

    # No get_user(): a backend that has one may be chosen as the session's (force_login takes the
    # first that has it), and this one logs no one in.


def on_login_failed(sender, credentials, request=None, **kwargs):
    """Connected to user_login_failed: counts a failure that was a real attempt."""
    if request is None:
        return
    http = _http(request)
    if getattr(http, WAIT_ATTRIBUTE, None) or getattr(http, "axes_locked_out", False):
        return  # refused without checking the password: not an attempt
    username = str(credentials.get("username", "") or "")
    if username:
        note_failure(username)


def on_logged_in(sender, request, user, **kwargs):
    """Connected to user_logged_in (the form, the admin); the token endpoint calls note_success."""
    if request is not None:
        note_success(user.get_username(), client_ip(request))


def wait_response(request, seconds: int):
    message = _("Too many failed logins for this account: wait %(seconds)d seconds, then try again.") % {
        "seconds": seconds
    }
    if is_api_path(request.path):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response


class UsernameThrottleMiddleware:
    """Turns a login refused for the account's wait into a 429 with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        seconds = getattr(request, WAIT_ATTRIBUTE, None)
        if seconds:
            return wait_response(request, seconds)
        return response
