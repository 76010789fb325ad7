"""The portal in a real headless Chromium, as a bureau's staff meet it.

Proves that the pages come up in Chinese by default and switch to English, that the navigation
fits a tablet held upright with touch-sized links, that Swagger UI renders from the portal's own
static files, that a contract of other parties is a 404 - and that no page fetches anything from
outside the portal, since police networks have no CDN.
"""

import pytest

pytestmark = pytest.mark.e2e

NAV_ZH = ["首页", "合同", "故障", "巡检", "报告"]
TABLET = {"width": 768, "height": 1024}
TOUCH_TARGET_PX = 44


def test_home_page_is_chinese(log_in, blocked, artifacts):
    page = log_in("client_manager")

    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.inner_text(".brand") == "运维合同管理平台"
    assert page.locator("#mainnav a").all_inner_texts() == NAV_ZH
    assert page.get_by_role("link", name="BJ-2026-RP").is_visible()
    page.screenshot(path=artifacts / "home-zh.png", full_page=True)
    assert blocked == []


def test_tablet_portrait_keeps_navigation_open_and_touchable(log_in, blocked, artifacts):
    page = log_in("client_manager")
    page.set_viewport_size(TABLET)

    # The menu button is for phones; at 768 px the links themselves must show.
    assert not page.is_visible(".nav-toggle")
    links = page.locator("#mainnav a")
    assert links.all_inner_texts() == NAV_ZH
    for link in links.all():
        assert link.is_visible()
        box = link.bounding_box()
        assert box["height"] >= TOUCH_TARGET_PX, f"{link.inner_text()} is {box['height']} px tall"
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= TABLET["width"], f"the page scrolls sideways ({scroll_width} px wide)"
    page.screenshot(path=artifacts / "home-tablet.png", full_page=True)
    assert blocked == []


def test_language_switch_to_english(log_in, blocked):
    page = log_in("client_manager")

    # The select submits its form from portal.js; no button is shown while JavaScript runs.
    with page.expect_navigation():
        page.select_option("select#language", label="English")

    assert page.get_attribute("html", "lang") == "en"
    assert "Contracts" in page.locator("#mainnav a").all_inner_texts()
    assert blocked == []


def test_api_docs_render_without_cdn(log_in, live_server, blocked):
    page = log_in("client_manager")

    response = page.goto(f"{live_server.url}/api/docs/")
    assert response.status == 200
    # Operations appear only once the Swagger UI bundle has run and fetched the schema.
    page.wait_for_selector(".opblock-tag", timeout=15_000)
    # Resources are folded under a tag each; opening one shows its operations.
    page.locator(".opblock-tag", has_text="contracts").first.click()
    assert page.get_by_text("/api/v1/contracts/", exact=True).first.is_visible()
    assert blocked == []


def test_contract_of_other_parties_is_not_found(log_in, live_server, blocked):
    page = log_in("vendor_engineer")

    # Not 403: a contract the user has no part in must not even be shown to exist.
    assert page.goto(f"{live_server.url}/contracts/ZH-2023-SPS/").status == 404
    assert page.goto(f"{live_server.url}/contracts/BJ-2026-RP/").status == 200
    assert blocked == []


def test_contract_tabs_on_a_tablet(log_in, live_server, blocked, artifacts):
    page = log_in("client_manager")
    page.set_viewport_size(TABLET)
    for tab in ["", "items/", "sla/", "penalties/", "milestones/", "staff/", "assets/"]:
        response = page.goto(f"{live_server.url}/contracts/BJ-2026-RP/{tab}")
        assert response.status == 200, tab
        # The tab strip scrolls inside itself; the page never scrolls sideways.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= TABLET["width"], f"{tab or 'overview'} is {width} px wide"
    page.goto(f"{live_server.url}/contracts/BJ-2026-RP/")
    # Seed 003 runs to 2027-05-28, past the known official calendar (2026): the page says so, as
    # a quiet note to those who cannot enter the calendar (the red alert is the administrators').
    assert page.locator(".calendar-note", has_text="2026").count() >= 1
    assert page.locator(".message.error", has_text="2027").count() == 0
    page.screenshot(path=artifacts / "contract-tablet.png", full_page=True)
    assert blocked == []
