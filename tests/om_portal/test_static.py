"""Police networks are closed: nothing the pages load may come from outside the portal."""

import re

import pytest

from tests.om_portal.helpers import ROOT

EXTERNAL = re.compile(
    r"""(?:src|href)\s*=\s*["']\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import\s+["']?(?:https?:)?//"""
)


def test_no_template_or_static_file_loads_from_another_host():
    offenders = []
    for folder in ("templates", "static"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".html", ".css", ".js"} and EXTERNAL.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.django_db
def test_api_docs_load_their_assets_from_the_portal(client, client_staff_a):
    client.force_login(client_staff_a)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert any("swagger-ui" in asset for asset in assets)
    assert [asset for asset in assets if not asset.startswith("/")] == []
    for asset in assets:
        if asset.startswith("/static/"):
            assert client.get(asset).status_code == 200, asset


@pytest.mark.django_db
def test_api_docs_and_schema_need_login(client):
    assert client.get("/api/docs/").status_code == 302
    assert client.get("/api/schema/").status_code in (401, 403)


@pytest.mark.django_db
def test_schema_describes_the_contracts_api(client, client_staff_a):
    client.force_login(client_staff_a)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/v1/contracts/{code}/" in response.json()["paths"]


@pytest.mark.django_db
def test_stylesheet_is_served_by_whitenoise(client):
    response = client.get("/static/css/portal.css")
    assert response.status_code == 200
    assert b"--touch" in b"".join(response.streaming_content)
