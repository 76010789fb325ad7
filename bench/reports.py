"""Issue 6's report speed targets: a monthly report of about 30 pages of Chinese in at most 6 s
and 400 MB, an annual report of about 200 pages in at most 40 s; issue 17's memory targets: the
annual report in at most 400 MB and 35 s, laid out in bounded parts (reports.parts) and measured
beside the single pass of before in the same run, and the acceptance package of a whole term
(weekly, monthly, quarterly and annual reports, stored signed) in at most 500 MB, sealed as the
worker does (the PDF, signed, and the ZIP, made in temporary files from the stored PDFs read one
at a time), measured beside two ways of before: the same from the stored PDFs held in memory, and
laying every report out again.

Each report is built from the database here (reports.building, timed with its query count), and
rendered to PDF in a fresh child process (reports.rendering + WeasyPrint). Its memory is the larger
of its own peak resident memory (VmHWM, bench/_memory.py) and the peak PSS of it and the half it
forks (sampled every 50 ms from here: the two share pages, which PSS counts once): Python's own
allocators hide what Pango, HarfBuzz and the font files take. The annual report is rendered three
ways: in one pass (before issue 17), in parts in one process (REPORT_RENDER_PROCESSES=1), and in
parts with its second half in a fork (the default). The baseline, measured in the same run in the
same way, is a one-page report (an empty month): its time per page against the big reports' time
per page shows whether rendering stays linear in the pages.

Run: .venv/bin/python bench/reports.py  (SQLite in memory, or DATABASE_URL's server)
--smoke: a few incidents and log lines per report, parts of a few units (so that even a small
report takes several), a term of two weeks and a month: checking each report builds and renders
to a PDF of its pages, in parts (the annual one's few incidents month by month, so that it forks),
and the package from the stored PDFs; the targets not asserted (the test suite runs it). The load
average is printed beside each figure.
"""

import datetime as dt
import hashlib
import io
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
import zoneinfo
from decimal import Decimal

from _django import test_database
from _memory import TreePeak, peak_mb
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
TERM_INCIDENTS = 6 if SMOKE else 420
TERM_WORK_LOG = 6 if SMOKE else 300
TARGETS = {"monthly": (6.0, 400), "annual": (35.0, 400)}
PACKAGE_MB = 500
# Parts of a few units in the smoke run, so that its small reports still take several.
SIZES = {"first_units": 4, "part_pages": 2} if SMOKE else {}
SMOKE_MONTHS_FROM_ROWS = 5

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


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


_CPU_BEGAN = [0.0]


def _cpu() -> float:
    return sum(resource.getrusage(resource.RUSAGE_SELF)[:2])


def _start() -> float:
    """Start timing in a child: wall time, and the child's CPU time, which is what the wall time
    would be on a core of its own (the figure to read on a loaded machine)."""
    _CPU_BEGAN[0] = _cpu()
    return time.perf_counter()


def _figures(began: float, imported: float, pages: int, size: int, **more) -> dict:
    return {
        "pages": pages,
        "seconds": time.perf_counter() - began,
        "import": imported,
        "bytes": size,
        "max_rss_mb": peak_mb(),
        "cpu": _cpu() - _CPU_BEGAN[0],
        "load": load(),
        **more,
    }


def render_in_child(data: dict, way: str) -> dict:
    """Runs in a fresh process: render the PDF (in parts, or in one pass as before) and report its
    pages, time and peak memory."""
    began = time.perf_counter()
    import weasyprint  # noqa: F401  (a worker imports it once; its first report pays for it)

    from reports import rendering
    from reports.pdf import document
    from reports.rendering import report_html, report_parts

    if SMOKE:  # the smoke's few incidents month by month: its annual report forks its second half
        rendering.MONTHS_FROM_ROWS = SMOKE_MONTHS_FROM_ROWS
    imported = time.perf_counter() - began
    began = _start()
    if way == "one pass":
        laid_out = document(report_html(data, NARRATIVE, draft=True))
        pdf = laid_out.write_pdf()
        return _figures(began, imported, len(laid_out.pages), len(pdf), parts=1)
    processes = 1 if way == "parts, one process" else None  # else settings.REPORT_RENDER_PROCESSES
    joined = report_parts(data, NARRATIVE, draft=True, processes=processes, **SIZES)
    pdf = joined.pdf()
    return _figures(began, imported, len(joined.writer.pages), len(pdf), parts=joined.parts)


