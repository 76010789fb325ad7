from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from contracts.models import Asset, Contract, Severity, SLATerm
from contracts.scoping import RestrictedQuerySet
from incidents.models.escalation import EscalationTarget
from om_portal.validators import no_bidi_controls


class IncidentKind(models.TextChoices):
    HARDWARE = "hardware", _("Hardware")
    SOFTWARE = "software", _("Software")
    NETWORK = "network", _("Network")
    DATA = "data", _("Data")
    SECURITY = "security", _("Security")
    CONSULTATION = "consultation", _("Consultation")
    OTHER = "other", _("Other")


class IncidentSource(models.TextChoices):
    INSPECTION = "inspection", _("Inspection")
    MONITORING = "monitoring", _("Monitoring")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")
    QQ = "qq", _("QQ")
    ON_SITE = "on_site", _("On site")
    PLATFORM = "platform", _("Fault-reporting platform")


# Columns only incidents.services writes (the workflow and the clocks, from the timeline): the
# admin and the API show them read-only.
WORKFLOW_FIELDS = ["status", "resolved_at", "cause", "impact", "method", "result", "closed_at"]
CLOCK_FIELDS = [
    "response_due",
    "arrival_due",
    "resolution_due",
    "responded_at",
    "arrived_at",
    "next_deadline",
    "next_warning_at",
    "response_breached_at",
    "arrival_breached_at",
    "resolution_breached_at",
]

# Predicates the portal's list, the API, the dashboard and the reports share, as Q objects so that
# a conditional count (``Count("id", filter=BREACHED)``) reads the same rule as a filter.
HAS_TARGET = Q(response_due__isnull=False) | Q(arrival_due__isnull=False) | Q(resolution_due__isnull=False)
BREACHED = (
    Q(response_breached_at__isnull=False)
    | Q(arrival_breached_at__isnull=False)
    | Q(resolution_breached_at__isnull=False)
)


class IncidentQuerySet(RestrictedQuerySet):
    def breached(self):
        """Any of its clocks missed its target."""
        return self.filter(BREACHED)

    def unbreached(self):
        return self.exclude(BREACHED)

    def with_target(self):
        """At least one clock has a target (an SLA term applied)."""
        return self.filter(HAS_TARGET)

    def open(self):
        """Not resolved nor closed: the work is still to do."""
        return self.exclude(FINISHED)

    def finished(self):
        return self.filter(FINISHED)


