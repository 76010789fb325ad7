"""Accepting what contract intake proposed for this app: the periodic reports a contract requires
(``contracts.intake.routines``). A proposal silent on the deadline (offset None) is due as its
kind says (``reports.kinds``), as a requirement the seeds load is.

``contracts`` cannot import this app: the intake flow reaches it through
``ReportsConfig.accept_intake``. Each requirement passes the model's full validation (choices,
bounds, one requirement per kind and contract) before it is saved, inside the caller's
transaction; an invalid proposal raises ``ValidationError``.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from reports import kinds
from reports.models import ReportRequirement

FIELD = "report_duty"


def _whole(value, name: str):
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = None
    if number is None or number != number.to_integral_value():
        raise ValidationError({name: _("Enter a whole number.")})
    return int(number)


def requirement(contract, value: dict) -> ReportRequirement:
    """The unsaved, validated requirement a proposal's value describes."""
    kind = str(value.get("kind") or "")
    try:
        due = kinds.get(kind).due
    except ValueError:
        due = None  # full_clean names the kind as not a choice
    offset = _whole(value.get("offset"), "due_offset")
    unit = value.get("offset_unit")
    if offset is None and due is not None:
        offset, unit = due.offset, unit or due.unit
    row = ReportRequirement(
        contract=contract,
        kind=kind,
        due_offset=offset if offset is not None else 0,
        due_unit=str(unit or (due.unit if due else "")),
        breach_kind=str(value.get("breach_kind") or ""),
        note=str(value.get("note") or "")[: ReportRequirement._meta.get_field("note").max_length],
    )
    row.full_clean()
    return row


def accept_intake(contract, proposals) -> list[tuple[ReportRequirement, dict]]:
    """Creates the contract's report requirements from the accepted ``report_duty`` proposals
    (others are left to their apps) and returns (requirement, proposal) pairs."""
    created = []
    for proposal in proposals:
        if proposal.get("field") != FIELD:
            continue
        value = proposal.get("value")
        if not isinstance(value, dict):
            raise ValidationError(_("An accepted proposal has no value that can be read."))
        row = requirement(contract, value)
        row.save()
        created.append((row, proposal))
    return created
