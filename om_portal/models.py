from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class WorkerHeartbeat(models.Model):
    """When each Celery worker last ran the heartbeat task; /healthz reads the newest."""

    worker = models.CharField(_("worker"), max_length=200, unique=True)
    seen_at = models.DateTimeField(_("seen at"))

    class Meta:
        ordering = ["-seen_at"]
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self):
        return f"{self.worker} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


def webhook_url_error(url: str) -> str | None:
    """Why ``url`` may not receive a webhook, or None: only http(s) URLs with a host.

    A channel's target is posted to by the worker, so a file://, ftp:// or other scheme would let
    whoever edits channels read local files or reach other services; checked again at send time
    because rows can be written without ``full_clean``. Host names are not held to Django's
    URLValidator: closed networks reach the robots through relays with one-word names.
    """
    refused = _("Only http:// and https:// URLs with a host are allowed.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number in range)
    except ValueError:
        return refused
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        return refused
    return None


class NotificationChannel(models.Model):
    """Where notifications go besides personal email: a mailbox or a group robot's webhook.

    ``scope`` says which contracts the channel serves. This app sits below ``contracts`` and
    cannot point at a contract, so ``scope`` holds a contract's code and ``contracts.notify``
    reads it. ``*`` means every contract, for the portal operator's own channel; empty means none
    (issue 14: an empty scope used to mean every contract of every organisation, so a channel
    added without one heard the other bureaus' incidents).
    """

    EVERY_CONTRACT = "*"

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email")
        WECOM = "wecom", _("WeCom robot")
        DINGTALK = "dingtalk", _("DingTalk robot")
        WEBHOOK = "webhook", _("Generic webhook")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The webhook URL carries the robot's access token: treat it as a secret.
    target = models.CharField(
        pgettext_lazy("notification channel", "target"),
        max_length=1000,
        help_text=_("An email address, or the robot's webhook URL."),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk only: the robot's signing secret (SEC…), when signing is enabled."),
    )
    active = models.BooleanField(_("active"), default=True)
    scope = models.CharField(
        _("contract code"),
        max_length=40,
        blank=True,
        help_text=_(
            "The code of the contract this channel serves; “*” for every contract of every "
            "organisation; empty: none yet."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        indexes = [
            # contracts.notify.recipients_for: a contract's active channels by code.
            models.Index(fields=["scope"], condition=models.Q(active=True), name="notif_channel_scope_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def clean(self):
        if self.kind == self.Kind.EMAIL:
            try:
                EmailValidator()(self.target)
            except ValidationError:
                raise ValidationError({"target": _("Enter a valid email address.")}) from None
        elif self.kind:
            error = webhook_url_error(self.target)
            if error:
                raise ValidationError({"target": error})
        if self.secret and self.kind != self.Kind.DINGTALK:
            raise ValidationError({"secret": _("Only DingTalk robots sign their messages.")})


class Delivery(models.Model):
    """One message to one recipient or channel, and how sending it went."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        RETRYING = "retrying", _("Retrying")
        FAILED = "failed", _("Failed permanently")

    # Deliveries are the record of who was told what: deactivate a channel rather than delete it.
    channel = models.ForeignKey(
        NotificationChannel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("channel"),
    )
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    # The robot's JSON body as built when notified; DingTalk's signature is added at each attempt.
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # When the next attempt is due; the sweeper re-enqueues open deliveries long past it (a lost
    # message, or a broker that was down at commit).
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    # A worker's lease on the current attempt; see notifications.claim.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    # The event's key plus the recipient: the same event notified twice makes one delivery.
    dedupe_key = models.CharField(_("deduplication key"), max_length=255, unique=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            # The admin's list filtered by status (failed deliveries first of all), newest first.
            models.Index(fields=["status", "-created_at"], name="delivery_status_created_idx"),
            # The sweeper: open deliveries whose next attempt is long overdue.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "retrying"]),
                name="delivery_open_due_idx",
            ),
        ]

    def __str__(self):
        return f"{self.subject} → {self.recipient} ({self.get_status_display()})"


class AuditEntry(models.Model):
    """One line of the audit trail: who did what to which object, when, from where, and how it
    ended. Each line carries the hash of the one before it (``om_portal.audit``), so a changed or
    deleted line breaks the chain; on PostgreSQL a trigger refuses updates, and deletes of lines
    younger than the retention period, whoever the application's role is."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Success")
        DENIED = "denied", _("Denied")
        FAILED = "failed", _("Failed")

    at = models.DateTimeField(_("time"), default=timezone.now)
    # Who, as text: the trail must outlive the account, and a foreign key would have to be
    # updated (which the trigger refuses) when a user is deleted.
    user_id = models.IntegerField(_("user id"), null=True, blank=True)
    username = models.CharField(_("user"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    # The contract the object belongs to, so each party's auditor searches their own contracts.
    contract_code = models.CharField(_("contract"), max_length=40, blank=True)
    # And its id, which a change of code does not change (no foreign key: this app sits below
    # contracts, and the line must outlive the contract).
    contract_id = models.BigIntegerField(_("contract id"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, default=Outcome.SUCCESS)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        indexes = [
            # The auditor's search: by time, and by user or contract within a time range.
            models.Index(fields=["at"], name="audit_at_idx"),
            models.Index(fields=["username", "at"], name="audit_user_at_idx"),
            models.Index(fields=["contract_code", "at"], name="audit_contract_at_idx"),
            models.Index(fields=["contract_id", "at"], name="audit_contract_id_at_idx"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.object_repr}"


class AuditChain(models.Model):
    """The head of the audit chain: the last line's id and hash. Appending locks this one row, so
    lines are chained in the order they commit; and a deleted last line shows as a head that
    points past the end."""

    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # Where verification starts once old lines are purged: the hash the first kept line follows.
    origin_hash = models.CharField(max_length=64, default="0" * 64)
    purged_through = models.BigIntegerField(default=0)
    # Lines up to this id were written before the chain was keyed: plain SHA-256 (migration 0005).
    unkeyed_through = models.BigIntegerField(default=0)
    # The HMAC of the fields above (om_portal.audit.head_mac): a head moved back is found.
    head_mac = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit chain")
        verbose_name_plural = _("audit chain")

    def __str__(self):
        return f"audit chain @ {self.last_id}"


class PasswordChangeRequired(models.Model):
    """An account whose password someone else chose (a security administrator, for a new
    account): its owner must choose their own at the next login before doing anything else, so
    that no password known to two people stays in use (GB/T 22239 level 3)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    since = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("password change required")
        verbose_name_plural = _("password changes required")

    def __str__(self):
        return str(self.user_id)


class Notice(models.Model):
    """One event someone must act on (``om_portal.events``): its text, rendered once, and where
    it points. The people it is for each have an ``InboxItem``; the contract's channels and the
    people's email hear of it when ``om_portal.digest`` sends it, alone or in the contract's
    digest of the minute."""

    kind = models.CharField(_("event"), max_length=40)
    # Which contract, as in the audit trail (this app sits below contracts): its code, which the
    # channels' scope names, and its id. Empty for events of the whole portal (the calendar).
    contract_code = models.CharField(_("contract"), max_length=40, blank=True)
    contract_id = models.BigIntegerField(_("contract id"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    # A path of the portal ("/incidents/6/"); messages make it absolute with SITE_URL.
    link = models.CharField(_("link"), max_length=500, blank=True)
    # Phones to @-mention in the group robots, by channel kind: {"wecom": [...], "dingtalk": [...]}.
    mentions = models.JSONField(_("mentions"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Claimed by the sender: null until the notice went out, alone or in a digest.
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The event's identity: the same event emitted twice (a rerun, a second worker) is one notice.
    dedupe_key = models.CharField(_("deduplication key"), max_length=255, unique=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [
            # digest.flush: a contract's notices not sent yet.
            models.Index(
                fields=["contract_code", "created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="notice_unsent_idx",
            ),
            # digest.flush: whether the contract had its message this minute.
            models.Index(fields=["contract_code", "sent_at"], name="notice_sent_idx"),
        ]

    def __str__(self):
        return self.subject


class InboxItem(models.Model):
    """A notice in one person's inbox, with the channels it reaches them by and when they read it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox", verbose_name=_("user")
    )
    notice = models.ForeignKey(
        Notice, on_delete=models.CASCADE, related_name="items", verbose_name=_("notice")
    )
    # Copied from the notice: the inbox's filters and order read one table.
    kind = models.CharField(_("event"), max_length=40)
    contract_code = models.CharField(_("contract"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Personal channels besides the inbox (om_portal.events.PERSONAL_CHANNELS) chosen at the time.
    channels = models.JSONField(_("channels"), default=list, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox items")
        constraints = [
            models.UniqueConstraint(fields=["user", "notice"], name="inbox_item_unique_user_notice"),
        ]
        indexes = [
            # The bell on every page: a user's unread count.
            models.Index(
                fields=["user", "-created_at"],
                condition=models.Q(read_at__isnull=True),
                name="inbox_unread_idx",
            ),
            # The inbox page: a user's items, newest first.
            models.Index(fields=["user", "-created_at"], name="inbox_user_created_idx"),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.notice_id}"


class NotificationPreference(models.Model):
    """A person's choice for one kind of event and one personal channel; without a row the
    kind's default applies. A kind that is mandatory for one of the person's roles ignores it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("event"), max_length=40)
    channel = models.CharField(_("channel"), max_length=10)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "channel"], name="notification_pref_unique_user_kind_channel"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.channel} {'on' if self.enabled else 'off'}"
