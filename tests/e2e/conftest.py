"""Fixtures for the browser tests: one headless Chromium per test module, a fresh context per test.

Every request that leaves the live server is aborted and recorded, so a test can assert that the
page loaded nothing from a CDN: police networks have none.
"""

import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import override_settings

from contracts.management.commands.seed_demo import DEMO_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed (pip install playwright)"
    )
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    # Playwright's sync API keeps an event loop running in this thread, and Django refuses ORM
    # calls from such a thread unless told otherwise. Module scope stops the loop, and restores
    # the environment, before the next module's tests run.
    with pytest.MonkeyPatch.context() as patch, sync_api.sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def blocked():
    """The URLs of the requests the page tried to make outside the live server."""
    return []


@pytest.fixture
def page(browser, live_server, blocked):
    # The browser asks for English (as many bureau workstations do): the portal must still
    # answer in Chinese until the user picks English. A new context starts with no cookies.
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    own_origin = urlsplit(live_server.url).netloc

    def only_live_server(route):
        if urlsplit(route.request.url).netloc == own_origin:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_live_server)
    page = context.new_page()
    # The portal's Content Security Policy allows only its own files: a page that needs an inline
    # script or style the policy refuses is broken for its users, so every test checks for one.
    refused = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield page
    context.close()
    assert not refused, f"the Content Security Policy refused: {refused}"


@pytest.fixture
def demo(transactional_db):
    # seed_demo refuses to run with DEBUG off, and pytest-django turns DEBUG off for tests.
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def log_in(page, live_server, demo):
    """log_in(username) → signs the page in as that demo user through the login form."""

    def sign_in(username):
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("form:has(input[name=password]) button[type=submit]")
        assert page.url == f"{live_server.url}/", f"login as {username} did not reach the home page"
        return page

    return sign_in


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