class Incident(models.Model):
    """A fault or request from any source, with its three SLA clocks.

    The clocks are *derived*: ``incidents.clocks`` rebuilds them from the event timeline, and the
    columns below are that result stored for lists (``next_deadline``) and the checker
    (``next_check_at``).
    """

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ON_SITE = "on_site", _("On site")
        WAITING_CLIENT = "waiting_client", _("Waiting on the client")
        WAITING_OTHER_UNIT = "waiting_other_unit", _("Waiting on another unit")
        WAITING_FINANCE = "waiting_finance", _("Waiting on the finance department")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("contract")
    )
    asset = models.ForeignKey(
        Asset,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("asset"),
    )
    title = models.CharField(_("title"), max_length=200, validators=[no_bidi_controls])
    description = models.TextField(_("description"), blank=True)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.GENERAL
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=IncidentKind.choices, default=IncidentKind.SOFTWARE
    )
    # Which SLA terms apply besides severity: "software fault" (seed 003), "major fault" (002)...
    condition = models.CharField(
        _("SLA condition"), max_length=20, choices=SLATerm.Condition.choices, blank=True
    )
    source = models.CharField(_("source"), max_length=12, choices=IncidentSource.choices)
    reporter_name = models.CharField(_("reporter"), max_length=100, blank=True)
    reporter_unit = models.CharField(_("reporter's unit"), max_length=200, blank=True)
    handlers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="handled_incidents", verbose_name=_("handlers")
    )
    needs_onsite = models.BooleanField(_("needs someone on site"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    reported_at = models.DateTimeField(_("reported at"))
    # Seed 000 asks every resolution for its time, cause, impact, method and result.
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    cause = models.TextField(_("cause"), blank=True)
    impact = models.TextField(_("impact"), blank=True)
    method = models.TextField(_("method"), blank=True)
    result = models.TextField(_("result"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # --- Derived from the timeline by incidents.clocks (see there) ---------------------------
    response_due = models.DateTimeField(_("response due"), null=True, blank=True)
    arrival_due = models.DateTimeField(_("arrival due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    # The earliest deadline of a clock still running (passed or not); NULL when none runs.
    next_deadline = models.DateTimeField(_("next deadline"), null=True, blank=True, editable=False)
    # The earliest warning moment (a share of a target's time) not yet warned of.
    next_warning_at = models.DateTimeField(_("next warning"), null=True, blank=True, editable=False)
    # The checker's next look: a warning, a deadline, or a day more of a per-day penalty.
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set once by the checker's conditional UPDATE: a clock breached (or warned) is claimed once.
    response_breached_at = models.DateTimeField(null=True, blank=True, editable=False)
    arrival_breached_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_breached_at = models.DateTimeField(null=True, blank=True, editable=False)
    response_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    arrival_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_warned_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Escalation (incidents.escalation): how many steps of the contract's policy are behind it
    # (fired, or already due when the policy was created: those count as passed, unsent), and
    # when the next one is due while nobody acknowledged the incident; NULL when none is pending.
    escalation_level = models.PositiveSmallIntegerField(default=0, editable=False)
    next_escalation_at = models.DateTimeField(null=True, blank=True, editable=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_path = "contract"
    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            # The SLA checker, every minute: WHERE next_check_at <= now. Partial: only incidents
            # with something pending are in it, a small fraction of all.
            # It carries the id, so the query reads the index alone (an index-only scan).
            models.Index(
                fields=["next_check_at"],
                include=["id"],
                name="incident_next_check_idx",
                condition=models.Q(next_check_at__isnull=False),
            ),
            # The escalation sweep, every minute: WHERE next_escalation_at <= now. Partial: only
            # unacknowledged incidents with a step still to fire are in it, a handful at a time.
            models.Index(
                fields=["next_escalation_at"],
                include=["id"],
                name="incident_next_escalation_idx",
                condition=models.Q(next_escalation_at__isnull=False),
            ),
            # The lists' "due before" filter.
            models.Index(
                fields=["next_deadline"],
                include=["id"],
                name="incident_next_deadline_idx",
                condition=models.Q(next_deadline__isnull=False),
            ),
            # The incident list across contracts, newest first (keyset pages of the API).
            models.Index(F("reported_at").desc(), F("id").desc(), name="incident_reported_idx"),
            # The incident list: a contract's incidents, newest first, often by status.
            models.Index(fields=["contract", "status", "-reported_at"], name="incident_contract_status_idx"),
            models.Index(fields=["contract", "-reported_at"], name="incident_contract_reported_idx"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("incidents:detail", kwargs={"pk": self.pk})

    @property
    def number(self) -> str:
        return f"{self.contract.code}-{self.pk or 0:05d}"

    @property
    def outside_term(self) -> bool:
        """Reported before the contract's term began or after it ended (Beijing dates): the
        contract obliges nothing then, so no clock starts."""
        from contracts.worktime import to_china

        if self.reported_at is None:
            return False
        day = to_china(self.reported_at).date()
        contract = self.contract
        return bool(
            (contract.starts_on and day < contract.starts_on) or (contract.ends_on and day > contract.ends_on)
        )

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.RESOLVED, self.Status.CLOSED)


# Resolved or closed: the work is done (IncidentQuerySet.open() is the rest).
FINISHED = Q(status__in=[Incident.Status.RESOLVED, Incident.Status.CLOSED])


class IncidentEvent(models.Model):
    """One entry of an incident's timeline: who did what when, from which state to which.

    The timeline is the evidence: the SLA clocks are recomputed from it (never from counters),
    so events are only ever added, never changed.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("Reported")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        DISPATCHED = "dispatched", _("Someone must go on site")
        ARRIVED = "arrived", _("Arrived on site")
        WAITING = "waiting", _("Waiting")
        RESUMED = "resumed", _("Resumed")
        RESOLVED = "resolved", _("Resolved")
        REOPENED = "reopened", _("Reopened")
        CLOSED = "closed", _("Closed")
        SEVERITY = "severity", _("Severity changed")
        KIND = "kind", _("Kind changed")
        CONDITION = "condition", _("SLA condition changed")
        ASSIGNED = "assigned", _("Handlers changed")
        COMMENT = "comment", _("Comment")
        WARNING = "warning", _("Deadline approaching")
        BREACH = "breach", _("Deadline missed")
        WITHDRAWN = "withdrawn", _("Breach withdrawn")
        RECOVERED = "recovered", _("Check recovered")
        ESCALATED = "escalated", _("Escalated")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"))
    kind = models.CharField(_("what"), max_length=14, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_value = models.CharField(_("from"), max_length=100, blank=True)
    to_value = models.CharField(_("to"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    scope_path = "incident__contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["incident", "at", "id"]
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")
        indexes = [
            # Rebuilding the clocks reads one incident's timeline in order.
            models.Index(fields=["incident", "at", "id"], name="incident_event_timeline_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"

    # The from/to values are stored as codes (evidence does not change with the language); these
    # show them as the labels of the current language.
    @property
    def from_display(self) -> str:
        return _value_label(self.from_value, self.kind)

    @property
    def to_display(self) -> str:
        return _value_label(self.to_value, self.kind)


def _value_label(value: str, event_kind: str = "") -> str:
    # "consultation" is both a kind of incident and an SLA condition: the event says which.
    first = (IncidentKind,) if event_kind == IncidentEvent.Kind.KIND else ()
    if event_kind == IncidentEvent.Kind.ESCALATED:
        first = (EscalationTarget,)
    for choices in (*first, Incident.Status, Severity, SLATerm.Condition, SLATerm.Clock, IncidentKind):
        if value and value in choices.values:
            return str(choices(value).label)
    return value


class WorkLogEntry(models.Model):
    """Seed 000's work log (工作日志): each piece of work by category, with who asked, who did it,
    how it was handled and the feedback."""

    class Category(models.TextChoices):
        INSPECTION = "inspection", _("Inspection")
        FAULT = "fault", _("Fault handling")
        DATA = "data", _("Data work")
        CHANGE = "change", _("Change")
        SUPPORT = "support", _("User support")
        SECURITY = "security", _("Security")
        OTHER = "other", _("Other")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="work_log", verbose_name=_("contract")
    )
    incident = models.ForeignKey(
        Incident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="work_log",
        verbose_name=_("incident"),
    )
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    date = models.DateField(_("date"))
    initiator = models.CharField(_("initiator"), max_length=100)
    handler = models.CharField(_("handler"), max_length=100)
    handling = models.TextField(_("handling"))
    feedback = models.TextField(_("feedback"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "-date", "-id"]
        verbose_name = _("work log entry")
        verbose_name_plural = _("work log")
        indexes = [
            # The monthly report reads a contract's work log by period.
            models.Index(fields=["contract", "date"], name="work_log_contract_date_idx"),
        ]

    def __str__(self):
        return f"{self.date} {self.get_category_display()} {self.handling[:30]}"
