"""Proposals and conflicts to JSON and back, faithfully: a Decimal stays a Decimal (its digits as
written, never a float), a date a date. Each is stored tagged ({"$decimal": "0.30"}), so a string
that merely looks like a number stays a string."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from contracts.intake.proposals import Conflict, Proposal

PROPOSAL_KEYS = ("group", "field", "value", "start", "end", "confidence", "rule")


def dump(value):
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [dump(v) for v in value]
    return value


def load(value):
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, raw),) = value.items()
            try:
                if tag == "$decimal":
                    return Decimal(raw)
                if tag == "$date":
                    return dt.date.fromisoformat(raw)
                if tag == "$datetime":
                    return dt.datetime.fromisoformat(raw)
            except (InvalidOperation, TypeError, ValueError):
                return None
        return {k: load(v) for k, v in value.items()}
    if isinstance(value, list):
        return [load(v) for v in value]
    return value


def dump_proposal(proposal: Proposal | dict) -> dict:
    if isinstance(proposal, Proposal):
        proposal = {key: getattr(proposal, key) for key in PROPOSAL_KEYS}
    return {key: dump(proposal.get(key)) for key in PROPOSAL_KEYS}


def load_proposal(stored: dict) -> dict:
    return {key: load(stored.get(key)) for key in PROPOSAL_KEYS}


def dump_conflict(conflict: Conflict) -> dict:
    return {
        "field": conflict.field,
        "values": dump(list(conflict.values)),
        "spans": [list(span) for span in conflict.spans],
    }


def load_conflict(stored: dict) -> dict:
    return {
        "field": stored.get("field", ""),
        "values": load(stored.get("values", [])),
        "spans": [tuple(span) for span in stored.get("spans", [])],
    }
