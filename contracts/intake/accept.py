"""Accepting an upload's reviewed proposals: the contract and all its parts are created through
the contract forms' own validation, in one transaction, and each term remembers the span of
text it came from (``TermSource``). A validation error anywhere rolls everything back and says,
per proposal and field, what is wrong.

Upper apps (inspections, reports) plug in through ``AppConfig.accept_intake(contract, proposals)
-> list[(object, proposal)]``, called inside the transaction: this app imports none of them.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from contracts import obligations, services
from contracts.forms import (
    MilestoneForm,
    NewContractForm,
    PenaltyClauseForm,
    ServiceItemForm,
    SLATermForm,
    StaffPostForm,
)
from contracts.intake.duties import TIMELINE_FIELDS
from contracts.intake.header import add_months
from contracts.intake.labels import clause_label
from contracts.models import (
    BuildTimeline,
    Milestone,
    Organization,
    PenaltyClause,
    ServiceItem,
    SLATerm,
    StaffPost,
)
from contracts.models.intake import ContractUpload, TermSource
from om_portal import audit

MAX_PROPOSALS = 2000
MAX_TEXT = 10_000
CONTRACT_FIELDS = [f for f in NewContractForm.Meta.fields if f not in ("code", "client", "vendor")]
# Each proposal's field → (the contract's tab it is reviewed under, its form or None).
PARTS = {
    "service_item": ("items", ServiceItemForm, ServiceItem),
    "sla_term": ("sla", SLATermForm, SLATerm),
    "penalty_clause": ("penalties", PenaltyClauseForm, PenaltyClause),
    "milestone": ("milestones", MilestoneForm, Milestone),
    "staff_post": ("staff", StaffPostForm, StaffPost),
}
FIELD_TAB = {
    "client": "overview",
    "vendor": "overview",
    **dict.fromkeys(CONTRACT_FIELDS, "overview"),
    **dict.fromkeys(TIMELINE_FIELDS, "overview"),
    # Not a contract field: it gives the end date when the contract has a start date (``_term``).
    "term_months": "overview",
    "penalty_cap_percent": "penalties",
    **{name: tab for name, (tab, _form, _model) in PARTS.items()},
}

DECIMALS = {
    "total",
    "penalty_cap_percent",
    "amount",
    "percent",
    "quantity",
    "unit_price",
    "rate_percent",
    "cap_percent",
    "escalation_percent",
}
INTEGERS = {
    "offset",
    "target",
    "headcount",
    "escalation_at",
    "threshold_count",
    "termination_after_days",
    "termination_at_count",
    "sla_warning_percent",
    "position",
    "term_months",
    *TIMELINE_FIELDS,
}
BOOLEANS = {"onsite_on_non_working_days", "key_staff_change_needs_consent"}
DATES = {"signed_on", "starts_on", "ends_on", "trigger_date", "paid_on"}
TIMES = {"business_day_starts", "business_day_ends"}


class IntakeRejected(ValidationError):
    """What is wrong with the reviewed proposals: ``errors`` holds "code", "contract" (field →
    messages), "proposals" (index → key → messages) and "other" (messages)."""

    def __init__(self, errors: dict):
        self.errors = errors
        flat = [m for ms in errors.get("contract", {}).values() for m in ms]
        flat += [m for keys in errors.get("proposals", {}).values() for ms in keys.values() for m in ms]
        super().__init__(flat + errors.get("code", []) + errors.get("other", []) or [_("Invalid.")])


def tab_of(field: str) -> str:
    return FIELD_TAB.get(field, "other")


def coerce(key: str, value):
    """A value as the models take it, from what a form or a JSON body gives (strings, numbers);
    ValueError when it is not one."""
    if value is None or value == "":
        return None if key not in BOOLEANS else False
    if isinstance(value, dict | list):
        raise ValueError(key)
    if key in DECIMALS:
        try:
            number = Decimal(str(value).replace(",", "").strip())
        except InvalidOperation:
            raise ValueError(key) from None
        if not number.is_finite():
            raise ValueError(key)
        return number
    if key in INTEGERS:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(key)
        return int(str(value).strip())
    if key in BOOLEANS:
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("1", "true", "on", "yes")
    if key in DATES:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
    if key in TIMES:
        return value if isinstance(value, dt.time) else dt.time.fromisoformat(str(value).strip())
    text = str(value)
    if len(text) > MAX_TEXT:
        raise ValueError(key)
    return text


def coerce_proposal(proposal: dict, text_length: int) -> tuple[dict, dict]:
    """The proposal with its value typed, and its errors by key."""
    errors: dict[str, list[str]] = {}
    field = str(proposal.get("field") or "")[:50]
    clean = {
        "group": str(proposal.get("group") or "")[:50],
        "field": field,
        "confidence": proposal.get("confidence"),
        "rule": str(proposal.get("rule") or "")[:100],
    }
    try:
        start, end = int(proposal.get("start")), int(proposal.get("end"))
        if not 0 <= start <= end <= text_length:
            raise ValueError
        clean["start"], clean["end"] = start, end
    except (TypeError, ValueError):
        errors["span"] = [_("The span is not a part of the text.")]
        clean["start"] = clean["end"] = 0
    value = proposal.get("value")
    # This app types its own fields; an upper app's (inspection schedules, report duties) reach
    # its accept_intake as they came, only bounded: it reads them with its own forms.
    typer = coerce if field in FIELD_TAB else _bounded
    if isinstance(value, dict):
        typed = {}
        for key, item in list(value.items())[:40]:
            try:
                typed[str(key)] = typer(str(key), item)
            except (ValueError, TypeError):
                errors.setdefault(str(key), []).append(_("Enter a valid value."))
        clean["value"] = typed
    else:
        try:
            clean["value"] = typer(field, value)
        except (ValueError, TypeError):
            errors["value"] = [_("Enter a valid value.")]
            clean["value"] = None
    return clean, errors


def _bounded(key: str, value):
    """A value of another app's field, as it came, if it is plain and small."""
    if isinstance(value, list | tuple):
        if len(value) > 100:
            raise ValueError(key)
        return [_bounded(key, item) for item in value]
    if isinstance(value, dict):
        raise ValueError(key)
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise ValueError(key)
    return value


