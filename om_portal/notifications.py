"""Notifications: email and group-robot webhooks (WeCom, DingTalk, generic), one Delivery each.

``notify`` records one delivery per recipient and channel and enqueues the send after the caller's
transaction commits, so a rolled-back change tells nobody. ``send_delivery`` makes one attempt and
sorts the outcome: sent; failed permanently (the same request would fail again: a 4xx, a bad URL,
a robot's error code); or ``Transient`` (a timeout, a 5xx, a rate limit), which the Celery task
retries with backoff. Who is told is the caller's business (``contracts.notify`` reads the duty
roster); this module knows no contracts.
"""

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import random
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from functools import partial

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from om_portal.models import Delivery, NotificationChannel, webhook_url_error

log = logging.getLogger(__name__)

OPEN = [Delivery.Status.PENDING, Delivery.Status.RETRYING]

# An attempt holds its delivery this long. It must outlast the slowest attempt (the webhook and
# SMTP timeouts) or a second worker could send again; if the worker dies mid-attempt, the
# delivery is free again once it lapses.
CLAIM_SECONDS = 300
# The sweeper leaves an open delivery alone until its next attempt is this much overdue: Celery
# holds the retry until then, and a busy queue may start it late.
STALL_SECONDS = 600

# Robot replies with these error codes are rate limits or a busy server: worth another try.
# WeCom: -1 system busy, 45009 API frequency out of limit; DingTalk: 130101 sent too fast.
RETRYABLE_ERRCODES = {-1, 45009, 130101}
# WeCom refuses markdown longer than 4096 bytes (UTF-8); DingTalk's limit is larger.
ROBOT_TEXT_BYTES = 4000
# WeCom's text messages (the only ones that can @ a mobile number) stop at 2048 bytes.
WECOM_TEXT_BYTES = 2000


class Transient(Exception):
    """This attempt failed, the next one may not: retry later."""


class Permanent(Exception):
    """Sending again will not help until someone fixes the channel or the message."""


def _setting(name, default):
    return getattr(settings, name, default)


# --- Recording --------------------------------------------------------------------------------


def absolute_url(link: str) -> str:
    """``link`` as a phone opening a message can follow: a path of the portal gets SITE_URL."""
    if link.startswith("/") and not link.startswith("//"):
        return _setting("SITE_URL", "").rstrip("/") + link
    return link


def notify(subject, text, *, recipients_emails=(), channels=(), dedupe_key, link="", mentions=None):
    """Record a delivery per email address and active channel; send them once committed.

    ``dedupe_key`` names the event (e.g. ``"incident:42:resolution:breach"``): notifying the same
    event again — a second worker, a re-run — adds nothing. Returns the deliveries created now.
    ``link`` may be a path of the portal: it goes out absolute (SITE_URL). ``mentions`` maps a
    robot kind (``wecom``, ``dingtalk``) to the mobile numbers its message @-mentions.
    """
    subject = " ".join(str(subject).split())[:200]  # a line break in a mail header is refused
    text = str(text)
    link = absolute_url(str(link or ""))
    mentions = mentions or {}
    created = []
    addresses = dict.fromkeys(a.strip().lower() for a in recipients_emails if a and a.strip())
    targets = [(address, None) for address in addresses]
    targets += [(None, channel) for channel in channels if channel.active]
    for address, channel in targets:
        if channel is None or channel.kind == NotificationChannel.Kind.EMAIL:
            recipient = address or channel.target
            payload = {}
        else:
            recipient = channel.name
            payload = build_payload(channel.kind, subject, text, link, mentions.get(channel.kind, ()))
        suffix = f"email:{address}" if channel is None else f"channel:{channel.pk}"
        delivery, is_new = Delivery.objects.get_or_create(
            dedupe_key=_key(dedupe_key, suffix),
            defaults={
                "channel": channel,
                "recipient": recipient,
                "subject": subject,
                "body": text if not link else f"{text}\n\n{link}",
                "payload": payload,
            },
        )
        if is_new:
            created.append(delivery)
            transaction.on_commit(partial(enqueue, delivery.pk))
    return created


