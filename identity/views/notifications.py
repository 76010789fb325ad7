"""A person's choice of which events reach them by which channel (/account/notifications/), within
what their roles must receive: a kind mandatory for one of their roles shows its channels ticked
and fixed, and a choice posted against it is not stored."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from identity.access import memberships
from identity.models import side_of_role
from om_portal import events
from om_portal.models import NotificationPreference


def audiences_of(user) -> set[str]:
    """The audiences of ``om_portal.events`` a user can be in: their roles, "named" (anyone can
    be named on an object) and, on the vendor's side, "on duty"."""
    roles = {role for _organization, role in memberships(user)}
    found = set(roles) | {events.NAMED}
    if any(side_of_role(role) == "vendor" for role in roles):
        found.add(events.ON_DUTY)
    return found


def rows_for(user):
    """One row per kind that can reach the user: each personal channel as on/off and whether
    it is fixed (mandatory for one of the user's roles)."""
    audiences = audiences_of(user)
    roles = audiences - {events.NAMED, events.ON_DUTY}
    stored = {(p.kind, p.channel): p.enabled for p in NotificationPreference.objects.filter(user=user)}
    rows = []
    for kind in events.CATALOGUE.values():
        if not audiences & set(kind.audience):
            continue
        # Fixed when the user always receives it through a role; "on duty" and "named" are
        # mandatory only while the user is on duty or named, and the choice covers the rest.
        fixed = kind.mandatory_for(roles)
        while_on_duty = not fixed and kind.mandatory_for(audiences & {events.ON_DUTY, events.NAMED})
        cells = []
        for channel, label in events.PERSONAL_CHANNELS.items():
            default = channel in kind.channels
            on = default if fixed else stored.get((kind.code, channel), default)
            cells.append({"channel": channel, "label": label, "on": on, "fixed": fixed and default})
        rows.append({"kind": kind, "cells": cells, "fixed": fixed, "while_on_duty": while_on_duty})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    rows = rows_for(request.user)
    if request.method == "POST":
        # One statement for every choice, whatever the catalogue's size (an upsert on the
        # unique user, kind and channel); mandatory cells are not stored, whatever was posted.
        choices = [
            NotificationPreference(
                user=request.user,
                kind=row["kind"].code,
                channel=cell["channel"],
                enabled=f"{row['kind'].code}:{cell['channel']}" in request.POST,
            )
            for row in rows
            for cell in row["cells"]
            if not cell["fixed"]
        ]
        NotificationPreference.objects.bulk_create(
            choices,
            update_conflicts=True,
            unique_fields=["user", "kind", "channel"],
            update_fields=["enabled"],
        )
        messages.success(request, _("Your notification choices are saved."))
        return redirect("notification-preferences")
    return render(
        request,
        "identity/notification_preferences.html",
        {"rows": rows, "channels": events.PERSONAL_CHANNELS},
    )
