"""Automated checks bound to ledger assets, and what each run of them found.

A check is stored as a kind, a target and a dict of options; ``AutomatedCheck.probe()`` turns it
into one of ``inspections.probes``' dataclasses, which validate every field (a malformed target
or a threshold of the wrong type is a ValueError there, a ValidationError here). Nothing stored
is ever templated into a command: the probe engine opens its own sockets.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from contracts.models import Asset, Contract, Severity
from contracts.scoping import RestrictedQuerySet
from inspections import probes
from inspections.probes import kinds as probe_kinds

__all__ = ["AutomatedCheck", "CheckApproval", "CheckConfigError", "CheckResult", "ResultStatus"]


class ResultStatus(models.TextChoices):
    OK = probes.Status.OK.value, _("OK")
    FAILED = probes.Status.FAILED.value, _("Failed")
    TIMEOUT = probes.Status.TIMEOUT.value, _("Timed out")
    ERROR = probes.Status.ERROR.value, _("Could not be judged")


# The options each kind takes, with the type a JSON value must have (inspections.probes.kinds);
# the probe dataclass then checks ranges and combinations.
OPTIONS = {code: {o.name: o.json_type for o in kind.options} for code, kind in probe_kinds.KINDS.items()}


class CheckApproval(models.TextChoices):
    PENDING = "pending", _("Awaiting the client's approval")
    APPROVED = "approved", _("Approved")


class AutomatedCheck(models.Model):
    # One member per registered kind: AutomatedCheck.Kind.HTTP == "http".
    Kind = models.TextChoices(
        "Kind", [(code.upper(), (code, _(kind.label))) for code, kind in probe_kinds.KINDS.items()]
    )

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="automated_checks", verbose_name=_("contract")
    )
    asset = models.ForeignKey(
        Asset, on_delete=models.CASCADE, related_name="automated_checks", verbose_name=_("asset")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    target = models.CharField(
        pgettext_lazy("automated check", "target"),
        max_length=500,
        blank=True,
        help_text=_("A URL for HTTP and node_exporter, a host for the others; blank: the asset's."),
    )
    port = models.PositiveIntegerField(_("port"), null=True, blank=True, help_text=_("Blank: the asset's."))
    options = models.JSONField(_("options and thresholds"), default=dict, blank=True)
    # Stored as given (the database is the bureau's own, on its closed network): read by the
    # probe only, never shown by the portal or the API. A kind with secret options (SNMP's
    # community and keys) keeps them here as a JSON object (ProbeKind.read_secrets).
    password = models.CharField(_("password"), max_length=200, blank=True)
    timeout = models.FloatField(_("timeout (s)"), null=True, blank=True)
    severity = models.CharField(
        _("severity of its incidents"), max_length=10, choices=Severity.choices, default=Severity.GENERAL
    )
    active = models.BooleanField(_("active"), default=True)
    # The server connects where a check points: a check runs once the client side has approved
    # it as it stands (inspections.targets: the approved fingerprint of its target and options,
    # so that an edit, or an edit of its asset's host, waits for a new approval).
    approval = models.CharField(
        _("approval"),
        max_length=8,
        choices=CheckApproval.choices,
        default=CheckApproval.PENDING,
        editable=False,
    )
    approved_signature = models.CharField(max_length=64, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True, editable=False)
    # Set by an administrator only: this check may reach loopback, link-local addresses and the
    # portal's own services, and need not follow its asset or the contract's allowed networks.
    admin_allowed = models.BooleanField(
        _("target allowed by an administrator"),
        default=False,
        help_text=_("Lets the check reach internal addresses; only an administrator can set it."),
    )
    # Probes in a row that must agree before a change counts (monitoring_chunk._Confirmation):
    # empty, the portal's default (MONITORING_CONFIRM_CHANGES: 2, else 1).
    confirm_failures = models.PositiveSmallIntegerField(
        _("failing probes before an incident"),
        null=True,
        blank=True,
        help_text=_(
            "Probes in a row that must fail before an incident is opened (1 to 10; 1: at once). "
            "Blank: the portal's default."
        ),
    )
    confirm_recoveries = models.PositiveSmallIntegerField(
        _("passing probes before a recovery"),
        null=True,
        blank=True,
        help_text=_(
            "Probes in a row that must pass before a recovery is recorded (1 to 10). "
            "Blank: the portal's default."
        ),
    )
    # Database logins refused in a row: the next run waits (retry_after), and past a limit the
    # check is paused (paused_reason) until someone edits it.
    login_failures = models.PositiveIntegerField(default=0, editable=False)
    retry_after = models.DateTimeField(null=True, blank=True, editable=False)
    paused_reason = models.CharField(_("paused because"), max_length=300, blank=True, editable=False)

    # Written by inspections.monitoring only.
    last_status = models.CharField(
        _("last result"), max_length=8, choices=ResultStatus.choices, blank=True, editable=False
    )
    last_checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True, editable=False)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True, editable=False)
    # When someone last asked for a run now (inspections.ondemand): claimed by a conditional
    # UPDATE, so one request per RUN_NOW_INTERVAL whatever the number of clicks and workers.
    run_requested_at = models.DateTimeField(_("run requested at"), null=True, blank=True, editable=False)
    # The incident its failure opened, while that incident is not closed: one per failure.
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("open incident"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "name"]
        verbose_name = _("automated check")
        verbose_name_plural = _("automated checks")
        constraints = [
            models.UniqueConstraint(fields=["contract", "name"], name="automated_check_unique_name"),
            models.CheckConstraint(
                condition=models.Q(port__isnull=True) | models.Q(port__gte=1, port__lte=65535),
                name="automated_check_port_range",
            ),
            models.CheckConstraint(
                condition=models.Q(timeout__isnull=True) | models.Q(timeout__gt=0, timeout__lte=60),
                name="automated_check_timeout_range",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(confirm_failures__isnull=True) | models.Q(confirm_failures__range=(1, 10))
                )
                & (models.Q(confirm_recoveries__isnull=True) | models.Q(confirm_recoveries__range=(1, 10))),
                name="automated_check_confirm_range",
            ),
        ]
        indexes = [
            # A run's checks: WHERE contract_id = … AND active, failing ones first.
            models.Index(fields=["contract", "active", "last_status"], name="automated_check_run_idx"),
        ]

    def __str__(self):
        return f"{self.contract.code} · {self.name}"

    def save(self, *args, **kwargs):
        if isinstance(self.options, dict) and self.kind_spec is not None:
            self.take_secrets()
        # Approved outright (a seed, a migration, a test's fixture): what it is now is approved.
        if self.approval == CheckApproval.APPROVED and not self.approved_signature:
            from inspections import targets

            self.approved_signature = targets.signature(self)
        super().save(*args, **kwargs)

    @property
    def kind_spec(self) -> probe_kinds.ProbeKind | None:
        return probe_kinds.get(self.kind)

    @property
    def resolved_target(self) -> str:
        if self.target:
            return self.target.strip()
        asset = self.asset
        spec = self.kind_spec
        if spec is not None and spec.target == "url":
            return (asset.url or "").strip()
        return (asset.host or "").strip()

    @property
    def target_display(self) -> str:
        """Where it points, as the pages show it: host:port for the kinds that name a port."""
        target, port, spec = self.resolved_target, self.resolved_port, self.kind_spec
        return f"{target}:{port}" if port and spec is not None and spec.show_port else target

    def take_secrets(self) -> None:
        """Moves the kind's secret options out of ``options`` into the password column, where
        they are written and never read back; a blank one is forgotten."""
        spec = self.kind_spec
        if spec is None or not spec.secret_names or not isinstance(self.options, dict):
            return
        given = {name: self.options[name] for name in spec.secret_names if name in self.options}
        if not given:
            return
        if not all(isinstance(value, str) for value in given.values()):
            raise CheckConfigError("options", _("Give the secret options as text."))
        secrets = {**spec.read_secrets(self.password), **given}
        self.options = {k: v for k, v in self.options.items() if k not in spec.secret_names}
        self.password = spec.write_secrets(secrets)

    @property
    def resolved_port(self) -> int | None:
        if self.port is not None:
            return self.port
        return self.asset.port if self.asset_id else None  # a form's check without its asset yet

    def probe(self, *, previous: bool = False) -> probes.Check:
        """The probe dataclass for this check; CheckConfigError naming the field when malformed.
        ``previous``: give the kind the values of the check's last result (a run, not a form)."""
        options = self.options
        if not isinstance(options, dict):
            raise CheckConfigError("options", _("Give the options as an object of names and values."))
        spec = probe_kinds.get(self.kind)
        if spec is None:
            raise CheckConfigError("kind", _("Choose a kind of check."))
        options = {k: v for k, v in options.items() if k not in spec.secret_names}
        for name, value in options.items():
            option = spec.option(name)
            if option is None:
                raise CheckConfigError(
                    "options", _("“%(name)s” is not an option of this kind of check.") % {"name": name}
                )
            if not _has_type(value, option.json_type):
                raise CheckConfigError(
                    "options", _("“%(name)s” has the wrong type: %(value)s.") % {"name": name, "value": value}
                )
        if spec.password and not set(spec.required) <= options.keys():  # a database login
            raise CheckConfigError("options", _("A database check needs “dbname” and “user” in its options."))
        if not set(spec.required) <= options.keys():
            missing = ", ".join(f"“{name}”" for name in spec.required if name not in options)
            raise CheckConfigError(
                "options", _("This kind of check needs %(names)s in its options.") % {"names": missing}
            )
        if not self.resolved_target:
            raise CheckConfigError("target", _("Give a target, or enter one on the asset."))
        if spec.needs_port and self.resolved_port is None:
            raise CheckConfigError("port", _("Give a port, or enter one on the asset."))
        secrets = spec.read_secrets(self.password) if spec.secret_names else {}
        if spec.password and self.password:
            secrets = {"password": self.password}
        last = self._last_values if previous and self.pk else None
        try:
            return spec.build(self.resolved_target, self.resolved_port, self.timeout, options, secrets, last)
        except ValueError as error:
            # The dataclass names the field in English: is it the target or an option?
            field = "options"
            required = {k: v for k, v in options.items() if k in spec.required}
            try:
                spec.build(self.resolved_target, self.resolved_port, None, required, secrets, None)
            except ValueError as bare:
                if _TARGET_WORDS.search(str(bare)):
                    field = "target"
            raise CheckConfigError(field, _("Not valid: %(reason)s") % {"reason": error}) from None

    def _last_values(self) -> dict:
        found = self.results.order_by("-started_at").values_list("values", flat=True).first()
        return found if isinstance(found, dict) else {}

    def clean(self):
        from inspections import targets

        if self.asset_id and self.contract_id and self.asset.contract_id != self.contract_id:
            raise ValidationError({"asset": _("The asset belongs to another contract.")})
        if self.kind in OPTIONS and (self.asset_id or self.target):
            try:
                self.take_secrets()
                self.probe()
            except CheckConfigError as error:
                raise ValidationError({error.field: error.message}) from None
            if self.asset_id and self.contract_id:
                targets.validate_target(self)
        if self._state.adding and self.contract_id:
            targets.validate_creation_rate(self.contract_id)