def _key(event_key, suffix):
    key = f"{event_key}:{suffix}"
    # Long keys keep their uniqueness as a digest rather than failing the column's length.
    return key if len(key) <= 255 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def build_payload(kind, subject, text, link="", mobiles=()):
    """The JSON body a robot of ``kind`` expects; ``mobiles`` are the people it @-mentions."""
    mobiles = list(dict.fromkeys(m for m in mobiles if m))
    if kind == NotificationChannel.Kind.WEBHOOK:
        payload = {"subject": subject, "text": text, "link": link}
        return {**payload, "mentioned_mobiles": mobiles} if mobiles else payload
    if kind == NotificationChannel.Kind.WECOM and mobiles:
        # WeCom's markdown cannot @ anyone by mobile number: a text message can.
        content = f"{subject}\n\n{text}" + (f"\n\n{link}" if link else "")
        return {
            "msgtype": "text",
            "text": {"content": _truncate(content, WECOM_TEXT_BYTES), "mentioned_mobile_list": mobiles},
        }
    markdown = f"**{subject}**\n\n{text}"
    if link:
        markdown += f"\n\n[{link}]({link})"
    # DingTalk shows an @ only for numbers that also appear in the text.
    at_line = " ".join(f"@{mobile}" for mobile in mobiles)
    markdown = _truncate(markdown, ROBOT_TEXT_BYTES - len(at_line.encode()) - 2)
    if kind == NotificationChannel.Kind.WECOM:
        return {"msgtype": "markdown", "markdown": {"content": markdown}}
    if kind == NotificationChannel.Kind.DINGTALK:
        payload = {"msgtype": "markdown", "markdown": {"title": subject, "text": markdown}}
        if mobiles:
            payload["markdown"]["text"] += "\n\n" + at_line
            payload["at"] = {"atMobiles": mobiles, "isAtAll": False}
        return payload
    raise ValueError(f"no webhook payload for channel kind {kind!r}")


def _truncate(text, limit):
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def enqueue(delivery_id):
    from om_portal.tasks import send_delivery

    try:
        send_delivery.delay(delivery_id)
    except Exception:
        # The row is committed: the sweeper sends it once the broker is back.
        log.exception("notifications: could not enqueue delivery %s; the sweeper will", delivery_id)


# --- Sending ----------------------------------------------------------------------------------


def claim(delivery_id):
    """Take the current attempt of an open delivery, or None if it is done or another worker
    holds it. One conditional UPDATE: of two workers only one sees a row count of 1."""
    now = timezone.now()
    taken = (
        Delivery.objects.filter(pk=delivery_id, status__in=OPEN)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1)
    )
    if not taken:
        return None
    return Delivery.objects.select_related("channel").get(pk=delivery_id)


def _finish(delivery, status, error="", *, retry_in=None):
    now = timezone.now()
    fields = {"status": status, "claimed_until": None}
    if error:
        fields["last_error"] = error[:2000]
    if status == Delivery.Status.SENT:
        fields["sent_at"] = now
    if retry_in is not None:
        fields["next_attempt_at"] = now + dt.timedelta(seconds=retry_in)
    Delivery.objects.filter(pk=delivery.pk).update(**fields)


def send_delivery(delivery_id, *, final=False, retry_in=0):
    """Make one attempt at a delivery; return its status, or None if there was nothing to do.

    Raises ``Transient`` after releasing the claim when a later attempt may succeed, unless
    ``final`` (the task's last retry), which marks it failed instead. ``retry_in`` is when the
    caller will try again, for the sweeper.
    """
    delivery = claim(delivery_id)
    if delivery is None:
        return None
    try:
        _attempt(delivery)
    except Transient as exc:
        if final:
            _finish(delivery, Delivery.Status.FAILED, f"{exc} (gave up after {delivery.attempts} attempts)")
            return Delivery.Status.FAILED
        _finish(delivery, Delivery.Status.RETRYING, str(exc), retry_in=retry_in)
        raise
    except Permanent as exc:
        _finish(delivery, Delivery.Status.FAILED, str(exc))
        return Delivery.Status.FAILED
    except Exception as exc:
        # A fault of ours would recur on every retry: stop, and show it on the delivery.
        log.exception("notifications: delivery %s failed unexpectedly", delivery.pk)
        _finish(delivery, Delivery.Status.FAILED, f"{type(exc).__name__}: {exc}")
        return Delivery.Status.FAILED
    _finish(delivery, Delivery.Status.SENT)
    return Delivery.Status.SENT


def _attempt(delivery):
    channel = delivery.channel
    if channel is not None and not channel.active:
        raise Permanent("the channel was deactivated")
    if channel is None or channel.kind == NotificationChannel.Kind.EMAIL:
        _send_email(delivery, delivery.recipient)
        return
    url = channel.target
    if channel.kind == NotificationChannel.Kind.DINGTALK and channel.secret:
        url = dingtalk_signed_url(url, channel.secret)
    reply = post_json(url, delivery.payload)
    if channel.kind in (NotificationChannel.Kind.WECOM, NotificationChannel.Kind.DINGTALK):
        _check_robot_reply(reply)


