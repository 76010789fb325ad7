"""The inspection duties of the five seed contracts (see DOMAIN.md), by contract code.

``load_seed_inspections`` makes the schedules and checklists the contract texts ask for; the
``load_seed_contracts`` command runs it in any mode, and a second run changes nothing. Heightened
periods are not here: they are declared per event (National Day, 高考...), not by the contracts;
a period's rounds default to seed 000's three, at 08:00, 13:00 and 19:00.
"""

import datetime as dt
from decimal import Decimal as D

from django.db import transaction

from contracts.models import Asset, Contract
from inspections.models import ChecklistItem, ChecklistTemplate, InspectionMode, InspectionSchedule

CHECK, NUMBER, TEXT, PHOTO = (
    ChecklistItem.Kind.CHECK,
    ChecklistItem.Kind.NUMBER,
    ChecklistItem.Kind.TEXT,
    ChecklistItem.Kind.PHOTO,
)

SEED_INSPECTIONS = {
    # Seed 000: daily inspection 7 days a week by the function list, into the weekly inspection
    # report; missed rounds fall under its 0.3%-per-day clause (late_service).
    "ZH-2023-SPS": {
        "schedules": [
            {
                "name": "每日巡检（按功能清单）",
                "kind": InspectionSchedule.Kind.DAILY,
                "times_of_day": ["09:00"],
                "checklist_kind": "function-list",
            },
            {
                "name": "每周巡检报告",
                "kind": InspectionSchedule.Kind.WEEKLY,
                "weekday": 4,
                "times_of_day": ["16:00"],
                "grace": dt.timedelta(hours=24),
                "what": "汇总本周每日巡检结果，形成周巡检报告。",
            },
            {
                "name": "月度巡检",
                "kind": InspectionSchedule.Kind.MONTHLY_DAY,
                "day_of_month": 1,
                "times_of_day": ["10:00"],
                "grace": dt.timedelta(days=3),
                "what": "月度巡检及故障分析。",
            },
            {
                "name": "半年度巡检",
                "kind": InspectionSchedule.Kind.HALF_YEARLY,
                "day_of_month": 1,
                "times_of_day": ["10:00"],
                "grace": dt.timedelta(days=7),
                "what": "半年度全面巡检及报告。",
            },
        ],
        "checklists": [
            {
                "key": "function-list",
                "name": "系统功能每日巡检",
                "items": [
                    ("虚拟机", CHECK, "37 台虚拟机运行状态（磁盘、内存、CPU、网络）"),
                    ("数据库", CHECK, "数据库运行及备份情况"),
                    ("中间件", CHECK, "Nginx 集群及代理、Tomcat 节点"),
                    ("系统功能", CHECK, "智慧派出所各功能模块可正常访问"),
                    ("接口", CHECK, "大数据平台 SDK 调用接口"),
                    ("接口", CHECK, "指挥中心实时警情接口"),
                    ("接口", CHECK, "视频云实时人脸（Kafka）"),
                    ("接口", CHECK, "视频云卡口过车（Kafka）"),
                    ("接口", CHECK, "视频流播放接口集"),
                    ("接口", CHECK, "数字证书认证接口"),
                    ("记录", TEXT, "发现的问题及处理情况"),
                ],
            }
        ],
    },
    # Seed 001's after-sales plan: "每天早上" a status check with the equipment status form;
    # field devices, network and hosts checked monthly; the platform software maintained at least
    # once a quarter; the monthly O&M plan before the 5th working day.
    "BJ-SSP-UPG": {
        "schedules": [
            {
                "name": "每日早间状态检查",
                "kind": InspectionSchedule.Kind.DAILY,
                "times_of_day": ["08:30"],
                "grace": dt.timedelta(hours=3),
                "checklist_kind": "morning-status",
            },
            {
                "name": "月度设备性能检查",
                "kind": InspectionSchedule.Kind.MONTHLY_DAY,
                "day_of_month": 1,
                "times_of_day": ["10:00"],
                "grace": dt.timedelta(days=7),
                "what": "前端设备、网络及主机性能检查。",
            },
            {
                "name": "季度平台软件维护",
                "kind": InspectionSchedule.Kind.QUARTERLY,
                "day_of_month": 1,
                "times_of_day": ["10:00"],
                "grace": dt.timedelta(days=30),
                "what": "平台软件维护（每季度至少一次）。",
            },
            {
                "name": "月度运维计划",
                "kind": InspectionSchedule.Kind.MONTHLY_WORKING_DAY,
                "nth_working_day": 5,
                "times_of_day": ["09:00"],
                "grace": None,
                "what": "提交本月运维工作计划。",
            },
        ],
        "checklists": [
            {
                "key": "morning-status",
                "name": "设备状态表",
                "items": [
                    ("设备", CHECK, "前端设备在线状态正常"),
                    ("网络", CHECK, "网络设备及链路运行正常"),
                    ("主机", CHECK, "服务器及存储运行正常"),
                    ("接口", CHECK, "各对接接口调用正常"),
                    ("备份", CHECK, "昨日数据备份完成"),
                    ("记录", TEXT, "设备状态及异常情况"),
                ],
            }
        ],
    },
    # Seed 003: daily inspections; the device and technical ledgers updated at each one; the
    # record says who, what and the result; machine-room inspections with reports. The automated
    # round is the portal's tool for 运行监测 (应用软件运维服务 (1)), which names no frequency:
    # four a day is our choice, not the text's, and the bureau may change it.
    "BJ-2026-RP": {
        "schedules": [
            {
                "name": "机房日常巡检",
                "kind": InspectionSchedule.Kind.DAILY,
                "times_of_day": ["09:30"],
                "grace": dt.timedelta(hours=3),
                "checklist_kind": "machine-room",
            },
            {
                "name": "系统自动巡检",
                "kind": InspectionSchedule.Kind.SEVERAL_DAILY,
                "times_of_day": ["08:00", "12:00", "16:00", "20:00"],
                "grace": dt.timedelta(minutes=30),
                "mode": InspectionMode.AUTOMATED,
                "what": "自动检测居住证信息系统各接口、链路及服务器。",
            },
        ],
        "checklists": [
            {
                "key": "machine-room",
                "name": "机房巡检",
                "items": [
                    ("机房环境", NUMBER, "机房温度", {"unit": "°C", "min_value": D(18), "max_value": D(27)}),
                    ("机房环境", NUMBER, "机房湿度", {"unit": "%", "min_value": D(40), "max_value": D(70)}),
                    ("机房环境", CHECK, "空调运行正常"),
                    ("机房环境", CHECK, "UPS 及供电正常"),
                    ("机房环境", CHECK, "消防设施完好"),
                    ("设备", CHECK, "服务器、存储指示灯无告警"),
                    ("设备", CHECK, "网络及安全设备运行正常"),
                    ("链路", CHECK, "政务网链路（≥ 100 Mbit/s）", {"asset": "政务网链路"}),
                    ("链路", CHECK, "互联网链路（≥ 50 Mbit/s）", {"asset": "互联网链路"}),
                    ("应用", CHECK, "居住证信息系统可正常受理", {"asset": "居住证信息系统"}),
                    ("应用", CHECK, "短信服务发送正常", {"asset": "短信服务"}),
                    ("记录", PHOTO, "机房全景照片"),
                    ("记录", TEXT, "台账变更及其他情况", {"required": False}),
                ],
            }
        ],
    },
    # Seed 004: a daily inspection ledger (time, content) over its nine systems.
    "XJ-2024-PAY": {
        "schedules": [
            {
                "name": "每日巡检",
                "kind": InspectionSchedule.Kind.DAILY,
                "times_of_day": ["10:00"],
                "grace": dt.timedelta(hours=8),
                "checklist_kind": "systems",
            }
        ],
        "checklists": [
            {
                "key": "systems",
                "name": "九个系统每日巡检",
                "items": [
                    ("系统", CHECK, "{asset} 运行正常", {"each_asset": "application"}),
                    ("记录", TEXT, "巡检内容及处理情况"),
                ],
            }
        ],
    },
}


