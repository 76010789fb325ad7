"""The audit trail: a tamper-evident record of logins, denied access, changes, sign-offs, exports.

Every line holds an HMAC-SHA256, keyed with ``AUDIT_KEY`` (kept outside the database), of its own
fields and of the line before it; the chain's head row (``AuditChain``) carries an HMAC of its
own, so whoever can write the tables but lacks the key can neither re-chain rewritten lines nor
move the head back over deleted ones. Lines written before the key was introduced keep their
plain SHA-256 up to ``AuditChain.unkeyed_through``: the first keyed line seals them, since its
HMAC covers the hash of the last of them. Appending locks the head row, so lines are chained in
the order their transactions commit, and a line written inside a transaction that rolls back
disappears with what it described. ``verify()`` walks the chain and names what was changed or
removed; on PostgreSQL triggers (migrations 0003, 0005) refuse to change lines, to delete any
but purged ones, to TRUNCATE the trail, or to move its head other than forward.
``purge()`` removes lines past the retention and moves the chain's origin to the first line
kept. A daily anchor (``om_portal.audit_anchor``) lets the auditor keep the head elsewhere.
"""

import contextvars
import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from om_portal import audit_changes as changes
from om_portal.middleware import client_ip
from om_portal.models import AuditChain, AuditEntry

GENESIS = "0" * 64
Outcome = AuditEntry.Outcome
# The fields a line's hash covers, in the order they are serialised.
HASHED = (
    "at",
    "user_id",
    "username",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "contract_code",
    "outcome",
    "address",
    "detail",
)
# Keyed lines also cover the contract's id (added with the key: old lines have none).
HASHED_KEYED = (*HASHED, "contract_id")


def chain_key() -> bytes:
    """The chain's HMAC key: AUDIT_KEY, or one derived from SECRET_KEY when it is not set
    (check --deploy warns: rotating SECRET_KEY would then break the chain's verification)."""
    if settings.AUDIT_KEY:
        return settings.AUDIT_KEY.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"om-portal audit chain", hashlib.sha256).digest()


def mac(payload: str) -> str:
    return hmac.new(chain_key(), payload.encode(), hashlib.sha256).hexdigest()


def _canonical(entry: AuditEntry, keyed: bool = True) -> dict:
    values = {name: getattr(entry, name) for name in (HASHED_KEYED if keyed else HASHED)}
    # Time in UTC to the microsecond, as both databases give it back.
    values["at"] = entry.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    values["address"] = str(entry.address) if entry.address else None
    return values


def digest(entry: AuditEntry, prev_hash: str, *, keyed: bool = True) -> str:
    """The line's HMAC under the chain's key; ``keyed=False``: the plain SHA-256 of lines written
    before the key (up to ``AuditChain.unkeyed_through``)."""
    payload = json.dumps(
        {"prev": prev_hash, **_canonical(entry, keyed)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return mac(payload) if keyed else hashlib.sha256(payload.encode()).hexdigest()


def head_mac(head: AuditChain) -> str:
    """The head row's own HMAC: without the key nobody can point it at an earlier line."""
    fields = (head.last_id, head.last_hash, head.purged_through, head.origin_hash, head.unkeyed_through)
    return mac("head:" + ":".join(str(f) for f in fields))


def client_address(request) -> str | None:
    """The address the request came from: the one the trusted proxies saw (the lockout counts
    failures by the same address, om_portal.middleware.client_ip)."""
    if request is None:
        return None
    return client_ip(request)


def record(
    action: str,
    *,
    user=None,
    request=None,
    obj=None,
    outcome: str = Outcome.SUCCESS,
    detail: dict | None = None,
    contract_code: str = "",
    username: str = "",
    contract=None,
) -> AuditEntry:
    """Append one line. Call it inside the transaction of the change it records. Without a
    request, the one being served (if any) gives the address, and the user when none is given."""
    entry = line(
        action,
        user=user,
        request=request,
        obj=obj,
        outcome=outcome,
        detail=detail,
        contract_code=contract_code,
        username=username,
        contract=contract,
    )
    # Inside the change's own transaction no savepoint is needed: a line that fails to append
    # fails the change (two queries fewer per line, and audited writes wait on the lock less).
    with transaction.atomic(savepoint=False):
        _append(_head(), entry)
    return entry


def line(
    action: str,
    *,
    user=None,
    request=None,
    obj=None,
    outcome: str = Outcome.SUCCESS,
    detail: dict | None = None,
    contract_code: str = "",
    username: str = "",
    contract=None,
) -> AuditEntry:
    """The line ``record`` would append, not yet chained nor saved (for ``record_many``)."""
    request = request if request is not None else _current_request.get()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    entry = AuditEntry(
        at=timezone.now(),
        user_id=user.pk if user is not None else None,
        username=(user.get_username() if user is not None else username)[:150],
        action=action[:40],
        outcome=outcome,
        address=client_address(request),
        detail=detail or {},
    )
    if obj is not None:
        entry.object_type = obj._meta.label_lower
        entry.object_id = str(obj.pk)[:64]
        entry.object_repr = str(obj)[:200]
        contract = contract or _contract_of(obj)
    if contract is not None:
        # The id as well as the code: a line stays tied to its contract if the code changes.
        entry.contract_id = contract.pk
        contract_code = contract_code or getattr(contract, "code", "") or ""
    entry.contract_code = contract_code[:40]
    return entry


def record_many(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Append these lines (made by ``line``) in their order, as as many ``record`` calls would,
    in three queries however many: the head locked once, one INSERT, the head moved once. For
    rows made in bulk (``incidents.services.report_incidents``), which send no signals."""
    if not entries:
        return entries
    with transaction.atomic(savepoint=False):
        head = _head()
        _link(head, entries)
        # The ids follow the rows' order (RETURNING, on PostgreSQL and SQLite) and are taken
        # under the head's lock: the chain's order is the ids' order, the one verify() walks.
        AuditEntry.objects.bulk_create(entries)
        head.last_id, head.last_hash = entries[-1].pk, entries[-1].hash
        AuditChain.objects.filter(pk=1).update(
            last_id=head.last_id, last_hash=head.last_hash, head_mac=head_mac(head)
        )
    return entries


def _link(head: AuditChain, entries: list[AuditEntry]) -> None:
    previous = head.last_hash
    for entry in entries:
        entry.prev_hash = previous
        entry.at = timezone.now()  # under the lock, as _append takes it
        entry.hash = previous = digest(entry, previous)


def chain_with_ids(head: AuditChain, entries: list[AuditEntry], ids: list[int]) -> AuditChain:
    """``record_many`` for a writer that saves the lines itself (``inspections.monitoring_opening``,
    one statement with the rows they describe): chain ``entries`` after ``head``, which the
    caller has locked, give them ``ids`` (taken from the lines' sequence after the lock, so that
    the chain's order is still the ids' order), and return the head as it must be saved, in the
    same transaction (its HMAC over the new last line)."""
    _link(head, entries)
    for entry, pk in zip(entries, sorted(ids), strict=True):
        entry.pk = pk
    head.last_id, head.last_hash = entries[-1].pk, entries[-1].hash
    head.head_mac = head_mac(head)
    return head


def _append(head: AuditChain, entry: AuditEntry) -> None:
    entry.prev_hash = head.last_hash
    # The time is taken under the lock, so that the chain's order is also the time order.
    entry.at = timezone.now()
    entry.hash = digest(entry, entry.prev_hash)
    entry.save(force_insert=True)
    head.last_id, head.last_hash = entry.pk, entry.hash
    AuditChain.objects.filter(pk=1).update(last_id=entry.pk, last_hash=entry.hash, head_mac=head_mac(head))


HEAD_MISSING = "audit_head_missing"


def _head() -> AuditChain:
    """The chain's head, locked. Migration 0003 makes it, and nothing can delete it but an owner
    past the triggers: a missing head means the trail was emptied, so a new one starts with a
    line saying so, which verification reports for good (new lines re-key the head)."""
    head = AuditChain.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChain.objects.get_or_create(pk=1, defaults={"head_mac": head_mac(AuditChain(pk=1))})
        head = AuditChain.objects.select_for_update().get(pk=1)
        _append(head, AuditEntry(action=HEAD_MISSING, outcome=Outcome.FAILED, detail={"found": "no head"}))
    return head


def _contract_of(obj):
    """The contract an object hangs off (itself, for a contract), following its model's scope
    path; None for objects outside any contract."""
    path = getattr(type(obj), "scope_path", None)
    if path is None:
        return None
    target = obj
    for step in [s for s in path.split("__") if s]:
        target = getattr(target, step, None)
        if target is None:
            return None
    return target if getattr(target, "code", "") else None


# --- Verification and retention ------------------------------------------------------------------


@dataclass
class Problem:
    entry_id: int | None
    message: str

    def __str__(self):
        where = f"line {self.entry_id}" if self.entry_id is not None else "chain"
        return f"{where}: {self.message}"


def verify(*, chunk: int = 2000) -> tuple[int, list[Problem]]:
    """Walk the chain from its origin; returns how many lines were checked and what is wrong.

    A changed line fails its own hash; a deleted line breaks the link of the one after it; lines
    deleted from the end leave the head pointing past the last line, and a head moved back over
    them fails its own HMAC; an emptied trail has no head."""
    problems: list[Problem] = []
    head = AuditChain.objects.filter(pk=1).first()
    if head is None:
        problems.append(Problem(None, "its head is missing: the trail was emptied"))
        head = AuditChain()
    elif not hmac.compare_digest(head.head_mac, head_mac(head)):
        problems.append(
            Problem(
                None, "its head does not match its key: the head was moved, or the key is not this trail's"
            )
        )
    survivors = AuditEntry.objects.filter(pk__lte=head.purged_through).count()
    if survivors:
        problems.append(
            Problem(
                None, f"{survivors} line(s) at or below the purge mark (line {head.purged_through}) remain"
            )
        )
    expected_prev, checked, last_id = head.origin_hash, 0, head.purged_through
    lines = AuditEntry.objects.filter(pk__gt=head.purged_through).order_by("pk").iterator(chunk_size=chunk)
    for entry in lines:
        checked += 1
        if entry.prev_hash != expected_prev:
            problems.append(
                Problem(entry.pk, "does not follow the line before it: a line was removed or changed")
            )
        if digest(entry, entry.prev_hash, keyed=entry.pk > head.unkeyed_through) != entry.hash:
            problems.append(Problem(entry.pk, "its content does not match its hash: the line was changed"))
        if entry.action == HEAD_MISSING:
            problems.append(Problem(entry.pk, "the trail had been emptied: this line starts it anew"))
        expected_prev, last_id = entry.hash, entry.pk
    if (last_id, expected_prev) != (head.last_id, head.last_hash):
        problems.append(
            Problem(
                None, f"the chain ends at line {last_id} but its head says {head.last_id}: lines were removed"
            )
        )
    return checked, problems


def retention_days() -> int:
    return max(settings.AUDIT_RETENTION_DAYS, MIN_RETENTION_DAYS)


# GB/T 22239 level 3 asks for at least six months of audit records.
MIN_RETENTION_DAYS = 180


def purge(now=None) -> int:
    """Delete the lines older than the retention period; the first line kept becomes the origin."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=retention_days())
    with transaction.atomic():
        head = _head()
        last_old = AuditEntry.objects.filter(at__lt=cutoff).order_by("-pk").values("pk", "hash").first()
        if last_old is None:
            return 0
        # The mark moves first: the trigger lets only lines at or below it be deleted.
        head.origin_hash, head.purged_through = last_old["hash"], last_old["pk"]
        AuditChain.objects.filter(pk=1).update(
            origin_hash=head.origin_hash, purged_through=head.purged_through, head_mac=head_mac(head)
        )
        deleted, _ = AuditEntry.objects.filter(pk__lte=last_old["pk"]).delete()
        record(
            "audit_purge", detail={"lines": deleted, "through": last_old["pk"], "before": cutoff.isoformat()}
        )
    return deleted


# --- Logins ------------------------------------------------------------------------------------
# Connected in OmPortalConfig.ready: Django's auth signals are the one place every way of
# logging in (the form, the admin, a token request) passes through.


def on_login(sender, request, user, **kwargs):
    record("login", user=user, request=request)


def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record("logout", user=user, request=request)


def _targeted(username: str):
    """The account a failed login or a lockout aimed at, when the name is one: the line is then
    that account's, and its organisations' auditors see it."""
    from django.contrib.auth import get_user_model

    if not username:
        return None
    model = get_user_model()
    return model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    username = str(username or "")[:150]
    record(
        "login_locked_out",
        request=request,
        user=_targeted(username),
        username=username,
        outcome=Outcome.DENIED,
    )


def on_login_failed(sender, credentials, request=None, **kwargs):
    # The password never reaches the trail; the name tried does (it may not be an account).
    username = str(credentials.get("username", ""))[:150]
    record(
        "login_failed", request=request, user=_targeted(username), username=username, outcome=Outcome.FAILED
    )


# --- Requests and changes ------------------------------------------------------------------------
# The request being served, for the lines its changes write: model saves happen deep in services
# and forms, which are not handed the request. Celery tasks and commands have none: "system".
_current_request: contextvars.ContextVar = contextvars.ContextVar("audit_request", default=None)

# What each app keeps that the trail records on every create, update and delete: the contract and
# its parts, incidents and their workflow, inspections, reports, accounts and roles. Left out:
# the beat's own bookkeeping and rows written in bulk by the probes (recorded per run instead).
AUDITED_APPS = {"identity", "contracts", "incidents", "inspections", "reports", "auth"}
NOT_AUDITED = {"inspections.checkresult", "inspections.inspectionslot"}


class AuditMiddleware:
    """Makes the request known to the lines its changes write, and records each refusal (401,
    403) with the path that was refused, and each 404 of a signed-in user on a URL naming an
    object (another organisation's object answers 404: the probe is what the auditor needs)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            response = self.get_response(request)
        finally:
            _current_request.reset(token)
        status = response.status_code
        if status in (401, 403) or (status == 404 and _names_an_object(request)):
            record(
                "access_denied" if status != 404 else "not_found",
                request=request,
                outcome=Outcome.DENIED,
                detail={"method": request.method, "path": request.path[:300], "status": status},
            )
        return response


def _names_an_object(request) -> bool:
    """A signed-in user's request to a route that takes an object's id or code. Unrouted paths
    (a favicon, a typo) are left out, so that the trail is not flooded with them."""
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    return bool(getattr(user, "is_authenticated", False) and match is not None and match.kwargs)


def _audited(sender) -> bool:
    meta = sender._meta
    return meta.app_label in AUDITED_APPS and meta.label_lower not in NOT_AUDITED


def on_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or not _audited(sender):
        return
    detail = {"fields": sorted(update_fields)} if update_fields else {}
    if not created:
        detail.update(changes.changed(instance, update_fields))
    changes.remember(instance)
    record("create" if created else "update", obj=instance, detail=detail)


def on_delete(sender, instance, **kwargs):
    if _audited(sender):
        record("delete", obj=instance)


def record_bulk(action: str, model, count: int, *, contract=None, detail: dict | None = None, user=None):
    """One line for a change made in bulk (an import, a queryset update), which sends no signals."""
    record(
        action,
        user=user,
        contract=contract,
        detail={"model": model._meta.label_lower, "count": count, **(detail or {})},
    )


def record_export(request, what: str, *, obj=None, contract=None, detail: dict | None = None):
    """A download of data or a document (a ledger, a PDF, a package)."""
    record(
        "export",
        request=request,
        obj=obj,
        contract=contract,
        detail={"what": what, **(detail or {})},
    )
