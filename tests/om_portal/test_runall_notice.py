"""make run says once, at start, what the machine lacks for PDFs (not in every render's log)."""

import pytest

from om_portal.management.commands import runall


def test_a_machine_with_everything_hears_nothing():
    from weasyprint.text import ffi

    if ffi.harfbuzz_subset is None:
        pytest.skip("this machine lacks libharfbuzz-subset0")
    assert runall._pdf_problem() == ""


def test_missing_harfbuzz_subset_is_named_with_its_package(monkeypatch):
    from weasyprint.text import ffi

    monkeypatch.setattr(ffi, "harfbuzz_subset", None)
    assert "libharfbuzz-subset0" in runall._pdf_problem()