def package_in_child(package, versions: list, xlsx: bytes, media: str, again: list | None, way: str) -> dict:
    """Runs in a fresh process: the package's PDF, signed, and its ZIP — as the worker seals it
    (the stored PDFs read one at a time, everything made in temporary files), or from the stored
    PDFs held in memory as before (every original, the PDF, the signed PDF and the ZIP as bytes;
    the joiner keeping every file it read, the footers laid out at once) — or only the PDF,
    signed, laying every report out again in one document as before issue 17 (``again``)."""
    began = time.perf_counter()
    import weasyprint  # noqa: F401
    from django.test.utils import override_settings
    from pypdf import PdfReader

    from reports import acceptance

    imported = time.perf_counter() - began
    began = _start()
    with override_settings(MEDIA_ROOT=media), tempfile.TemporaryDirectory(prefix="bench-package-") as scratch:
        if way == "sealed":
            with open(f"{scratch}/p", "w+b") as pdf, open(f"{scratch}/s", "w+b") as signed:
                with open(f"{scratch}/z", "w+b") as archive:
                    acceptance.assemble(package, versions, xlsx, pdf, signed, archive, record=False, **SIZES)
                    zipped = archive.tell()
                signed.seek(0)
                pages = len(PdfReader(signed).pages)
                size = signed.seek(0, os.SEEK_END)
                shutil.copy(f"{scratch}/s", f"{media}/bench-package.pdf")
                shutil.copy(f"{scratch}/z", f"{media}/bench-package.zip")
            return _figures(began, imported, pages, size, zip_bytes=zipped)
        if way == "in memory":
            return _package_in_memory(package, versions, xlsx, began, imported)
    from reports.pdf import document
    from reports.rendering import report_html
    from reports.signing import sign_pdf

    documents = [document(acceptance.package_html(package))]
    documents += [document(report_html(data, narrative, signature=sig)) for data, narrative, sig in again]
    pdf = documents[0].copy([page for doc in documents for page in doc.pages]).write_pdf()
    signed = sign_pdf(pdf, reason="bench", record=False)
    return _figures(began, imported, len(PdfReader(io.BytesIO(signed)).pages), len(signed))


def _package_in_memory(package, versions, xlsx, began, imported) -> dict:
    """The package from the stored PDFs as sealing made it before, all in memory (see above)."""
    import zipfile

    from django.utils import timezone, translation
    from pypdf import PdfReader

    from contracts.worktime import CHINA_TZ
    from reports import acceptance
    from reports.parts import Joined
    from reports.signing import sign_pdf

    originals = []
    for version in versions:
        with version.pdf.open("rb") as fh:
            originals.append(fh.read())
    joined = Joined()
    joined._done = lambda *args: None  # before: the writer kept every reader (and its bytes)
    with translation.override("zh-hans"), timezone.override(CHINA_TZ):
        joined.add_layout(acceptance._package_layout(acceptance._package_context(package)), **SIZES)
    for original in originals:
        joined.add_pdf(original)
    joined.stamp("验收材料", chunk=len(joined.writer.pages))  # before: the footers at once
    joined.stamp = lambda label: None
    signed = sign_pdf(joined.pdf(label="验收材料"), reason="bench", record=False)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("package.pdf", signed)
        for number, original in enumerate(originals):
            archive.writestr(f"reports/{number}.pdf", original)
        archive.writestr("ledger.xlsx", xlsx)
    zipped = buffer.getvalue()
    pages = len(PdfReader(io.BytesIO(signed)).pages)
    return _figures(began, imported, pages, len(signed), zip_bytes=len(zipped))


def _run(out, function, *args):
    try:
        out.send((True, function(*args)))
    except BaseException as exc:
        out.send((False, repr(exc)))
        raise


def _memory(figures: dict) -> str:
    return f"peak RSS {figures['max_rss_mb']:.0f} MB, PSS with its fork {figures['tree_mb']:.0f} MB"


def in_child(function, *args) -> dict:
    """``function(*args)`` in a process of its own (its peak memory is that render's alone), with
    the peak PSS of it and of the half it forks (``tree_mb``); ``memory_mb`` is the larger of that
    and its own peak RSS, the figure held against the targets."""
    context = multiprocessing.get_context("spawn")
    received, sent = context.Pipe(duplex=False)
    child = context.Process(target=_run, args=(sent, function, *args))
    child.start()
    with TreePeak(child.pid) as tree:
        ok, figures = received.recv()
    child.join()
    if not ok:
        raise RuntimeError(f"the child failed: {figures}")
    return {**figures, "tree_mb": tree.mb, "memory_mb": max(tree.mb, figures["max_rss_mb"])}


def render(data: dict, way: str = "parts") -> dict:
    return in_child(render_in_child, data, way)


