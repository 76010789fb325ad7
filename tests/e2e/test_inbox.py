"""The inbox on a tablet held upright (768 × 1024), in a real headless Chromium: the bell's unread
count in the top bar, the list with its filters, one tap to the incident, marking everything read."""

import pytest
from django.contrib.auth import get_user_model

from contracts.models import Contract
from incidents import services
from om_portal.models import InboxItem

pytestmark = pytest.mark.e2e

TABLET = {"width": 768, "height": 1024}
TOUCH_TARGET_PX = 44


def unread(user):
    return InboxItem.objects.filter(user=user, read_at__isnull=True).count()


def bell_count(page):
    badge = page.locator("[data-testid=inbox-bell] .bell-count")
    return badge.inner_text() if badge.count() else ""


def assert_fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"], f"the page is {width} px wide on a {TABLET['width']} px tablet"


def test_the_bell_and_the_inbox_on_a_tablet(log_in, live_server, blocked, artifacts):
    page = log_in("client_manager")
    page.set_viewport_size(TABLET)
    manager = get_user_model().objects.get(username="client_manager")
    staff = get_user_model().objects.get(username="client_staff")
    contract = Contract.objects.get(code="BJ-2026-RP")
    # Two emergencies reported by the client's staff: each is for the client manager.
    first = services.report_incident(
        contract, by=staff, title="人口库同步中断", source="phone", severity="emergency"
    )
    second = services.report_incident(
        contract, by=staff, title="居住证打印服务宕机", source="phone", severity="emergency"
    )
    count = unread(manager)
    assert count >= 2

    page.goto(f"{live_server.url}/")
    bell = page.locator("[data-testid=inbox-bell]")
    assert bell.is_visible()
    box = bell.bounding_box()
    assert box["x"] + box["width"] <= TABLET["width"] and box["height"] >= TOUCH_TARGET_PX
    assert bell_count(page) == (str(count) if count <= 99 else "99+")

    with page.expect_navigation():
        bell.click()
    assert page.url == f"{live_server.url}/inbox/"
    assert_fits(page)
    page.screenshot(path=str(artifacts / "inbox-tablet.png"), full_page=True)

    # Only the unread emergencies of BJ-2026-RP.
    page.select_option("select[name=kind]", "incident.emergency")
    page.select_option("select[name=contract]", "BJ-2026-RP")
    page.select_option("select[name=unread]", "yes")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    items = page.locator(".inbox-item")
    texts = items.all_inner_texts()
    assert any("居住证打印服务宕机" in text for text in texts) and any(
        "人口库同步中断" in text for text in texts
    )
    assert all("紧急故障" in text for text in texts)
    assert_fits(page)

    # One tap from the item to its incident; the item is read on the way.
    link = page.locator(".inbox-item", has_text="居住证打印服务宕机").locator("a.inbox-link")
    assert link.bounding_box()["height"] >= TOUCH_TARGET_PX
    with page.expect_navigation():
        link.click()
    assert page.url == f"{live_server.url}/incidents/{second.pk}/"
    assert "居住证打印服务宕机" in page.locator("h1").inner_text()
    assert unread(manager) == count - 1
    assert bell_count(page) == str(count - 1)

    # Back in the inbox: mark everything read, and the bell falls silent.
    page.goto(f"{live_server.url}/inbox/")
    with page.expect_navigation():
        page.click("button[name=all]")
    assert unread(manager) == 0
    assert bell_count(page) == ""
    assert page.locator(".inbox-item.unread").count() == 0
    assert first.pk and blocked == []
