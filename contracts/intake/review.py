"""What the review page shows: the text cut at every proposal's span (so each span is marked,
the text itself escaped by the template), and each proposal as a row of inputs grouped like the
contract's tabs, labelled in the person's language (never a raw code), and read back from the
posted form."""

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from contracts import obligations
from contracts.intake.accept import FIELD_TAB, PARTS, TIMELINE_FIELDS
from contracts.models import BuildTimeline, Contract, Organization
from contracts.tabs import registered_tabs

TAB_LABELS = {
    "overview": _("Overview"),
    "items": _("Service items"),
    "sla": _("SLA terms"),
    "penalties": _("Penalties"),
    "milestones": _("Milestones"),
    "staff": _("Staff and rosters"),
}
TAB_ORDER = ["overview", "items", "sla", "penalties", "milestones", "staff"]
# The upper apps' terms, under their own tabs where they registered one (contracts.tabs).
UPPER = {"inspection_schedule": "inspections", "report_duty": "reports"}
FIELD_LABELS = {
    "client": _("Client"),
    "vendor": _("Vendor"),
    "service_item": _("Service item"),
    "sla_term": _("SLA term"),
    "penalty_clause": _("Penalty clause"),
    "milestone": _("Payment milestone"),
    "staff_post": _("Staff post"),
    "inspection_schedule": _("Inspection schedule"),
    "report_duty": _("Report duty"),
    "term_months": _("Term (months)"),
}
# What becomes of a proposal that is no field of the contract, said beside it.
FIELD_NOTES = {
    "term_months": _(
        "Accepting enters the end date from these months when the contract has a start date. "
        "Otherwise they are not entered: the text counts the term from an event, not from a date; "
        "enter the start and end dates when it happens."
    ),
}
KEY_LABELS = {"clause": _("Penalty clause"), "value": _("Value")}


def tab_key(field_name: str) -> str:
    if field_name in FIELD_TAB:
        return FIELD_TAB[field_name]
    return UPPER.get(field_name, "other")


def tab_label(key: str):
    if key in TAB_LABELS:
        return TAB_LABELS[key]
    for tab in registered_tabs():
        if tab.key == key or tab.key.startswith(key.rstrip("s")):
            return tab.label
    return _("Other terms")


def _model_field(field_name: str, key: str):
    model = None
    if field_name in PARTS:
        model = PARTS[field_name][2]
    elif field_name in TIMELINE_FIELDS:
        model, key = BuildTimeline, field_name
    elif field_name in ("client", "vendor"):
        model, key = Organization, "name"
    else:
        model, key = Contract, field_name
    try:
        return model._meta.get_field(key)
    except Exception:
        return None


def field_label(field_name: str):
    if field_name in FIELD_LABELS:
        return FIELD_LABELS[field_name]
    found = _model_field(field_name, field_name)
    return found.verbose_name if found is not None else _("Other term")


def as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(as_text(item) for item in value)
    if isinstance(value, Decimal | dt.date | dt.time):
        return value.isoformat() if not isinstance(value, Decimal) else str(value)
    return str(value)


@dataclass
class Input:
    name: str  # the form's input name
    label: str
    value: str
    choices: list = field(default_factory=list)  # [(code, label)] for a select
    kind: str = "text"  # text, date, number
    errors: list = field(default_factory=list)


@dataclass
class Row:
    index: int
    tab: str
    label: str
    inputs: list[Input]
    start: int
    end: int
    confidence: float
    quote: str
    keep: bool = True
    errors: list = field(default_factory=list)
    note: str = ""


def _input(index, field_name, key, value, errors) -> Input:
    model_field = None if key == "value" and field_name in FIELD_LABELS else _model_field(field_name, key)
    if key == "clause":
        choices = [("", "—"), *obligations.choices()]
        label = KEY_LABELS["clause"]
    else:
        choices = list(model_field.choices) if model_field is not None and model_field.choices else []
        if choices and not any(code == "" for code, _label in choices):
            choices = [("", "—"), *choices]
        label = model_field.verbose_name if model_field is not None else KEY_LABELS.get(key, _("Value"))
    if key == "value" and field_name in FIELD_LABELS:
        label = FIELD_LABELS[field_name]
    internal = model_field.get_internal_type() if model_field is not None else ""
    if internal == "BooleanField":
        choices = [("true", _("Yes")), ("false", _("No"))]
    kind = "date" if internal == "DateField" else "text"
    name = f"p{index}-value" if key == "value" else f"p{index}-v-{key}"
    return Input(name, label, as_text(value), choices, kind, errors.get(key, []))


def rows(proposals: list[dict], text: str, errors: dict | None = None, kept: set | None = None) -> list[Row]:
    errors = errors or {}
    out = []
    for index, proposal in enumerate(proposals):
        problems = errors.get(index, {})
        value = proposal["value"]
        if isinstance(value, dict):
            inputs = [_input(index, proposal["field"], key, item, problems) for key, item in value.items()]
        else:
            inputs = [_input(index, proposal["field"], "value", value, problems)]
        shown = {"value", *(value.keys() if isinstance(value, dict) else ())}
        loose = [m for key, ms in problems.items() if key not in shown for m in ms]
        out.append(
            Row(
                index=index,
                tab=tab_key(proposal["field"]),
                label=field_label(proposal["field"]),
                inputs=inputs,
                start=proposal["start"],
                end=proposal["end"],
                confidence=proposal.get("confidence") or 0,
                quote=text[proposal["start"] : proposal["end"]][:300],
                keep=kept is None or index in kept,
                errors=loose,
                note=FIELD_NOTES.get(proposal["field"], ""),
            )
        )
    return out


def grouped(all_rows: list[Row]) -> list[tuple[str, object, list[Row]]]:
    order = TAB_ORDER + sorted({r.tab for r in all_rows} - set(TAB_ORDER))
    return [
        (key, tab_label(key), [r for r in all_rows if r.tab == key])
        for key in order
        if any(r.tab == key for r in all_rows)
    ]


def segments(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[str, list[str], list[str]]]:
    """The text cut at every span's ends: (piece, the keys of the spans covering it, the keys of
    the spans that start there, for their anchors). Pieces are escaped by the template."""
    spans = [(start, end, key) for start, end, key in spans if 0 <= start < end <= len(text)]
    cuts = sorted({0, len(text), *(s for s, _e, _k in spans), *(e for _s, e, _k in spans)})
    out = []
    for left, right in itertools.pairwise(cuts):
        keys = [key for start, end, key in spans if start <= left and right <= end]
        starting = [key for start, _end, key in spans if start == left]
        out.append((text[left:right], keys, starting))
    return out


def posted(request_post, proposals: list[dict]) -> tuple[list[dict], list[int]]:
    """The proposals the person kept, with their edited values, and their rows' indexes."""
    kept, indexes = [], []
    for index, proposal in enumerate(proposals):
        if request_post.get(f"p{index}-keep") != "1":
            continue
        value = proposal["value"]
        if isinstance(value, dict):
            edited = {
                key: _back(item, request_post.get(f"p{index}-v-{key}", as_text(item)))
                for key, item in value.items()
            }
        else:
            edited = _back(value, request_post.get(f"p{index}-value", as_text(value)))
        kept.append({**proposal, "value": edited})
        indexes.append(index)
    return kept, indexes


def _back(original, text: str):
    """An edited list (times of day, say) back into a list, as it was proposed."""
    if isinstance(original, list | tuple):
        return [part for part in re.split(r"[,，、\s]+", text.strip()) if part]
    return text
