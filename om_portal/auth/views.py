"""The second-factor pages: the code after the password, enrolling an authenticator app, and the
Security page where a user sees and manages theirs; and the page to change one's password."""

from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from om_portal import audit
from om_portal.auth import otp, passwords, tokens
from om_portal.auth.forms import CodeForm


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _check_code(user, device, form) -> TOTPDevice | None:
    """The device if the form's code is right for it; otherwise the reason goes on the form.
    django-otp refuses a code used before and slows guessing down (1, 2, 4... seconds)."""
    allowed, _detail = device.verify_is_allowed()
    if not allowed:
        form.add_error("code", _("Too many wrong codes. Wait a little, then enter the newest code."))
        return None
    verified = django_otp.verify_token(user, device.persistent_id, form.cleaned_data["code"])
    if verified is None:
        form.add_error("code", _("This code is wrong or has expired. Enter the newest code from your app."))
    return verified


def _mark_verified(request, device) -> None:
    django_otp.login(request, device)
    # The session gains a privilege: it gets a new key, as at login.
    request.session.cycle_key()


@login_required
def verify(request):
    user = request.user
    next_url = _next_url(request)
    if not otp.enabled() or user.is_verified():
        return redirect(next_url)
    device = otp.confirmed_device(user)
    if device is None:
        return redirect(_with_next("otp-enrol", next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verified = _check_code(user, device, form)
        if verified is not None:
            _mark_verified(request, verified)
            return redirect(next_url)
    # In the embedded demo, say where the demo authenticator's code is shown.
    demo = settings.DEBUG and device.name == otp.DEMO_DEVICE_NAME
    context = {"form": form, "next": next_url, "demo_username": user.get_username() if demo else ""}
    return render(request, "registration/otp_verify.html", context)


@login_required
def enrol(request):
    user = request.user
    next_url = _next_url(request)
    if not otp.enabled():
        messages.info(request, _("The second factor is turned off on this portal."))
        return redirect("security")
    if not user.is_verified() and otp.confirmed_device(user) is not None:
        # The password alone must never be enough to replace the authenticator.
        return redirect(_with_next("otp-verify", next_url))
    device = otp.pending_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verified = _check_code(user, device, form)
        if verified is not None:
            otp.confirm(verified)
            _mark_verified(request, verified)
            messages.success(
                request, _("Your authenticator app is set up. You will need a code at each login.")
            )
            return redirect(next_url)
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": otp.qr_svg(device),
        "secret": otp.secret_for_typing(device),
        "required": otp.required_by_role(user),
        "replacing": user.is_verified(),
    }
    return render(request, "registration/otp_enrol.html", context)


def _security_page(request, form=None, status=200):
    user = request.user
    context = {
        "enabled": otp.enabled(),
        "device": otp.confirmed_device(user),
        "required": otp.required_by_role(user),
        "form": form or CodeForm(),
        "security_url": reverse("security"),
    }
    return render(request, "registration/security.html", context, status=status)


@login_required
def security(request):
    return _security_page(request)


@login_required
@require_POST
def disable(request):
    """Turns the second factor off for a user whose roles do not require it, with a current code
    (a session left open must not be enough)."""
    user = request.user
    device = otp.confirmed_device(user)
    if device is None:
        return redirect("security")
    if otp.required_by_role(user):
        messages.error(request, _("Your role requires a second factor: it cannot be turned off."))
        return redirect("security")
    form = CodeForm(request.POST)
    if form.is_valid() and _check_code(user, device, form) is not None:
        TOTPDevice.objects.filter(user=user).delete()
        messages.success(request, _("The second factor is turned off for your account."))
        return redirect("security")
    return _security_page(request, form=form, status=400)


@login_required
def password_change(request):
    """The user's own password: the current one, then the new one twice. Required before anything
    else when someone else chose the current one (a new account)."""
    user = request.user
    required = bool(request.session.get(passwords.CHANGE_KEY))
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        # The session stays logged in (Django would otherwise end it with the old hash).
        update_session_auth_hash(request, user)
        passwords.changed(request, user)
        tokens.revoke(user)  # they fail on the new password anyway; the rows go now
        audit.record("password_change", user=user, obj=user)
        messages.success(request, _("Your password is changed."))
        return redirect("security")
    status = 400 if form.is_bound else 200
    return render(
        request, "registration/password_change.html", {"form": form, "required": required}, status=status
    )
