"""The engineer's round on the tablet: today's slots, the checklist, photos and the submission.

- ``todays_slots`` lists what a user sees on the Today page; ``checklist_for`` picks a slot's
  checklist by its schedule's ``checklist_kind``;
- ``validate_photo`` (``inspections.photos``) decides a photo's type by decoding it (never by its
  name or the browser's word), within a size and a pixel limit;
- ``submit_round`` checks every answer and every photo first, then writes the run, its answers
  and its photos and completes the slot in one transaction; files written before a failure are
  removed again;
- ``report_item_incident`` is the one-tap "abnormal → incident" of a checklist item;
- ``update_asset`` keeps the asset ledger current during the round (seed 003: the device ledger
  is updated at each inspection).
"""

import datetime as dt
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Asset, Contract
from contracts.scoping import MANAGE_ASSETS, PERFORM_INSPECTION, VIEW
from contracts.worktime import CHINA_TZ, ONE_DAY
from incidents.models import Incident, IncidentSource
from incidents.services import report_incident
from inspections import offline
from inspections.models import (
    ChecklistItem,
    ChecklistTemplate,
    InspectionMode,
    InspectionPhoto,
    InspectionRun,
    InspectionSlot,
    ItemResult,
)
from inspections.photos import (
    DEFAULT_PHOTO_MAX_BYTES,  # noqa: F401 — part of this module's interface
    PHOTO_FORMATS,  # noqa: F401
    PHOTO_MAX_PIXELS,  # noqa: F401
    _display_name,
    photo_max_bytes,  # noqa: F401
    validate_photo,
)
from inspections.schedules import complete_slot
from om_portal import audit

Status = InspectionSlot.Status
Kind = ChecklistItem.Kind

MAX_PHOTOS_PER_ROUND = 30
# A round may be started a little before its time (the 08:00 round at 07:45), not hours before:
# three rounds of a heightened day done at once would not be three rounds.
EARLY_START = dt.timedelta(hours=1)
NOTE_MAX = 5000
ITEM_NOTE_MAX = 1000
REMARK_MAX = 500
# ItemResult.number: 12 digits, 3 after the point.
NUMBER_PLACES = Decimal("0.001")
NUMBER_LIMIT = Decimal(10) ** 9
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
# An id as a browser sends it back: ASCII digits that fit a bigint ("²" is a digit to isdigit()).
_ID = re.compile(r"^[0-9]{1,18}$")
CHECK_VALUES = {"normal": True, "abnormal": False, True: True, False: False}


def parse_id(raw) -> int | None:
    text = str(raw if raw is not None else "").strip()
    return int(text) if _ID.match(text) else None


def item_key(item) -> str:
    """The key of an item's errors, and the name of its field on the round's form."""
    return f"item-{item.pk}"


# --- What the user sees -------------------------------------------------------------------------


def slots_for(user, action: str = VIEW):
    return InspectionSlot.objects.restrict(user, action).select_related(
        "contract", "schedule", "heightened_period", "run", "run__performed_by"
    )