# What the dataclasses say of a malformed target (checks._host, _url, _port, PingCheck).
_TARGET_WORDS = re.compile(r"\b(host|url|port|IPv4)\b")


class CheckConfigError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _has_type(value, wanted) -> bool:
    kinds = wanted if isinstance(wanted, tuple) else (wanted,)
    if isinstance(value, bool) and bool not in kinds:  # True is an int to Python, not to us
        return False
    return isinstance(value, kinds)


class CheckResult(models.Model):
    """One check's outcome in one run, with everything it measured (``values``); without a run,
    the outcome of a run someone asked for now (``inspections.ondemand``)."""

    run = models.ForeignKey(
        "inspections.InspectionRun",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="results",
        verbose_name=_("run"),
        # No index of its own on these three: the unique (run, check) and the two indexes below
        # lead with each of them, and every extra index costs each of the ~3,000 rows a minute
        # that 10,000 checks every 5 minutes insert.
        db_index=False,
    )
    automated_check = models.ForeignKey(
        AutomatedCheck,
        on_delete=models.CASCADE,
        related_name="results",
        verbose_name=_("check"),
        db_index=False,
    )
    # Denormalised from the check: scoping and a contract's results by period without a join.
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="+", verbose_name=_("contract"), db_index=False
    )
    status = models.CharField(
        pgettext_lazy("automated check", "result"), max_length=8, choices=ResultStatus.choices
    )
    # An English msgid with its parameters (inspections.probes.Problem): shown translated.
    message = models.CharField(_("message"), max_length=300)
    params = models.JSONField(default=dict, blank=True)
    values = models.JSONField(_("measured values"), default=dict, blank=True)
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.FloatField(_("duration (ms)"))

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "id"]
        verbose_name = _("check result")
        verbose_name_plural = _("check results")
        constraints = [
            # A chunk delivered twice (a worker killed before its ack) saves each result once.
            models.UniqueConstraint(fields=["run", "automated_check"], name="check_result_once_per_run"),
        ]
        indexes = [
            models.Index(fields=["automated_check", "-started_at"], name="check_result_history_idx"),
            models.Index(fields=["contract", "started_at"], name="check_result_contract_idx"),
        ]

    def __str__(self):
        return f"{self.automated_check} · {self.status}"

    @property
    def text(self) -> str:
        from django.utils.translation import gettext

        message = gettext(self.message)
        try:
            return message % self.params if self.params else message
        except (KeyError, TypeError, ValueError):
            return message
