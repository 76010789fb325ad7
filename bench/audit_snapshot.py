"""The cost of keeping an audited row's loaded values (om_portal.audit_changes, post_init) for
the "before" of its update line: microseconds per instance built from a database row, with and
without the receiver. No database needed.

    python manage.py shell < bench/audit_snapshot.py
    .venv/bin/python bench/audit_snapshot.py [--smoke]   (--smoke: 200 rows, once; the test suite)
"""

import contextlib
import datetime as dt
import sys
import time
from decimal import Decimal

# Run as a script: Django set up by the benches' helper (under manage.py shell, already done).
with contextlib.suppress(ImportError):
    import _django  # noqa: F401

from django.db.models.signals import post_init

from contracts.models import Contract
from om_portal import audit_changes

SAMPLE = {
    "CharField": "x",
    "SlugField": "c",
    "TextField": "t",
    "DecimalField": Decimal("1.00"),
    "DateField": dt.date(2026, 1, 1),
    "DateTimeField": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    "TimeField": dt.time(9),
    "BooleanField": True,
    "JSONField": {},
}
fields = Contract._meta.concrete_fields
names = [f.attname for f in fields]
values = [SAMPLE.get(f.get_internal_type(), 1) for f in fields]
SMOKE = "--smoke" in sys.argv[1:]
N = 200 if SMOKE else 20000
ROUNDS = 1 if SMOKE else 5


def per_row() -> float:
    start = time.perf_counter()
    for _ in range(N):
        Contract.from_db("default", names, values)
    return (time.perf_counter() - start) / N * 1e6


with_snapshot = min(per_row() for _ in range(ROUNDS))
# The receiver must be there to be measured: a renamed dispatch_uid would make both figures "without".
assert post_init.disconnect(
    audit_changes.on_init, sender=Contract, dispatch_uid="audit-init-contracts.Contract"
), "the audit snapshot receiver is not connected under its dispatch_uid"
without = min(per_row() for _ in range(ROUNDS))
print(
    f"Contract.from_db, {len(fields)} fields: {without:.1f} µs without the snapshot, "
    f"{with_snapshot:.1f} µs with it (+{with_snapshot - without:.1f} µs a row)"
)
if SMOKE:
    print("smoke: ok")
