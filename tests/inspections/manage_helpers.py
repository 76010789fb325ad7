"""What the tests of the inspections management pages share: the forms' POST data, and one of
each object under contract A."""

import datetime as dt

from django.utils import timezone

from inspections.models import AutomatedCheck, ChecklistTemplate, HeightenedPeriod, InspectionSchedule

PAGE = "/inspections/contract/A-2026-OM/"
PASSWORD = "Pg-s3cret-密码-2026"


# fmt: off
def schedule_data(**fields):
    return {"name": "每日巡检", "kind": "daily", "mode": "manual", "times_of_day": "09:00", "grace": "2",
            "checklist_kind": "", "what": "按功能清单逐项巡检", "active": "on", **fields}


def period_data(contracts, /, **fields):
    today = timezone.localdate()
    day = dt.timedelta(days=1)
    return {"name": "国庆重保", "starts_on": today - day, "ends_on": today + 5 * day,
            "contracts": [c.pk for c in contracts], "times_of_day": "08:00, 13:00, 19:00", "grace": "2",
            "note": "", **fields}


def checklist_data(items, *, initial=0, **fields):
    """The checklist form and its items' formset; the first ``initial`` rows are existing items."""
    data = {"key": "machine-room", "name": "机房巡检", "description": "", "active": "on", **fields,
            "items-TOTAL_FORMS": len(items), "items-INITIAL_FORMS": initial,
            "items-MIN_NUM_FORMS": 0, "items-MAX_NUM_FORMS": 1000}
    for index, item in enumerate(items):
        row = {"kind": "check", "required": "on", "section": "", "unit": "", "guidance": "", **item}
        data.update({f"items-{index}-{name}": value for name, value in row.items()})
    return data


def check_data(asset, **fields):
    return {"name": "受理系统健康检查", "asset": asset.pk, "kind": "http", "target": "", "port": "",
            "timeout": "", "severity": "general", "active": "on", **fields}
# fmt: on


def errors(response, form="form"):
    assert response.status_code == 200, response.status_code
    return response.context[form].errors


def make_objects(contract_a, asset):
    schedule = InspectionSchedule.objects.create(contract=contract_a, name="每日巡检", what="巡检")
    period = HeightenedPeriod.objects.create(
        name="春节重保", starts_on=dt.date(2026, 2, 14), ends_on=dt.date(2026, 2, 22)
    )
    period.contracts.add(contract_a)
    template = ChecklistTemplate.objects.create(contract=contract_a, key="machine-room", name="机房巡检")
    check = AutomatedCheck.objects.create(
        contract=contract_a, asset=asset, name="端口", kind="tcp", target="10.1.2.3", port=22
    )
    return schedule, period, template, check
