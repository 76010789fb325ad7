"""PDF rendering with WeasyPrint: one frame for every report, and a fetcher that reads nothing
but the project's own static files.

Report text comes from users (narratives, incident descriptions), so the renderer must not be a
way to read the server's files or reach the network: the fetcher answers ``static:``
URLs from the staticfiles finders and refuses every other URL, ``file://`` and ``http://``
included. Fonts: the system's Noto Sans CJK SC (``fonts-noto-cjk``) first, else the portal's own
cut of it in ``static/fonts`` (pdf.css), so a machine without CJK fonts still prints Chinese.
"""

import mimetypes
from urllib.parse import urlsplit

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from om_portal.validators import without_bidi_controls

STATIC_SCHEME = "static"
BASE_URL = f"{STATIC_SCHEME}:///"


class FetchRefused(ValueError):
    """A URL outside the project's static files; WeasyPrint logs it and leaves the resource out."""


def _static_url_fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFetcher(URLFetcher):
        """Serves ``static:`` URLs from the staticfiles finders and nothing else: it never
        opens a socket or a path outside them (its parent's openers are never called)."""

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme != STATIC_SCHEME or parts.netloc or parts.query or parts.fragment:
                raise FetchRefused(f"refused to fetch {url!r}: only the project's static files are served")
            name = parts.path.lstrip("/")
            if not name or ".." in name.split("/"):
                raise FetchRefused(f"refused to fetch {url!r}")
            path = finders.find(name)
            if not path:
                raise FetchRefused(f"no static file {name!r}")
            with open(path, "rb") as fh:
                body = fh.read()
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": content_type})

    return StaticFetcher()


def render_html(template: str, context: dict) -> str:
    return render_to_string(template, context)


def document(html: str):
    """A laid-out WeasyPrint document (pages and bookmarks), for writing or for combining."""
    from weasyprint import HTML  # imported late: it loads Pango, which the web pages do not need

    # A vendor's description or narrative reads in the order it was typed: bidirectional
    # controls would let it reorder what the signed page shows (issue 14).
    html = without_bidi_controls(html)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=_static_url_fetcher()).render()


def write_pdf(html: str) -> bytes:
    return document(html).write_pdf()


def combine(documents) -> bytes:
    """One PDF of several documents, their pages and bookmarks one after the other."""
    documents = list(documents)
    pages = [page for doc in documents for page in doc.pages]
    return documents[0].copy(pages).write_pdf()
