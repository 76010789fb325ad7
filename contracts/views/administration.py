"""The administrator's pages (系统管理), beside the calendar: the loan prime rates that price the
bureau's late payments (seed 003) and the notification channels (WeCom, DingTalk, webhooks,
mailboxes). Administrators and superusers only; each change is a line of the audit trail (the
rates by their saves, the channels through ``om_portal.channels``)."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from contracts.administration_forms import ChannelForm, LoanPrimeRateForm
from contracts.models import LoanPrimeRate
from contracts.views.calendar import administrator_required
from om_portal import channels
from om_portal.models import Delivery, NotificationChannel

RECENT_DELIVERIES = 10


# --- Loan prime rates ----------------------------------------------------------------------------


@administrator_required
def rate_list(request):
    return render(
        request,
        "contracts/administration/rate_list.html",
        {"rates": LoanPrimeRate.objects.order_by("-effective_on"), "section": "rates"},
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def rate_edit(request, pk=None):
    rate = get_object_or_404(LoanPrimeRate, pk=pk) if pk is not None else None
    form = LoanPrimeRateForm(request.POST or None, instance=rate)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
        messages.success(request, _("The loan prime rate is saved."))
        return redirect("administration:rates")
    return render(
        request,
        "contracts/administration/form.html",
        {
            "form": form,
            "title": _("Edit the loan prime rate") if rate else _("New loan prime rate"),
            "back": "administration:rates",
            "delete": rate is not None,
            "section": "rates",
        },
        status=400 if form.is_bound else 200,
    )


@administrator_required
@require_POST
def rate_delete(request, pk):
    rate = get_object_or_404(LoanPrimeRate, pk=pk)
    with transaction.atomic():
        rate.delete()
    messages.success(request, _("The loan prime rate is deleted."))
    return redirect("administration:rates")


# --- Notification channels -----------------------------------------------------------------------


@administrator_required
def channel_list(request):
    return render(
        request,
        "contracts/administration/channel_list.html",
        {"channels": NotificationChannel.objects.order_by("-active", "name"), "section": "channels"},
    )


@administrator_required
@require_http_methods(["GET", "POST"])
def channel_edit(request, pk=None):
    channel = get_object_or_404(NotificationChannel, pk=pk) if pk is not None else None
    before = channels.snapshot(channel) if channel else None
    form = ChannelForm(request.POST or None, instance=channel)
    if request.method == "POST" and form.is_valid():
        channel = channels.save_channel(form.save(commit=False), by=request.user, before=before)
        messages.success(request, _("The channel %(name)s is saved.") % {"name": channel.name})
        return redirect("administration:channel", pk=channel.pk)
    return render(
        request,
        "contracts/administration/form.html",
        {
            "form": form,
            "title": _("Edit the channel") if channel else _("New notification channel"),
            "back": "administration:channels",
            "section": "channels",
        },
        status=400 if form.is_bound else 200,
    )


@administrator_required
def channel_detail(request, pk):
    channel = get_object_or_404(NotificationChannel, pk=pk)
    deliveries = Delivery.objects.filter(channel=channel).order_by("-created_at")[:RECENT_DELIVERIES]
    return render(
        request,
        "contracts/administration/channel_detail.html",
        {"channel": channel, "deliveries": deliveries, "section": "channels"},
    )


@administrator_required
@require_POST
def channel_active(request, pk, active):
    channel = get_object_or_404(NotificationChannel, pk=pk)
    channels.set_active(channel, active, by=request.user)
    if active:
        messages.success(request, _("The channel is enabled."))
    else:
        messages.success(request, _("The channel is disabled: nothing more is sent through it."))
    return redirect("administration:channel", pk=channel.pk)


@administrator_required
@require_POST
def channel_test(request, pk):
    channel = get_object_or_404(NotificationChannel, pk=pk)
    if not channel.active:
        messages.error(request, _("Enable the channel before testing it."))
        return redirect("administration:channel", pk=channel.pk)
    channels.send_test(channel, by=request.user)
    messages.success(request, _("The test message is on its way; its outcome shows below."))
    return redirect("administration:channel", pk=channel.pk)
