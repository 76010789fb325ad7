"""The tablet app's server side: the service worker and manifest that let the inspection pages
open with no network, the endpoint a queued round is sent to when the network returns, and the
client's acceptance of a device's time (``inspections.offline``)."""

import functools
import hashlib
import json
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from contracts.worktime import CHINA_TZ
from inspections import offline, rounds
from inspections.forms import RoundForm
from inspections.models import InspectionRun, InspectionSlot

# What an inspection page needs besides itself, kept by the service worker when it installs.
OFFLINE_FILES = [
    "css/portal.css",
    "css/tablet.css",
    "js/portal.js",
    "js/tablet.js",
    "js/offline.js",
    "vendor/idb/umd.js",
    "img/favicon.svg",
    "img/app-192.png",
]


@functools.cache
def _files_version() -> str:
    """A digest of the files' contents: a release that changes one makes the tablets fetch
    them again, whatever the static storage names them."""
    digest = hashlib.sha256()
    for name in OFFLINE_FILES:
        found = finders.find(name)
        if found:
            digest.update(Path(found).read_bytes())
    return digest.hexdigest()[:16]


@require_GET
@never_cache
def service_worker(request):
    # Served from /inspections/ so that its scope is the inspection pages, never the whole
    # portal; never cached by the browser, so an update reaches the tablets on their next load.
    context = {
        "static_urls": json.dumps([static(name) for name in OFFLINE_FILES]),
        "version": _files_version(),
        "lang": "zh-CN" if translation.get_language() == "zh-hans" else translation.get_language(),
        "words": {
            "title": _("No connection"),
            "text": _(
                "This page was not opened on this tablet while it had the network, so it is not kept here."
            ),
            "back": _("Today's inspections"),
        },
    }
    response = render(request, "inspections/sw.js", context, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("inspections:index")
    return response


@require_GET
def manifest(request):
    response = render(request, "inspections/manifest.webmanifest", content_type="application/manifest+json")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def offline_words() -> dict:
    """What static/js/offline.js says, in the page's language."""
    return {
        "online": pgettext("network", "Online"),
        "offline": pgettext("network", "Offline"),
        "waiting": _("Waiting to be sent"),
        "sending": _("Sending…"),
        "sent": _("Sent, reached the server at %(at)s"),
        "refused": _("Not accepted: %(reason)s"),
        "conflict": _("Not recorded: %(reason)s"),
        "retry_at": _("next try at %(at)s"),
        "queued": _(
            "No connection: the round is kept on this tablet and will be sent when the network returns."
        ),
        "sign_in": _("Your session has ended: sign in again and the round will be sent."),
        "incident_queued": _("No connection: the incident will be opened when the round is sent."),
        "restored": _("What was entered on this tablet has been restored."),
        "errors": _("The round was not accepted. Correct these items:"),
        "export": _("Export"),
        "discard": _("Delete from this tablet"),
        "confirm_discard": _("Delete this round from the tablet? It has not been recorded."),
        "open": _("Open"),
        "queued_at": _("submitted on the tablet at %(at)s"),
        "photos": _("%(count)s photos"),
    }


def _local(moment) -> str:
    return f"{timezone.localtime(moment, CHINA_TZ):%Y-%m-%d %H:%M:%S}" if moment else ""


def _refusal(slot: InspectionSlot, messages_by_key: dict) -> tuple[int, dict]:
    """A refused round, as the device's queue reads it: ``code`` says what the engineer can do."""
    run = InspectionRun.objects.filter(slot_id=slot.pk).select_related("performed_by").first()
    if slot.done_at is not None or run is not None:
        who = ""
        if run is not None and run.performed_by is not None:
            who = run.performed_by.get_full_name() or run.performed_by.get_username()
        reason = (
            _("%(who)s already submitted this inspection at %(at)s.")
            % {"who": who, "at": _local(run.finished_at if run else slot.done_at)}
            if who
            else _("This inspection has already been submitted.")
        )
        return 409, {"code": "already_submitted", "errors": {"__all__": [reason]}}
    return 400, {"code": "invalid", "errors": messages_by_key}


@login_required
@require_POST
def sync_round(request, pk):
    """A round sent by the tablet's queue: 201 when recorded, 200 when it had been (the same
    device id), 400 with the errors by field, 409 when someone else's round holds the slot."""
    slot = get_object_or_404(rounds.slots_for(request.user).select_related("contract", "schedule"), pk=pk)
    items = rounds.items_of(rounds.checklist_for(slot))
    form = RoundForm(request.POST, request.FILES, items=items)
    if not form.is_valid():
        return JsonResponse({"code": "invalid", "errors": form.errors.get_json_data()}, status=400)
    data = form.cleaned_data
    try:
        run = rounds.submit_round(
            slot,
            request.user,
            form.answers(),
            form.photos_by_item(),
            data["note"],
            client_id=data["client_id"],
            device_at=data["device_at"],
        )
    except PermissionDenied as error:
        return JsonResponse({"code": "forbidden", "errors": {"__all__": [str(error)]}}, status=403)
    except ValidationError as error:
        slot.refresh_from_db()
        status, body = _refusal(
            slot, error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        )
        return JsonResponse(body, status=status)
    slot.refresh_from_db()
    if request.headers.get("X-Round-Submit") == "now" and not run.replayed:
        # Sent as the engineer tapped "submit": the page they go on to says so, as a form post's does.
        if slot.status == InspectionSlot.Status.MISSED:
            messages.warning(request, _("Inspection submitted after its deadline: it counts as missed."))
        else:
            messages.success(request, _("Inspection submitted."))
    return JsonResponse(
        {
            "run": run.pk,
            "client_id": str(run.client_id) if run.client_id else "",
            "replayed": run.replayed,
            "status": slot.status,
            "status_label": slot.get_status_display(),
            "received_at": _local(run.finished_at),
            "url": reverse("inspections:round", kwargs={"pk": slot.pk}),
        },
        status=200 if run.replayed else 201,
    )


@login_required
@require_POST
def accept_device_time(request, pk):
    run = get_object_or_404(
        InspectionRun.objects.restrict(request.user).select_related("slot", "contract"), pk=pk
    )
    try:
        offline.accept_device_time(run, request.user, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The tablet's time is accepted: the round counts as done at %(at)s.")
            % {"at": _local(run.device_submitted_at)},
        )
    return redirect("inspections:round", pk=run.slot_id)


urlpatterns = [
    path("sw.js", service_worker, name="service-worker"),
    path("manifest.webmanifest", manifest, name="manifest"),
    path("slots/<int:pk>/sync/", sync_round, name="round-sync"),
    path("runs/<int:pk>/accept-device-time/", accept_device_time, name="accept-device-time"),
]
