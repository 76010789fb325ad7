"""Issue 18, item 7: every page reads in Chinese.

The demo's data and one user per role (``make run``'s, without the eight weeks of history); each
user walks the portal under zh-hans from the home page, following every link a page offers (lists,
details, forms; one page per route and kind of object, downloads left out), as
tests/test_no_raw_codes.py reads pages: the text a person sees, not attributes or scripts. A page
fails on

- an English word that is neither in the allow-list below (product names, protocols, units, file
  types: words a Chinese page writes in Latin letters too) nor in the data itself (a contract's
  code, a user name, an asset's model typed by its people are theirs, not the portal's words);
- a raw code (``sla_arrival``, ``contracts.breach``);
- a date, time or datetime input filled in a format the browser refuses (it must be 2026-12-07,
  09:30, 2026-12-07T09:30 whatever the language).
"""

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models
from django.test import Client, override_settings
from django.urls import Resolver404, resolve
from django.utils import translation

from contracts.management.commands.seed_demo import DEMO_USERS
from tests.test_no_raw_codes import _Text, raw_codes

pytestmark = pytest.mark.django_db

# Words a Chinese page writes in Latin letters: protocols, standards, products, units, file types.
ALLOWED = {
    *[
        "SEC",  # the start of a DingTalk robot's signing secret, shown as an example
        "SLA",
        "PDF",
        "JPEG",  # the photo formats a tablet's inspection round takes (its form's hint)
        "PNG",
        "WebP",
        "API",
        "CSV",
        "URL",
        "HTTP",
        "HTTPS",
        "TCP",
        "UDP",
        "ICMP",
        "TLS",
        "SSL",
        "DNS",
        "IP",
        "IPv",
        "CIDR",
        "LPR",
        "TOTP",
        "JSON",
        "UTF",
    ],
    *[
        "CPU",
        "GPU",
        "UPS",
        "SNMP",
        "SHA",
        "MD",
        "AES",
        "DES",
        "RSA",
        "Ping",
        "SMTP",
        "WeCom",
        "DingTalk",
        "Webhook",
    ],
    *["PostgreSQL", "MySQL", "MariaDB", "Oracle", "Redis", "Excel", "Windows", "Linux", "Prometheus"],
    *["ms", "KB", "MB", "GB", "TB", "Kbit", "Mbit", "Gbit", "bps", "Mbps", "Gbps"],
    *["xlsx", "csv", "pdf", "jpg", "png", "txt", "docx"],
    *["GET", "POST", "PUT", "PATCH", "DELETE"],
    "QQ",  # a way incidents are reported (Tencent QQ)
    *["node", "exporter", "node_exporter"],  # Prometheus's node_exporter, a kind of check
    *["true", "false", "null"],  # JSON's literals, in a check's help text
    "English",  # the language menu names each language in its own words
}
WORD = re.compile(r"[A-Za-z]{2,}")
# Pages the walk does not open: downloads, the language switch, the API, Django's admin.
NOT_PAGES = re.compile(r"(\.(pdf|csv|xlsx|json)$|/logout/|/i18n/|/api/|/admin/|/media/|/photos/|package\.)")
# What a browser's inputs accept as a value.
HTML_VALUES = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "time": re.compile(r"\d{2}:\d{2}(:\d{2})?"),
    "datetime-local": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?"),
}
PROJECT_APPS = {"identity", "contracts", "incidents", "inspections", "reports"}
# Fields that hold no one's words: hashes, keys, tokens, certificates, and codes the portal
# writes itself (a breach's source, a timeline event's values, a file's type).
NOT_WORDS = re.compile(
    r"password|hash|sha|^key$|token|pem|fingerprint|secret|digest|serial|signature|content_type"
    r"|source_ref|from_value|to_value"
)
# Route arguments that name one object: pages differing only in them are the same page.
# A calendar's year is one page whatever the year: walking every linked year would take 130 pages.
OBJECT_ARGS = {"pk", "code", "number", "item_id", "asset_id", "membership", "year"}


class _Page(HTMLParser):
    """A page's links and its date/time inputs' values."""

    def __init__(self):
        super().__init__()
        self.links, self.inputs = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "input" and attrs.get("type") in HTML_VALUES and attrs.get("value"):
            self.inputs.append((attrs.get("name"), attrs["type"], attrs["value"]))


class _Reading(_Text):
    """As test_no_raw_codes reads a page, and without <code>: a hash, a serial number, a command
    to type are shown as they are, on purpose."""

    SKIP = _Text.SKIP | {"code"}


