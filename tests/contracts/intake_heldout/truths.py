"""Hand-checked truth of the held-out contract texts beside this file: four contracts written in
the seeds' style by someone who had not read the extractor or its tests, with invented parties,
projects and figures. Same shape as ``tests/contracts/intake_unseen/truths.py``.

What a careful reviewer would enter from the text, and only what the portal can hold: a payment
on an event the portal has no trigger for (a mid-term review, a calendar date), a penalty in yuan
or per hour, a report or a clause of a kind the portal does not know, a deposit or an hourly rate
outside the total are not in the truth, so a proposal for them counts as wrong.
"""

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _sla(clock, target, unit, severity="", condition=""):
    return {"clock": clock, "target": target, "unit": unit, "severity": severity, "condition": condition}


def _grades(rows):
    return [
        _sla(clock, target, unit, severity)
        for severity, targets in rows
        for clock, (target, unit) in zip(("response", "arrival", "resolution"), targets, strict=False)
        if target is not None
    ]


# Traps: a performance deposit of 10万元 and an hourly rate of 200元 for extra staff, neither in
# the total; the second instalment is due before the term ends; 8.2 is 500 yuan per hour.
U5 = {
    "code": "U5-PDT",
    "title": "云川市公安局警用数字集群（PDT）通信系统2026年度运行维护服务",
    "client": "云川市公安局",
    "vendor": "蜀联信通科技有限公司",
    "signed_on": dt.date(2025, 11, 12),
    "starts_on": dt.date(2026, 1, 1),
    "ends_on": dt.date(2026, 12, 31),
    "total": D("2156000.00"),
    "milestones": [
        {"trigger": "signing", "offset": 15, "offset_unit": "working_days", "percent": D(30)},
        {"trigger": "before_term_end", "offset": 30, "percent": D(40)},
        {"trigger": "final_acceptance", "offset": 20, "percent": D(30)},
    ],
    "service_items": [
        {
            "category": category,
            "name": name,
            "amount": D(amount),
            "quantity": D(quantity),
            "unit_price": D(price),
        }
        for category, name, quantity, price, amount in [
            ("无线接入", "基站设备维护", 18, 45000, 810000),
            ("无线接入", "手持终端维护", 1500, 260, 390000),
            ("核心网及调度", "核心交换设备维护", 1, 320000, 320000),
            ("核心网及调度", "网管平台维护", 1, 120000, 120000),
            ("核心网及调度", "调度台维护", 24, 6500, 156000),
            ("人员服务", "驻场服务", 4, 90000, 360000),
        ]
    ],
    "staff_posts": [
        {"name": "值守岗", "shift": "7x24", "headcount": 2},
        {"name": "技术工程师", "shift": "5x8", "headcount": 2},
    ],
    "key_staff_change_needs_consent": True,
    "onsite_on_non_working_days": True,
    "acceptance_method": "one_time",
    "inspection_schedules": [
        {"name": "每周巡检", "kind": "weekly", "weekday": 0},
        {"name": "月度巡检", "kind": "monthly_day", "day_of_month": 10},
        {"name": "季度巡检", "kind": "quarterly"},
    ],
    "report_requirements": [
        ("monthly", 5, "working_days", "", ""),
        ("quarterly", 10, "calendar_days", "", ""),
        ("annual", 15, "working_days", "", ""),
    ],
    "sla_terms": _grades(
        [
            ("emergency", [(10, "minutes"), (1, "hours"), (4, "hours")]),
            ("severe", [(30, "minutes"), (2, "hours"), (12, "hours")]),
            ("general", [(2, "hours"), (None, None), (2, "working_days")]),
        ]
    ),
    "penalty_clauses": [
        {"kind": "late_response", "shape": "per_occurrence", "rate_percent": D("0.1")},
        {"kind": "late_inspection", "shape": "per_day", "rate_percent": D("0.1"), "cap_percent": D(5)},
        {"kind": "staff_replacement", "shape": "count_threshold", "rate_percent": D(2), "threshold_count": 3},
        {
            "kind": "late_payment",
            "shape": "per_day",
            "rate_percent": D("0.05"),
            "base": "overdue_amount",
            "party": "client",
        },
    ],
    "penalty_cap_percent": D(15),
}

