"""Session timeouts and the second-factor gate.

Both act on browser sessions only: an API request authenticated by a token carries no session
with a logged-in user, and passes through untouched.
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from om_portal.auth import otp
from om_portal.auth.passwords import CHANGE_KEY

# Unix times, in seconds, kept in the session.
STARTED_KEY = "_auth_started_at"
LAST_SEEN_KEY = "_auth_last_seen_at"
# The last activity is written at most this often, so that every request is not a session write;
# the idle timeout is therefore exact to within this many seconds.
LAST_SEEN_RESOLUTION = 60


def start_session_clocks(sender, request, user, **kwargs):
    """At login (connected to user_logged_in): the session's lifetime and idle time start now."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED_KEY] = now
        request.session[LAST_SEEN_KEY] = now


class IdleTimeoutMiddleware:
    """Logs out a session idle for longer than SESSION_IDLE_MINUTES, and one older than
    SESSION_COOKIE_AGE however busy (the cookie's age alone does not bound it: each write of the
    last activity renews the session's expiry).

    After MessageMiddleware, so that the login page can say why the user is there again.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if SESSION_KEY in session:
            now = int(time.time())
            started = session.get(STARTED_KEY)
            last_seen = session.get(LAST_SEEN_KEY)
            idle_limit = settings.SESSION_IDLE_MINUTES * 60
            if last_seen is not None and now - last_seen > idle_limit:
                logout(request)
                messages.info(
                    request,
                    _("You were logged out after %(minutes)d minutes without activity. Please log in again.")
                    % {"minutes": settings.SESSION_IDLE_MINUTES},
                    fail_silently=True,
                )
            elif started is not None and now - started > settings.SESSION_COOKIE_AGE:
                logout(request)
                messages.info(
                    request,
                    _(
                        "Your session reached its longest allowed time of %(hours)g hours. "
                        "Please log in again."
                    )
                    % {"hours": settings.SESSION_COOKIE_AGE / 3600},
                    fail_silently=True,
                )
            else:
                if started is None:  # a session from before this middleware
                    session[STARTED_KEY] = now
                if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION:
                    session[LAST_SEEN_KEY] = now
        return self.get_response(request)


def _exempt_paths() -> set[str]:
    """Where a user who still owes the second factor may go: the second-factor pages themselves,
    logging out or in, the language switch, the health check, the token endpoint (which asks for
    the code itself)."""
    names = ["otp-verify", "otp-enrol", "login", "logout", "set_language", "healthz", "api:token"]
    return {reverse(name) for name in names}


def is_api_path(path: str) -> bool:
    # The API and its schema answer in JSON; the documentation page (/api/docs/) is a page.
    return path.startswith((reverse("api:api-root"), reverse("schema")))


class SecondFactorMiddleware:
    """Holds a logged-in user who must use a second factor at the code (or enrolment) page until
    the session is verified: pages redirect there, session-authenticated API calls get a 403.

    After OTPMiddleware (which tells whether the session is verified) and IdleTimeoutMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._pending(request):
            if is_api_path(request.path):
                return JsonResponse(
                    {"detail": _("Verify your second factor in the portal before using the API.")},
                    status=403,
                )
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('otp-verify')}?{query}")
        return self.get_response(request)

    @staticmethod
    def _pending(request) -> bool:
        # Cheapest tests first: most requests stop at the first or second.
        if not otp.enabled() or SESSION_KEY not in request.session:
            return False
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return False
        if request.path in _exempt_paths():
            return False
        return otp.must_verify(user)


class PasswordChangeMiddleware:
    """Holds a user whose password someone else chose at the password page until they choose
    their own: pages redirect there, session-authenticated API calls get a 403. After the
    second factor's gate, whose pages it lets through."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.get(CHANGE_KEY) and request.path not in _password_exempt_paths():
            if is_api_path(request.path):
                return JsonResponse(
                    {"detail": _("Choose your own password in the portal before using the API.")}, status=403
                )
            return redirect("password-change")
        return self.get_response(request)


def _password_exempt_paths() -> set[str]:
    return _exempt_paths() | {reverse("password-change")}
