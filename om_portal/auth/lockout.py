"""What a user locked out by django-axes gets (AXES_LOCKOUT_CALLABLE): a page, or JSON from the
API, with the status 429 and the time to wait. Never a 500, never a bare string."""

import math

from axes.helpers import get_cool_off, get_failure_limit
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from om_portal.auth.middleware import is_api_path


def lockout_message(minutes: int | None) -> str:
    if minutes is None:
        return _("Too many failed logins: this account is locked. Ask an administrator to unlock it.")
    return _(
        "Too many failed logins: this account cannot log in from this address for %(minutes)d minutes."
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    cool_off = get_cool_off(request)
    # Each attempt during the lockout starts the cool-off again, so it ends that long from now.
    seconds = int(cool_off.total_seconds()) if cool_off else None
    minutes = math.ceil(seconds / 60) if seconds is not None else None
    if is_api_path(request.path):
        response = JsonResponse({"detail": lockout_message(minutes)}, status=429)
    else:
        context = {
            "minutes": minutes,
            "failure_limit": get_failure_limit(request, credentials),
            "message": lockout_message(minutes),
        }
        response = render(request, "registration/locked_out.html", context, status=429)
    if seconds is not None:
        response["Retry-After"] = str(seconds)
    return response