def make_term(contract):
    """The term's reports of seed 000 (weekly, monthly, quarterly, annual; the smoke run two
    weeks and a month), each built, rendered in parts, signed and stored as a signed-off
    version; then a signed-off acceptance package of the term whose figures list them."""
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from reports import acceptance, kinds
    from reports.building import build_data
    from reports.models import AcceptancePackage, Report, ReportVersion
    from reports.rendering import report_pdf
    from reports.signing import sign_pdf

    user = get_user_model().objects.create_user(username="bench-term", password="x" * 20)
    now = timezone.now()
    stored, count = [], {}
    for kind in ("weekly", "monthly", "quarterly", "annual"):
        found = acceptance._expected_periods(contract, kind, *TERM)
        for start, end in found[:2] if SMOKE and kind == "weekly" else found[:1] if SMOKE else found:
            data = build_data(contract, kind, start, end)
            signature = {"vendor_org": data["contract"]["vendor"], "client_org": data["contract"]["client"]}
            signed = sign_pdf(report_pdf(data, NARRATIVE, signature=signature), reason="bench", record=False)
            report = Report.objects.create(
                contract=contract,
                kind=kind,
                period_start=start,
                period_end=end,
                status="signed_off",
                data=data,
            )
            version = ReportVersion(
                report=report,
                number=1,
                data=data,
                narrative=NARRATIVE,
                submitted_by=user,
                submitted_at=now,
                signed_off_by=user,
                signed_off_at=now,
                sha256=hashlib.sha256(signed).hexdigest(),
                sealed_at=now,
            )
            version.pdf.save(f"{kind}-{start:%Y%m%d}.pdf", ContentFile(signed), save=False)
            version.save()
            stored.append((report, version, signature))
            count[str(kinds.get(kind).label)] = count.get(str(kinds.get(kind).label), 0) + 1
    package = AcceptancePackage.objects.create(
        contract=contract,
        scope="term",
        period_start=TERM[0],
        period_end=TERM[1],
        status="signed_off",
        vendor_statement=chinese(4),
        client_opinion="同意验收。",
        conclusion="passed",
        data=acceptance.package_data(contract, *TERM),
        submitted_by=user,
        submitted_at=now,
        signed_off_by=user,
        signed_off_at=now,
    )
    package = AcceptancePackage.objects.select_related(
        "contract__client", "contract__vendor", "submitted_by", "signed_off_by"
    ).get(pk=package.pk)
    return package, stored, count


def bench_package(contract) -> dict:
    from django.conf import settings

    from reports import acceptance
    from reports.signing import verify_pdf

    package, stored, count = make_term(contract)
    versions = acceptance.package_versions(package)  # what the worker reads, in its order
    assert {v.pk for v in versions} == {v.pk for _r, v, _s in stored}, "the package lists the stored reports"
    xlsx = acceptance.ledger_xlsx(package)
    media = str(settings.MEDIA_ROOT)
    again = [(v.data, v.narrative, s) for _r, v, s in stored]
    print("term: " + ", ".join(f"{n} {label}" for label, n in count.items()) + f"; {load()}")
    results = {}
    ways = {
        "laid out again (before)": "again",
        "stored, in memory (before)": "in memory",
        "stored, sealed": "sealed",
    }
    for name, way in ways.items():
        # Each child gets what it needs, and nothing more: its peak is the way's own.
        figures = in_child(
            package_in_child, package, versions, xlsx, media, again if way == "again" else None, way
        )
        results[name] = figures
        print(
            f"package, {name:27} {figures['pages']:4d} pages  "
            f"{figures['seconds']:6.2f} s (CPU {figures['cpu']:.2f} s)  "
            f"{_memory(figures)}  PDF {figures['bytes'] / 1024:.0f} KB"
            + (f"  ZIP {figures['zip_bytes'] / 1024:.0f} KB" if "zip_bytes" in figures else "")
            + f"  ({figures['load']})"
        )
    new = results["stored, sealed"]
    verdict = "within" if new["memory_mb"] <= PACKAGE_MB else "ABOVE"
    print(
        f"package: {new['memory_mb']:.0f} MB, {new['seconds']:.2f} s; target {PACKAGE_MB} MB: {verdict}"
        + "".join(
            f"; / {name}: memory {new['memory_mb'] / old['memory_mb']:.2f}, "
            f"time {new['seconds'] / old['seconds']:.2f}"
            for name, old in results.items()
            if old is not new
        )
        + f"; {load()}"
    )
    # What the worker made holds: the same pages as the other ways, signed, the originals whole.
    assert new["pages"] == results["stored, in memory (before)"]["pages"] > len(versions), results
    with open(f"{media}/bench-package.pdf", "rb") as fh:
        verdict = verify_pdf(fh.read())
    assert verdict.intact and verdict.valid and verdict.trusted, verdict
    import zipfile

    with zipfile.ZipFile(f"{media}/bench-package.zip") as archive:
        digests = {
            hashlib.sha256(archive.read(name)).hexdigest()
            for name in archive.namelist()
            if name.startswith("reports/")
        }
    assert digests == {v.sha256 for v in versions}, "the ZIP carries each signed original"
    if SMOKE:
        assert new["pages"] == results["laid out again (before)"]["pages"], results
    return results


