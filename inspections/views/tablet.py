"""The engineer's tablet: today's inspections, a round of a checklist, the one-tap incident of an
abnormal item, the ledger's quick updates during the round, and the round's photos."""

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from contracts.models import Asset
from contracts.scoping import MANAGE_ASSETS, MANAGE_PENALTIES, PERFORM_INSPECTION, can
from inspections import offline, rounds
from inspections.forms import AssetUpdateForm, RoundForm
from inspections.models import ChecklistItem, InspectionMode, InspectionPhoto, InspectionSlot, ResultStatus
from inspections.views.offline import offline_words

ASSETS_PAGE = 10
RESULTS_SHOWN = 50


@dataclass
class SlotCard:
    slot: InspectionSlot
    what: str
    overdue: bool
    can_start: bool
    opens_at: dt.datetime | None

    @property
    def run(self):
        return getattr(self.slot, "run", None)


def _day(request) -> dt.date:
    today = timezone.localdate()
    raw = request.GET.get("day", "")
    if not raw:
        return today
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        messages.error(
            request, _("“%(value)s” is not a date (YYYY-MM-DD); showing today.") % {"value": raw[:20]}
        )
        return today


def _what(slot, names) -> str:
    if slot.schedule_id:
        kind = slot.schedule.checklist_kind
        return names.get((slot.contract_id, kind)) or slot.schedule.what or kind
    return slot.heightened_period.note or _("Heightened-security round")


@login_required
def index(request):
    day = _day(request)
    today = timezone.localdate()
    slots = list(rounds.todays_slots(request.user, day, include_pending=day == today))
    names = rounds.checklist_names(slots)
    performable = rounds.performable_contract_ids(request.user)
    now = timezone.now()
    cards = []
    for slot in slots:
        manual = slot.mode == InspectionMode.MANUAL and slot.done_at is None
        may = manual and slot.contract_id in performable
        cards.append(
            SlotCard(
                slot=slot,
                what=_what(slot, names),
                overdue=slot.status == InspectionSlot.Status.PENDING and slot.deadline < now,
                can_start=may and rounds.may_start(slot, now),
                opens_at=slot.due_at - rounds.EARLY_START
                if may and not rounds.may_start(slot, now)
                else None,
            )
        )
    return render(
        request,
        "inspections/index.html",
        {
            "cards": cards,
            "day": day,
            "today": today,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "section": "inspections",
            "offline_words": offline_words(),
        },
    )


def _slot(request, pk) -> InspectionSlot:
    return get_object_or_404(rounds.slots_for(request.user), pk=pk)


def _ledger_context(request, slot, items) -> dict:
    if not can(request.user, MANAGE_ASSETS, slot.contract):
        return {"show_ledger": False}
    query = request.GET.get("asset_q", "").strip()[:100]
    assets = rounds.round_assets(slot, request.user, items, query)
    return {
        "show_ledger": True,
        "asset_page": Paginator(assets, ASSETS_PAGE).get_page(request.GET.get("asset_page")),
        "asset_q": query,
        "asset_statuses": Asset.Status.choices,
    }


def _done_context(request, slot) -> dict:
    run = getattr(slot, "run", None)
    if run is None:
        return {}
    context = {
        "run": run,
        "may_accept_device_time": offline.may_accept_device_time(run)
        and can(request.user, MANAGE_PENALTIES, slot.contract),
    }
    if run.mode == InspectionMode.AUTOMATED:
        # What did not pass, the first RESULTS_SHOWN of them: filtered and cut in the query, as a
        # run of 10,000 checks would load every result otherwise (bench/results_year.py).
        results = run.results.exclude(status=ResultStatus.OK).select_related("automated_check")
        context["results"] = list(results.order_by("status", "automated_check__name")[:RESULTS_SHOWN])
    else:
        answers = run.answers.select_related("item", "incident", "incident__contract").prefetch_related(
            "photos"
        )
        context["answers"] = [(answer, rounds.answer_text(answer)) for answer in answers]
        context["round_photos"] = run.photos.filter(answer__isnull=True)
    return context


