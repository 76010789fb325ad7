"""The headers every answer carries (om_portal.middleware.SecurityHeadersMiddleware), and the
refusal of an oversized request before a view reads it. That the policy breaks no page is
checked in a real Chromium by every browser test (tests/e2e/conftest.py)."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict:
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


def test_a_page_allows_scripts_and_styles_only_from_the_portal(client, client_staff_a):
    client.force_login(client_staff_a)
    response = client.get("/")
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_login_page_and_the_api_carry_the_policy_too(client):
    assert "script-src 'self'" in client.get("/accounts/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in client.get("/api/v1/contracts/")["Content-Security-Policy"]


def test_a_download_is_sandboxed(client, contract_a, client_staff_a):
    client.force_login(client_staff_a)
    response = client.get("/contracts/A-2026-OM/assets/export.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_only_the_api_docs_page_may_apply_inline_styles(client, client_staff_a):
    client.force_login(client_staff_a)
    policy = directives(client.get("/api/docs/")["Content-Security-Policy"])
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["script-src"] == ["'self'"]


def test_an_oversized_request_is_refused_before_any_view_reads_it(client, client_staff_a, settings):
    settings.MAX_REQUEST_BYTES = 1000
    client.force_login(client_staff_a)
    response = client.post("/contracts/A-2026-OM/assets/import/", {"mode": "upsert", "note": "x" * 2000})
    assert response.status_code == 413
    assert response["Content-Security-Policy"]


def test_the_default_limit_is_above_every_field_limit():
    assert settings.MAX_REQUEST_BYTES > settings.REPORT_VERIFY_MAX_BYTES
    assert settings.MAX_REQUEST_BYTES > settings.INSPECTION_PHOTO_MAX_BYTES