def _send_email(delivery, address):
    timeout = _setting("EMAIL_TIMEOUT", None) or _setting("NOTIFICATION_TIMEOUT_SECONDS", 10)
    try:
        send_mail(
            delivery.subject,
            delivery.body,
            None,
            [address],
            connection=get_connection(fail_silently=False, timeout=timeout),
        )
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _message in exc.recipients.values()]
        error = f"recipient refused: {exc.recipients}"
        raise (Permanent(error) if all(code >= 500 for code in codes) else Transient(error)) from exc
    except smtplib.SMTPResponseException as exc:
        # SMTP's 5xx replies are final; 4xx ask to come back later.
        error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
        raise (Permanent(error) if exc.smtp_code >= 500 else Transient(error)) from exc
    except OSError as exc:  # refused, timed out, disconnected
        raise Transient(f"mail server unreachable: {exc}") from exc


def dingtalk_signed_url(url, secret, now=None):
    """``url`` with DingTalk's ``timestamp`` and ``sign``: base64(HMAC-SHA256(secret,
    "<timestamp ms>\\n<secret>")); DingTalk refuses a timestamp over an hour old, so sign at
    each attempt."""
    timestamp = str(round((time.time() if now is None else now) * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    query = urllib.parse.urlencode({"timestamp": timestamp, "sign": base64.b64encode(digest).decode()})
    return f"{url}{'&' if '?' in url else '?'}{query}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # Robots answer where they are called; following a redirect could lead a POST elsewhere
    # (urllib would even follow one to ftp://). A 3xx becomes an HTTPError, a permanent failure.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post_json(url, payload):
    """POST ``payload`` as JSON; return the reply parsed as JSON (None if it is not JSON)."""
    if webhook_url_error(url):
        # The URL is not repeated: a robot's URL carries its token, and errors are shown around.
        raise Permanent("not an http(s) URL with a host")
    request = urllib.request.Request(  # noqa: S310  (the scheme is checked just above)
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    timeout = _setting("NOTIFICATION_TIMEOUT_SECONDS", 10)
    try:
        with _opener.open(request, timeout=timeout) as response:
            body = response.read(65536)
    except urllib.error.HTTPError as exc:
        detail = exc.read(500).decode(errors="replace").strip()
        error = f"HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
        if exc.code >= 500 or exc.code == 429:
            raise Transient(error) from exc
        raise Permanent(error) from exc
    except urllib.error.URLError as exc:  # refused, unknown host, TLS trouble
        raise Transient(f"cannot reach the webhook: {exc.reason}") from exc
    except (OSError, http.client.HTTPException) as exc:  # timed out or cut off mid-reply
        raise Transient(f"cannot reach the webhook: {exc!r}") from exc
    try:
        return json.loads(body)
    except ValueError:
        return None


def _check_robot_reply(reply):
    # Robots answer 200 and put the outcome in the body: {"errcode": 0, "errmsg": "ok"}.
    if not isinstance(reply, dict) or "errcode" not in reply:
        raise Permanent(f"unexpected robot reply: {reply!r}"[:500])
    code = reply["errcode"]
    if code == 0:
        return
    error = f"robot error {code}: {reply.get('errmsg', '')}"
    raise Transient(error) if code in RETRYABLE_ERRCODES else Permanent(error)


def retry_delay(retries):
    """Seconds before retry number ``retries + 1``: exponential, with jitter so that the
    deliveries of one outage do not all come back in the same second."""
    base = _setting("NOTIFICATION_RETRY_BASE_SECONDS", 30)
    ceiling = _setting("NOTIFICATION_RETRY_MAX_SECONDS", 3600)
    delay = min(base * 2**retries, ceiling)
    return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311  (spacing, not secrecy)


# --- Repair -----------------------------------------------------------------------------------


def retry_failed(deliveries):
    """Give failed deliveries a fresh series of attempts (the admin's "retry"); returns how many.

    Webhook deliveries read the channel's target at each attempt, so fixing the channel first
    and then retrying sends to the corrected URL.
    """
    ids = list(deliveries.filter(status=Delivery.Status.FAILED).values_list("pk", flat=True))
    Delivery.objects.filter(pk__in=ids, status=Delivery.Status.FAILED).update(
        status=Delivery.Status.PENDING, claimed_until=None, next_attempt_at=timezone.now()
    )
    for pk in ids:
        transaction.on_commit(partial(enqueue, pk))
    return len(ids)


def requeue_stalled(limit=500):
    """Enqueue open deliveries whose next attempt is long overdue; returns how many.

    A sent message can be lost (a broker that was down at commit, a purged queue); the claim
    makes a duplicate harmless, so re-enqueueing errs on the safe side.
    """
    now = timezone.now()
    stalled = list(
        Delivery.objects.filter(
            status__in=OPEN, next_attempt_at__lt=now - dt.timedelta(seconds=STALL_SECONDS)
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    # Pushed forward, so that the next sweep does not enqueue them again before a worker runs.
    Delivery.objects.filter(pk__in=stalled).update(next_attempt_at=now)
    for pk in stalled:
        transaction.on_commit(partial(enqueue, pk))
    return len(stalled)