def main():
    from django.test import override_settings

    media = tempfile.TemporaryDirectory(prefix="bench-reports-")
    with test_database(), override_settings(MEDIA_ROOT=media.name), media:
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

        term_contract = make_contract("BENCH-TERM")
        add_incidents(term_contract, TERM_INCIDENTS, TERM[0], 365, text_sentences=1)
        add_work_log(term_contract, TERM_WORK_LOG, TERM[0], 365)
        add_slots(term_contract, *TERM)
        add_breaches_and_staff(term_contract)

        cases = [
            ("baseline (empty month)", "monthly", empty_contract, JUNE, "parts"),
            ("monthly", "monthly", monthly_contract, JUNE, "parts"),
            ("annual, one pass", "annual", annual_contract, TERM, "one pass"),
            ("annual, one process", "annual", annual_contract, TERM, "parts, one process"),
            ("annual", "annual", annual_contract, TERM, "parts"),
        ]
        print(f"{connection.vendor}; rendering in a fresh process per report (spawn); {load()}")
        results = {}
        for name, kind, contract, period, way in cases:
            data, build_s, queries = build(contract, kind, *period)
            figures = render(data, way)
            if SMOKE:  # the answers of a full run, small: a PDF of the pages laid out
                assert figures["pages"] >= 1 and figures["bytes"] > 1000, (name, figures)
                assert data["kind"] == kind, (name, data.get("kind"))
            total = build_s + figures["seconds"]
            results[name] = {**figures, "build": build_s, "total": total, "queries": queries}
            print(
                f"{name:24} {figures['pages']:4d} pages in {figures['parts']:2d} part(s)  "
                f"build {build_s:6.2f} s ({queries} queries)  "
                f"render {figures['seconds']:6.2f} s "
                f"(CPU {figures['cpu']:.2f} s, + import {figures['import']:.2f} s)  "
                f"total {total:6.2f} s  "
                f"{total / figures['pages']:.3f} s/page  {_memory(figures)}  "
                f"PDF {figures['bytes'] / 1024:.0f} KB  ({figures['load']})"
            )
        base = results["baseline (empty month)"]
        base_per_page = base["total"] / base["pages"]
        for kind, (max_s, max_mb) in TARGETS.items():
            got = results[kind]
            per_page = got["total"] / got["pages"]
            verdict = (
                "within"
                if got["total"] <= max_s and (max_mb is None or got["memory_mb"] <= max_mb)
                else "ABOVE"
            )
            memory = f" and {max_mb} MB" if max_mb else ""
            print(
                f"{kind}: {got['total']:.2f} s, {got['memory_mb']:.0f} MB; "
                f"target {max_s:.0f} s{memory}: {verdict}; "
                f"time per page / baseline's (one page) = {per_page / base_per_page:.2f}"
            )
        once, alone, split = (results[name] for name in ("annual, one pass", "annual, one process", "annual"))
        for name, old in (("one pass", once), ("one process", alone)):
            print(
                f"annual / {name}: memory {split['memory_mb'] / old['memory_mb']:.2f} "
                f"({split['memory_mb']:.0f} / {old['memory_mb']:.0f} MB), "
                f"time {split['seconds'] / old['seconds']:.2f} "
                f"({split['seconds']:.1f} / {old['seconds']:.1f} s; "
                f"CPU {split['cpu']:.1f} / {old['cpu']:.1f} s), "
                f"pages {split['pages']} / {old['pages']}; {load()}"
            )
        bench_package(term_contract)
        if SMOKE:
            # More rows, more pages: the monthly and annual reports outgrow the empty month.
            assert results["annual"]["pages"] > base["pages"], results
            assert results["annual"]["parts"] >= 2, results["annual"]  # the parts path, exercised
            assert results["annual"]["pages"] == results["annual, one pass"]["pages"], results
            assert results["annual, one process"]["pages"] == results["annual"]["pages"], results
            print("smoke: ok")


if __name__ == "__main__":
    main()
