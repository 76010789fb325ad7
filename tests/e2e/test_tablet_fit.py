"""Every main page of every role fits a tablet held upright (768 × 1024), in a real Chromium.

Issue 18, item 8: the dashboard's table by contract ran past the right edge with nothing to say
there was more. Each demo user logs in through the form (the second factor included, from the
demo's authenticator), then opens the pages its navigation offers, the sections those pages
tab to, and the first object each list links to. A page fails when it is wider than the screen,
when something ends past the screen's edge (or past the edge of a box that hides it) and cannot
be scrolled to, or when a box scrolls sideways without the visible hint that it does
(static/js/portal.js, static/css/portal.css). A screenshot of each page lands in the test's own
temporary folder.

One browser, one context per role; the pages come from the links themselves, so a page added to
the navigation tomorrow is walked too.
"""

import contextlib
import io
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import override_settings

from contracts.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERS
from om_portal.auth import otp

pytestmark = pytest.mark.e2e

TABLET = {"width": 768, "height": 1024}
OTP_ROLES = ["client_manager", "administrator", "security_admin", "auditor"]
# Pages the walk never opens: downloads, the language switch, the API and Django's admin.
NOT_PAGES = (".pdf", ".csv", ".xlsx", ".json", "/logout/", "/i18n/", "/api/", "/admin/", "/media/")

# What the page shows that cannot be reached. Runs in the page; returns one line per problem.
CUT_OFF = """
() => {
  const width = innerWidth, problems = [];
  const page = document.documentElement.scrollWidth;
  if (page > width) problems.push(`the page is ${page} px wide, the screen ${width} px`);
  const name = (el) => {
    const cls = typeof el.className === "string" ? el.className.trim().split(/\\s+/).filter(Boolean) : [];
    return el.tagName.toLowerCase() + cls.map((c) => "." + c).join("")
      + " «" + (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40) + "»";
  };
  const clipping = (el) => {
    for (let box = el.parentElement; box && box !== document.documentElement; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== "visible") return box;
    }
    return null;
  };
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest(".visually-hidden")) continue;
    const style = getComputedStyle(el);
    const scrolls = style.overflowX === "auto" || style.overflowX === "scroll";
    if (scrolls && el.scrollWidth > el.clientWidth + 1) {
      const hint = el.previousElementSibling;
      const shown = el.classList.contains("table-scroll") && hint && hint.classList.contains("scroll-hint")
        && !hint.hidden && hint.getBoundingClientRect().height > 0;
      if (!shown) problems.push(`${name(el)} scrolls sideways with no visible hint`);
    }
    const rect = el.getBoundingClientRect();
    if (rect.width < 1 || rect.height < 1) continue;
    const box = clipping(el);
    const overflow = box ? getComputedStyle(box).overflowX : "visible";
    if (overflow === "auto" || overflow === "scroll") continue;  // reached by scrolling: above
    const edge = box ? Math.min(box.getBoundingClientRect().right, width) : width;
    if (rect.right > edge + 1) {
      problems.push(`${name(el)} ends at ${Math.round(rect.right)} px, past ${Math.round(edge)} px`);
    }
  }
  return problems.slice(0, 10);
}
"""
# The links a walk follows: the main navigation, section tabs, and the first row of a list.
LINKS = """
() => ({
  nav: [...document.querySelectorAll("#mainnav a")].map((a) => a.href),
  tabs: [...document.querySelectorAll("nav.tabs a")].map((a) => a.href),
  first: [...document.querySelectorAll("table.table tbody a")].map((a) => a.href).slice(0, 1),
})
"""