# Traps: the term runs 12 months from 初验 (no dates); 12万元 of spares is inside the total, not
# it; payments are stated as amounts only, the second on a mid-term review (no trigger of the
# portal's); prices in 万元 with merged category cells, tab-separated; staff changes need notice,
# not consent; acceptance is quarterly; 九(三) and 九(四) are in yuan, 九(六) ends the contract
# without a sum; the fault analysis report is of no kind the portal has.
U6 = {
    "code": "U6-CHECKPOINT",
    "title": "西岭州公安局公安检查站智能查验系统运维服务项目",
    "client": "西岭州公安局",
    "vendor": "岭南衡远数据技术有限公司",
    "signed_on": dt.date(2025, 9, 3),
    # "自本项目初验合格之日起计算", 12 months: a term from an event, no dates.
    "starts_on": None,
    "ends_on": None,
    "total": D("968500.00"),
    "milestones": [
        {"trigger": "effective", "offset": 10, "amount": D("290550.00")},
        {
            "trigger": "final_acceptance",
            "offset": 15,
            "offset_unit": "working_days",
            "amount": D("387400.00"),
        },
    ],
    "service_items": [
        {"category": category, "name": name, "amount": D(amount) * 10000}
        for category, name, amount in [
            ("查验终端运维", "人证核验终端维护", "28.60"),
            ("查验终端运维", "车辆查验设备维护", "19.35"),
            ("平台与网络运维", "查验平台软件维护", "22.40"),
            ("平台与网络运维", "专网链路及安全设备维护", "11.50"),
            ("驻点保障", "检查站驻点服务", "15.00"),
        ]
    ],
    "staff_posts": [{"name": "驻点工程师", "shift": "7x8", "headcount": 3}],
    "onsite_on_non_working_days": True,
    "acceptance_method": "periodic",
    "inspection_schedules": [
        {"name": "每日巡检", "kind": "daily"},
        {"name": "月度巡检", "kind": "monthly_working_day", "nth_working_day": 1},
        {"name": "半年度检测", "kind": "half_yearly"},
    ],
    "report_requirements": [
        ("weekly", 2, "working_days", "", ""),
        ("half_yearly", 10, "working_days", "", ""),
        ("annual", 10, "calendar_days", "", ""),
    ],
    "sla_terms": [
        *_grades(
            [
                ("emergency", [(15, "minutes"), (2, "hours"), (6, "hours")]),
                ("general", [(1, "hours"), (None, None), (1, "working_days")]),
            ]
        ),
        _sla("response", 1, "same_day", condition="consultation"),
    ],
    "penalty_clauses": [
        {
            "kind": "late_response",
            "shape": "per_occurrence",
            "rate_percent": D("0.5"),
            "escalation_at": 3,
            "escalation_percent": D(10),
            "escalation_mode": "replaces",
        },
        {"kind": "late_report", "shape": "per_day", "rate_percent": D("0.05")},
        {"kind": "secret_leak", "shape": "one_off", "rate_percent": D(30)},
    ],
    "penalty_cap_percent": D(20),
}

# Traps: the signing date in Chinese numerals; a yearly fee of 73万元 beside the two-year total;
# unit prices for the whole two-year term in a tab-separated table without categories; 3.2 is
# due on a calendar date (no trigger of the portal's); 10.2 is per hour; the fault analysis
# report is of no kind the portal has; the project manager is no resident post.
U7 = {
    "code": "U7-DISPATCH",
    "title": "东岚市公安局110接处警系统及指挥中心运维服务（2026—2027年度）",
    "client": "东岚市公安局",
    "vendor": "瀚川智汇信息系统有限公司",
    "signed_on": dt.date(2025, 12, 8),
    "starts_on": dt.date(2026, 1, 1),
    "ends_on": dt.date(2027, 12, 31),
    "total": D("1460000.00"),
    "milestones": [
        {"trigger": "signing", "offset": 10, "offset_unit": "working_days", "percent": D(40)},
        {"trigger": "final_acceptance", "offset": 30, "percent": D(30)},
    ],
    "service_items": [
        {"category": "", "name": name, "amount": D(amount), "quantity": D(quantity), "unit_price": D(price)}
        for name, quantity, price, amount in [
            ("接警席位终端维护", 40, 6000, 240000),
            ("110接处警应用系统维护", 1, 380000, 380000),
            ("指挥大屏及音视频系统维护", 1, 260000, 260000),
            ("录音录时系统维护", 2, 45000, 90000),
            ("服务器及存储设备维护", 30, 5000, 150000),
            ("驻场值守服务", 2, 170000, 340000),
        ]
    ],
    "staff_posts": [{"name": "驻场工程师", "shift": "7x24", "headcount": 2}],
    # 6.2 asks consent for changing the resident engineers only; the flag is about the project
    # manager and technical lead (contracts.services.KEY_ROLES), and 6.3's manager has no such
    # rule. As u4, whose consent is for resident staff only, the flag is not set.
    "key_staff_change_needs_consent": False,
    "onsite_on_non_working_days": True,
    "acceptance_method": "one_time",
    "inspection_schedules": [
        {"name": "交接班巡检", "kind": "several_daily", "times_of_day": ["08:00", "20:00"]},
        {"name": "每周检查", "kind": "weekly", "weekday": 2},
        {"name": "季度巡检", "kind": "quarterly"},
    ],
    "report_requirements": [
        ("monthly", 3, "working_days", "", ""),
        ("annual", 15, "calendar_days", "", ""),
    ],
    "sla_terms": _grades(
        [
            ("emergency", [(5, "minutes"), (30, "minutes"), (2, "hours")]),
            ("severe", [(15, "minutes"), (1, "hours"), (4, "hours")]),
            ("general", [(30, "minutes"), (None, None), (24, "hours")]),
        ]
    ),
    "penalty_clauses": [
        {
            "kind": "late_response",
            "shape": "per_occurrence",
            "rate_percent": D("0.2"),
            "escalation_at": 5,
            "escalation_percent": D(3),
            "escalation_mode": "adds",
        },
        {"kind": "late_inspection", "shape": "per_occurrence", "rate_percent": D("0.1")},
        {"kind": "staff_replacement", "shape": "count_threshold", "rate_percent": D(5), "threshold_count": 3},
        {
            "kind": "late_payment",
            "shape": "per_day",
            "rate_percent": D("0.03"),
            "base": "overdue_amount",
            "party": "client",
        },
    ],
    "penalty_cap_percent": D(25),
}

