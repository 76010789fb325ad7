"""Issue 6's report speed targets: a monthly report of about 30 pages of Chinese in at most 6 s
and 400 MB, an annual report of about 200 pages in at most 40 s.

Each report is built from the database here (reports.building, timed with its query count), and
rendered to PDF in a fresh child process (reports.rendering + WeasyPrint) whose peak resident
memory (ru_maxrss) is the figure for memory: Python's own allocators hide what Pango, HarfBuzz
and the font files take. The baseline, measured in the same run in the same way, is a one-page
report (an empty month): its time per page against the big reports' time per page shows whether
rendering stays linear in the pages.

Run: .venv/bin/python bench/reports.py  (SQLite in memory, or DATABASE_URL's server)
--smoke: a few incidents and log lines per report, the same three renders, checking each report
builds and renders to a PDF of its pages; the targets not asserted (the test suite runs it).
"""

import datetime as dt
import multiprocessing
import resource
import sys
import time
import zoneinfo
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal

from _django import test_database
from django.db import connection
from django.test.utils import CaptureQueriesContext

CN = zoneinfo.ZoneInfo("Asia/Shanghai")
HOUR = dt.timedelta(hours=1)
TERM = (dt.date(2026, 5, 29), dt.date(2027, 5, 28))
JUNE = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
# Volumes that make about 30 and 200 pages (each incident of the monthly report prints its
# description, cause, impact, method and result; the annual one lists incidents one per row).
SMOKE = "--smoke" in sys.argv[1:]
MONTHLY_INCIDENTS = 3 if SMOKE else 58
MONTHLY_WORK_LOG = 5 if SMOKE else 110
ANNUAL_INCIDENTS = 20 if SMOKE else 6800
ANNUAL_WORK_LOG = 10 if SMOKE else 2000
TARGETS = {"monthly": (6.0, 400), "annual": (40.0, None)}

# Sentences of an O&M log, cycled to make varied Chinese text.
PHRASES = [
    "受理系统前端页面响应缓慢，部分派出所反映提交居住证申请时出现超时",
    "经排查为数据库连接池耗尽，应用服务器日志中出现大量等待连接的告警",
    "调整连接池上限并重启应用节点，同时清理长时间未提交的会话",
    "与甲方信息中心确认网络链路正常，政务外网带宽占用率约百分之四十",
    "对人口库同步任务进行了复核，确认夜间批量同步已按计划完成",
    "更新了负载均衡配置，将流量重新分配至三台应用服务器",
    "业务恢复正常，已通知各受理点并在运维平台登记处理过程",
    "建议下月对数据库服务器扩容内存，并优化慢查询语句",
]


def chinese(n: int, start: int = 0) -> str:
    return "，".join(PHRASES[(start + i) % len(PHRASES)] for i in range(n)) + "。"


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CN)


def make_contract(code: str):
    from contracts.models import Contract, Organization

    client, _ = Organization.objects.get_or_create(name="北京市公安局人口管理和基层工作总队", kind="client")
    vendor, _ = Organization.objects.get_or_create(name="北京燕讯通信技术开发公司", kind="vendor")
    return Contract.objects.create(
        code=code,
        title="居住证系统运维服务",
        client=client,
        vendor=vendor,
        starts_on=TERM[0],
        ends_on=TERM[1],
        total=Decimal("6015320.00"),
        status="active",
    )


