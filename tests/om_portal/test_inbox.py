"""The inbox: each person's own items on the page and in the API, marking read, the bell's one
query; SITE_URL under check --deploy."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from contracts.notify import notify_event
from om_portal import checks
from om_portal.models import InboxItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(contract_a, vendor_manager_a, client_manager_a, outsider):
    """Two notices for contract A's vendor manager (one also for its client manager), one for
    the outsider's own contract."""

    def emit(code, contract, key, **params):
        return notify_event(code, contract, params=params, link="/contracts/", dedupe_key=key)

    emit("payment.overdue", contract_a, "p1", milestone="首付款", amount="1,000.00", due="2026-01-01", days=3)
    emit("complaint.new", contract_a, "c1", subject="响应慢", by="客户")
    return {
        "mine": list(InboxItem.objects.filter(user=vendor_manager_a).order_by("pk")),
        "theirs": InboxItem.objects.get(user=client_manager_a, kind="payment.overdue"),
    }


def api_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_api_lists_only_the_callers_items_and_filters_them(items, vendor_manager_a, outsider):
    api = api_for(vendor_manager_a)
    listed = api.get("/api/v1/inbox/").json()
    assert sorted(row["id"] for row in listed["results"]) == sorted(i.pk for i in items["mine"])
    row = next(row for row in listed["results"] if row["kind"] == "payment.overdue")
    assert row["contract"] == "A-2026-OM" and row["read_at"] is None
    assert row["link"].startswith("http") and row["link"].endswith("/contracts/")
    assert [r["kind"] for r in api.get("/api/v1/inbox/?kind=complaint.new").json()["results"]] == [
        "complaint.new"
    ]
    assert api.get("/api/v1/inbox/?kind=nonsense").status_code == 400
    assert api_for(outsider).get("/api/v1/inbox/").json()["count"] == 0
    # Another person's item is not found, not shown.
    assert api_for(outsider).get(f"/api/v1/inbox/{items['theirs'].pk}/").status_code == 404


def test_marking_read_through_the_api_touches_only_the_callers_items(items, vendor_manager_a):
    api = api_for(vendor_manager_a)
    theirs = items["theirs"]
    answer = api.post("/api/v1/inbox/read/", {"ids": [theirs.pk]}, format="json").json()
    assert answer == {"marked": 0, "unread": 2}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    first = items["mine"][0]
    assert api.post("/api/v1/inbox/read/", {"ids": [first.pk]}, format="json").json() == {
        "marked": 1,
        "unread": 1,
    }
    assert api.get("/api/v1/inbox/?unread=true").json()["count"] == 1
    assert api.post("/api/v1/inbox/read/", {}, format="json").status_code == 400
    assert api.post("/api/v1/inbox/read/", {"ids": ["x"]}, format="json").status_code == 400
    assert api.post("/api/v1/inbox/read/", {"all": True}, format="json").json() == {"marked": 1, "unread": 0}
    assert api.get("/api/v1/inbox/unread/").json() == {"unread": 0}


def test_the_page_filters_opens_and_marks_read(client, items, vendor_manager_a, client_manager_a):
    client.force_login(vendor_manager_a)
    page = client.get("/inbox/?unread=yes&kind=complaint.new")
    assert page.status_code == 200
    html = page.content.decode()
    assert "响应慢" in html and "首付款" not in html
    # A value the filter cannot read is a message, never a 500.
    assert client.get("/inbox/?kind=nonsense&unread=maybe").status_code == 200

    first = items["mine"][0]
    opened = client.get(f"/inbox/{first.pk}/open/")
    assert (opened.status_code, opened["Location"]) == (302, "/contracts/")
    first.refresh_from_db()
    assert first.read_at is not None
    # Someone else's item: not found, and left unread.
    assert client.get(f"/inbox/{items['theirs'].pk}/open/").status_code == 404
    client.post("/inbox/read/", {"item": [str(items["theirs"].pk)], "next": "https://evil.example/"})
    items["theirs"].refresh_from_db()
    assert items["theirs"].read_at is None
    done = client.post("/inbox/read/", {"all": "1", "next": "https://evil.example/"})
    assert done["Location"] == "/inbox/"
    assert not InboxItem.objects.filter(user=vendor_manager_a, read_at__isnull=True).exists()
    assert client.post("/inbox/read/", {"item": ["1; drop"]}).status_code == 302
    assert client.get("/inbox/read/").status_code == 405


def test_the_bell_counts_with_one_query(client, items, vendor_manager_a):
    client.force_login(vendor_manager_a)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/contracts/").content.decode()
    assert 'class="bell-count"' in html and ">2</span>" in html
    inbox_queries = [q["sql"] for q in queries.captured_queries if "om_portal_inboxitem" in q["sql"]]
    assert len(inbox_queries) == 1, inbox_queries
    InboxItem.objects.update(read_at="2026-01-01T00:00:00Z")
    assert 'class="bell-count"' not in client.get("/contracts/").content.decode()


def test_check_deploy_warns_about_site_url(settings, monkeypatch):
    monkeypatch.delenv("SITE_URL", raising=False)
    assert [w.id for w in checks.check_site_url()] == ["om_portal.W020"]
    monkeypatch.setenv("SITE_URL", "http://portal.example.gov.cn")
    settings.SITE_URL = "http://portal.example.gov.cn"
    assert [w.id for w in checks.check_site_url()] == ["om_portal.W021"]
    monkeypatch.setenv("SITE_URL", "https://portal.example.gov.cn")
    settings.SITE_URL = "https://portal.example.gov.cn"
    assert checks.check_site_url() == []