def _items(contract: Contract, specs) -> list[dict]:
    assets = {a.name: a for a in Asset.objects.filter(contract=contract)}
    items = []
    for spec in specs:
        section, kind, label, *rest = spec
        extra = dict(rest[0]) if rest else {}
        each_kind = extra.pop("each_asset", None)
        if each_kind:
            for asset in sorted((a for a in assets.values() if a.kind == each_kind), key=lambda a: a.pk):
                items.append(
                    {
                        "section": section,
                        "kind": kind,
                        "label": label.format(asset=asset.name),
                        "asset": asset,
                    }
                )
            continue
        if "asset" in extra:
            extra["asset"] = assets.get(extra["asset"])
        items.append({"section": section, "kind": kind, "label": label, **extra})
    return items


@transaction.atomic
def load_seed_inspections() -> int:
    """Schedules and checklists for the seed contracts present; returns how many were created."""
    created = 0
    for contract in Contract.objects.filter(code__in=SEED_INSPECTIONS):
        seed = SEED_INSPECTIONS[contract.code]
        for spec in seed["checklists"]:
            template, made = ChecklistTemplate.objects.get_or_create(
                contract=contract, key=spec["key"], defaults={"name": spec["name"]}
            )
            if made:
                created += 1
                ChecklistItem.objects.bulk_create(
                    ChecklistItem(template=template, position=n, **item)
                    for n, item in enumerate(_items(contract, spec["items"]), start=1)
                )
        for spec in seed["schedules"]:
            fields = dict(spec)
            name = fields.pop("name")
            schedule = InspectionSchedule(contract=contract, name=name, **fields)
            if InspectionSchedule.objects.filter(contract=contract, name=name).exists():
                continue
            schedule.full_clean()
            schedule.save()
            created += 1
    return created