def add_slots(contract, first: dt.date, last: dt.date):
    """A daily 09:00 inspection, done (every tenth missed), the runs finding a few abnormal items."""
    from inspections.models import InspectionRun, InspectionSchedule, InspectionSlot

    schedule = InspectionSchedule.objects.create(contract=contract, name="日常巡检")
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    slots = [
        InspectionSlot(
            contract=contract,
            schedule=schedule,
            due_at=at(d.year, d.month, d.day, 9),
            deadline=at(d.year, d.month, d.day, 13),
            status="missed" if i % 10 == 9 else "done",
            done_at=None if i % 10 == 9 else at(d.year, d.month, d.day, 10),
        )
        for i, d in enumerate(days)
    ]
    slots = InspectionSlot.objects.bulk_create(slots)
    if connection.vendor != "postgresql":  # SQLite returns no ids from bulk_create before 3.35
        slots = list(InspectionSlot.objects.filter(contract=contract).order_by("due_at"))
    runs = [
        InspectionRun(
            slot=slot,
            contract=contract,
            mode="manual",
            started_at=slot.due_at,
            finished_at=slot.due_at + HOUR,
            items_abnormal=i % 3,
        )
        for i, slot in enumerate(slots)
        if slot.status == "done"
    ]
    InspectionRun.objects.bulk_create(runs)


def add_incidents(contract, count: int, first: dt.date, days: int, *, text_sentences: int):
    from incidents.models import Incident

    rows = []
    for i in range(count):
        day = first + dt.timedelta(days=i % days)
        reported = at(day.year, day.month, day.day, 8 + i % 12, i % 60)
        rows.append(
            Incident(
                contract=contract,
                title=f"{PHRASES[i % len(PHRASES)][:11]}（{i + 1}）",
                severity=("general", "general", "severe", "emergency")[i % 4],
                kind=("software", "network", "data", "hardware")[i % 4],
                source="phone",
                status="resolved",
                reported_at=reported,
                resolved_at=reported + (i % 5 + 1) * HOUR,
                response_due=reported + HOUR,
                resolution_due=reported + 4 * HOUR,
                responded_at=reported + HOUR / 2,
                resolution_breached_at=reported + 4 * HOUR if i % 7 == 0 else None,
                description=chinese(text_sentences, i),
                cause=chinese(max(text_sentences - 1, 0), i + 1),
                impact=chinese(max(text_sentences - 2, 0), i + 2),
                method=chinese(text_sentences, i + 3),
                result=chinese(1, i + 6),
            )
        )
    Incident.objects.bulk_create(rows, batch_size=1000)


def add_work_log(contract, count: int, first: dt.date, days: int):
    from incidents.models import WorkLogEntry

    categories = WorkLogEntry.Category.values
    WorkLogEntry.objects.bulk_create(
        [
            WorkLogEntry(
                contract=contract,
                category=categories[i % len(categories)],
                date=first + dt.timedelta(days=i % days),
                initiator="甲方信息中心值班室",
                handler=f"驻场工程师{i % 5 + 1}",
                handling=chinese(2, i),
                feedback=chinese(1, i + 4),
            )
            for i in range(count)
        ],
        batch_size=1000,
    )


def add_breaches_and_staff(contract):
    from contracts.models import Breach, PenaltyClause, StaffAssignment, StaffPost

    clause = PenaltyClause.objects.create(
        contract=contract,
        kind="sla_resolution",
        title="故障未按时解决",
        shape="per_occurrence",
        rate_percent=1,
    )
    Breach.objects.bulk_create(
        [
            Breach(
                contract=contract,
                clause=clause,
                kind=clause.kind,
                occurred_at=at(2026, 6, 1 + i, 12),
                source="incident",
                source_ref=f"bench:{i}",
            )
            for i in range(5)
        ]
    )
    for name, shift, headcount in (
        ("驻场运维（白班）", "5x8", 1),
        ("驻场运维（轮班）", "7x8", 2),
        ("值守", "7x24", 2),
    ):
        post = StaffPost.objects.create(contract=contract, name=name, shift=shift, headcount=headcount)
        for n in range(headcount):
            StaffAssignment.objects.create(post=post, person=f"{name[:2]}工程师{n + 1}", starts_on=TERM[0])


def build(contract, kind: str, start: dt.date, end: dt.date):
    from reports.building import build_data

    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        data = build_data(contract, kind, start, end)
        seconds = time.perf_counter() - began
    return data, seconds, len(queries)