@login_required
def round_page(request, pk):
    slot = _slot(request, pk)
    may_perform = can(request.user, PERFORM_INSPECTION, slot.contract)
    if request.method == "POST" and not may_perform:
        raise PermissionDenied(_("Your role does not allow performing inspections on this contract."))
    template = rounds.checklist_for(slot)
    items = rounds.items_of(template)
    form = RoundForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        items=items,
    )
    if request.method == "POST" and form.is_valid():
        try:
            rounds.submit_round(
                slot, request.user, form.answers(), form.photos_by_item(), form.cleaned_data["note"]
            )
        except ValidationError as error:
            form.apply_errors(error)
        else:
            slot.refresh_from_db()
            if slot.status == InspectionSlot.Status.MISSED:
                messages.warning(request, _("Inspection submitted after its deadline: it counts as missed."))
            else:
                messages.success(request, _("Inspection submitted."))
            return redirect("inspections:index")
        # The slot may have been submitted meanwhile (another tablet): show what was recorded.
        slot = _slot(request, pk)
    now = timezone.now()
    context = {
        "slot": slot,
        "template": template,
        "form": form,
        "may_perform": may_perform,
        "manual": slot.mode == InspectionMode.MANUAL,
        "open": slot.done_at is None and rounds.may_start(slot, now),
        "opens_at": slot.due_at - rounds.EARLY_START,
        "overdue": slot.done_at is None and slot.deadline < now,
        "photo_max_bytes": rounds.photo_max_bytes(),
        "tablet_messages": _tablet_messages(),
        "offline_words": offline_words(),
        "section": "inspections",
        **_done_context(request, slot),
        **_ledger_context(request, slot, items),
    }
    return render(request, "inspections/round.html", context)


def _tablet_messages() -> dict:
    # tablet.js speaks the page's language: its sentences come from here, translated.
    return {
        "too_large": _("“%(name)s” is too large and was left out."),
        "not_image": _("“%(name)s” is not a JPEG, PNG or WebP image and was left out."),
        "opened": _("Incident %(number)s opened"),
        "failed": _("Not done: %(reason)s"),
        "offline": _("no connection, try again"),
        "saved": _("Saved."),
    }


def _json_errors(error: ValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {"errors": error.message_dict}
    return {"errors": {"__all__": error.messages}}


@login_required
@require_POST
def item_incident(request, pk, item_id):
    slot = _slot(request, pk)
    template = rounds.checklist_for(slot)
    if template is None:
        raise Http404
    item = get_object_or_404(
        ChecklistItem.objects.restrict(request.user).select_related("asset"), pk=item_id, template=template
    )
    try:
        incident = rounds.report_item_incident(
            slot, item, request.user, request.POST.get("note", ""), value=request.POST.get("value", "")
        )
    except PermissionDenied as error:
        return JsonResponse({"errors": {"__all__": [str(error)]}}, status=403)
    except ValidationError as error:
        return JsonResponse(_json_errors(error), status=400)
    return JsonResponse(
        {"id": incident.pk, "number": incident.number, "url": incident.get_absolute_url()}, status=201
    )


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_POST
def asset_update(request, pk, asset_id):
    slot = _slot(request, pk)
    asset = get_object_or_404(Asset.objects.restrict(request.user), pk=asset_id, contract_id=slot.contract_id)
    form = AssetUpdateForm(request.POST)
    back = reverse("inspections:round", kwargs={"pk": slot.pk}) + f"#asset-{asset.pk}"
    try:
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        asset = rounds.update_asset(
            slot, asset, request.user, status=form.cleaned_data["status"], remark=form.cleaned_data["remark"]
        )
    except PermissionDenied as error:
        if _wants_json(request):
            return JsonResponse({"errors": {"__all__": [str(error)]}}, status=403)
        raise
    except ValidationError as error:
        if _wants_json(request):
            return JsonResponse(_json_errors(error), status=400)
        for message in error.messages:
            messages.error(request, f"{asset.name}: {message}")
        return redirect(back)
    if _wants_json(request):
        return JsonResponse(
            {
                "id": asset.pk,
                "status": asset.status,
                "status_label": asset.get_status_display(),
                "remark": (asset.attributes or {}).get("remark", ""),
            }
        )
    messages.success(request, _("Ledger updated: %(asset)s.") % {"asset": asset.name})
    return redirect(back)


@login_required
@require_GET
def round_assets(request, pk):
    """The ledger section alone: the round's page swaps it in when searching or paging, so
    what was entered in the checklist stays on the page."""
    slot = _slot(request, pk)
    items = rounds.items_of(rounds.checklist_for(slot))
    context = {"slot": slot, **_ledger_context(request, slot, items)}
    if not context["show_ledger"]:
        raise PermissionDenied(_("Your role does not allow changing the asset ledger of this contract."))
    return render(request, "inspections/_round_assets.html", context)


@login_required
@require_GET
def photo(request, pk):
    # Photos are never served from MEDIA_URL: only a user who may see the run gets the file.
    found = get_object_or_404(InspectionPhoto.objects.restrict(request.user), pk=pk)
    try:
        stream = found.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(stream, content_type=found.content_type)
    response["Content-Disposition"] = f'inline; filename="{found.token}.{found.extension}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


urlpatterns = [
    path("", index, name="index"),
    path("slots/<int:pk>/", round_page, name="round"),
    path("slots/<int:pk>/items/<int:item_id>/incident/", item_incident, name="round-item-incident"),
    path("slots/<int:pk>/assets/", round_assets, name="round-assets"),
    path("slots/<int:pk>/assets/<int:asset_id>/", asset_update, name="round-asset-update"),
    path("photos/<int:pk>/", photo, name="round-photo"),
]