# Traps: the end date is left to the reader (one year from 2026-03-01); subtotal rows inside the
# price table; 3,000元 is a threshold for spare parts, not a sum; SLA on working hours, with a
# longer resolution when another unit is involved; 玖(二) is in yuan; no overall cap.
U8 = {
    "code": "U8-DETENTION",
    "title": "北淮县公安局看守所监管信息系统及安防设备运维服务",
    "client": "北淮县公安局",
    "vendor": "淮畔安信电子工程有限公司",
    "signed_on": dt.date(2026, 2, 9),
    "starts_on": dt.date(2026, 3, 1),
    "ends_on": dt.date(2027, 2, 28),
    "total": D("386400.00"),
    "milestones": [
        {"trigger": "effective", "offset": 5, "offset_unit": "working_days", "percent": D(30)},
        {"trigger": "before_term_end", "offset": 30, "percent": D(40)},
        {"trigger": "final_acceptance", "offset": 10, "offset_unit": "working_days", "percent": D(30)},
    ],
    "service_items": [
        {
            "category": category,
            "name": name,
            "amount": D(amount),
            "quantity": D(quantity),
            "unit_price": D(price),
        }
        for category, name, quantity, price, amount in [
            ("监控设备运维", "前端摄像机", 320, 450, 144000),
            ("监控设备运维", "硬盘录像机及存储", 16, 2400, 38400),
            ("门禁及报警设备运维", "门禁控制器", 24, 1500, 36000),
            ("门禁及报警设备运维", "紧急报警按钮", 120, 300, 36000),
            ("软件运维", "监管信息系统软件运维", 1, 96000, 96000),
            ("驻场服务", "驻场工程师", 1, 36000, 36000),
        ]
    ],
    "staff_posts": [{"name": "驻场工程师", "shift": "5x8", "headcount": 1}],
    "key_staff_change_needs_consent": True,
    "acceptance_method": "one_time",
    "inspection_schedules": [
        {"name": "每周巡检", "kind": "weekly"},
        {"name": "月度检查", "kind": "monthly_day", "day_of_month": 15},
        {"name": "半年度检测", "kind": "half_yearly"},
    ],
    "report_requirements": [("quarterly", 10, "calendar_days", "", "")],
    "sla_terms": [
        *_grades(
            [
                ("emergency", [(30, "minutes"), (2, "hours"), (8, "hours")]),
                ("general", [(4, "hours"), (None, None), (3, "working_days")]),
            ]
        ),
        _sla("resolution", 5, "working_days", condition="other_unit"),
    ],
    "penalty_clauses": [
        {"kind": "sla_resolution", "shape": "per_day", "rate_percent": D("0.3"), "cap_percent": D(10)},
        {"kind": "staff_replacement", "shape": "count_threshold", "rate_percent": D(1), "threshold_count": 2},
        {"kind": "subcontracting", "shape": "one_off", "rate_percent": D(20)},
        {
            "kind": "late_payment",
            "shape": "per_day",
            "rate_percent": D("0.05"),
            "base": "overdue_amount",
            "party": "client",
        },
    ],
}

HELDOUT = [
    ("u5_pdt.txt", U5),
    ("u6_checkpoint.txt", U6),
    ("u7_dispatch.txt", U7),
    ("u8_detention.txt", U8),
]


def cases() -> list[tuple[str, dict]]:
    """(text, truth) of each held-out contract."""
    return [((HERE / name).read_text(encoding="utf-8"), truth) for name, truth in HELDOUT]
