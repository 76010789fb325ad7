"""Hand-checked truth of the contract texts beside this file: contracts written for the tests in
the seeds' style, with invented parties, projects and figures, that no rule was written while
reading. Same shape as ``contracts.seeds.SEED_CONTRACTS`` (and the bench's sample), with each
text's inspection schedules and report requirements inline.

What a careful reviewer would enter from the text, and only what the portal can hold: a payment
on an event the portal has no trigger for, a penalty in yuan or per hour or on a share of a
monthly fee, a clause of a kind the portal does not know are not in the truth, so a proposal for
them counts as wrong.
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


U1 = {
    "code": "U1-SIGNALS",
    "title": "2025年度交通信号控制系统运行维护服务",
    "client": "江宁市公安局交通警察支队",
    "vendor": "苏南智联交通科技有限公司",
    "signed_on": dt.date(2025, 6, 20),
    "starts_on": dt.date(2025, 7, 1),
    "ends_on": dt.date(2026, 6, 30),
    "total": D("3680000.00"),
    "milestones": [
        {"trigger": "signing", "offset": 10, "offset_unit": "working_days", "percent": D(40)},
        {"trigger": "final_acceptance", "offset": 20, "offset_unit": "working_days", "percent": D(60)},
    ],
    "service_items": [
        {"category": "", "name": name, "amount": D(amount), "quantity": D(quantity), "unit_price": D(price)}
        for name, quantity, price, amount in [
            ("信号控制机维护", 420, 5000, 2100000),
            ("中心控制平台维护", 1, 480000, 480000),
            ("车辆检测器维护", 1100, 600, 660000),
            ("通信链路维护", 1, 240000, 240000),
            ("驻场服务", 4, 50000, 200000),
        ]
    ],
    "staff_posts": [
        {"name": "驻场运维工程师", "shift": "5x8", "headcount": 3},
        {"name": "7×24值班", "shift": "7x24", "headcount": 1},
    ],
    "key_staff_change_needs_consent": True,
    "onsite_on_non_working_days": True,
    "acceptance_method": "one_time",
    "inspection_schedules": [
        {"name": "每周巡检", "kind": "weekly", "weekday": 0},
        {"name": "季度巡检", "kind": "quarterly"},
    ],
    "report_requirements": [
        ("monthly", 5, "calendar_days", "", ""),
        ("annual", 7, "working_days", "", ""),
    ],
    "sla_terms": _grades(
        [
            ("emergency", [(15, "minutes"), (1, "hours"), (4, "hours")]),
            ("severe", [(30, "minutes"), (2, "hours"), (8, "hours")]),
            ("general", [(2, "hours"), (24, "hours"), (3, "working_days")]),
        ]
    ),
    # 9.1 (per hour), 9.3 (yuan), 9.6 (a kind the portal does not know): not the portal's.
    "penalty_clauses": [
        {"kind": "late_inspection", "shape": "per_day", "rate_percent": D("0.1"), "cap_percent": D(5)},
        {"kind": "staff_replacement", "shape": "count_threshold", "rate_percent": D(2), "threshold_count": 3},
        {
            "kind": "late_report",
            "shape": "per_occurrence",
            "rate_percent": D("0.2"),
            "escalation_at": 3,
            "escalation_percent": D(5),
            "escalation_mode": "adds",
        },
        {
            "kind": "late_payment",
            "shape": "per_day",
            "rate_percent": D("0.05"),
            "base": "overdue_amount",
            "party": "client",
        },
    ],
    "penalty_cap_percent": D(20),
}

U2 = {
    "code": "U2-VIDEO",
    "title": "平川县公安局社会治安视频监控系统运维服务项目",
    "client": "平川县公安局",
    "vendor": "河西瑞达信息工程有限公司",
    "signed_on": dt.date(2025, 6, 18),
    # "自项目终验合格之日起12个月": a term from an event, no dates (term_months 12).
    "starts_on": None,
    "ends_on": None,
    "total": D("886000.00"),
    "milestones": [
        {"trigger": "signing", "offset": 7, "percent": D(30)},
        {"trigger": "final_acceptance", "offset": 15, "offset_unit": "working_days", "percent": D(65)},
    ],
    "service_items": [
        {"category": category, "name": name, "amount": D(amount) * 10000}
        for category, name, amount in [
            ("前端设备运维", "高清摄像机维护", "42.6"),
            ("前端设备运维", "补光灯及立杆维护", "8.4"),
            ("传输网络运维", "光纤链路维护", "18.0"),
            ("传输网络运维", "汇聚交换机维护", "6.2"),
            ("平台运维", "视频专网平台维护", "9.8"),
            ("驻场服务", "驻场值守", "3.6"),
        ]
    ],
    "staff_posts": [{"name": "驻场工程师", "shift": "5x8", "headcount": 2}],
    "key_staff_change_needs_consent": True,
    "acceptance_method": "periodic",
    "inspection_schedules": [
        {"name": "每日巡检", "kind": "daily"},
        {"name": "月度巡检", "kind": "monthly_day"},
        {"name": "半年度巡检", "kind": "half_yearly"},
    ],
    "report_requirements": [
        ("monthly", 3, "working_days", "", ""),
        ("annual", None, None, "", ""),
    ],
    "sla_terms": [
        _sla("response", 2, "hours", severity="general"),
        _sla("resolution", 24, "hours", severity="general"),
        _sla("response", 30, "minutes", condition="major_fault"),
        _sla("arrival", 2, "hours", condition="major_fault"),
        _sla("resolution", 8, "hours", condition="major_fault"),
    ],
    # 10.1 (yuan per hour), 10.2 (a share of the month's fee), 10.6 (a kind the portal does not
    # know), 10.7 (capped at a share of the unpaid amount): not the portal's.
    "penalty_clauses": [
        {"kind": "late_inspection", "shape": "per_occurrence", "rate_percent": D("0.5")},
        {"kind": "staff_replacement", "shape": "count_threshold", "rate_percent": D(3), "threshold_count": 3},
        {"kind": "subcontracting", "shape": "one_off", "rate_percent": D(20)},
    ],
    "penalty_cap_percent": D(30),
}

U3 = {
    "code": "U3-PASSPORT",
    "title": "出入境证件制证系统运维服务采购项目",
    "client": "东川省公安厅出入境管理局",
    "vendor": "华信安泰科技股份有限公司",
    "signed_on": dt.date(2025, 2, 18),
    "starts_on": dt.date(2025, 3, 1),
    "ends_on": dt.date(2027, 2, 28),
    "total": D("1250000.00"),
    # (2) is paid on the first year's review: no trigger of the portal's.
    "milestones": [
        {"trigger": "effective", "offset": 15, "amount": D("375000.00")},
        {"trigger": "final_acceptance", "offset": 30, "amount": D("500000.00")},
    ],
    "service_items": [
        {"category": "", "name": name, "amount": D(amount)}
        for name, amount in [
            ("制证设备运维", 600000),
            ("制证系统软件运维", 400000),
            ("数据库及存储运维", 150000),
            ("驻场技术支持", 100000),
        ]
    ],
    "staff_posts": [
        {"name": "7×24驻场岗", "shift": "7x24", "headcount": 2},
        {"name": "5×8驻场岗", "shift": "5x8", "headcount": 1},
    ],
    "key_staff_change_needs_consent": True,
    "onsite_on_non_working_days": True,
    "acceptance_method": "one_time",
    "inspection_schedules": [
        {"name": "每日巡检", "kind": "daily"},
        {"name": "每周巡检", "kind": "weekly", "weekday": 4},
    ],
    "report_requirements": [
        ("quarterly", 7, "calendar_days", "", ""),
        ("annual", 15, "working_days", "", ""),
    ],
    "sla_terms": [
        *_grades(
            [
                ("emergency", [(15, "minutes"), (1, "hours"), (4, "hours")]),
                ("severe", [(30, "minutes"), (2, "hours"), (8, "hours")]),
            ]
        ),
        _sla("response", 2, "hours", severity="general"),
        _sla("resolution", 2, "working_days", severity="general"),
        _sla("response", 1, "same_day", condition="consultation"),
    ],
    # 7.2 (per hour), 7.4 (yuan): not the portal's.
    "penalty_clauses": [
        {"kind": "late_response", "shape": "per_occurrence", "rate_percent": D("0.1")},
        {"kind": "secret_leak", "shape": "one_off", "rate_percent": D(30)},
        {
            "kind": "late_payment",
            "shape": "per_day",
            "rate_percent": D("0.03"),
            "base": "overdue_amount",
            "party": "client",
        },
    ],
    "penalty_cap_percent": D(10),
}

# Written after the rules were fixed on the three above, and scored once before any other change:
# the measure of what the fixes generalise to.
U4 = {
    "code": "U4-CLOUD",
    "title": "临州市公安局科技信息化支队警务云平台及数据中心运维服务",
    "client": "临州市公安局",
    "vendor": "北辰云维信息技术有限公司",
    "signed_on": dt.date(2025, 8, 25),
    "starts_on": dt.date(2025, 9, 1),
    "ends_on": dt.date(2026, 8, 31),
    "total": D("1080000.00"),
    "milestones": [
        {"trigger": "effective", "offset": 20, "offset_unit": "working_days", "amount": D("540000.00")},
        {
            "trigger": "final_acceptance",
            "offset": 30,
            "offset_unit": "working_days",
            "amount": D("540000.00"),
        },
    ],
    "service_items": [
        {"category": category, "name": name, "amount": D(amount)}
        for category, name, amount in [
            ("云平台运维", "计算资源运维", 260000),
            ("云平台运维", "存储资源运维", 160000),
            ("数据中心运维", "机房动力环境运维", 240000),
            ("数据中心运维", "网络安全设备运维", 120000),
            ("驻场服务", "驻场工程师3名", 300000),
        ]
    ],
    # 第九条: two posts on the bureau's hours; the heightened periods' extra duty is no post.
    "staff_posts": [
        {"name": "云平台运维工程师", "shift": "5x8", "headcount": 2},
        {"name": "数据库工程师", "shift": "5x8", "headcount": 1},
    ],
    "acceptance_method": "one_time",
    "inspection_schedules": [
        {"name": "每日巡检", "kind": "daily"},
        {"name": "月度巡检", "kind": "monthly_day"},
    ],
    "report_requirements": [
        ("weekly", 1, "calendar_days", "", ""),
        ("monthly", 3, "calendar_days", "", ""),
        ("quarterly", 7, "working_days", "", ""),
    ],
    "sla_terms": [
        _sla("response", 20, "minutes"),
        _sla("arrival", 1, "hours", severity="emergency"),
        _sla("arrival", 4, "hours", severity="severe"),
        _sla("resolution", 4, "hours", severity="emergency"),
        _sla("resolution", 12, "hours", severity="severe"),
        _sla("resolution", 3, "working_days", severity="general"),
    ],
    # 第十四条 (a count of late weekly reports: a threshold the portal has for staff changes only)
    # and 第十七条 (yuan): not the portal's.
    "penalty_clauses": [
        {"kind": "late_response", "shape": "per_occurrence", "rate_percent": D("0.1")},
        {"kind": "sla_resolution", "shape": "per_day", "rate_percent": D("0.2"), "cap_percent": D(10)},
        {"kind": "subcontracting", "shape": "one_off", "rate_percent": D(30)},
        {"kind": "secret_leak", "shape": "one_off", "rate_percent": D(20)},
        {
            "kind": "late_payment",
            "shape": "per_day",
            "rate_percent": D("0.03"),
            "base": "overdue_amount",
            "party": "client",
        },
    ],
    "penalty_cap_percent": D(30),
}

UNSEEN = [
    ("u1_signals.txt", U1),
    ("u2_video.txt", U2),
    ("u3_passport.txt", U3),
    ("u4_cloud.txt", U4),
]


def cases() -> list[tuple[str, dict]]:
    """(text, truth) of each contract written for the tests."""
    return [((HERE / name).read_text(encoding="utf-8"), truth) for name, truth in UNSEEN]
