"""The auditor's search of the audit trail (/audit/).

Separation of duties: the trail is read by auditors, not by the administrators whose acts it
records. An auditor sees the lines about the contracts of their organisations (by the contract's
id, or by its code on lines older than the id), the lines of their organisations' members
(failed logins and lockouts included, which are tied to the account they aimed at), and a
superuser's lines outside any contract (a superuser stands outside every organisation, so nobody
would see them otherwise); a superuser (the installation's owner) sees every line. Nobody can
change or delete a line here or anywhere else (om_portal.audit). A CSV download of a search is
itself a line of the trail.
"""

import datetime as dt
import io
import json

from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy
from django.views.decorators.http import require_GET

from identity.models import Membership, Role
from identity.registry import contract_model
from om_portal import audit, audit_anchor, spreadsheets
from om_portal.models import AuditEntry

PAGE_SIZE = 50
CSV_LIMIT = 50_000

# The trail stores actions as codes (om_portal.audit); a person reads these.
ACTIONS = {
    "create": pgettext_lazy("audit action", "Created"),
    "update": pgettext_lazy("audit action", "Changed"),
    "delete": pgettext_lazy("audit action", "Deleted"),
    "login": pgettext_lazy("audit action", "Logged in"),
    "logout": pgettext_lazy("audit action", "Logged out"),
    "login_failed": pgettext_lazy("audit action", "Login failed"),
    "login_locked_out": pgettext_lazy("audit action", "Locked out after failed logins"),
    "access_denied": pgettext_lazy("audit action", "Access denied"),
    "export": pgettext_lazy("audit action", "Downloaded"),
    "password_change": pgettext_lazy("audit action", "Password changed"),
    "second_factor_reset": pgettext_lazy("audit action", "Second factor reset"),
    "unlock": pgettext_lazy("audit action", "Account unlocked"),
    "sign_off": pgettext_lazy("audit action", "Signed off"),
    "audit_purge": pgettext_lazy("audit action", "Old lines purged"),
    "import": pgettext_lazy("audit action", "Imported"),
    "withdraw": pgettext_lazy("audit action", "Breach withdrawn"),
    "not_found": pgettext_lazy("audit action", "Asked for something out of reach"),
    "audit_head_missing": pgettext_lazy("audit action", "Audit chain restarted without its head"),
    "api_token_issued": pgettext_lazy("audit action", "API token issued"),
    "assign": pgettext_lazy("audit action", "Engineers assigned"),
    "results_purge": pgettext_lazy("audit action", "Old check results deleted"),
    "accept_device_time": pgettext_lazy("audit action", "Tablet's time of a round accepted"),
    "calendar_entered": pgettext_lazy("audit action", "Working-day calendar entered"),
    "test_message": pgettext_lazy("audit action", "Test message sent"),
    "run_now": pgettext_lazy("audit action", "Check run on request"),
    "upload": pgettext_lazy("audit action", "Contract text uploaded"),
    "accept": pgettext_lazy("audit action", "Contract created from its text"),
    "read_again": pgettext_lazy("audit action", "Contract text read again"),
}


