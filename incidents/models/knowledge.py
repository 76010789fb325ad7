"""The knowledge base, emergency plans and drills, consultations and complaints.

Seed 000 asks for a knowledge base (background, where it applies, the distilled knowledge) and
emergency plans by category; seed 001 lists the plan categories; seed 002 lets either side
complain; seed 004 records consultations and rates each engineer's answers.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from contracts.models import Asset, Contract
from contracts.scoping import RestrictedQuerySet
from incidents.models.incident import Incident
from om_portal.validators import no_bidi_controls

__all__ = ["Complaint", "Consultation", "Drill", "EmergencyPlan", "KnowledgeArticle", "Side"]


class Side(models.TextChoices):
    CLIENT = "client", _("Client")
    VENDOR = "vendor", _("Vendor")


class KnowledgeArticle(models.Model):
    """A recurring fault and its fix, written once so that the next engineer need not rediscover it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    # Required: an article describes one contract's estate, and scoping follows the contract.
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="knowledge_articles", verbose_name=_("contract")
    )
    title = models.CharField(_("title"), max_length=200, validators=[no_bidi_controls])
    background = models.TextField(_("background"), blank=True)
    system = models.CharField(_("applies to system"), max_length=200, blank=True)
    asset_kind = models.CharField(
        _("applies to asset kind"), max_length=12, choices=Asset.Kind.choices, blank=True
    )
    symptoms = models.TextField(_("symptoms"), blank=True)
    solution = models.TextField(_("solution"))
    source_incident = models.ForeignKey(
        Incident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="knowledge_articles",
        verbose_name=_("source incident"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        constraints = [
            # A double tap on "turn into an article" must not make two drafts of one incident.
            models.UniqueConstraint(fields=["source_incident"], name="knowledge_one_article_per_incident"),
        ]
        indexes = [models.Index(fields=["contract", "status", "-updated_at"], name="knowledge_contract_idx")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("incidents:article-detail", kwargs={"pk": self.pk})


class EmergencyPlan(models.Model):
    """An emergency plan (应急预案) for one category of emergency."""

    class Category(models.TextChoices):
        # Seed 001's after-sales plan, in its order.
        NETWORK_ATTACK = "network_attack", _("Network attack")
        INFORMATION_DESTRUCTION = "information_destruction", _("Information destruction")
        NETWORK_FAULT = "network_fault", _("Network fault")
        HOST_FAULT = "host_fault", _("Host fault")
        DATA_CORRUPTION = "data_corruption", _("Data corruption")
        SOFTWARE_FAULT = "software_fault", _("Software fault")
        HARDWARE_FAULT = "hardware_fault", _("Hardware fault")
        OTHER = "other", _("Other")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="emergency_plans", verbose_name=_("contract")
    )
    category = models.CharField(_("category"), max_length=24, choices=Category.choices)
    title = models.CharField(_("title"), max_length=200, validators=[no_bidi_controls])
    trigger_conditions = models.TextField(_("trigger conditions"))
    steps = models.TextField(_("response steps"))
    contacts = models.TextField(_("contacts"), blank=True)
    version = models.CharField(_("version"), max_length=20, default="1.0")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "category", "title"]
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")

    def __str__(self):
        return f"{self.get_category_display()} · {self.title}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("incidents:plan-detail", kwargs={"pk": self.pk})


class Drill(models.Model):
    """A rehearsal of an emergency plan and what it taught."""

    plan = models.ForeignKey(
        EmergencyPlan, on_delete=models.CASCADE, related_name="drills", verbose_name=_("emergency plan")
    )
    date = models.DateField(_("date"))
    participants = models.TextField(_("participants"))
    scenario = models.TextField(_("scenario"))
    findings = models.TextField(_("result and findings"), blank=True)
    follow_ups = models.TextField(_("follow-up actions"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_path = "plan__contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "-date", "-id"]
        verbose_name = _("drill")
        verbose_name_plural = _("drills")

    def __str__(self):
        return f"{self.date} {self.plan.title}"


class Consultation(models.Model):
    """A question put to the vendor by phone, online or on the fault-reporting platform (seed 004).

    ``engineer`` is the engineer the question was routed to, answered or not: seed 004 assesses
    the answer rate per engineer, so an unanswered question must count against someone.
    """

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        ONLINE = "online", _("Online")
        PLATFORM = "platform", _("Fault-reporting platform")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="consultations", verbose_name=_("contract")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    asker_name = models.CharField(_("asked by"), max_length=100, blank=True)
    asker_unit = models.CharField(_("asker's unit"), max_length=200, blank=True)
    question = models.TextField(_("question"))
    asked_at = models.DateTimeField(_("asked at"))
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
        verbose_name=_("engineer"),
    )
    answered = models.BooleanField(_("answered"), default=False)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    # Derived from the contract's consultation term by incidents.knowledge.settle_consultation:
    # when the reply is due, and when its breach was recorded (set once: the claim).
    reply_due = models.DateTimeField(_("reply due"), null=True, blank=True, editable=False)
    reply_breached_at = models.DateTimeField(null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-asked_at", "-id"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        constraints = [
            # The timely-reply rate is computed from these two times: an answer without its time
            # would silently count as late.
            models.CheckConstraint(
                condition=models.Q(answered=False) | models.Q(replied_at__isnull=False),
                name="consultation_answered_has_reply_time",
            ),
            models.CheckConstraint(
                condition=models.Q(replied_at__isnull=True) | models.Q(replied_at__gte=models.F("asked_at")),
                name="consultation_reply_after_question",
            ),
        ]
        indexes = [
            # The rates read one contract's consultations of a period, grouped by engineer.
            models.Index(fields=["contract", "asked_at"], name="consult_contract_asked_idx"),
            # The beat's sweep: unanswered questions past their reply deadline, not yet recorded.
            models.Index(
                fields=["reply_due"],
                name="consult_reply_due_idx",
                condition=models.Q(answered=False, reply_due__isnull=False, reply_breached_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.asked_at:%Y-%m-%d %H:%M} {self.question[:40]}"


class Complaint(models.Model):
    """A complaint by one party about the other (seed 002); an upheld complaint is the record
    the contract asks for."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        UPHELD = "upheld", _("Upheld (valid, recorded)")
        DISMISSED = "dismissed", _("Dismissed")

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="complaints", verbose_name=_("contract")
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="complaints_filed",
        verbose_name=_("filed by"),
    )
    # Both sides are derived from the filer's membership when filed, and kept: memberships change.
    filed_by_side = models.CharField(_("filed by side"), max_length=10, choices=Side.choices)
    against_side = models.CharField(_("against side"), max_length=10, choices=Side.choices)
    subject = models.CharField(_("subject"), max_length=200, validators=[no_bidi_controls])
    description = models.TextField(_("description"))
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # The answer of the side complained against (the vendor, mostly), before the decision.
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    scope_path = "contract"
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(filed_by_side=models.F("against_side")),
                name="complaint_against_the_other_side",
            ),
        ]
        indexes = [models.Index(fields=["contract", "status", "-filed_at"], name="complaint_contract_idx")]

    def __str__(self):
        return self.subject

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("incidents:complaint-detail", kwargs={"pk": self.pk})
