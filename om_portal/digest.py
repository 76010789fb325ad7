"""Events on their way to people: recorded as notices with an inbox item each, sent as messages at
most once a minute per contract.

``record`` writes the notice and its inbox items in the caller's transaction (who they are for is
the caller's business: ``contracts.notify`` reads roles and the roster) and, once committed, asks
for the contract's notices to be sent. ``flush`` sends every notice of a contract not sent yet as
one message per channel and per person, unless the contract already had its message this minute:
then the beat's next tick sends what gathered meanwhile as a digest. The SLA clocks' warnings and
breaches go the same way, so a storm of events on one contract is one message a minute.
"""

import hashlib
import logging
from collections import defaultdict
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from om_portal import events, notifications
from om_portal.models import InboxItem, Notice, NotificationChannel

log = logging.getLogger(__name__)


def record(kind, *, contract_code, contract_id, subject, text, link, dedupe_key, recipients, mentions=None):
    """Write one notice and an inbox item for each of ``recipients`` ((user, channels) pairs);
    send it once the caller commits. Returns the notice, or None when this event was recorded
    before (``dedupe_key``)."""
    notice, items = build(
        kind,
        contract_code=contract_code,
        contract_id=contract_id,
        subject=subject,
        text=text,
        link=link,
        dedupe_key=dedupe_key,
        recipients=recipients,
        mentions=mentions,
    )
    fields = {
        f.attname: getattr(notice, f.attname) for f in Notice._meta.concrete_fields if not f.primary_key
    }
    notice, created = Notice.objects.get_or_create(dedupe_key=notice.dedupe_key, defaults=fields)
    if not created:
        return None
    for item in items:
        item.notice = notice
    InboxItem.objects.bulk_create(items)
    transaction.on_commit(partial(enqueue_flush, notice.contract_code))
    return notice


def build(kind, *, contract_code, contract_id, subject, text, link, dedupe_key, recipients, mentions=None):
    """The notice ``record`` writes and its inbox items, unsaved (the items' notice is this one,
    without an id yet): for a writer that saves them with other rows in one statement, which
    must skip them both when a notice of the same key exists, and call ``enqueue_flush`` on
    commit when it wrote them."""
    key = (
        dedupe_key if len(dedupe_key) <= 255 else "sha256:" + hashlib.sha256(dedupe_key.encode()).hexdigest()
    )
    now = timezone.now()
    notice = Notice(
        dedupe_key=key,
        kind=kind.code,
        contract_code=contract_code or "",
        contract_id=contract_id,
        subject=" ".join(str(subject).split())[:200],
        text=str(text),
        link=link or "",
        mentions={name: sorted(set(phones)) for name, phones in (mentions or {}).items() if phones},
        created_at=now,
    )
    seen = set()
    items = []
    for user, channels in recipients:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        items.append(
            InboxItem(
                user=user,
                notice=notice,
                kind=kind.code,
                contract_code=notice.contract_code,
                created_at=now,
                channels=sorted(channels),
            )
        )
    return notice, items


def enqueue_flush(contract_code):
    from om_portal.tasks import flush_notices

    try:
        flush_notices.delay(contract_code)
    except Exception:
        # The notice is committed: the beat's next tick sends it.
        log.exception("notices: could not enqueue the flush of %r; the beat will", contract_code)


def flush(contract_code, now=None) -> int:
    """Send the contract's notices not sent yet, unless it had its message this minute; returns
    how many went. The pending notices are locked and claimed in one transaction, so two
    workers never send the same notice."""
    now = now or timezone.now()
    minute = now.replace(second=0, microsecond=0)
    with transaction.atomic():
        pending = list(
            Notice.objects.select_for_update()
            .filter(contract_code=contract_code, sent_at__isnull=True)
            .order_by("created_at", "pk")
        )
        if not pending:
            return 0
        if Notice.objects.filter(contract_code=contract_code, sent_at__gte=minute).exists():
            return 0
        Notice.objects.filter(pk__in=[n.pk for n in pending]).update(sent_at=now)
        # A digest's own words in the portal's language, as its notices were written: a flush
        # run after a request's commit would otherwise speak the requester's language.
        with translation.override(settings.LANGUAGE_CODE):
            _send(contract_code, pending)
    return len(pending)


def flush_all(now=None) -> int:
    """The beat's tick: every contract's waiting notices (each at most once a minute)."""
    codes = Notice.objects.filter(sent_at__isnull=True).values_list("contract_code", flat=True).distinct()
    return sum(flush(code, now) for code in list(codes))


def _send(contract_code, notices):
    batch = hashlib.sha256(",".join(str(n.pk) for n in notices).encode()).hexdigest()[:16]
    base_key = f"notices:{contract_code or '*'}:{batch}"
    group = [n for n in notices if events.get(n.kind).group]
    if group:
        scopes = [NotificationChannel.EVERY_CONTRACT] + ([contract_code] if contract_code else [])
        channels = list(NotificationChannel.objects.filter(active=True, scope__in=scopes))
        if channels:
            subject, text, link = compose(contract_code, group)
            mentions = defaultdict(list)
            for notice in group:
                for name, phones in notice.mentions.items():
                    mentions[name] += phones
            notifications.notify(
                subject, text, channels=channels, dedupe_key=base_key, link=link, mentions=mentions
            )
    by_user = defaultdict(list)
    items = InboxItem.objects.filter(notice__in=notices).select_related("user", "notice").order_by("pk")
    for item in items:
        if events.EMAIL in item.channels and item.user.email and item.user.is_active:
            by_user[item.user].append(item.notice)
    for user, own in by_user.items():
        subject, text, link = compose(contract_code, own)
        notifications.notify(
            subject, text, recipients_emails=[user.email], dedupe_key=f"{base_key}:user:{user.pk}", link=link
        )


def compose(contract_code, notices):
    """One message for one notice, or a digest of several: subject, text and link."""
    if len(notices) == 1:
        (notice,) = notices
        return notice.subject, notice.text, notice.link
    kinds = {n.kind for n in notices}
    code = contract_code or _("the portal")
    count = len(notices)
    if len(kinds) == 1:
        kind = events.get(kinds.pop())
        subject = ngettext("[%(code)s] %(count)s × %(label)s", "[%(code)s] %(count)s × %(label)s", count) % {
            "code": code,
            "count": count,
            "label": kind.label,
        }
        link = kind.list_link % {"code": contract_code} if kind.list_link and contract_code else ""
    else:
        subject = ngettext("[%(code)s] %(count)s event", "[%(code)s] %(count)s events", count) % {
            "code": code,
            "count": count,
        }
        link = ""
    link = link or "/inbox/" + (f"?contract={contract_code}" if contract_code else "")
    lines = []
    for notice in notices:
        line = notice.text.splitlines()[0] if notice.text else notice.subject
        if notice.link:
            line += " " + notifications.absolute_url(notice.link)
        lines.append(line)
    return subject, "\n".join(lines), link
