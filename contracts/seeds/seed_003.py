"""Seed 003, BJ-2026-RP: 居住证信息系统核心设备及软件运行维护服务项目 (``shared/seeds/003_db731307ea435c59.txt``)."""

import datetime as dt
from decimal import Decimal as D

from contracts.seeds.parts import sla

CONTRACT = {
    "code": "BJ-2026-RP",
    "title": "居住证信息系统核心设备及软件运行维护服务项目",
    "client": "北京市公安局人口管理和基层工作总队",
    "vendor": "北京慧讯通信技术开发公司",
    "signed_on": None,
    "starts_on": dt.date(2026, 5, 29),
    "ends_on": dt.date(2027, 5, 28),
    "status": "active",
    "total": D("6015320.00"),
    # Clause 六.1 offers two ways and picks the first: 一次性验收 (once, at the end).
    "acceptance_method": "one_time",
    "key_staff_change_needs_consent": True,
    "notes": "单次维修费用 1 万元（含）以内由乙方承担，超过部分由甲方承担。年度总结在服务结束后 15 日内提交。"
    "甲方逾期付款按合同生效当日 1 年期 LPR 计，最高 10%（LPR 待录入）。",
    "service_items": [
        {"category": "运维服务", "name": name, "amount": None, "description": description}
        for name, description in [
            (
                "应用软件运维服务",
                "运行监测、数据备份、Bug 处理、小版本升级（单次 < 2 人月，合计 ≤ 48 人月）",
            ),
            ("数据管理服务", ""),
            ("安全服务", "重保期驻场、渗透测试、代码审计、漏洞扫描、弱口令检查"),
            ("短信服务", "预计每年 360 万条"),
            ("网络链路服务", "政务网 ≥ 100 Mbit/s，互联网 ≥ 50 Mbit/s"),
        ]
    ],
    "penalty_clauses": [
        {
            "kind": "vendor_breach",
            "title": "乙方未能履行合同约定",
            "shape": "one_off",
            "rate_percent": D(20),
            "termination_at_count": 1,  # 七.2: 并解除合同
        },
        {
            # 七.1: the one-year LPR in force on the day the contract took effect (an annual
            # rate, a 365th of it a day) on the unpaid amount, at most 10% of the total.
            "kind": "late_payment",
            "title": "甲方逾期付款",
            "party": "client",
            "shape": "per_day",
            "base": "overdue_amount",
            "rate_source": "lpr_one_year",
            "rate_percent": D(0),
            "cap_percent": D(10),
            "text": "甲方逾期付款的,每逾期1日,乙方有权要求甲方按照合同生效当日的1年期LPR(中国人民银行授权全国银行间同业拆借中心公布的1年期贷款市场报价利率)支付未付款项的逾期违约金,逾期违约金的最高限额为合同总价的10%。",
        },
    ],
    "sla_terms": [
        sla("arrival", 2, "hours", condition="software_fault"),
        sla("resolution", 4, "hours", condition="software_fault"),
    ],
    "milestones": [
        {"name": "首付款", "percent": D(50), "trigger": "effective", "offset": 15},
        {"name": "验收款", "percent": D(50), "trigger": "final_acceptance", "offset": 15},
    ],
    "staff_posts": [{"name": "驻场运维岗", "shift": "7x8", "headcount": 2}],
    "assets": [
        {"kind": "application", "name": "居住证信息系统", "system": "居住证信息系统"},
        {
            "kind": "network",
            "name": "政务网链路",
            "system": "居住证信息系统",
            "attributes": {"bandwidth_mbps": 100},
        },
        {
            "kind": "network",
            "name": "互联网链路",
            "system": "居住证信息系统",
            "attributes": {"bandwidth_mbps": 50},
        },
        {"kind": "application", "name": "短信服务", "system": "居住证信息系统"},
    ],
}
