"""Anchors of the audit chain: its head (last line's id and hash) on a date, HMAC'd with the
chain's key, for the auditor to keep outside the portal (beat writes one daily under
AUDIT_ANCHOR_DIR; the auditor downloads one from /audit/). Whoever later rolls the trail back,
even with the key and the tables in hand, cannot change the anchors kept elsewhere:
``verify_audit --anchor FILE`` checks the trail still holds each anchored line, unchanged.
A backup's manifest carries one too (om_portal.backup).
"""

import hmac
import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from om_portal import audit
from om_portal.models import AuditChain, AuditEntry


def _payload(body: dict) -> str:
    fields = {k: body.get(k) for k in ("date", "made_at", "last_id", "last_hash")}
    return "anchor:" + json.dumps(fields, sort_keys=True, separators=(",", ":"))


def make(now=None) -> dict:
    now = now or timezone.now()
    head = AuditChain.objects.filter(pk=1).first() or AuditChain()
    body = {
        "date": timezone.localdate(now).isoformat(),
        "made_at": now.isoformat(),
        "last_id": head.last_id,
        "last_hash": head.last_hash,
    }
    body["mac"] = audit.mac(_payload(body))
    return body


def write(folder: Path | None = None, now=None) -> Path:
    """Write today's anchor as ``audit-anchor-YYYY-MM-DD.json`` (a second run the same day
    replaces it with the newer head)."""
    body = make(now)
    folder = Path(folder or settings.AUDIT_ANCHOR_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"audit-anchor-{body['date']}.json"
    path.write_text(json.dumps(body, indent=1) + "\n")
    return path


def check(body: dict) -> list[audit.Problem]:
    """What the trail says against an anchor: its MAC, and the anchored line kept unchanged
    (unless purged since)."""
    problems = []
    name = f"anchor of {body.get('date', '?')}"
    if not hmac.compare_digest(str(body.get("mac", "")), audit.mac(_payload(body))):
        problems.append(
            audit.Problem(None, f"the {name} does not match the key: it was not made here, or changed")
        )
        return problems
    last_id, last_hash = body["last_id"], body["last_hash"]
    head = AuditChain.objects.filter(pk=1).first() or AuditChain()
    if last_id == 0 or last_id < head.purged_through:
        return problems
    if last_id == head.purged_through:
        kept = head.origin_hash
    else:
        kept = AuditEntry.objects.filter(pk=last_id).values_list("hash", flat=True).first()
    if kept is None:
        problems.append(
            audit.Problem(last_id, f"the {name} names this line, which is gone: lines were removed")
        )
    elif kept != last_hash:
        problems.append(audit.Problem(last_id, f"differs from the {name}: the trail was rewritten"))
    return problems


def read(path: Path) -> dict:
    """An anchor file, or a backup's manifest (its ``audit_anchor``)."""
    data = json.loads(Path(path).read_text())
    return data.get("audit_anchor", data)