def _messages(form) -> dict[str, list[str]]:
    return {("value" if key == "__all__" else key): [str(m) for m in ms] for key, ms in form.errors.items()}


def _vendor(name, errors, index):
    name = (name or "").strip()
    if not name:
        return None
    found = Organization.objects.filter(name=name).first()
    if found is not None:
        if found.kind != Organization.Kind.VENDOR:
            errors.setdefault(index, {})["value"] = [_("This organisation is not a vendor.")]
            return None
        return found
    vendor = Organization(name=name, kind=Organization.Kind.VENDOR)
    try:
        vendor.full_clean()
    except ValidationError as error:
        errors.setdefault(index, {})["value"] = error.messages
        return None
    vendor.save()
    return vendor


def accept(upload: ContractUpload, proposals: list[dict], *, code: str, by):
    """Create the contract of ``upload`` from the ``proposals`` a person kept (each {"group",
    "field", "value", "start", "end", "confidence", "rule"}); IntakeRejected saves nothing."""
    if len(proposals) > MAX_PROPOSALS:
        raise IntakeRejected({"other": [_("Too many proposals.")]})
    with transaction.atomic():
        upload = ContractUpload.objects.select_for_update().select_related("client").get(pk=upload.pk)
        if upload.status != ContractUpload.Status.READY:
            raise IntakeRejected(
                {"other": [_("This upload is not ready for review, or was accepted already.")]}
            )
        contract, sources, not_entered = _create(upload, proposals, code=code, by=by)
        TermSource.objects.bulk_create(sources)
        ContractUpload.objects.filter(pk=upload.pk).update(
            contract=contract, status=ContractUpload.Status.ACCEPTED
        )
        audit.record(
            "accept",
            user=by,
            obj=upload,
            contract=contract,
            detail={"proposals": len(proposals), "sources": len(sources), "not_entered": not_entered[:50]},
        )
    return contract


