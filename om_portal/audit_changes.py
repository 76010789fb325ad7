"""What an update changed, for the audit trail: each changed field's value before and after.

The values a row was loaded with are kept on the instance when it is initialised (``post_init``,
connected only for the audited models): no query is added, where loading the old row again in
``pre_save`` would cost one per update. Secrets (password hashes, token keys, second-factor
keys) are named as changed, never written: the trail is read by auditors and exported as CSV.
"""

import contextlib
import contextvars
import copy
import datetime as dt
import decimal
import uuid

from django.db.models.fields.files import FieldFile

ATTRIBUTE = "_audit_initial"
# Field names whose values never reach the trail, whatever model they are on.
SECRET_NAMES = {"password", "key", "secret", "token", "token_key", "digest", "bin_key", "otp_secret"}


def _is_secret(name: str) -> bool:
    return name in SECRET_NAMES or any(word in name for word in ("password", "secret", "token"))


def _fields(instance):
    # An auto_now stamp says when, which the line itself says.
    return [f for f in instance._meta.concrete_fields if not (f.primary_key or getattr(f, "auto_now", False))]


# Per model: the attribute names kept, and those of JSON fields among them (copied, not shared).
_PLANS: dict = {}


def _plan(instance) -> tuple[tuple, tuple]:
    plan = _PLANS.get(type(instance))
    if plan is None:
        fields = _fields(instance)
        plan = (
            tuple(f.attname for f in fields),
            tuple(f.attname for f in fields if f.get_internal_type() == "JSONField"),
        )
        _PLANS[type(instance)] = plan
    return plan


def snapshot(instance) -> dict:
    """The instance's loaded field values, by attribute name (deferred fields left out)."""
    names, json_names = _plan(instance)
    values = instance.__dict__
    kept = {name: values[name] for name in names if name in values}
    # A JSON value can be changed in place: keep a copy of it, not the object itself.
    for name in json_names:
        value = kept.get(name)
        if isinstance(value, dict | list):
            kept[name] = copy.deepcopy(value) if value else value.copy()
    return kept


# Set by ``unsaved_loads``: the rows read meanwhile are not snapshot.
_UNSAVED = contextvars.ContextVar("audit_unsaved_loads", default=False)


@contextlib.contextmanager
def unsaved_loads():
    """For a hot path that reads many rows and never ``save()``s them (a probes chunk's checks,
    whose state it writes with UPDATE statements, which the trail does not see either): the
    rows read inside keep no snapshot. It was a quarter of reading such a chunk (500 checks
    with their assets and incidents: 44 ms, 33 ms without). One saved anyway logs its update
    without the values before."""
    token = _UNSAVED.set(True)
    try:
        yield
    finally:
        _UNSAVED.reset(token)


def on_init(sender, instance, **kwargs):
    # A fresh instance is a create: its values are not "before" values of anything.
    if instance.__dict__.get(instance._meta.pk.attname) is not None and not _UNSAVED.get():
        instance.__dict__[ATTRIBUTE] = snapshot(instance)


def remember(instance) -> None:
    """After a save the saved values are the next update's "before"."""
    instance.__dict__[ATTRIBUTE] = snapshot(instance)


def plain(value):
    """A value as JSON can hold it, readably: text for dates, amounts and files."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)


def changed(instance, update_fields=None) -> dict:
    """``{"changes": {field: [before, after]}}`` for the fields whose values changed since the
    instance was loaded; secrets appear in ``"secrets_changed"`` by name only. Empty when the
    instance was not loaded from the database (nothing known before)."""
    before = instance.__dict__.get(ATTRIBUTE)
    if before is None:
        return {}
    diffs, secrets = {}, []
    for field in _fields(instance):
        name = field.attname
        if name not in before or name not in instance.__dict__:
            continue
        if update_fields and field.name not in update_fields and name not in update_fields:
            continue
        old, new = plain(before[name]), plain(instance.__dict__[name])
        if old == new:
            continue
        if _is_secret(field.name):
            secrets.append(field.name)
        else:
            diffs[field.name] = [old, new]
    result = {"changes": diffs}
    if secrets:
        result["secrets_changed"] = sorted(secrets)
    return result