def visible_text(html: str) -> str:
    parser = _Reading()
    parser.feed(html)
    return " ".join(parser.parts)


# Examples of what to type, which are typed as they are: a URL, a “quoted” value without Chinese.
EXAMPLES = re.compile(r"https?://\S*|“[^“”\u4e00-\u9fff]*”")


def _data_words() -> set[str]:
    """The Latin words (and code-like names) in what people entered: text fields of every model of
    the project and the accounts, not fields holding a code (choices) nor the audit trail and
    messages (the portal's own words)."""
    words = set()
    user_model = get_user_model()
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS and model is not user_model:
            continue
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
            and not f.choices
            and not NOT_WORDS.search(f.name)
        ]
        for row in model._default_manager.values_list(*fields) if fields else []:
            for value in row:
                words.update(WORD.findall(value or ""))
                words.update(raw_codes(value or ""))
    return words


@pytest.fixture
def demo(settings):
    # In the portal's own language, whatever an earlier test in this process left active: what
    # the demo writes (notices, audit lines) is written as the portal writes it.
    with override_settings(DEBUG=True), translation.override(settings.LANGUAGE_CODE):
        for command in ("seed_demo", "seed_demo_incidents", "seed_demo_reports"):
            call_command(command, stdout=io.StringIO())
        call_command("seed_demo_inspections", port=8000, stdout=io.StringIO())


def _shape(path: str):
    """The page a path is an instance of: its route and the arguments that are not an object."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name, tuple(sorted((k, v) for k, v in match.kwargs.items() if k not in OBJECT_ARGS))


def _walk(user):
    """Every page the user reaches by links from the home page, one per shape: {path: html}."""
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    todo, shapes, pages, refused = ["/"], set(), {}, {}
    while todo:
        path = todo.pop(0)
        shape = _shape(path)
        if shape is None or shape in shapes:
            continue
        shapes.add(shape)
        response = client.get(path)
        if response.status_code in (301, 302, 303) and not response["Location"].startswith("/login"):
            todo.append(urlsplit(response["Location"]).path)  # a link that opens its object
            continue
        if response.status_code != 200:
            refused[path] = response.status_code
            continue
        if "text/html" not in response["Content-Type"]:
            continue
        html = response.content.decode()
        pages[path] = html
        parser = _Page()
        parser.feed(html)
        for href in parser.links:
            parts = urlsplit(href)
            if not parts.netloc and parts.path.startswith("/") and not NOT_PAGES.search(parts.path):
                todo.append(parts.path)
    return pages, refused


def test_every_page_of_every_role_reads_in_chinese(demo):
    allowed = ALLOWED | _data_words()
    found, walked = {}, 0
    for username, _role, _organization in DEMO_USERS:
        pages, refused = _walk(get_user_model().objects.get(username=username))
        walked += len(pages)
        # A link the role is offered leads somewhere it may go.
        for path, status in refused.items():
            found[f"{username} {path}"] = [f"the page answered {status}"]
        for path, html in pages.items():
            text = EXAMPLES.sub(" ", visible_text(html))
            problems = sorted(set(WORD.findall(text)) - allowed)
            problems += [f"code {code}" for code in sorted(raw_codes(text) - allowed)]
            parser = _Page()
            parser.feed(html)
            problems += [
                f"{name}={value!r} is not a {kind} input's format"
                for name, kind, value in parser.inputs
                if not HTML_VALUES[kind].fullmatch(value)
            ]
            if problems:
                found[f"{username} {path}"] = problems
    # Lists, details and forms of every section, for each of the seven roles.
    assert walked >= 150, walked
    assert found == {}, "\n".join(f"{page}: {problems}" for page, problems in found.items())


def test_an_accounts_state_has_words_of_its_own(client, make_user, client_org_a):
    # It read 未办结, an incident's "Open": an open account is 正常, a closed one 已停用.
    from contracts.models import Role

    security = make_user(Role.SECURITY_ADMIN, client_org_a)
    closed = make_user(Role.CLIENT_STAFF, client_org_a, is_active=False)
    client.force_login(security)
    client.cookies["django_language"] = "zh-hans"
    listing = visible_text(client.get("/users/").content.decode())
    assert "正常" in listing and "已停用" in listing and "未办结" not in listing
    detail = visible_text(client.get(f"/users/{closed.pk}/").content.decode())
    assert "已停用" in detail and "未办结" not in detail