def _create(upload, proposals, *, code, by):
    text = upload.text
    errors: dict = {"code": [], "contract": {}, "proposals": {}, "other": []}
    typed = []
    for index, raw in enumerate(proposals):
        if not isinstance(raw, dict):
            errors["proposals"][index] = {"value": [_("Enter a valid value.")]}
            typed.append({"field": "", "value": None, "start": 0, "end": 0})
            continue
        clean, problems = coerce_proposal(raw, len(text))
        if problems:
            errors["proposals"][index] = problems
        typed.append(clean)
    by_field: dict[str, list[int]] = {}
    for index, proposal in enumerate(typed):
        by_field.setdefault(proposal["field"], []).append(index)

    def single(field):
        indexes = by_field.get(field, [])
        for extra in indexes[1:]:
            errors["proposals"].setdefault(extra, {})["value"] = [
                _("Keep one value of this field and drop the others.")
            ]
        return indexes[0] if indexes else None

    # --- The contract itself ---
    for index in by_field.get("client", []):
        if typed[index]["value"] and typed[index]["value"] != upload.client.name:
            errors["proposals"].setdefault(index, {})["value"] = [
                _("The text names %(name)s as the client; this upload is for %(client)s.")
                % {"name": typed[index]["value"], "client": upload.client.name}
            ]
    data = model_to_dict(_new_contract(), fields=CONTRACT_FIELDS)
    field_index = {}
    for field in CONTRACT_FIELDS:
        index = single(field)
        if index is not None:
            data[field] = typed[index]["value"]
            field_index[field] = index
    term_used = _term(data, field_index, single("term_months"), typed)
    vendor_index = single("vendor")
    vendor = None
    if vendor_index is None:
        errors["contract"]["vendor"] = [_("Keep the vendor's proposal, or the contract has no vendor.")]
    else:
        vendor = _vendor(typed[vendor_index]["value"], errors["proposals"], vendor_index)
    form = NewContractForm(
        {**data, "code": code, "client": upload.client.pk, "vendor": vendor.pk if vendor else None}, user=by
    )
    if not form.is_valid():
        for key, messages in form.errors.items():
            messages = [str(m) for m in messages]
            if key == "code":
                errors["code"] += messages
            elif key in field_index:
                errors["proposals"].setdefault(field_index[key], {})["value"] = messages
            elif key == "vendor" and vendor_index is not None:
                errors["proposals"].setdefault(vendor_index, {}).setdefault("value", messages)
            elif key != "vendor" or vendor_index is not None:
                errors["contract"][key] = messages
    if _has(errors):
        raise IntakeRejected(_pruned(errors))
    contract = form.save()
    created: list[tuple[object, dict]] = []
    sources = [
        _source(upload, contract, None, field, typed[index])
        for field, index in [*field_index.items(), ("vendor", vendor_index)]
    ]
    for index in by_field.get("client", []):
        sources.append(_source(upload, contract, None, "client", typed[index]))

    # --- Its parts, penalty clauses first: SLA terms name theirs by kind ---
    clauses: dict[str, PenaltyClause] = {}
    for field in ("penalty_clause", "service_item", "sla_term", "milestone", "staff_post"):
        _tab, form_class, model = PARTS[field]
        for position, index in enumerate(by_field.get(field, [])):
            value = typed[index]["value"]
            if not isinstance(value, dict):
                errors["proposals"].setdefault(index, {})["value"] = [_("Enter a valid value.")]
                continue
            part = _part_data(field, model, value, position, clauses, errors["proposals"], index)
            form = form_class(part, contract=contract)
            if not form.is_valid():
                errors["proposals"].setdefault(index, {}).update(_messages(form))
                continue
            obj = form.save()
            if field == "penalty_clause":
                clauses[obj.kind] = obj
            created.append((obj, typed[index]))

    timeline = {f: typed[by_field[f][0]]["value"] for f in TIMELINE_FIELDS if by_field.get(f)}
    if timeline:
        try:
            build = BuildTimeline(contract=contract, **{k: v for k, v in timeline.items() if v is not None})
            build.full_clean()
            build.save()
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                index = by_field.get(key, [None])[0]
                if index is None:
                    errors["other"] += messages
                else:
                    errors["proposals"].setdefault(index, {})["value"] = messages
        else:
            sources += [_source(upload, contract, None, f, typed[by_field[f][0]]) for f in timeline]
    services.refresh_due_dates(contract)

    # --- The upper apps' parts (inspection schedules, report duties) ---
    handled = set(FIELD_TAB) - (set() if term_used else {"term_months"})
    for config in apps.get_app_configs():
        hook = getattr(config, "accept_intake", None)
        if hook is None:
            continue
        try:
            pairs = hook(contract, [p for i, p in enumerate(typed) if i not in errors["proposals"]]) or []
        except ValidationError as error:
            errors["other"] += [f"{config.verbose_name}: {m}" for m in error.messages]
            continue
        for obj, proposal in pairs:
            created.append((obj, proposal))
            handled.add(proposal.get("field"))
    if _has(errors):
        raise IntakeRejected(_pruned(errors))
    sources += [
        _source(upload, contract, obj, proposal.get("field", ""), proposal) for obj, proposal in created
    ]
    not_entered = sorted({p["field"] for p in typed if p["field"] not in handled})
    return contract, sources, not_entered