def todays_slots(user, day: dt.date, *, include_pending: bool = True):
    """The user's slots due on ``day`` (Beijing), and with ``include_pending`` the ones due
    earlier that are still pending (open for days, or overdue and not yet marked missed)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=CHINA_TZ)
    when = Q(due_at__gte=start, due_at__lt=start + ONE_DAY)
    if include_pending:
        when |= Q(status=Status.PENDING, due_at__lt=start)
    return slots_for(user).filter(when).order_by("due_at", "contract__code", "pk")


def performable_contract_ids(user) -> set[int]:
    return set(Contract.objects.restrict(user, PERFORM_INSPECTION).values_list("pk", flat=True))


def checklist_for(slot: InspectionSlot) -> ChecklistTemplate | None:
    """The contract's active checklist named by the slot's schedule; None for a round without
    one (a heightened period's own rounds, a schedule that only says what is inspected)."""
    key = slot.schedule.checklist_kind if slot.schedule_id else ""
    if not key:
        return None
    return ChecklistTemplate.objects.filter(contract_id=slot.contract_id, key=key, active=True).first()


def checklist_names(slots: Iterable[InspectionSlot]) -> dict[tuple[int, str], str]:
    """(contract id, key) → checklist name for a page of slots, in one query."""
    slots = [s for s in slots if s.schedule_id and s.schedule.checklist_kind]
    if not slots:
        return {}
    templates = ChecklistTemplate.objects.filter(
        contract_id__in={s.contract_id for s in slots},
        key__in={s.schedule.checklist_kind for s in slots},
        active=True,
    ).values_list("contract_id", "key", "name")
    return {(contract_id, key): name for contract_id, key, name in templates}


def items_of(template: ChecklistTemplate | None) -> list[ChecklistItem]:
    if template is None:
        return []
    return list(template.items.select_related("asset").order_by("position", "id"))


def may_start(slot: InspectionSlot, now=None) -> bool:
    now = now or timezone.now()
    return slot.done_at is None and slot.due_at - EARLY_START <= now


# --- Photos -------------------------------------------------------------------------------------


# --- Submitting a round -------------------------------------------------------------------------


def _slot_for(user, slot: InspectionSlot, action: str) -> InspectionSlot:
    """The slot again through the user's scope, or PermissionDenied: another contract's slot,
    or a role that may not do ``action``, is refused without saying which."""
    found = slots_for(user, action).filter(pk=slot.pk).first()
    if found is None:
        raise PermissionDenied(_("You may not perform this inspection."))
    return found


def _refuse_unless_open(slot: InspectionSlot, at: dt.datetime) -> None:
    if slot.mode == InspectionMode.AUTOMATED:
        raise ValidationError(
            {"slot": _("This inspection is run by the automated checks; it is not submitted by hand.")}
        )
    if slot.done_at is not None or hasattr(slot, "run"):
        raise ValidationError({"slot": _("This inspection has already been submitted.")})
    if at < slot.due_at - EARLY_START:
        opens = timezone.localtime(slot.due_at - EARLY_START, CHINA_TZ)
        raise ValidationError(
            {
                "slot": _("This inspection cannot be started before %(time)s.")
                % {"time": f"{opens:%Y-%m-%d %H:%M}"}
            }
        )


def parse_number(raw) -> Decimal:
    """A reading as typed on a tablet (full-width digits too) → Decimal; ValueError with a
    message for anything else."""
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int) and not isinstance(raw, bool):
        value = Decimal(raw)
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip()
        if not _NUMBER.match(text):
            raise ValueError(_("“%(value)s” is not a number.") % {"value": str(raw)[:50]})
        value = Decimal(text)
    if not value.is_finite():
        raise ValueError(_("“%(value)s” is not a number.") % {"value": raw})
    try:
        value = value.quantize(NUMBER_PLACES, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        value = NUMBER_LIMIT
    if abs(value) >= NUMBER_LIMIT:
        raise ValueError(_("The number is too large."))
    return value


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Errors(dict):
    def add(self, key: str, message: str) -> None:
        self.setdefault(key, []).append(message)


def _linked_incident(raw, user, slot, key, errors) -> Incident | None:
    if _blank(raw):
        return None
    incident, pk = None, parse_id(raw)
    if pk is not None:
        incident = (
            Incident.objects.restrict(user)
            .filter(pk=pk, contract_id=slot.contract_id, source=IncidentSource.INSPECTION)
            .first()
        )
    if incident is None:
        errors.add(key, _("The incident is not one opened by an inspection of this contract."))
    return incident


def _answer(item, given: Mapping, photos: list, user, slot, errors: _Errors) -> dict | None:
    """The fields of the item's ItemResult, or None when an optional item was left alone."""
    key = item_key(item)
    value = given.get("value")
    note = (given.get("note") or "").strip()
    fields = {"note": note, "passed": None, "number": None, "text": ""}
    if len(note) > ITEM_NOTE_MAX:
        errors.add(key, _("Keep the note under %(max)s characters.") % {"max": ITEM_NOTE_MAX})
    if item.kind == Kind.CHECK and not _blank(value):
        if isinstance(value, (str, bool)) and value in CHECK_VALUES:
            fields["passed"] = CHECK_VALUES[value]
        else:
            errors.add(key, _("Choose normal or abnormal."))
    elif item.kind == Kind.NUMBER and not _blank(value):
        try:
            fields["number"] = parse_number(value)
        except ValueError as error:
            errors.add(key, str(error))
    elif item.kind == Kind.TEXT and not _blank(value):
        fields["text"] = str(value).strip()
        if len(fields["text"]) > NOTE_MAX:
            errors.add(key, _("Keep the text under %(max)s characters.") % {"max": NOTE_MAX})
    incident = _linked_incident(given.get("incident"), user, slot, key, errors)
    answered = {
        Kind.CHECK: fields["passed"] is not None,
        Kind.NUMBER: fields["number"] is not None,
        Kind.TEXT: bool(fields["text"]),
        Kind.PHOTO: bool(photos),
    }[item.kind]
    if item.required and not answered and key not in errors:
        message = _("Take at least one photo.") if item.kind == Kind.PHOTO else _("Answer this item.")
        errors.add(key, message)
    if not (answered or note or photos or incident):
        return None
    fields["incident"] = incident
    fields["abnormal"] = item.is_abnormal(passed=fields["passed"], number=fields["number"])
    return fields


def _checked_photos(photos: Mapping, items: dict, errors: _Errors) -> list[tuple]:
    """[(item id or None, uploaded, (extension, content type, width, height))] when all pass."""
    if sum(len(files) for files in photos.values()) > MAX_PHOTOS_PER_ROUND:
        # Said before decoding any: a hundred photos are not decoded to be refused.
        errors.add("photos", _("At most %(max)s photos per round.") % {"max": MAX_PHOTOS_PER_ROUND})
        return []
    checked = []
    for item_id, files in photos.items():
        key = item_key(items[item_id]) if item_id is not None else "photos"
        for uploaded in files:
            try:
                checked.append((item_id, uploaded, validate_photo(uploaded)))
            except ValidationError as error:
                errors.add(key, error.messages[0])
    return checked


def submit_round(
    slot,
    user,
    answers: Mapping,
    photos: Mapping,
    note: str = "",
    at=None,
    *,
    client_id=None,
    device_at=None,
) -> InspectionRun:
    """Record an engineer's round of ``slot`` and complete the slot.

    ``answers`` maps an item's id to ``{"value": …, "note": …, "incident": id}``: a check's value
    is "normal"/"abnormal" (or a bool), a number's is its text, a text item's its text.
    ``photos`` maps an item's id (None: the round as a whole) to uploaded files. Every error is
    raised at once, keyed ``item-<id>``, ``photos``, ``note`` or ``slot``, before anything is
    written. Late (after the deadline) the slot is still completed, as missed with a breach.

    From a tablet (``inspections.offline``): ``client_id`` is the round's id made on the device
    (a retry of a round already recorded returns that round, marked ``replayed``), ``device_at``
    the device's moment of submission, an answer's ``entered_at`` the device's moment of entry,
    and ``open_incident`` asks for the incident an abnormal item could not open offline.
    """
    at = at or timezone.now()
    client_id = offline.parse_client_id(client_id)
    slot = _slot_for(user, slot, PERFORM_INSPECTION)
    if (run := offline.replayed(client_id, slot, user)) is not None:
        return run
    _refuse_unless_open(slot, at)
    template = checklist_for(slot)
    items = {item.pk: item for item in items_of(template)}
    errors = _Errors()
    answers = {_item_id(k): v for k, v in answers.items()}
    photos = {_item_id(k): list(v) for k, v in photos.items() if v}
    if (set(answers) | set(photos)) - set(items) - {None}:
        errors.add(
            NON_FIELD_ERRORS, _("The checklist has changed since the page was opened; check the items.")
        )
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors.add("note", _("Keep the notes under %(max)s characters.") % {"max": NOTE_MAX})
    results = {}
    for item in items.values():
        fields = _answer(item, answers.get(item.pk) or {}, photos.get(item.pk, []), user, slot, errors)
        if fields is not None:
            results[item.pk] = fields
    checked = _checked_photos({k: v for k, v in photos.items() if k in items or k is None}, items, errors)
    opens_at = slot.due_at - EARLY_START
    try:
        device_at = offline.device_moment(device_at, slot, at, opens_at)
    except ValueError as error:
        errors.add(NON_FIELD_ERRORS, str(error))
    for item_id, fields in results.items():
        try:
            fields["entered_at"] = offline.device_moment(
                answers[item_id].get("entered_at"), slot, at, opens_at
            )
        except ValueError as error:
            errors.add(item_key(items[item_id]), str(error))
        except (KeyError, AttributeError):
            fields["entered_at"] = None
    if errors:
        raise ValidationError(dict(errors))
    wanted = [
        item_id
        for item_id, fields in results.items()
        if fields["abnormal"]
        and fields["incident"] is None
        and (answers.get(item_id) or {}).get("open_incident")
    ]

    written = []
    try:
        with transaction.atomic():
            # First: a second submission of the same slot stops here, before any row or file.
            complete_slot(slot, at)
            run = InspectionRun.objects.create(
                slot=slot,
                contract_id=slot.contract_id,
                mode=InspectionMode.MANUAL,
                template=template,
                performed_by=user,
                started_at=at,
                finished_at=at,
                note=note,
                items_abnormal=sum(1 for fields in results.values() if fields["abnormal"]),
                client_id=client_id,
                device_submitted_at=device_at,
            )
            for item_id in wanted:  # opened offline: the round's own transaction opens them once
                given = answers[item_id]
                value = given.get("value", "") if items[item_id].kind == Kind.NUMBER else ""
                results[item_id]["incident"] = _item_incident(
                    slot, items[item_id], user, given.get("note", ""), value=value
                )
            # One INSERT, and one line on the audit trail for the round's answers: a line per
            # answer took the trail's lock a dozen times per round, which made 50 tablets wait
            # on each other (bench/load.py).
            rows = [ItemResult(run=run, item=items[item_id], **fields) for item_id, fields in results.items()]
            ItemResult.objects.bulk_create(rows)
            saved = {row.item_id: row for row in rows}
            audit.record_bulk(
                "create", ItemResult, len(rows), contract=slot.contract, detail={"run": run.pk}, user=user
            )
            for item_id, uploaded, (extension, content_type, width, height) in checked:
                photo = InspectionPhoto(
                    run=run,
                    answer=saved.get(item_id),
                    token=secrets.token_hex(16),
                    extension=extension,
                    content_type=content_type,
                    size=uploaded.size,
                    width=width,
                    height=height,
                    original_name=_display_name(uploaded),
                    uploaded_by=user,
                )
                # The stored name comes from upload_to (token and extension); the one given is unused.
                photo.file.save(f"{photo.token}.{extension}", uploaded, save=False)
                written.append(photo.file.name)
                photo.save()
    except BaseException as error:
        storage = InspectionPhoto._meta.get_field("file").storage
        for name in written:
            storage.delete(name)
        # Two tabs sending the same round at once: the second waited on the slot's row and
        # found it done, by its own round.
        if isinstance(error, ValidationError) and (run := offline.replayed(client_id, slot, user)):
            return run
        raise
    run.replayed = False
    return run


def _item_id(key):
    if key is None or isinstance(key, int):
        return key
    if isinstance(key, ChecklistItem):
        return key.pk
    found = parse_id(str(key).removeprefix("item-"))
    return -1 if found is None else found


# --- Abnormal → incident, and the ledger --------------------------------------------------------


def report_item_incident(slot, item, user, note: str = "", *, value: str = "") -> Incident:
    """Open an incident for an abnormal checklist item, against the item's asset; the round's
    page keeps its id and ``submit_round`` links the answer to it."""
    now = timezone.now()
    slot = _slot_for(user, slot, PERFORM_INSPECTION)
    _refuse_unless_open(slot, now)
    template = checklist_for(slot)
    if template is None or item.template_id != template.pk:
        raise ValidationError({"item": _("This item is not on this inspection's checklist.")})
    return _item_incident(slot, item, user, note, value=value)


def _item_incident(slot, item, user, note: str = "", *, value="") -> Incident:
    note = (note or "").strip()[:ITEM_NOTE_MAX]
    value = (str(value) if value is not None else "").strip()[:100]
    contract = slot.contract
    title = _("%(contract)s inspection: “%(item)s” abnormal") % {
        "contract": contract.code,
        "item": item.label,
    }
    due = timezone.localtime(slot.due_at, CHINA_TZ)
    lines = [
        _("Found on the inspection “%(what)s” due %(due)s.")
        % {"what": slot.origin_name, "due": f"{due:%Y-%m-%d %H:%M}"},
        _("Checklist item: %(item)s")
        % {"item": f"{item.section} · {item.label}" if item.section else item.label},
    ]
    if value:
        lines.append(_("Value: %(value)s %(unit)s") % {"value": value, "unit": item.unit})
        if item.min_value is not None or item.max_value is not None:
            lines.append(_("Normal range: %(range)s") % {"range": normal_range(item)})
    if note:
        lines.append(_("Note: %(note)s") % {"note": note})
    return report_incident(
        contract,
        by=user,
        title=_truncate(title, 200),
        source=IncidentSource.INSPECTION,
        asset=item.asset,
        description="\n".join(lines),
    )


def plain_number(number: Decimal) -> str:
    """36.500 → "36.5", 100.000 → "100" (normalize() alone would say 1E+2)."""
    return f"{Decimal(str(number)).normalize():f}"


def answer_text(answer: ItemResult) -> str:
    """An answer as the round's page shows it; photos are shown as photos."""
    item = answer.item
    if item.kind == Kind.CHECK:
        return {True: _("Normal"), False: _("Abnormal")}.get(answer.passed, "—")
    if item.kind == Kind.NUMBER:
        return f"{plain_number(answer.number)} {item.unit}".strip() if answer.number is not None else "—"
    if item.kind == Kind.TEXT:
        return answer.text or "—"
    return ""


def normal_range(item) -> str:
    show = plain_number
    low, high = item.min_value, item.max_value
    if low is not None and high is not None:
        text = f"{show(low)} – {show(high)}"
    elif low is not None:
        text = f"≥ {show(low)}"
    elif high is not None:
        text = f"≤ {show(high)}"
    else:
        return ""
    return f"{text} {item.unit}".strip()


def _truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def round_assets(slot, user, items: Iterable[ChecklistItem] = (), query: str = ""):
    """The contract's ledger for the round: the checklist's assets first, then the others."""
    assets = Asset.objects.restrict(user).filter(contract_id=slot.contract_id)
    query = (query or "").strip()
    if query:
        assets = assets.filter(
            Q(name__icontains=query) | Q(system__icontains=query) | Q(host__icontains=query)
        )
    on_checklist = {item.asset_id for item in items if item.asset_id}
    first = Case(When(pk__in=on_checklist, then=Value(0)), default=Value(1), output_field=IntegerField())
    return assets.annotate(on_checklist=first).order_by("on_checklist", "kind", "name", "pk")


def update_asset(slot, asset, user, *, status: str, remark: str = "", at=None) -> Asset:
    """Change a ledger entry's status and note a remark, seen on the round of ``slot``.

    The remark goes into the asset's attributes (``remark``, ``remark_at``, ``remark_by``), which
    the ledger's export carries as they are.
    """
    at = at or timezone.now()
    if not Asset.objects.restrict(user, MANAGE_ASSETS).filter(pk=asset.pk).exists():
        raise PermissionDenied(_("Your role does not allow changing the asset ledger of this contract."))
    if asset.contract_id != slot.contract_id:
        raise ValidationError({"asset": _("The asset belongs to another contract.")})
    errors = _Errors()
    if status not in Asset.Status.values:
        errors.add("status", _("Choose one of the statuses."))
    remark = (remark or "").strip()
    if len(remark) > REMARK_MAX:
        errors.add("remark", _("Keep the remark under %(max)s characters.") % {"max": REMARK_MAX})
    if errors:
        raise ValidationError(dict(errors))
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        if status == asset.status and not remark:
            raise ValidationError({"status": _("Change the status or add a remark.")})
        asset.status = status
        if remark:
            attributes = dict(asset.attributes) if isinstance(asset.attributes, dict) else {}
            attributes.update(
                remark=remark,
                remark_at=f"{timezone.localtime(at, CHINA_TZ):%Y-%m-%d %H:%M}",
                remark_by=user.get_full_name() or user.get_username(),
            )
            asset.attributes = attributes
        asset.save(update_fields=["status", "attributes", "updated_at"])
    return asset