@pytest.fixture
def demo_with_second_factor(transactional_db, settings):
    """The demo's data and users, the roles that need a second factor enrolled with the demo's
    authenticator (the suite turns the second factor off; here it is on, as in production)."""
    settings.OTP_REQUIRED_ROLES = OTP_ROLES
    # The demo's commands refuse to run with DEBUG off, as pytest-django runs tests.
    with override_settings(DEBUG=True):
        for command in ("seed_demo", "seed_demo_incidents", "seed_demo_reports"):
            call_command(command, stdout=io.StringIO())
        call_command("seed_demo_inspections", port=8000, stdout=io.StringIO())


def _log_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("form:has(input[name=password]) button[type=submit]")
    if "/account/second-factor/" in page.url:
        from django.contrib.auth import get_user_model

        device = otp.demo_device(get_user_model().objects.get(username=username))
        page.fill("input[name=code]", otp.current_code(device))
        with page.expect_navigation():
            page.click("form:has(input[name=code]) button[type=submit]")
    assert urlsplit(page.url).path == "/", f"{username} did not reach the home page: {page.url}"


class Walk:
    """One role's walk: the home page, what its navigation links to, every section tab met on
    the way, and the first object of each list the navigation leads to; each address once."""

    def __init__(self, username, page, base):
        self.username, self.page, self.origin = username, page, urlsplit(base).netloc
        self.todo, self.seen = [(f"{base}/", "nav")], set()
        self.current = None

    def next(self):
        while self.todo:
            url, kind = self.todo.pop(0)
            url = urlsplit(url)._replace(fragment="").geturl()
            parts = urlsplit(url)
            if url in self.seen or parts.netloc != self.origin or any(p in parts.path for p in NOT_PAGES):
                continue
            self.seen.add(url)
            self.current = (url, kind)
            return url
        self.current = None
        return None

    def follow(self, links):
        kind = self.current[1]
        self.todo += [(url, "nav") for url in links["nav"]] + [(url, "tab") for url in links["tabs"]]
        if kind == "nav":
            self.todo += [(url, "detail") for url in links["first"]]


def test_every_main_page_of_every_role_fits_a_tablet(browser, live_server, demo_with_second_factor, tmp_path):
    origin = urlsplit(live_server.url).netloc
    outside, refused, walks, contexts = [], [], [], []
    for username, _role, _organization in DEMO_USERS:
        context = browser.new_context(viewport=TABLET, locale="zh-CN")
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if urlsplit(route.request.url).netloc == origin
                else (outside.append(route.request.url), route.abort())
            ),
        )
        page = context.new_page()
        # The wrapping and the hint come from the portal's own script: a policy refusal breaks them.
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        _log_in(page, live_server.url, username)
        contexts.append(context)
        walks.append(Walk(username, page, live_server.url))
    problems, visited = {}, 0
    # The roles walk side by side: each one's next page is asked for at once, then each is read.
    while True:
        going = [(walk, url) for walk in walks if (url := walk.next())]
        if not going:
            break
        with contextlib.ExitStack() as stack:
            waits = [
                stack.enter_context(walk.page.expect_navigation(wait_until="domcontentloaded"))
                for walk, _url in going
            ]
            for walk, url in going:
                walk.page.evaluate("(url) => { window.location.href = url; }", url)
        for (walk, url), wait in zip(going, waits, strict=True):
            status = wait.value.status if wait.value else None
            assert status == 200, f"{walk.username}: {url} answered {status}"
            visited += 1
            shot = f"{walk.username}-{len(walk.seen):02d}.jpeg"
            walk.page.screenshot(path=tmp_path / shot, type="jpeg", quality=60)
            found = walk.page.evaluate(CUT_OFF)
            if found:
                problems[f"{walk.username} {urlsplit(url).path} ({shot})"] = found
            walk.follow(walk.page.evaluate(LINKS))
    for context in contexts:
        context.close()
    assert not outside, f"pages asked for files outside the portal: {outside}"
    assert not refused, f"the Content Security Policy refused: {refused}"
    assert visited >= 5 * len(DEMO_USERS), f"only {visited} pages were walked"
    assert problems == {}, "\n".join(f"{where}: {found}" for where, found in problems.items())
