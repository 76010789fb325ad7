"""Hand-checked truth of the second set of held-out contract texts beside this file: four
contracts written in the seeds' style by someone who had not read the extractor or its tests,
with invented parties, projects and figures. Same shape as ``tests/contracts/intake_heldout/truths.py``.

What a careful reviewer would enter from the text, and only what the portal can hold: a payment
on an event the portal has no trigger for (a yearly review), a penalty in yuan, a report of a
kind the portal does not know, a deposit or a threshold outside the total are not in the truth,
so a proposal for them counts as wrong.
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


# Traps: a subtotal row inside the pipe table; 2000元 is a spare-part threshold, not a sum; the
# first instalment gives both a share and an amount; the hall opens every day (7x8 posts, work on
# weekends) while only the repair line is 7x24; the remote hotline is no resident post; 11.2 is
# 300 yuan per hour; the monthly inspection is due by the 3rd working day; the fault analysis is
# of no report kind the portal has; the signing date is written 2026.3.5.
U9 = {
    "code": "U9-EXIT-ENTRY",
    "title": "澄州市公安局出入境服务大厅自助设备及业务系统运维服务",
    "client": "澄州市公安局",
    "vendor": "澄州汇德智能科技有限公司",
    "signed_on": dt.date(2026, 3, 5),
    "starts_on": dt.date(2026, 4, 1),
    "ends_on": dt.date(2027, 3, 31),
    "total": D("624000.00"),
    "milestones": [
        {"trigger": "effective", "offset": 10, "offset_unit": "working_days", "percent": D(30)},
        {"trigger": "before_term_end", "offset": 60, "percent": D(40)},
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
            ("设备运维", "自助填表机维护", 12, 3500, 42000),
            ("设备运维", "自助受理一体机维护", 8, 9000, 72000),
            ("设备运维", "自助发证机维护", 6, 12000, 72000),
            ("设备运维", "排队叫号及评价系统维护", 1, 58000, 58000),
            ("设备运维", "业务受理工作站维护", 40, 1200, 48000),
            ("软件运维", "出入境大厅业务系统软件运维", 1, 120000, 120000),
            ("驻场服务", "驻场工程师", 2, 106000, 212000),
        ]
    ],
    "staff_posts": [{"name": "驻场工程师", "shift": "7x8", "headcount": 2}],
    "key_staff_change_needs_consent": True,
    "onsite_on_non_working_days": True,
    "acceptance_method": "one_time",
    "inspection_schedules": [
        {"name": "开厅前巡检", "kind": "daily"},
        {"name": "月度全面巡检", "kind": "monthly_working_day", "nth_working_day": 3},
        {"name": "季度深度保养", "kind": "quarterly"},
    ],
    "report_requirements": [
        ("monthly", 5, "working_days", "", ""),
        ("annual", 15, "calendar_days", "", ""),
    ],
    "sla_terms": _grades(
        [
            ("emergency", [(10, "minutes"), (30, "minutes"), (2, "hours")]),
            ("severe", [(30, "minutes"), (1, "hours"), (4, "hours")]),
            ("general", [(2, "hours"), (None, None), (1, "working_days")]),
        ]
    ),
    "penalty_clauses": [
        {"kind": "late_response", "shape": "per_occurrence", "rate_percent": D("0.1")},
        {"kind": "late_inspection", "shape": "per_occurrence", "rate_percent": D("0.2")},
        # 11.4 charges 1% for each person changed ("每人次"); the 3rd change lets the bureau end the
        # contract but is no price of its own: per occurrence, not a threshold at 3.
        {"kind": "staff_replacement", "shape": "per_occurrence", "rate_percent": D(1)},
        {
            "kind": "late_payment",
            "shape": "per_day",
            "rate_percent": D("0.05"),
            "base": "overdue_amount",
            "party": "client",
        },
    ],
    "penalty_cap_percent": D(10),
}

# Traps: the signing date in Chinese numerals; a yearly fee of 69.30万元 beside the two-year
# total in 万元; a tab-separated price table in 万元 with merged category cells and no
# quantities (186 路口 is the scope, not a row's quantity); accident-damaged lamps are settled
# outside the total; payments stated as amounts only, the second on a yearly review (no trigger
# of the portal's); staff changes need notice, not consent; the project manager is no resident
# post; the field crew is 5x8 with phone standby; a returned board is repaired within 10 working
# days; the monthly coverage of all crossings is part of the weekly round, not a schedule of its
# own; 十一(四) is in yuan; 十三 ends the contract without a sum; no penalty on the bureau.
U10 = {
    "code": "U10-SIGNAL",
    "title": "江岷市城市交通信号控制系统运行维护服务（2026—2027年）",
    "client": "江岷市公安局",
    "vendor": "岷江卓行交通科技有限公司",
    "signed_on": dt.date(2026, 1, 20),
    "starts_on": dt.date(2026, 2, 1),
    "ends_on": dt.date(2028, 1, 31),
    "total": D("1386000.00"),
    "milestones": [
        {"trigger": "signing", "offset": 15, "amount": D("415800.00")},
        {
            "trigger": "final_acceptance",
            "offset": 30,
            "offset_unit": "working_days",
            "amount": D("485100.00"),
        },
    ],
    "service_items": [
        {"category": category, "name": name, "amount": D(amount) * 10000}
        for category, name, amount in [
            ("路口设备运维", "信号机维护", "46.50"),
            ("路口设备运维", "车辆检测器维护", "22.30"),
            ("路口设备运维", "倒计时显示器及信号灯组维护", "18.60"),
            ("平台及通信运维", "区域信号控制平台软件维护", "25.80"),
            ("平台及通信运维", "通信链路及交换设备维护", "9.40"),
            ("人员服务", "驻场维护服务", "16.00"),
        ]
    ],
    "staff_posts": [
        {"name": "值守工程师", "shift": "7x24", "headcount": 2},
        {"name": "外场工程师", "shift": "5x8", "headcount": 2},
    ],
    "onsite_on_non_working_days": True,
    "acceptance_method": "periodic",
    "inspection_schedules": [
        {"name": "平台巡检", "kind": "several_daily", "times_of_day": ["09:00", "21:00"]},
        {"name": "外场巡查", "kind": "weekly", "weekday": 3},
        {"name": "半年度全面检测", "kind": "half_yearly"},
    ],
    "report_requirements": [
        ("weekly", 2, "working_days", "", ""),
        ("half_yearly", 10, "calendar_days", "", ""),
    ],
    "sla_terms": [
        *_grades(
            [
                ("emergency", [(5, "minutes"), (30, "minutes"), (2, "hours")]),
                ("severe", [(15, "minutes"), (1, "hours"), (6, "hours")]),
                ("general", [(1, "hours"), (None, None), (48, "hours")]),
            ]
        ),
        _sla("resolution", 10, "working_days", condition="warranty_repair"),
    ],
    "penalty_clauses": [
        {"kind": "sla_arrival", "shape": "per_occurrence", "rate_percent": D("0.1")},
        {"kind": "sla_resolution", "shape": "per_day", "rate_percent": D("0.2"), "cap_percent": D(5)},
        {"kind": "major_outage", "shape": "one_off", "rate_percent": D(5)},
    ],
    "penalty_cap_percent": D(20),
}

# Traps: "服务方"/"供应商" both defined as 乙方; a performance deposit of 5% (48,900元) outside
# the total; the SLA in a pipe table with a dash for the general grade's arrival, and a question
# answered the same day; two posts of one price row (3 engineers: 2 on 7x24, 1 on 5x8); the
# response penalty escalates from the 3rd lateness, replacing the base rate; 十一.4 is in yuan;
# the incident special report is of no kind the portal has.
U11 = {
    "code": "U11-CYBER",
    "title": "宁溪市公安局网络安全监测预警平台运维及安全服务",
    "client": "宁溪市公安局",
    "vendor": "景岚数安科技有限公司",
    "signed_on": dt.date(2026, 3, 18),
    "starts_on": dt.date(2026, 4, 1),
    "ends_on": dt.date(2027, 3, 31),
    "total": D("978000.00"),
    "milestones": [
        {"trigger": "signing", "offset": 7, "offset_unit": "working_days", "percent": D(40)},
        {"trigger": "final_acceptance", "offset": 20, "percent": D(60)},
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
            ("安全监测", "网站安全监测服务", 320, 600, 192000),
            ("安全监测", "威胁情报及态势感知平台维护", 1, 186000, 186000),
            ("安全设备", "防火墙及入侵检测设备维护", 14, 6000, 84000),
            ("安全设备", "日志审计及数据库审计设备维护", 6, 8000, 48000),
            ("技术服务", "应急响应演练及渗透测试", 4, 27000, 108000),
            ("技术服务", "驻场安全工程师", 3, 120000, 360000),
        ]
    ],
    "staff_posts": [
        {"name": "监测值守岗", "shift": "7x24", "headcount": 2},
        {"name": "安全分析岗", "shift": "5x8", "headcount": 1},
    ],
    "key_staff_change_needs_consent": True,
    "onsite_on_non_working_days": True,
    "acceptance_method": "one_time",
    "inspection_schedules": [
        {"name": "每日巡检", "kind": "daily"},
        {"name": "每周周检", "kind": "weekly", "weekday": 0},
        {"name": "月度检查", "kind": "monthly_day", "day_of_month": 25},
    ],
    "report_requirements": [
        ("monthly", 3, "working_days", "", ""),
        ("quarterly", 10, "working_days", "", ""),
        ("annual", 20, "calendar_days", "", ""),
    ],
    "sla_terms": [
        *_grades(
            [
                ("emergency", [(15, "minutes"), (1, "hours"), (4, "hours")]),
                ("severe", [(30, "minutes"), (2, "hours"), (8, "hours")]),
                ("general", [(4, "hours"), (None, None), (3, "working_days")]),
            ]
        ),
        _sla("response", 1, "same_day", condition="consultation"),
    ],
    "penalty_clauses": [
        {
            "kind": "late_response",
            "shape": "per_occurrence",
            "rate_percent": D("0.2"),
            "escalation_at": 3,
            "escalation_percent": D(1),
            "escalation_mode": "replaces",
        },
        {"kind": "staff_replacement", "shape": "count_threshold", "rate_percent": D(2), "threshold_count": 2},
        {"kind": "secret_leak", "shape": "one_off", "rate_percent": D(50)},
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

# Traps: the term runs two years from the construction project's 初验 (no dates); a bid-opening
# date beside the signing date; the total in 万元 with the table in 元; categories as heading
# lines with 小计 rows, and the column names given only in a note below the table; 4 人·年 of
# the resident row is 2 engineers over 2 years; the second payment is on a service year's end
# (no trigger of the portal's); weekends are phone duty only; the SLA runs on working hours; the
# missed inspection is in yuan; yearly acceptance; no overall cap.
U12 = {
    "code": "U12-COMMUNITY",
    "title": "苍梧市公安局智慧安防社区平台及前端设备运维服务",
    "client": "苍梧市公安局",
    "vendor": "梧川云联信息技术有限公司",
    "signed_on": dt.date(2026, 4, 27),
    # "自……初验合格、甲方出具初验合格报告之日起计算", two years: a term from an event.
    "starts_on": None,
    "ends_on": None,
    "total": D("864000.00"),
    "milestones": [
        {"trigger": "initial_acceptance", "offset": 10, "offset_unit": "working_days", "percent": D(30)},
        {"trigger": "term_end", "offset": 15, "percent": D(40)},
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
            ("前端感知设备运维", "人脸抓拍摄像机", 420, 300, 126000),
            ("前端感知设备运维", "车辆识别道闸", 96, 800, 76800),
            ("前端感知设备运维", "智能门禁", 640, 150, 96000),
            ("平台及机房运维", "智慧社区综合管理平台", 1, 180000, 180000),
            ("平台及机房运维", "社区机房服务器及存储", 24, 3300, 79200),
            ("驻场服务", "驻场运维工程师", 4, 76500, 306000),
        ]
    ],
    "staff_posts": [{"name": "驻场运维工程师", "shift": "5x8", "headcount": 2}],
    "key_staff_change_needs_consent": True,
    "acceptance_method": "periodic",
    "inspection_schedules": [
        {"name": "每周巡检", "kind": "weekly", "weekday": 4},
        {"name": "季度现场巡检", "kind": "quarterly"},
    ],
    "report_requirements": [
        ("monthly", 7, "calendar_days", "", ""),
        ("half_yearly", 10, "working_days", "", ""),
        ("annual", 30, "calendar_days", "", ""),
    ],
    "sla_terms": _grades(
        [
            ("emergency", [(30, "minutes"), (2, "hours"), (8, "hours")]),
            ("general", [(4, "hours"), (None, None), (2, "working_days")]),
        ]
    ),
    "penalty_clauses": [
        {"kind": "sla_resolution", "shape": "per_day", "rate_percent": D("0.1"), "cap_percent": D(3)},
        {"kind": "late_report", "shape": "per_day", "rate_percent": D("0.02")},
        {"kind": "subcontracting", "shape": "one_off", "rate_percent": D(10)},
        {
            "kind": "late_payment",
            "shape": "per_day",
            "rate_percent": D("0.02"),
            "base": "overdue_amount",
            "party": "client",
        },
    ],
}

HELDOUT = [
    ("u9_exit_entry.txt", U9),
    ("u10_traffic_signal.txt", U10),
    ("u11_cyber_monitor.txt", U11),
    ("u12_smart_community.txt", U12),
]


def cases() -> list[tuple[str, dict]]:
    """(text, truth) of each held-out contract."""
    return [((HERE / name).read_text(encoding="utf-8"), truth) for name, truth in HELDOUT]
