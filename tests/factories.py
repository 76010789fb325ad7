"""Rows for tests, each made with only the fields its test cares about.

A test names what it asserts on (a reported time, a breached clock, a cause) and the factory fills
in the rest with values that pass the models' rules. One place for the defaults means a new
required field is added here once, not in every test module's own helper.
"""

import datetime as dt

from django.utils import timezone

from incidents import services
from incidents.models import Incident

HOUR = dt.timedelta(hours=1)

# An incident as an engineer writes it up once it is fixed (seed 000's cause, method and result):
# what the knowledge base turns into an article.
WRITTEN_UP = {
    "title": "人口库同步中断",
    "description": "凌晨起人口库向网闸外同步失败，前台查询结果陈旧。",
    "impact": "居住证办理查询延迟约两小时。",
    "cause": "Oracle 数据库连接池耗尽",
    "method": "重启同步服务并把连接池上限调到 200",
    "result": "同步恢复，积压数据 20 分钟内追平",
}


def incident(
    contract,
    reported_at=None,
    *,
    targets=(),
    due_in=4 * HOUR,
    breached=(),
    breached_in=2 * HOUR,
    **fields,
) -> Incident:
    """An incident row of ``contract``, written directly (no events, no clocks computed).

    ``targets``: clock names ("response", "resolution", ...) given a due time ``due_in`` after
    ``reported_at`` (default now). ``breached``: a clock name or names (or None) whose due time and breach
    are both ``breached_in`` after it. The status is resolved when ``resolved_at`` is given, else
    new, unless ``status`` says otherwise. Any other field is passed through.
    """
    reported_at = reported_at or timezone.now()
    for clock in [breached] if isinstance(breached, str) else breached or ():
        fields.setdefault(f"{clock}_due", reported_at + breached_in)
        fields.setdefault(f"{clock}_breached_at", reported_at + breached_in)
    for clock in targets:
        fields.setdefault(f"{clock}_due", reported_at + due_in)
    resolved = fields.get("resolved_at") is not None
    fields.setdefault("status", Incident.Status.RESOLVED if resolved else Incident.Status.NEW)
    fields.setdefault("title", "故障")
    fields.setdefault("source", "phone")
    return Incident.objects.create(contract=contract, reported_at=reported_at, **fields)


def reported_incident(contract, by, **fields) -> Incident:
    """An incident reported the way users do (incidents.services.report_incident): its
    "created" event and the clocks of the contract's terms."""
    fields.setdefault("title", "网闸同步失败")
    fields.setdefault("source", "monitoring")
    return services.report_incident(contract, by=by, **fields)
