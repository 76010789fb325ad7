"""How long the asset ledger's import and export take at 10,000 rows, against two baselines
measured in the same run: openpyxl merely reading the file, and a plain bulk_create of the same
10,000 assets. Target: the import (reading included) within 10 s.

Run: .venv/bin/python bench/asset_import.py  (SQLite test database, or DATABASE_URL's server)
--smoke: 200 rows, the same checks, the target not asserted (the test suite runs it).
"""

import datetime as dt
import io
import json
import sys
import time

import openpyxl
from _django import test_database
from django.db import connection

from contracts import assets_io
from contracts.models import Asset, Contract, Organization

SMOKE = "--smoke" in sys.argv[1:]
ROWS = 200 if SMOKE else 10_000
TARGET_SECONDS = 10.0
KINDS = ["虚拟机", "vm", "Physical server", "数据库", "middleware", "接口"]


def build_xlsx() -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("台账")
    sheet.append([column.label for column in assets_io.COLUMNS])
    for n in range(ROWS):
        row = {
            "kind": KINDS[n % len(KINDS)],
            "name": f"资产 {n:05d}",
            "system": f"业务系统 {n % 9}",
            "security_zone": "公安网" if n % 2 else "视频专网",
            "host": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
            "port": 1024 + n % 60000,
            "url": f"https://10.0.0.1/app/{n}" if n % 3 == 0 else None,
            "os_version": "CentOS 7.9",
            "quantity": 1 + n % 3,
            "status": "在用" if n % 10 else "故障",
            "warranty_ends_on": dt.date(2027, 1 + n % 12, 1) if n % 5 == 0 else None,
            "attributes": json.dumps({"cpu": 8, "memory_gb": 16, "机房": "三楼"}, ensure_ascii=False)
            if n % 4 == 0
            else None,
        }
        # By the import's own column keys, so a column added to the ledger cannot shift the rest.
        sheet.append([row.get(key) for key in assets_io.KEYS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def read_only_baseline(data: bytes) -> int:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    count = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return count


def main():
    with test_database():
        client = Organization.objects.create(name="bench bureau", kind="client")
        vendor = Organization.objects.create(name="bench vendor", kind="vendor")
        contract, other = (
            Contract.objects.create(code=code, title="bench", client=client, vendor=vendor, status="active")
            for code in ("BENCH-IMPORT", "BENCH-BASELINE")
        )
        data = build_xlsx()

        read_s, rows_read = timed(lambda: read_only_baseline(data))
        import_s, result = timed(lambda: assets_io.import_assets(contract, io.BytesIO(data), "bench.xlsx"))
        assert result.ok and result.created == ROWS, result.errors[:5]
        assert rows_read == ROWS + 1

        copies = [
            Asset(contract=other, **{key: getattr(asset, key) for key in assets_io.KEYS})
            for asset in Asset.objects.filter(contract=contract)
        ]
        bulk_s, _ = timed(lambda: Asset.objects.bulk_create(copies, batch_size=assets_io.BATCH))

        assets = Asset.objects.filter(contract=contract)
        export_xlsx_s, exported = timed(lambda: assets_io.export_assets(assets, "xlsx"))
        export_csv_s, exported_csv = timed(lambda: assets_io.export_assets(assets, "csv"))
        before = list(assets.values_list(*assets_io.KEYS, "updated_at"))
        round_trip_s, again = timed(lambda: assets_io.import_assets(contract, io.BytesIO(exported), "x.xlsx"))
        assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, ROWS), again
        assert list(assets.values_list(*assets_io.KEYS, "updated_at")) == before, (
            "the round trip changed rows"
        )
        csv_round_trip_s, again = timed(
            lambda: assets_io.import_assets(contract, io.BytesIO(exported_csv), "x.csv")
        )
        assert again.ok and again.unchanged == ROWS, again

        changed = exported_csv.decode("utf-8-sig").replace(",在用,", ",维护中,").encode("utf-8-sig")
        update_s, updated = timed(lambda: assets_io.import_assets(contract, io.BytesIO(changed), "x.csv"))
        assert updated.ok and updated.updated == ROWS * 9 // 10, updated

        print(f"{connection.vendor}, {ROWS} rows, .xlsx of {len(data) / 1e6:.2f} MB")
        print(f"import .xlsx (read, validate, write):  {import_s:.2f} s  target <= {TARGET_SECONDS:.0f} s")
        print(f"baseline: openpyxl read-only pass:     {read_s:.2f} s  import/read {import_s / read_s:.2f}")
        print(f"baseline: plain bulk_create:           {bulk_s:.2f} s  import/bulk {import_s / bulk_s:.2f}")
        print(f"export .xlsx:                          {export_xlsx_s:.2f} s")
        print(f"export .csv:                           {export_csv_s:.2f} s")
        print(f"re-import of the .xlsx export:         {round_trip_s:.2f} s  (0 changes)")
        print(f"re-import of the .csv export:          {csv_round_trip_s:.2f} s  (0 changes)")
        print(f"upsert of a .csv changing {updated.updated} rows: {update_s:.2f} s")
        if SMOKE:
            print("smoke: ok")
        elif import_s > TARGET_SECONDS:
            sys.exit(f"the import took {import_s:.2f} s, over the {TARGET_SECONDS:.0f} s target")


if __name__ == "__main__":
    main()
