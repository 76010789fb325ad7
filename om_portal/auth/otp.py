"""Who must prove a second factor (TOTP, django-otp), and the QR code that enrols an app.

``OTP_REQUIRED_ROLES`` names the roles that must use it (client managers and administrators by
default); superusers always do while it names any. Users outside those roles may enrol from the
Security page, and then must use it too. An empty ``OTP_REQUIRED_ROLES`` turns the second factor
off for everyone: the tests run that way, and switch it on where they test it.
"""

import base64
import time

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def enabled() -> bool:
    return bool(settings.OTP_REQUIRED_ROLES)


def required_by_role(user) -> bool:
    """Whether the user's roles (or superuser status) make the second factor compulsory."""
    if not enabled() or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    # identity.Membership, reached through the user: this layer imports nothing above it.
    return user.memberships.filter(role__in=settings.OTP_REQUIRED_ROLES).exists()


def must_verify(user) -> bool:
    """Whether the user must give a one-time code after the password: compulsory by role, or
    chosen by enrolling an authenticator. One query."""
    if not enabled() or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return (
        get_user_model()
        .objects.filter(pk=user.pk)
        .filter(Q(memberships__role__in=settings.OTP_REQUIRED_ROLES) | Q(totpdevice__confirmed=True))
        .exists()
    )


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def pending_device(user) -> TOTPDevice:
    """The device being enrolled: kept until it is confirmed with a code, so that reloading the
    page after scanning it shows the same secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def confirm(device: TOTPDevice) -> None:
    """Make ``device`` the user's only authenticator."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed: base32, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an inline SVG QR code, drawn here: no image service, no CDN.
    It carries the secret, so it is only ever put in the enrolment page itself, never in a URL."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    return image.to_string(encoding="unicode")


# The embedded demo (DEBUG on, ``seed_demo``) enrols its accounts with a device of this name, so a
# person can try every role without a phone: ``manage.py demo_code <user>`` shows its current code.
DEMO_DEVICE_NAME = "demo"


def enrol_demo(user) -> TOTPDevice:
    """Give a demo account a confirmed authenticator unless it already has one (kept as it is)."""
    device = confirmed_device(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEMO_DEVICE_NAME, confirmed=True)
    return device


def demo_device(user) -> TOTPDevice | None:
    """The account's demo authenticator, if its confirmed device is still the one the demo made."""
    device = confirmed_device(user)
    return device if device is not None and device.name == DEMO_DEVICE_NAME else None


def current_code(device: TOTPDevice) -> str:
    """The code the device's app would show now (django-otp's own TOTP, with the device's drift)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"
