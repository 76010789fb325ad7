"""Seed 002, XX-2024-SEAL: 新乡市公安局印章业治安管理系统运维服务项目 (``shared/seeds/002_e2c6dd2820e140da.txt``)."""

import datetime as dt
from decimal import Decimal as D

from contracts.seeds.parts import sla

CONTRACT = {
    "code": "XX-2024-SEAL",
    "title": "新乡市公安局印章业治安管理系统运维服务项目",
    "client": "新乡市公安局",
    "vendor": "河南嘉华网络系统有限公司",
    # Signed 2024-11-12, in force on signing, twelve months.
    "signed_on": dt.date(2024, 11, 12),
    "starts_on": dt.date(2024, 11, 12),
    "ends_on": dt.date(2025, 11, 11),
    "status": "ended",
    "total": D("711880.00"),
    "acceptance_method": "one_time",
    "notes": "签订合同后 3 日内驻场人员和备品备件全部到位。免责：未经培训的操作、误操作、擅自安装、病毒、不可抗力。",
    "service_items": [
        {"category": "运维服务", "name": name, "amount": None}
        for name in ["硬件服务", "软件服务", "技术培训服务", "政务对接服务"]
    ],
    "penalty_clauses": [
        {
            "kind": "major_outage",
            "title": "大面积故障且造成严重影响",
            "shape": "one_off",
            "rate_percent": D(5),
        },
        {
            "kind": "missing_service_record",
            "title": "运维任务无记录单",
            "shape": "one_off",
            "rate_percent": D(3),
        },
        {"kind": "late_response", "title": "未按要求响应", "shape": "one_off", "rate_percent": D(3)},
        {
            "kind": "late_payment",
            "title": "甲方逾期付款",
            "party": "client",
            "shape": "per_day",
            # "每延迟一日向乙方支付合同总价的0.1%计算，最高限额为本合同总价的3%"
            "base": "total",
            "rate_percent": D("0.1"),
            "cap_percent": D(3),
        },
    ],
    "sla_terms": [
        sla("response", 30, "minutes", condition="major_fault", clause="late_response"),
        sla("arrival", 2, "hours", condition="major_fault", clause="late_response"),
    ],
    "milestones": [
        {"name": "合同款（一次性支付）", "percent": D(100), "trigger": "before_term_end", "offset": 90},
    ],
    "staff_posts": [{"name": "驻场工程师", "shift": "5x8", "headcount": 5, "place": "新乡市公安局"}],
    "assets": [
        {"kind": "server", "name": "应用服务器 1", "system": "印章业治安管理系统"},
        {"kind": "server", "name": "应用服务器 2", "system": "印章业治安管理系统"},
        {"kind": "server", "name": "数据库服务器 1", "system": "印章业治安管理系统"},
        {"kind": "server", "name": "数据库服务器 2", "system": "印章业治安管理系统"},
        {"kind": "security", "name": "网闸", "system": "印章业治安管理系统"},
        {"kind": "security", "name": "防火墙", "system": "印章业治安管理系统"},
        {"kind": "network", "name": "交换机", "system": "印章业治安管理系统"},
        {"kind": "database", "name": "Oracle", "os_version": "11gR1", "system": "印章业治安管理系统"},
        {"kind": "database", "name": "MySQL", "os_version": "8", "system": "印章业治安管理系统"},
        {"kind": "middleware", "name": "Nginx", "os_version": "1.18", "system": "印章业治安管理系统"},
        {"kind": "middleware", "name": "Tomcat", "os_version": "9", "system": "印章业治安管理系统"},
        {"kind": "application", "name": "Zabbix 监控", "system": "印章业治安管理系统"},
        {"kind": "application", "name": "公安网端管理平台", "system": "印章业治安管理系统"},
        {"kind": "application", "name": "VPN 专网服务端平台", "system": "印章业治安管理系统"},
        {"kind": "terminal", "name": "刻章单位终端软件", "system": "印章业治安管理系统"},
        *[
            {"kind": "terminal", "name": name, "system": "刻章单位终端"}
            for name in ["打印机", "电脑", "高拍仪", "OCR 设备", "扫描仪", "笔记本电脑", "RFID 设备"]
        ],
        *[
            {"kind": "interface", "name": name, "system": "政务对接"}
            for name in [
                "公安民警 PKI 系统对接",
                "河南省政务服务网对接",
                "市场监督管理局系统对接",
                "免费刻章服务平台接口",
                "印章信息网平台对接",
                "公安厅数据打包传输程序",
            ]
        ],
    ],
}