def _term(data: dict, field_index: dict, index: int | None, typed: list) -> bool:
    """A term of N months ("自验收合格之日起12个月") gives the end date when the contract has a
    start date and no end date: the day before the same day N months on. Without a start date
    the months are not entered (the event they count from has not happened); the review page
    says so. Whether they were used."""
    if index is None or not data.get("starts_on") or data.get("ends_on"):
        return False
    months = typed[index]["value"]
    if not isinstance(months, int) or not 0 < months <= 1200:
        return False
    data["ends_on"] = add_months(data["starts_on"], months) - dt.timedelta(days=1)
    field_index["ends_on"] = index  # the end date's sentence is the term's
    return True


def _new_contract():
    from contracts.models import Contract

    return Contract()


def _part_data(field, model, value, position, clauses, errors, index) -> dict:
    data = model_to_dict(model())
    data.pop("id", None)
    data.pop("contract", None)
    # What the text leaves unsaid (None) keeps the model's default (an SLA term's coverage).
    data.update({k: v for k, v in value.items() if k != "clause" and v is not None})
    if "position" in data:
        data["position"] = position
    if field == "service_item" and not data.get("category"):
        # A price list without categories (one table of rows): its rows under one heading.
        data["category"] = _("Uncategorised")
    if field == "milestone" and not data.get("name"):
        data["name"] = _("Payment %(n)s") % {"n": position + 1}
    if field == "penalty_clause" and not data.get("title"):
        data["title"] = obligations.label(data.get("kind") or "")
    if field == "sla_term":
        kind = value.get("clause") or ""
        clause = clauses.get(kind)
        if kind and clause is None:
            errors.setdefault(index, {})["penalty_clause"] = [
                _("Keep the penalty clause this term names, or clear it.")
            ]
        data["penalty_clause"] = clause.pk if clause else None
    return {k: ("" if v is None else v) for k, v in data.items()}


def _source(upload, contract, obj, field, proposal) -> TermSource:
    start, end = proposal.get("start") or 0, proposal.get("end") or 0
    return TermSource(
        contract=contract,
        upload=upload,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=obj.pk if obj is not None else None,
        field=str(field)[:50],
        start=start,
        end=end,
        label=clause_label(upload.text, start),
    )


def _has(errors) -> bool:
    return any(errors.values())


def _pruned(errors) -> dict:
    return {k: v for k, v in errors.items() if v}
