"""PDF rendering with WeasyPrint: one frame for every report, and a fetcher that reads nothing
but the project's own static files.

Report text comes from users (narratives, incident descriptions), so the renderer must not be a
way to read the server's files or reach the network: the fetcher answers ``static:``
URLs from the staticfiles finders and refuses every other URL, ``file://`` and ``http://``
included. Fonts: the system's Noto Sans CJK SC (``fonts-noto-cjk``) first, else the portal's own
cut of it in ``static/fonts`` (pdf.css), so a machine without CJK fonts still prints Chinese.

A long document is laid out in parts (reports.parts) by one ``Renderer``: its parts share the
font configuration, the fetcher and pdf.css parsed once.
"""

import contextlib
import ctypes
import gc
import mimetypes
from urllib.parse import urlsplit

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from om_portal.validators import without_bidi_controls

STATIC_SCHEME = "static"
BASE_URL = f"{STATIC_SCHEME}:///"
STYLESHEET = "reports/pdf.css"


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


# Collections while a long PDF is laid out (see rarely_collected). Python's default (700, 10, 10)
# ran about 850 collections for a part of 22 pages, a fifth of its CPU time; these run about 30.
LAYOUT_GC_THRESHOLD = (20_000, 50, 1_000)


@contextlib.contextmanager
def rarely_collected():
    """Let the cyclic garbage collector run rarely while a document is laid out and written.

    WeasyPrint makes hundreds of thousands of long-lived objects (boxes, computed styles) and
    few cycles to free before the document is let go: at Python's default thresholds the
    collector walks them again and again for nothing. The caller frees the document's cycles
    itself (reports.parts collects after each part), so memory stays bounded by the part."""
    before = gc.get_threshold()
    gc.set_threshold(*LAYOUT_GC_THRESHOLD)
    # What lived before (Django, WeasyPrint, the report's data) is set aside for the while: the
    # collections after each part then walk that part's objects only. Given back at the end, so
    # that a worker that renders again collects it as before.
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def give_back_freed():
    """Hand the memory a laid-out part freed back to the system (glibc's malloc_trim): the next
    part reuses most of it anyway, but what stays mapped counts against the render while a
    forked half runs beside it (the annual report's two halves, sampled as bench/reports.py
    does: 374-376 MB with it, 394 MB without). Elsewhere than glibc, nothing."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return
    trim(0)


def render_html(template: str, context: dict) -> str:
    return render_to_string(template, context)


def document(html: str):
    """A laid-out WeasyPrint document (pages and bookmarks), in one pass."""
    from weasyprint import HTML  # imported late: it loads Pango, which the web pages do not need

    # A vendor's description or narrative reads in the order it was typed: bidirectional
    # controls would let it reorder what the signed page shows (issue 14).
    html = without_bidi_controls(html)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=_static_url_fetcher()).render()


def write_pdf(html: str) -> bytes:
    return document(html).write_pdf()


class Renderer:
    """Lays out documents that take pdf.css from here rather than from a ``<link>``: the parts of
    one long PDF and its footers. Fonts, fetcher and stylesheet are made once for all of them, so
    a part costs its own boxes only."""

    def __init__(self):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.fonts = FontConfiguration()
        self.fetcher = _static_url_fetcher()
        # A user stylesheet: the document's own <style> (the header's words, a part's blank
        # footer) is an author's and wins over it, as it did over the linked one.
        self.stylesheets = [CSS(url=BASE_URL + STYLESHEET, url_fetcher=self.fetcher, font_config=self.fonts)]

    def document(self, html: str):
        from weasyprint import HTML

        html = without_bidi_controls(html)
        return HTML(string=html, base_url=BASE_URL, url_fetcher=self.fetcher).render(
            font_config=self.fonts, stylesheets=self.stylesheets
        )