NARRATIVE = {
    "summary": chinese(12),
    "plan": chinese(6, 3),
    "service": chinese(8, 1),
    "shortcomings": chinese(6, 2),
    "suggestions": chinese(6, 5),
}


def render_in_child(data: dict) -> dict:
    """Runs in a fresh process: render the PDF and report its pages, time and peak memory."""
    began = time.perf_counter()
    import weasyprint  # noqa: F401  (a worker imports it once; its first report pays for it)

    from reports.pdf import document
    from reports.rendering import report_html

    imported = time.perf_counter() - began
    began = time.perf_counter()
    html = report_html(data, NARRATIVE, draft=True)
    laid_out = document(html)
    pdf = laid_out.write_pdf()
    seconds = time.perf_counter() - began
    return {
        "pages": len(laid_out.pages),
        "seconds": seconds,
        "import": imported,
        "bytes": len(pdf),
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def render(data: dict) -> dict:
    # A process of its own for each report: its peak memory is that report's alone.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(render_in_child, data).result()


def main():
    with test_database():
        monthly_contract = make_contract("BENCH-MONTHLY")
        add_incidents(monthly_contract, MONTHLY_INCIDENTS, JUNE[0], 30, text_sentences=3)
        add_work_log(monthly_contract, MONTHLY_WORK_LOG, JUNE[0], 30)
        add_slots(monthly_contract, *JUNE)
        add_breaches_and_staff(monthly_contract)
        annual_contract = make_contract("BENCH-ANNUAL")
        add_incidents(annual_contract, ANNUAL_INCIDENTS, TERM[0], 365, text_sentences=0)
        add_work_log(annual_contract, ANNUAL_WORK_LOG, TERM[0], 365)
        add_slots(annual_contract, *TERM)
        add_breaches_and_staff(annual_contract)
        empty_contract = make_contract("BENCH-EMPTY")

        cases = [
            ("baseline (empty month)", "monthly", empty_contract, JUNE),
            ("monthly", "monthly", monthly_contract, JUNE),
            ("annual", "annual", annual_contract, TERM),
        ]
        print(f"{connection.vendor}; rendering in a fresh process per report (spawn)")
        results = {}
        for name, kind, contract, period in cases:
            data, build_s, queries = build(contract, kind, *period)
            figures = render(data)
            if SMOKE:  # the answers of a full run, small: a PDF of the pages laid out
                assert figures["pages"] >= 1 and figures["bytes"] > 1000, (name, figures)
                assert data["kind"] == kind, (name, data.get("kind"))
            total = build_s + figures["seconds"]
            results[name] = {**figures, "build": build_s, "total": total, "queries": queries}
            print(
                f"{name:24} {figures['pages']:4d} pages  build {build_s:6.2f} s ({queries} queries)  "
                f"render {figures['seconds']:6.2f} s (+ import {figures['import']:.2f} s)  "
                f"total {total:6.2f} s  "
                f"{total / figures['pages']:.3f} s/page  peak RSS {figures['max_rss_mb']:.0f} MB  "
                f"PDF {figures['bytes'] / 1024:.0f} KB"
            )
        base = results["baseline (empty month)"]
        base_per_page = base["total"] / base["pages"]
        for kind, (max_s, max_mb) in TARGETS.items():
            got = results[kind]
            per_page = got["total"] / got["pages"]
            verdict = (
                "within"
                if got["total"] <= max_s and (max_mb is None or got["max_rss_mb"] <= max_mb)
                else "ABOVE"
            )
            memory = f" and {max_mb} MB" if max_mb else ""
            print(
                f"{kind}: {got['total']:.2f} s, {got['max_rss_mb']:.0f} MB; "
                f"target {max_s:.0f} s{memory}: {verdict}; "
                f"time per page / baseline's (one page) = {per_page / base_per_page:.2f}"
            )
        if SMOKE:
            # More rows, more pages: the monthly and annual reports outgrow the empty month.
            assert results["annual"]["pages"] > base["pages"], results
            print("smoke: ok")


if __name__ == "__main__":
    main()