# The keys of a line's detail (om_portal.audit and its callers).
DETAIL_KEYS = {
    "fields": pgettext_lazy("audit detail", "fields"),
    "model": pgettext_lazy("audit detail", "object type"),
    "count": pgettext_lazy("audit detail", "count"),
    "offered": pgettext_lazy("audit detail", "offered"),
    "what": pgettext_lazy("audit detail", "what"),
    "lines": pgettext_lazy("audit detail", "lines"),
    "query": pgettext_lazy("audit detail", "query"),
    "method": pgettext_lazy("audit detail", "method"),
    "path": pgettext_lazy("audit detail", "path"),
    "status": pgettext_lazy("audit detail", "status"),
    "version": pgettext_lazy("audit detail", "version"),
    "conclusion": pgettext_lazy("audit detail", "conclusion"),
    "locks": pgettext_lazy("audit detail", "locks lifted"),
    "devices": pgettext_lazy("audit detail", "devices removed"),
    "format": pgettext_lazy("audit detail", "format"),
    "before": pgettext_lazy("audit detail", "before"),
    "previous_handlers": pgettext_lazy("audit detail", "previous handlers"),
    "handlers": pgettext_lazy("audit detail", "handlers"),
    "changes": pgettext_lazy("audit detail", "changes"),
    "secrets_changed": pgettext_lazy("audit detail", "secrets changed"),
    "through": pgettext_lazy("audit detail", "through line"),
    "from": pgettext_lazy("audit detail", "from"),
    "to": pgettext_lazy("audit detail", "to"),
    "created": pgettext_lazy("audit detail", "created"),
    "updated": pgettext_lazy("audit detail", "updated"),
    "deductions": pgettext_lazy("audit detail", "deductions"),
    "mode": pgettext_lazy("audit detail", "mode"),
    "run": pgettext_lazy("audit detail", "inspection run"),
    "device_submitted_at": pgettext_lazy("audit detail", "submitted on the tablet at"),
    "reason": pgettext_lazy("audit detail", "reason"),
    "source_ref": pgettext_lazy("audit detail", "source"),
    "days_late": pgettext_lazy("audit detail", "days late"),
    "last_id": pgettext_lazy("audit detail", "last line"),
    "found": pgettext_lazy("audit detail", "found"),
    "year": pgettext_lazy("audit detail", "year"),
    "source": pgettext_lazy("audit detail", "notice"),
    "replaced": pgettext_lazy("audit detail", "days replaced"),
    "days_off": pgettext_lazy("audit detail", "days off"),
    "makeup_days": pgettext_lazy("audit detail", "make-up working days"),
    "holidays": pgettext_lazy("audit detail", "holidays"),
    "delivery": pgettext_lazy("audit detail", "delivery"),
    "values": pgettext_lazy("audit detail", "values"),
}
# What an export line downloaded, when it is not a file field of the object.
EXPORTS = {
    "audit_trail": _("Audit trail"),
    "assets": _("Asset ledger"),
    "inspection_ledger": _("Inspection ledger"),
    "audit_anchor": pgettext_lazy("audit export", "Audit trail anchor"),
    # The lists' Excel exports (om_portal.spreadsheets.list_export).
    "incidents": _("Incidents"),
    "worklog": _("Work log"),
    "service-records": _("Service record sheets"),
    "consultations": _("Consultations"),
    "breaches": _("Breach ledger"),
}
# Values of a detail that are codes themselves: the asset import's mode, the request's method.
DETAIL_VALUES = {
    "mode": {
        "upsert": _("Add new assets and update those with the same kind and name"),
        "add": _("Only add new assets; an asset already in the ledger is an error"),
    },
    "method": {
        "GET": pgettext_lazy("http method", "open (GET)"),
        "HEAD": pgettext_lazy("http method", "open (GET)"),
        "POST": pgettext_lazy("http method", "submit (POST)"),
        "PUT": pgettext_lazy("http method", "change (PUT)"),
        "PATCH": pgettext_lazy("http method", "change (PATCH)"),
        "DELETE": pgettext_lazy("http method", "delete (DELETE)"),
    },
}


def action_label(action: str) -> str:
    return str(ACTIONS[action]) if action in ACTIONS else action.replace("_", " ")


# Models that moved to another app: their older lines keep the label they were written with.
MOVED = {"contracts.organization": "identity.organization", "contracts.membership": "identity.membership"}


def _model(label: str):
    try:
        return apps.get_model(MOVED.get(label.lower(), label)) if label else None
    except (LookupError, ValueError):
        return None


def model_label(label: str) -> str:
    """ "contracts.breach" → the model's verbose name (违约记录)."""
    model = _model(label)
    return str(model._meta.verbose_name) if model is not None else label


def _field(model, name: str):
    try:
        return model._meta.get_field(name) if model is not None else None
    except Exception:  # a field since removed
        return None


def _field_label(model, name: str) -> str:
    field = _field(model, name)
    return str(field.verbose_name) if field is not None else name.replace("_", " ")


def _person(user) -> str:
    full = user.get_full_name()
    return f"{full}（{user.get_username()}）" if full else user.get_username()


class Names:
    """The names of the objects a set of lines refers to by id: the account a line is about, the
    person or object a changed reference pointed to before and after. One query per model for
    the whole page (or CSV chunk), never one per line."""

    def __init__(self, lines):
        self.names: dict = {}
        wanted: dict = {}
        user_model = get_user_model()
        for line in lines:
            model = _model(line.object_type)
            if model is user_model and str(line.object_id).isdigit():
                wanted.setdefault(model, set()).add(int(line.object_id))
            detail = line.detail if isinstance(line.detail, dict) else {}
            changes = detail.get("changes")
            if not isinstance(changes, dict):
                continue
            model = _model(detail.get("model") or line.object_type)
            for name, change in changes.items():
                field = _field(model, str(name))
                if field is not None and (field.many_to_one or field.one_to_one):
                    ids = {v for v in change if isinstance(v, int)} if isinstance(change, list) else set()
                    wanted.setdefault(field.related_model, set()).update(ids)
        for model, ids in wanted.items():
            found = model._default_manager.in_bulk(sorted(ids))
            self.names[model] = {
                pk: _person(obj) if model is user_model else str(obj) for pk, obj in found.items()
            }

    def of(self, model, pk):
        return self.names.get(model, {}).get(pk)


