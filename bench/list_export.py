"""What a list's Excel export costs in memory and time as the list grows: the incidents export
(incidents.exports, om_portal.spreadsheets) at ROWS incidents and at a tenth of them, against a
baseline measured in the same run: the same incidents merely loaded into a Python list, as an
export building its sheet from ``list(queryset)`` would hold them. Target: the export's peak
Python memory grows less than the baseline's (it streams batches into a write-only workbook).

The time of an export includes reading the file back with openpyxl (the row count is checked).

Run: .venv/bin/python bench/list_export.py  (SQLite test database, or DATABASE_URL's server)
--smoke: 300 incidents, the same checks (rows read back), the target not asserted.
"""

import datetime as dt
import os
import sys
import tempfile
import time
import tracemalloc

import openpyxl
from _django import test_database
from django.db import connection
from django.utils import timezone

from contracts.models import Contract, Organization
from incidents import exports
from incidents.models import Incident
from om_portal.spreadsheets import write_workbook

SMOKE = "--smoke" in sys.argv[1:]
ROWS = 300 if SMOKE else 20_000


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def peak_mb(fn):
    """(peak MB of Python allocations, value) of ``fn()``; tracing slows it, so it is timed apart."""
    tracemalloc.start()
    value = fn()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6, value


def export(queryset) -> int:
    sheet = exports.incidents_sheet(queryset)
    with tempfile.TemporaryFile(suffix=".xlsx") as out:
        write_workbook([sheet], out)
        out.seek(0)
        book = openpyxl.load_workbook(out, read_only=True)
        count = sum(1 for _ in book.active.iter_rows(values_only=True)) - 1
        book.close()
    assert count == sheet.written, (count, sheet.written)
    return count


def main():
    with test_database():
        client = Organization.objects.create(name="bench bureau", kind="client")
        vendor = Organization.objects.create(name="bench vendor", kind="vendor")
        big, small = (
            Contract.objects.create(code=code, title="bench", client=client, vendor=vendor, status="active")
            for code in ("BENCH-BIG", "BENCH-SMALL")
        )
        now = timezone.now()
        for contract, count in ((big, ROWS), (small, ROWS // 10)):
            Incident.objects.bulk_create(
                (
                    Incident(
                        contract=contract,
                        title=f"故障 {n:06d}：网闸同步中断，前台查询结果陈旧",
                        description="凌晨起人口库向网闸外同步失败。" * 4,
                        cause="Oracle 数据库连接池耗尽",
                        method="重启同步服务并把连接池上限调到 200",
                        result="同步恢复",
                        source="phone",
                        severity="general",
                        reported_at=now - dt.timedelta(minutes=n),
                    )
                    for n in range(count)
                ),
                batch_size=2000,
            )
        big_rows, small_rows = Incident.objects.filter(contract=big), Incident.objects.filter(contract=small)

        small_s, small_count = timed(lambda: export(small_rows))
        big_s, big_count = timed(lambda: export(big_rows))
        assert (small_count, big_count) == (ROWS // 10, ROWS), (small_count, big_count)
        small_mb, _ = peak_mb(lambda: export(small_rows))
        big_mb, _ = peak_mb(lambda: export(big_rows))
        list_small_mb, _ = peak_mb(lambda: len(list(small_rows.select_related("contract", "asset"))))
        list_big_mb, _ = peak_mb(lambda: len(list(big_rows.select_related("contract", "asset"))))

        export_growth, list_growth = big_mb / small_mb, list_big_mb / list_small_mb
        print(f"{connection.vendor}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"export of {ROWS // 10:>6} incidents: {small_s:6.2f} s, peak {small_mb:7.1f} MB")
        print(f"export of {ROWS:>6} incidents: {big_s:6.2f} s, peak {big_mb:7.1f} MB  (×{export_growth:.2f})")
        print(f"baseline list() of {ROWS // 10:>6}:  peak {list_small_mb:7.1f} MB")
        print(f"baseline list() of {ROWS:>6}:  peak {list_big_mb:7.1f} MB  (×{list_growth:.2f})")
        print(f"export peak / list() peak at {ROWS}: {big_mb / list_big_mb:.2f}")
        if SMOKE:
            print("smoke: ok")
        elif export_growth >= list_growth:
            sys.exit(f"the export's memory grew ×{export_growth:.2f}, as much as loading the list's")


if __name__ == "__main__":
    main()
