"""Seed 000, ZH-2023-SPS: 珠海市公安局（治安支队）2023年度智慧派出所系统运维服务项目 (``shared/seeds/000_446092c3366546e0.txt``)."""

import datetime as dt
from decimal import Decimal as D

from contracts.seeds.parts import W, items, sla

CONTRACT = {
    "code": "ZH-2023-SPS",
    "title": "珠海市公安局（治安支队）2023年度智慧派出所系统运维服务项目",
    "client": "珠海市公安局",
    "vendor": "深圳市晓象科技有限公司",
    # Signed 2023-11-09, in force on signing, twelve months.
    "signed_on": dt.date(2023, 11, 9),
    "starts_on": dt.date(2023, 11, 9),
    "ends_on": dt.date(2024, 11, 8),
    "status": "ended",
    "total": D("708000.00"),
    "acceptance_method": "one_time",
    "notes": "电话解决不了的问题，接到通知 2 小时内派工程师到场；一般问题当天答复；驻场人员 3 人以上。",
    "service_items": [
        *items(
            "基础设施维护",
            (
                "虚拟机服务器运维",
                D("7.2") * W,
                {"description": "监控 37 台虚拟机的磁盘、内存、CPU、网络；7×24 电话支持"},
            ),
            ("数据库运维", D("3.6") * W, {"description": "备份、性能监控、异常排查"}),
            ("软件部署维护", D("0.54") * W, {"description": "Nginx 集群与代理、Tomcat 节点、中间件参数"}),
        ),
        *items(
            "系统功能维护",
            ("日常巡检", D("5.4") * W, {"description": "每周 7 天按功能清单巡检，形成每周巡检报告"}),
            ("异常处理", D("3.6") * W, {"description": "记录时间、原因、影响、处理方法、结果"}),
            ("重大安保支撑", D("0.18") * W, {"description": "重保期每日 08:00、13:00、19:00 三次巡检"}),
            (
                "功能升级改造",
                D("4.5") * W,
                {"quantity": D(3), "unit": "人月", "unit_price": D("1.5") * W},
            ),
        ),
        *items(
            "接口调用维护",
            ("大数据人员照片接口", D("0.54") * W, {}),
            ("大数据今日平均出警时长接口", D("0.9") * W, {}),
            ("大数据今日分类警情统计接口", D("0.9") * W, {}),
            ("大数据平台生活轨迹接口", D("0.18") * W, {}),
            ("大数据常住人口信息（户籍信息）接口", D("0.18") * W, {}),
            ("大数据重点单位来访登记信息接口", D("0.18") * W, {}),
            ("大数据国内、国外、港澳台旅客入住信息接口", D("0.54") * W, {}),
            ("指挥中心实时警情接口", D("1.08") * W, {}),
            ("视频云平台实时人脸接口（Kafka）", D("1.08") * W, {}),
            ("视频云平台卡口过车接口（Kafka）", D("1.08") * W, {}),
            ("门禁视频接口", D("0.18") * W, {}),
            ("接处警系统勤务排班接口", D("1.08") * W, {}),
            ("视频平台视频流播放接口集", D("1.8") * W, {}),
            ("数字证书认证接口", D("0.72") * W, {}),
        ),
        *items(
            "信息资源维护",
            ("数据导入", D("1.8") * W, {}),
            ("基础数据处理", D("1.8") * W, {}),
            ("数据共享", D("3.6") * W, {}),
            ("数据边界同步运维", D("1.44") * W, {}),
            ("数据同步服务运维", D("1.8") * W, {}),
            ("数据清洗上图", D("0.9") * W, {}),
            ("数据手工上图", D("1.8") * W, {}),
            ("数据更新维护", D("10.8") * W, {"description": "150 个数据源、223 个数据分类、202 个图层"}),
        ),
        *items(
            "对其他警种单位的支撑",
            ("横琴公安", D("0.54") * W, {}),
            ("指挥一张图支撑", D("0.72") * W, {}),
            ("斗门指挥专题图", D("0.9") * W, {}),
            ("水域监管平台", D("0.36") * W, {}),
        ),
        *items(
            "用户支撑服务",
            ("技术支持", D("1.8") * W, {}),
            ("现场培训", D("0.36") * W, {}),
            ("报表统计", D("0.9") * W, {}),
            ("系统测评", D("0.18") * W, {}),
        ),
        *items(
            "安全服务",
            ("系统安全测评", D("0.18") * W, {}),
            (
                "日志运维",
                D("2.7") * W,
                {"description": "系统与中间件日志保留 3 个月，数据库日志保留 1 年"},
            ),
            ("基础安全防护升级", D("0.72") * W, {}),
            ("应用安全升级维护", D("1.44") * W, {}),
        ),
        *items("综合管理", ("综合管理", D("0.6") * W, {"description": "一项一档、应急预案、容量规划"})),
    ],
    "penalty_clauses": [
        {
            "kind": "late_service",
            "title": "未按时完成每周巡检或技术支持",
            "shape": "per_day",
            "rate_percent": D("0.3"),
            "termination_after_days": 5,
            "text": "乙方未能严格按本合同定时完成每周巡检等维护、服务工作的，每逾期一日按合同总额的千分之三支付违约金；逾期超过 5 日，甲方有权解除合同。",
        },
        {
            "kind": "quality_failure",
            "title": "服务质量经通知仍未改正",
            "shape": "one_off",
            "rate_percent": D(20),
            "termination_at_count": 1,  # 第六条 3: 甲方有权解除本合同
        },
        {
            "kind": "subcontracting",
            "title": "未经同意分包或转包",
            "shape": "one_off",
            "rate_percent": D(20),
            "termination_at_count": 1,  # 第六条 4: 甲方有权解除本合同
        },
        {
            "kind": "late_payment",
            "title": "甲方逾期付款",
            "party": "client",
            "shape": "per_day",
            "base": "overdue_amount",
            "rate_percent": D("0.01"),
            "text": "甲方未按期付款的，逾期付款部分金额按照每日万分之一的标准计算违约金，计算日期从应付款之日起。",
        },
    ],
    "sla_terms": [
        sla("arrival", 2, "hours", condition="phone_unresolved", note="电话不能解决时即刻派员到场"),
        # 三.3(3) "一般问题乙方需在当日内予以答复": the reply to a consultation, the same day.
        sla("response", 1, "same_day", condition="consultation", note="一般问题当日内予以答复"),
        sla(
            "resolution",
            5,
            "working_days",
            clause="late_service",
            note="无法立即解决的问题 5 个工作日内解决",
        ),
    ],
    "milestones": [
        {
            "name": "签约款",
            "amount": D("72000.00"),
            "trigger": "signing",
            "offset": 10,
            "offset_unit": "working_days",
        },
        {
            "name": "尾款（期满验收合格后）",
            "amount": D("636000.00"),
            "trigger": "final_acceptance",
            "offset": 0,
        },
    ],
    "staff_posts": [{"name": "驻场工程师", "shift": "5x8", "headcount": 3, "place": "珠海市公安局"}],
    "assets": [
        *[{"kind": "vm", "name": f"虚拟机 {n:02d}", "system": "智慧派出所"} for n in range(1, 38)],
        *[
            {"kind": "interface", "name": name, "system": "智慧派出所"}
            for name in [
                "大数据人员照片接口",
                "大数据今日平均出警时长接口",
                "大数据今日分类警情统计接口",
                "大数据平台生活轨迹接口",
                "大数据常住人口信息（户籍信息）接口",
                "大数据重点单位来访登记信息接口",
                "大数据国内、国外、港澳台旅客入住信息接口",
                "指挥中心实时警情接口",
                "视频云平台实时人脸接口（Kafka）",
                "视频云平台卡口过车接口（Kafka）",
                "门禁视频接口",
                "接处警系统勤务排班接口",
                "视频平台视频流播放接口集",
                "数字证书认证接口",
            ]
        ],
        {"kind": "database", "name": "智慧派出所数据库", "system": "智慧派出所"},
        {"kind": "middleware", "name": "Nginx 集群", "system": "智慧派出所"},
        {"kind": "middleware", "name": "Tomcat 节点", "system": "智慧派出所"},
        {
            "kind": "data_source",
            "name": "数据资源（150 个数据源）",
            "quantity": 150,
            "system": "智慧派出所",
        },
    ],
}
