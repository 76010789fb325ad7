"""Seed 001, BJ-SSP-UPG: 北京市公安局社会治安防控一体化应用系统升级改造项目 (``shared/seeds/001_a841ac3230a58a2d.txt``)."""

from decimal import Decimal as D

from contracts.seeds.parts import SEVERITIES, sla

CONTRACT = {
    "code": "BJ-SSP-UPG",
    "title": "北京市公安局社会治安防控一体化应用系统升级改造项目",
    "client": "北京市公安局",
    "vendor": "中关村科学城城市大脑股份有限公司",
    # Build 180 days, trial run, final acceptance, then three years of warranty: the
    # contract names no calendar dates; they are entered as they happen.
    "signed_on": None,
    "starts_on": None,
    "ends_on": None,
    "status": "active",
    "total": D("6986000.00"),
    "acceptance_method": "one_time",
    "penalty_cap_percent": D(30),
    "notes": "履约保函：合同总价 10%（¥698,600），期限与维保期相同。维保 3 年自终验合格之日起。",
    "service_items": [
        {
            "category": "软件",
            "name": name,
            "quantity": D(qty),
            "unit": "套",
            "unit_price": D(price),
            "amount": D(qty) * D(price),
        }
        for name, qty, price in [
            ("操作系统（麒麟 V10）", 38, 4500),
            ("数据库管理系统（金仓 KingbaseES V8.0）", 1, 65000),
            ("Web 应用服务器软件（宝兰德 V9.5）", 1, 40000),
            ("内保教培模块", 1, 380000),
            ("旅游监测模块", 1, 310000),
            ("内保综合管理子系统", 1, 2380000),
            ("环食药旅综合应用子系统", 1, 1050000),
            ("公交行业内部管理子系统", 1, 270000),
            ("移动警务子系统", 1, 460000),
            ("互联网子系统", 1, 620000),
            ("数据治理", 1, 460000),
            ("应用支撑", 1, 150000),
            ("运维中心", 1, 80000),
            ("系统对接", 1, 45000),
        ]
    ]
    + [
        {
            "category": "服务",
            "name": name,
            "quantity": D(1),
            "unit": "套",
            "unit_price": D(price),
            "amount": D(price),
        }
        for name, price in [
            ("云上其他相关服务", 200000),
            ("软件测评", 145000),
            ("安全（验收）测评", 80000),
            ("密码应用安全性评估", 80000),
        ]
    ],
    "penalty_clauses": [
        {
            "kind": "late_delivery",
            "title": "逾期交付或完成建设",
            "shape": "per_day",
            "rate_percent": D("0.5"),
            "cap_percent": D(10),
        },
        {
            "kind": "other_breach",
            "title": "其他违约行为",
            "shape": "per_occurrence",
            "rate_percent": D(10),
        },
        {
            "kind": "secret_leak",
            "title": "泄露秘密",
            "shape": "one_off",
            "rate_percent": D(30),
            "termination_at_count": 1,  # 附件4 第8条: 因乙方原因泄密的，甲方有权解除合同
        },
        {
            # 五 (2): a problem in the trial run extends it by 30 days (the build timeline
            # counts these breaches); a second one gives the bureau the right to terminate.
            # Not priced on its own: 0%.
            "kind": "trial_run_problem",
            "title": "试运行期间发生问题",
            "shape": "per_occurrence",
            "rate_percent": D(0),
            "termination_at_count": 2,
            "text": "项目通过初验后进入为期180个日历日的试运行期,期间如发生问题,自发现问题之日起试运行期将予以延长30个日历日。延长期限内,再次发生问题的,甲方有权根据本合同第九条的规定,解除合同并追究乙方的违约及赔偿责任。",
        },
    ],
    # 五: build within 180 calendar days of signing, initial acceptance within 30, a 180-day
    # trial run (+30 per problem), final acceptance within 30; 八.2: 3 years of warranty.
    "build_timeline": {
        "build_days": 180,
        "initial_acceptance_days": 30,
        "trial_run_days": 180,
        "trial_extension_days": 30,
        "final_acceptance_days": 30,
        "warranty_years": 3,
    },
    "sla_terms": [
        *[
            sla(clock, target, "hours", severity=severity, note="售后服务方案：7×24 值守")
            for severity in SEVERITIES
            for clock, target in [("response", 1), ("arrival", 2), ("resolution", 4)]
        ],
        sla(
            "response",
            2,
            "hours",
            condition="warranty_repair",
            note="免费维保期内收到通知后 2 小时内响应",
        ),
        sla(
            "resolution",
            2,
            "calendar_days",
            condition="warranty_repair",
            note="2 个日历日内免费维修或更换",
        ),
    ],
    "milestones": [
        {
            "name": "预付款",
            "amount": D("2670060.00"),
            "trigger": "effective",
            "offset": 30,
            "offset_unit": "working_days",
        },
        {
            "name": "初验款",
            "amount": D("3617340.00"),
            "trigger": "initial_acceptance",
            "offset": 30,
            "offset_unit": "working_days",
        },
        {
            "name": "终验款",
            "amount": D("698600.00"),
            "trigger": "final_acceptance",
            "offset": 30,
            "offset_unit": "working_days",
        },
    ],
    "staff_posts": [{"name": "售后值守", "shift": "7x24", "headcount": 1}],
    "assets": [],
}
