"""The five real contracts of ``shared/seeds/`` by their fixed codes (see DOMAIN.md).

Only organisations, titles and dates: personal data in the originals stays out of the project.
"""

import datetime as dt

SEED_CONTRACTS = [
    {
        "code": "ZH-2023-SPS",
        "title": "珠海市公安局（治安支队）2023年度智慧派出所系统运维服务项目",
        "client": "珠海市公安局",
        "vendor": "深圳市晓象科技有限公司",
        # Signed 2023-11-09, twelve months from taking effect.
        "starts_on": dt.date(2023, 11, 9),
        "ends_on": dt.date(2024, 11, 8),
        "status": "ended",
    },
    {
        "code": "BJ-SSP-UPG",
        "title": "北京市公安局社会治安防控一体化应用系统升级改造项目",
        "client": "北京市公安局",
        "vendor": "中关村科学城城市大脑股份有限公司",
        # Build, trial run and a three-year warranty counted from final acceptance: the contract
        # gives no calendar dates.
        "starts_on": None,
        "ends_on": None,
        "status": "active",
    },
    {
        "code": "XX-2024-SEAL",
        "title": "新乡市公安局印章业治安管理系统运维服务项目",
        "client": "新乡市公安局",
        "vendor": "河南嘉华网络系统有限公司",
        # Signed 2024-11-12, in force on signing, twelve months.
        "starts_on": dt.date(2024, 11, 12),
        "ends_on": dt.date(2025, 11, 11),
        "status": "ended",
    },
    {
        "code": "BJ-2026-RP",
        "title": "居住证信息系统核心设备及软件运行维护服务项目",
        "client": "北京市公安局人口管理和基层工作总队",
        "vendor": "北京慧讯通信技术开发公司",
        "starts_on": dt.date(2026, 5, 29),
        "ends_on": dt.date(2027, 5, 28),
        "status": "active",
    },
    {
        "code": "XJ-2024-PAY",
        "title": "2024年度信息化基础保障项目（公安交管智能缴费及退费系统技术支持服务）",
        "client": "新疆维吾尔自治区公安厅",
        "vendor": "华臻智慧科技（新疆）有限公司",
        # One year from 2024-12-16.
        "starts_on": dt.date(2024, 12, 16),
        "ends_on": dt.date(2025, 12, 15),
        "status": "ended",
    },
]