def _value_text(field, value, names: Names | None) -> str:
    """One value of a changed field as a person reads it: a choice's label, yes or no, a local
    time, the name of the person or object a reference points to."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field is not None and (field.many_to_one or field.one_to_one) and isinstance(value, int):
        name = names.of(field.related_model, value) if names else None
        return name or f"{field.related_model._meta.verbose_name} {value}"
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            return f"{timezone.localtime(moment) if timezone.is_aware(moment) else moment:%Y-%m-%d %H:%M}"
    if isinstance(value, list):
        return "、".join(_value_text(None, item, names) for item in value)
    return str(value)


def _change_text(model, name: str, change, names: Names | None) -> str:
    field = _field(model, name)
    label = _field_label(model, name)
    if not (isinstance(change, list | tuple) and len(change) == 2):
        return f"{label} {change}"
    structured = field is not None and field.get_internal_type() == "JSONField"
    if structured or any(isinstance(side, dict) for side in change):
        # A document's figures (a report's data): that it changed is what a reader can use.
        return f"{label} {pgettext('audit detail', 'changed')}"
    before, after = (_value_text(field, side, names) for side in change)
    return f"{label} {before} → {after}"


def _plain(key: str, value, names: Names | None) -> str:
    if isinstance(value, bool) or value is None:
        return _value_text(None, value, names)
    if key in DETAIL_VALUES and isinstance(value, str):
        return str(DETAIL_VALUES[key].get(value, value))
    if isinstance(value, list):
        return "、".join(_plain("", item, names) for item in value) or "—"
    if isinstance(value, dict):
        return "、".join(f"{name} {_plain('', item, names)}" for name, item in value.items()) or "—"
    return str(value)


def detail_text(line, names: Names | None = None) -> str:
    """The line's detail as a person reads it: keys, fields, models, exports and values by their
    labels; what a changed field was before and after."""
    detail = line.detail if isinstance(line.detail, dict) else {}
    model = _model(detail.get("model") or line.object_type)
    parts = []
    for key, value in detail.items():
        if key in ("fields", "secrets_changed") and isinstance(value, list):
            value = "、".join(_field_label(model, str(name)) for name in value)
        elif key == "changes" and isinstance(value, dict):
            # {field: [before, after]}: what a dispute over a changed rate asks for.
            value = "；".join(_change_text(model, str(name), change, names) for name, change in value.items())
        elif key == "model" and isinstance(value, str):
            value = model_label(value)
        elif key == "what" and isinstance(value, str):
            value = str(EXPORTS[value]) if value in EXPORTS else _field_label(model, value)
        else:
            value = _plain(key, value, names)
        label = DETAIL_KEYS.get(key, key.replace("_", " "))
        parts.append(f"{label}: {value}")
    return "; ".join(parts)


def object_name(line, names: Names | None = None) -> str:
    """The name of what the line is about: an account by its owner's name and login, anything
    else as it was named when the line was written."""
    model = _model(line.object_type)
    if names is not None and model is get_user_model() and str(line.object_id).isdigit():
        name = names.of(model, int(line.object_id))
        if name:
            return name
    return line.object_repr or line.object_id


def object_text(line, names: Names | None = None) -> str:
    """What the line is about, as "用户 张三（zhangsan）" or "故障 BJ-2026-RP-00026 派出所终端登录异常":
    its kind and its name, not a model label and an id."""
    if not line.object_type:
        return ""
    return f"{model_label(line.object_type)} {object_name(line, names)}"


def visible_lines(user):
    """The audit lines ``user`` may read, or None when they may read none (not an auditor)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return AuditEntry.objects.all()
    organizations = Membership.objects.filter(user=user, role=Role.AUDITOR).values("organization_id")
    if not organizations.exists():
        return None
    contracts = contract_model().objects.filter(Q(client__in=organizations) | Q(vendor__in=organizations))
    members = Membership.objects.filter(organization__in=organizations).values("user_id")
    superusers = get_user_model().objects.filter(is_superuser=True).values("pk")
    return AuditEntry.objects.filter(
        Q(contract_id__in=contracts.values("pk"))
        | Q(contract_id__isnull=True, contract_code__in=contracts.values("code"))
        | Q(user_id__in=members)
        # A superuser's acts outside any contract (accounts, roles, settings): their acts on a
        # contract are seen by that contract's auditors, through the clauses above.
        | Q(user_id__in=superusers, contract_id__isnull=True, contract_code="")
    )


class SearchForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    username = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", "—"), *ACTIONS.items()])
    contract = forms.CharField(label=_("Contract"), required=False, max_length=40)
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", "—"), *AuditEntry.Outcome.choices]
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The period cannot end before it starts."))
        return data

    def filter(self, lines):
        data = self.cleaned_data
        if data.get("start"):
            lines = lines.filter(at__gte=_midnight(data["start"]))
        if data.get("end"):
            lines = lines.filter(at__lt=_midnight(data["end"] + dt.timedelta(days=1)))
        for name, lookup in (("username", "username"), ("action", "action")):
            if data.get(name):
                lines = lines.filter(**{lookup: data[name]})
        if data.get("contract"):
            # The code named, or the contract that holds it now (its lines under an older code).
            now_named = contract_model().objects.filter(code=data["contract"]).values("pk")
            lines = lines.filter(Q(contract_code=data["contract"]) | Q(contract_id__in=now_named))
        if data.get("outcome"):
            lines = lines.filter(outcome=data["outcome"])
        return lines


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


@login_required
@require_GET
def audit_search(request):
    lines = visible_lines(request.user)
    if lines is None:
        raise PermissionDenied(_("Only auditors read the audit trail."))
    form = SearchForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(request, "identity/audit.html", {"form": form, "page": None}, status=400)
    if form.is_bound:
        lines = form.filter(lines)
    lines = lines.order_by("-pk")
    if request.GET.get("format") == "csv":
        return _csv(request, lines)
    page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
    names = Names(page.object_list)
    for line in page.object_list:
        line.action_label = action_label(line.action)
        line.object_text = object_text(line, names)
        line.detail_text = detail_text(line, names)
    return render(request, "identity/audit.html", {"form": form, "page": page})


@login_required
@require_GET
def audit_anchor_download(request):
    """The chain's head now, HMAC'd: the auditor keeps it outside the portal and later checks
    the trail against it (verify_audit --anchor), so that a rollback of the trail shows."""
    if visible_lines(request.user) is None:
        raise PermissionDenied(_("Only auditors read the audit trail."))
    body = audit_anchor.make()
    audit.record_export(request, "audit_anchor", detail={"last_id": body["last_id"]})
    filename = f"audit-anchor-{body['date']}.json"
    return HttpResponse(
        json.dumps(body, indent=1) + "\n",
        content_type="application/json",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


CSV_CHUNK = 2000
CSV_COLUMNS = [
    pgettext_lazy("audit column", "No."),
    _("Time"),
    _("User"),
    _("Action"),
    pgettext_lazy("audit column", "Object type"),
    pgettext_lazy("audit column", "Object id"),
    pgettext_lazy("audit column", "Object"),
    _("Contract"),
    _("Outcome"),
    _("Address"),
    _("Detail"),
]


def _csv_rows(writer, lines) -> int:
    names = Names(lines)
    for line in lines:
        writer.writerow(
            [
                line.pk,
                timezone.localtime(line.at).isoformat(timespec="seconds"),
                line.username,
                action_label(line.action),
                model_label(line.object_type) if line.object_type else "",
                line.object_id,
                object_name(line, names) if line.object_type else "",
                line.contract_code,
                line.get_outcome_display(),
                line.address or "",
                detail_text(line, names),
            ]
        )
    return len(lines)


def _csv(request, lines) -> HttpResponse:
    out = io.StringIO()
    writer = spreadsheets.csv_writer(out)  # formula-like text is quoted
    writer.writerow([str(label) for label in CSV_COLUMNS])
    count = 0
    chunk = []
    for line in lines[:CSV_LIMIT].iterator(chunk_size=CSV_CHUNK):
        chunk.append(line)
        if len(chunk) == CSV_CHUNK:
            count += _csv_rows(writer, chunk)
            chunk = []
    count += _csv_rows(writer, chunk)
    audit.record_export(
        request, "audit_trail", detail={"lines": count, "query": request.GET.urlencode()[:500]}
    )
    filename = f"audit-{timezone.localdate():%Y%m%d}.csv"
    # A BOM so that Excel, which the bureau opens CSVs with, reads the Chinese as UTF-8.
    return HttpResponse(
        "\ufeff" + out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )
