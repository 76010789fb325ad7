"""Where an automated check may point, who approves it, and how often a database login may fail.

The vendor writes checks; the portal's server runs them. So (issue 14):

- A check's target follows from its asset (the host or URL in the ledger) or lies in a network
  the bureau allows for the contract (``AllowedNetwork``). The probe engine enforces it after DNS
  resolution (``probes.guard``); ``validate_target`` says so early, as a form error.
- Loopback, link-local and the portal's own services (its database, Redis, its own host, read
  from the settings) are refused unless an administrator sets the check's ``admin_allowed``.
- A check runs once the client side approved it as it stands: ``signature`` fingerprints what
  decides where it connects and what it reads (kind, target, port, options, password, the
  administrator's allowance), so an edit of the check, or of its asset's host, waits for a new
  approval. Whoever may approve (MANAGE_CONTRACT: the client manager, an administrator) approves
  their own edits by saving them.
- Database logins the server refuses back off per check and pause it after ``MAX_LOGIN_FAILURES``.
"""

import datetime as dt
import functools
import hashlib
import ipaddress
import json
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from contracts.scoping import MANAGE_CONTRACT, can, is_administrator
from inspections.models import AllowedNetwork, AutomatedCheck, CheckApproval
from inspections.probes import kinds as probe_kinds
from inspections.probes.guard import TargetPolicy, host_problem

__all__ = [
    "MAX_LOGIN_FAILURES",
    "TARGET_FIELDS",
    "approve",
    "can_approve",
    "is_runnable",
    "policies_for",
    "record_edit",
    "record_logins",
    "signature",
    "validate_creation_rate",
    "validate_target",
]

MAX_LOGIN_FAILURES = 5
LOGIN_BACKOFF = dt.timedelta(minutes=5)  # doubled per refusal in a row
CHECKS_PER_HOUR = 60  # new checks per contract per hour: enough for a ledger's, not for a scan
# What decides where a check connects and what it reads.
TARGET_FIELDS = ("asset", "kind", "target", "port", "options", "password")


# --- Where a check points -----------------------------------------------------------------------


def _host_of(target: str, kind: str) -> str:
    spec = probe_kinds.get(kind)
    if spec is not None and spec.target == "url":
        try:
            return urlsplit(target).hostname or ""
        except ValueError:
            return ""
    return target


def _norm(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def follows_asset(check: AutomatedCheck) -> bool:
    """The check's host is its asset's (the ledger's host or its URL's host)."""
    if not check.target.strip():
        return True
    asset = check.asset
    host = _norm(_host_of(check.resolved_target, check.kind))
    ledger = {_norm(asset.host or ""), _norm(_host_of((asset.url or "").strip(), "http"))} - {""}
    return bool(host) and host in ledger


def _networks(contract_id: int) -> tuple:
    return tuple(n.as_network() for n in AllowedNetwork.objects.filter(contract_id=contract_id))


def _policy(check: AutomatedCheck, networks: tuple, services: frozenset) -> TargetPolicy:
    if check.admin_allowed:
        return TargetPolicy(allow_internal=True, services=services)
    if follows_asset(check):
        return TargetPolicy(services=services)
    return TargetPolicy(networks=networks, services=services)


def policies_for(checks: list[AutomatedCheck]) -> list[TargetPolicy]:
    """Each check's policy for the probe engine: one query per contract among them."""
    services = portal_services()
    networks: dict[int, tuple] = {}
    policies = []
    for check in checks:
        # Looked up only for a check that needs them: most follow their asset.
        if not (check.admin_allowed or follows_asset(check)) and check.contract_id not in networks:
            networks[check.contract_id] = _networks(check.contract_id)
        policies.append(_policy(check, networks.get(check.contract_id, ()), services))
    return policies


def validate_target(check: AutomatedCheck) -> None:
    """The model's rule, as a ValidationError on ``target``: what the guard would refuse without
    a lookup (an internal address written out, an address outside the allowed networks, a host
    neither the asset's nor allowed by a network)."""
    host = _host_of(check.resolved_target, check.kind)
    if not host:
        return
    networks = () if check.admin_allowed or follows_asset(check) else _networks(check.contract_id)
    policy = _policy(check, networks, portal_services())
    problem = host_problem(host, policy)
    if problem is not None:
        raise ValidationError({"target": _(problem.message)})
    if policy.networks == ():
        raise ValidationError(
            {
                "target": _(
                    "Point the check at its asset's host or URL, or ask the client to allow the "
                    "target's network for this contract."
                )
            }
        )


def _service_addresses(host: str) -> set:
    host = _norm(host)
    if not host or host.startswith("*") or host.startswith("/"):  # a wildcard, a Unix socket
        return set()
    try:
        return {ipaddress.ip_address(host)}
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host.lstrip("."), None, type=socket.SOCK_STREAM)
    except OSError:
        return set()
    return {ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos}


@functools.lru_cache(maxsize=8)
def _services(databases: tuple, urls: tuple, hosts: tuple) -> frozenset:
    found = set()
    for host, port in databases:
        found |= {(address, port) for address in _service_addresses(host)}
    for url in urls:
        try:
            parts = urlsplit(url)
            host, port = parts.hostname or "", parts.port or {"redis": 6379, "rediss": 6379}.get(parts.scheme)
        except ValueError:
            continue
        found |= {(address, port) for address in _service_addresses(host)}
    for host in hosts:  # the portal's own host: every port of it
        found |= {(address, None) for address in _service_addresses(host)}
    return frozenset(found)


def portal_services() -> frozenset:
    """The portal's own (address, port) pairs, from its settings: each database, Redis (the
    cache, the broker), and every port of the hosts it answers as (ALLOWED_HOSTS)."""
    databases = tuple(
        (db.get("HOST") or "localhost", int(db.get("PORT") or 5432))
        for db in settings.DATABASES.values()
        if "postgresql" in db.get("ENGINE", "")
    )
    urls = tuple(
        url
        for url in (
            getattr(settings, "REDIS_URL", ""),
            getattr(settings, "CELERY_BROKER_URL", ""),
            getattr(settings, "CELERY_RESULT_BACKEND", ""),
        )
        if isinstance(url, str) and url
    )
    return _services(databases, urls, tuple(settings.ALLOWED_HOSTS))


# --- Approval -----------------------------------------------------------------------------------


def signature(check: AutomatedCheck) -> str:
    """A fingerprint of what decides where the check connects and what it reads."""
    options = check.options if isinstance(check.options, dict) else {}
    parts = [
        check.kind,
        check.resolved_target if check.asset_id else check.target,
        check.resolved_port if check.asset_id else check.port,
        options,
        check.password,
        check.admin_allowed,
    ]
    return hashlib.sha256(_CANONICAL.encode(parts).encode()).hexdigest()


# json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str), its encoder made once: the
# beat fingerprints every check of a run, and a call costs 1.8 µs less (3.0 against 4.8).
# The text is the same, so the approvals stored keep matching.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)


class Fingerprinted:
    """What ``signature`` reads of a check: its columns and its asset, for fingerprinting many
    checks read as rows (the beat's dispatch of 10,000) without a model instance each; the
    target and port resolve as the model's do."""

    kind_spec = AutomatedCheck.kind_spec
    resolved_target = AutomatedCheck.resolved_target
    resolved_port = AutomatedCheck.resolved_port

    def __init__(self, kind, target, port, options, password, admin_allowed, asset) -> None:
        self.kind, self.target, self.port, self.options = kind, target, port, options
        self.password, self.admin_allowed, self.asset = password, admin_allowed, asset
        self.asset_id = asset.pk if asset is not None else None

    FIELDS = ("kind", "target", "port", "options", "password", "admin_allowed", "asset_id")


def awaits_approval(check: AutomatedCheck) -> bool:
    return check.approval != CheckApproval.APPROVED or check.approved_signature != signature(check)


def is_runnable(check: AutomatedCheck, now=None) -> bool:
    now = now or timezone.now()
    return (
        check.active
        and not awaits_approval(check)
        and not check.paused_reason
        and (check.retry_after is None or check.retry_after <= now)
    )


def can_approve(user, check: AutomatedCheck) -> bool:
    return can(user, MANAGE_CONTRACT, check.contract)


def approve(check: AutomatedCheck, user) -> None:
    check.approval = CheckApproval.APPROVED
    check.approved_signature = signature(check)
    check.approved_by = user if getattr(user, "pk", None) else None
    check.approved_at = timezone.now()
    check.save(update_fields=["approval", "approved_signature", "approved_by", "approved_at", "updated_at"])


def record_edit(check: AutomatedCheck, user, *, before: str | None) -> None:
    """After a check was created or edited (``before``: its signature before, None if new): an
    edit that changes where it points waits for approval, unless its author may approve; any
    edit lifts a pause. Saves the check."""
    fields = ["login_failures", "retry_after", "paused_reason"]
    check.login_failures, check.retry_after, check.paused_reason = 0, None, ""
    if before is None or signature(check) != before or awaits_approval(check):
        if can_approve(user, check):
            check.save(update_fields=fields)
            approve(check, user)
            return
        check.approval = CheckApproval.PENDING
        fields.append("approval")
    check.save(update_fields=fields)


def admin_allowance_problem(user, check: AutomatedCheck, wanted: bool) -> str | None:
    """Only an administrator sets or keeps the allowance on an edit that changes the target."""
    if wanted != check.admin_allowed and not is_administrator(user):
        return _("Only an administrator can allow a check to reach internal addresses.")
    return None


def validate_creation_rate(contract_id: int) -> None:
    since = timezone.now() - dt.timedelta(hours=1)
    made = AutomatedCheck.objects.filter(contract_id=contract_id, created_at__gte=since).count()
    if made >= CHECKS_PER_HOUR:
        raise ValidationError(
            _("This contract has had %(count)s checks added in the last hour; add more later.")
            % {"count": made}
        )


# --- Database logins ----------------------------------------------------------------------------


def record_logins(checks: list[AutomatedCheck], refused: list[bool], now=None) -> None:
    """After a run: a refused database login counts one more failure in a row and delays the
    check's next run (LOGIN_BACKOFF, doubled each time); MAX_LOGIN_FAILURES pause it until it is
    edited. A login that got through clears the count."""
    now = now or timezone.now()
    for check, was_refused in zip(checks, refused, strict=True):
        spec = probe_kinds.get(check.kind)
        if spec is None or not spec.logs_in:
            continue
        if not was_refused:
            if check.login_failures:
                AutomatedCheck.objects.filter(pk=check.pk).update(login_failures=0, retry_after=None)
            continue
        failures = check.login_failures + 1
        update = {"login_failures": F("login_failures") + 1}
        if failures >= MAX_LOGIN_FAILURES:
            with translation.override(settings.LANGUAGE_CODE):  # as the incidents' texts
                update["paused_reason"] = str(
                    _("Paused after %(count)s refused database logins in a row; edit the check to resume.")
                    % {"count": failures}
                )
        else:
            update["retry_after"] = now + LOGIN_BACKOFF * 2 ** (failures - 1)
        AutomatedCheck.objects.filter(pk=check.pk).update(**update)
