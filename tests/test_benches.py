"""Every bench in bench/ runs, small: ``--smoke`` takes the full run's code path on tiny sizes and
checks the same answers (counts, status codes, queries per page), not the speed targets (speed is
measured by ``make bench``, never asserted here). A bench without a smoke mode fails here, so
none rots unnoticed again (issue 17: bench/incidents.py answered 403 for months).

Each runs as a subprocess with the suite's environment: its own throw-away database on
DATABASE_URL's server (bench/_django.py names it after the process), free ports for its servers.
Run them alone with ``pytest -m bench`` or ``make bench-smoke``.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHES = sorted((ROOT / "bench").glob("[!_]*.py"))
# The targets of these are PostgreSQL's: they refuse SQLite.
POSTGRESQL_ONLY = {
    "dashboard.py",
    "incidents.py",
    "load.py",
    "offline_sync.py",
    "probes_worker.py",
    "queues.py",
    "results_year.py",
}
# These start Celery workers, other processes, which need a real broker.
REDIS_ONLY = {"queues.py"}
# These read a scan: poppler-utils and Tesseract with its simplified-Chinese data.
OCR_ONLY = {"intake_ocr.py"}

pytestmark = [pytest.mark.bench, pytest.mark.slow]


def test_every_bench_is_found():
    assert len(BENCHES) >= 10, BENCHES


@pytest.mark.timeout(900)
@pytest.mark.parametrize("script", BENCHES, ids=lambda path: path.stem)
def test_the_bench_runs_in_smoke_mode(script):
    # Without a smoke mode, the argument would be ignored and the full run take minutes or hours.
    assert "--smoke" in script.read_text(), f"{script.name} has no --smoke mode"
    if script.name in POSTGRESQL_ONLY and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    if script.name in REDIS_ONLY and not os.environ.get("REDIS_URL"):
        pytest.skip("needs Redis (REDIS_URL)")
    if script.name in OCR_ONLY and not all(shutil.which(c) for c in ("pdftoppm", "tesseract")):
        pytest.skip("needs poppler-utils and tesseract-ocr (chi_sim)")
    started = time.perf_counter()
    done = subprocess.run(  # our own scripts, with the interpreter running the suite
        [sys.executable, str(script), "--smoke"],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=840,
    )
    seconds = time.perf_counter() - started
    output = f"--- stdout\n{done.stdout[-6000:]}\n--- stderr\n{done.stderr[-6000:]}"
    assert done.returncode == 0, f"exit {done.returncode} after {seconds:.0f} s\n{output}"
    # Each smoke run ends on this line once its checks have passed.
    assert done.stdout.rstrip().endswith("smoke: ok"), output
