"""The PDF renderer reads nothing but the project's static files.

Every way HTML and CSS can make WeasyPrint fetch something is tried with ``file://`` and with
``http://`` to a real listener on the loopback. Each test renders the same HTML once more with
WeasyPrint's own fetcher as a control: there each bait is fetched and shows in the PDF (or the
listener sees the request), so a renderer that let one through would fail the test.
"""

import socket
import subprocess
import threading
from pathlib import Path

import pytest
from PIL import Image

from reports.pdf import FetchRefused, _static_url_fetcher, write_pdf
from tests.reports.signing_kit import sample_pdf

LIBERATION = Path("/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf")
TEXT_BAITS = ["link", "import", "img", "object", "embed", "content", "svgimage"]  # SVGs with text


def bait_html(base: str) -> str:
    """HTML that fetches from ``base`` in every way WeasyPrint does."""
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<link rel="stylesheet" href="{base}link.css">
<style>
  @import url("{base}import.css");
  @font-face {{ font-family: Bait; src: url("{base}font.ttf"); }}
  .font {{ font-family: Bait; }}
  .bg {{ background-image: url("{base}bg.png"); width: 60px; height: 20px; }}
  ul {{ list-style-image: url("{base}list.png"); }}
  .content::before {{ content: url("{base}content.svg"); }}
</style>
<link rel="attachment" href="{base}passwd">
</head><body>
<p>运维月报</p>
<p class="font">bait font</p>
<img src="{base}img.svg" alt="">
<object data="{base}object.svg" type="image/svg+xml"></object>
<embed src="{base}embed.svg" type="image/svg+xml">
<div class="bg"></div>
<ul><li>item</li></ul>
<p class="content">content</p>
<svg width="300" height="40" xmlns="http://www.w3.org/2000/svg">
  <image href="{base}svgimage.svg" width="300" height="40"/></svg>
<a rel="attachment" href="{base}attachment.txt">attachment</a>
</body></html>"""


@pytest.fixture
def bait_dir(tmp_path):
    """Files that would show in the PDF if fetched: SVGs and CSS that print LEAK<NAME>, a 9×9
    list bullet, a font, and a copy of /etc/passwd to attach."""
    for name in TEXT_BAITS:
        if name in ("link", "import"):
            where = "before" if name == "link" else "after"
            (tmp_path / f"{name}.css").write_text(f'body::{where} {{ content: "LEAK{name.upper()}" }}')
        else:
            (tmp_path / f"{name}.svg").write_text(
                '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40">'
                f'<text x="5" y="25" font-size="20">LEAK{name.upper()}</text></svg>'
            )
    Image.new("RGB", (9, 9), (0, 160, 0)).save(tmp_path / "list.png")
    Image.new("RGB", (7, 7), (160, 0, 0)).save(tmp_path / "bg.png")
    (tmp_path / "font.ttf").write_bytes(LIBERATION.read_bytes())
    (tmp_path / "passwd").write_bytes(Path("/etc/passwd").read_bytes())
    (tmp_path / "attachment.txt").write_text("secret attachment")
    return tmp_path


def weasyprint_default(html: str) -> bytes:
    """The same HTML rendered by WeasyPrint's own fetcher, which reads files and the network."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(string=html, base_url="static:///", url_fetcher=URLFetcher(timeout=5)).write_pdf()


def poppler(tool: str, pdf: bytes, tmp_path: Path, *args) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def what_leaked(pdf: bytes, tmp_path: Path) -> set[str]:
    text = poppler("pdftotext", pdf, tmp_path)
    leaked = {name for name in TEXT_BAITS if f"LEAK{name.upper()}" in text}
    if "root:" in text:
        leaked.add("passwd text")
    if "Bait" in poppler("pdffonts", pdf, tmp_path):
        leaked.add("font")
    images = poppler("pdfimages", pdf, tmp_path, "-list").splitlines()[2:]
    if any(line.split()[3:5] == ["9", "9"] for line in images):
        leaked.add("list")
    attachments = poppler("pdfdetach", pdf, tmp_path, "-list").splitlines()
    leaked |= {f"attachment {line.split(': ', 1)[1]}" for line in attachments[1:]}
    return leaked


def test_file_urls_are_refused(bait_dir, tmp_path):
    html = bait_html(bait_dir.as_uri() + "/")
    # The control: WeasyPrint's own fetcher reads every one of them.
    assert what_leaked(weasyprint_default(html), tmp_path) == {
        *TEXT_BAITS,
        "font",
        "list",
        "attachment passwd",
        "attachment attachment.txt",
    }
    pdf = write_pdf(html)
    assert what_leaked(pdf, tmp_path) == set()
    assert "运维月报" in poppler("pdftotext", pdf, tmp_path)  # the page itself did render


def test_etc_passwd_is_not_read(tmp_path):
    html = bait_html("file:///etc/")  # the attachment is file:///etc/passwd
    assert "attachment passwd" in what_leaked(weasyprint_default(html), tmp_path)
    pdf = write_pdf(html)
    assert what_leaked(pdf, tmp_path) == set()
    assert "root:" not in poppler("pdftotext", pdf, tmp_path)


class Listener:
    """A real HTTP listener on 127.0.0.1 that records every connection and its request path."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.paths = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            with conn:
                conn.settimeout(2)
                try:
                    request = conn.recv(65536)
                except OSError:
                    request = b""
                self.paths.append(request.split(b" ")[1].decode() if request.count(b" ") >= 2 else "?")
                conn.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> list[str]:
        """The paths requested, once every connection made so far has been answered."""
        self.sock.shutdown(socket.SHUT_RD)
        self.sock.close()
        self.thread.join(timeout=5)
        return sorted(self.paths)


@pytest.fixture
def listener(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)  # the control must reach the listener itself
    server = Listener()
    yield server
    server.sock.close()


def test_no_connection_reaches_a_loopback_listener(listener):
    base = f"http://127.0.0.1:{listener.port}/"
    html = bait_html(base).replace("<head>", f'<head><base href="{base}base/">', 1) + (
        '<img src="relative.png" alt="">'  # relative to the <base>, which is on the listener
    )
    pdf = write_pdf(html)
    assert pdf.startswith(b"%PDF-")
    # The control, after ours: WeasyPrint's fetcher does connect, once per bait.
    weasyprint_default(html)
    assert listener.close() == [
        "/attachment.txt",
        "/base/relative.png",
        "/bg.png",
        "/content.svg",
        "/embed.svg",
        "/font.ttf",
        "/img.svg",
        "/import.css",
        "/link.css",
        "/list.png",
        "/object.svg",
        "/passwd",
        "/svgimage.svg",
    ]


def test_our_render_alone_makes_no_connection(listener):
    write_pdf(bait_html(f"http://127.0.0.1:{listener.port}/"))
    assert listener.close() == []


def font_names(pdf: bytes, tmp_path: Path) -> list[tuple[str, str]]:
    """(font name without its subset tag and dashes, embedded?) of each font in the PDF."""
    rows = poppler("pdffonts", pdf, tmp_path).splitlines()[2:]
    return [(row.split()[0].split("+")[-1].replace("-", ""), row.split()[-5]) for row in rows]


def test_the_frame_uses_the_static_stylesheet_and_embeds_noto_sans_cjk(tmp_path):
    pdf = sample_pdf()
    assert "运维服务月报" in poppler("pdftotext", pdf, tmp_path)
    fonts = font_names(pdf, tmp_path)
    assert fonts
    for name, embedded in fonts:
        assert name.startswith("NotoSansCJKSC") and embedded == "yes", name

    # The control: without reports/pdf.css the same text falls back to other fonts.
    bare = write_pdf('<html lang="zh-CN"><body><h1>运维服务月报</h1><p>Report 12</p></body></html>')
    assert any(not name.startswith("NotoSansCJKSC") for name, _ in font_names(bare, tmp_path))


def test_the_fetcher_serves_static_files_and_nothing_else():
    fetcher = _static_url_fetcher()
    response = fetcher.fetch("static:///reports/pdf.css")
    assert b"Noto Sans CJK SC" in response.read()
    for url in [
        "static:///../om_portal/settings.py",
        "static:///reports/../../om_portal/settings.py",
        "static:///%2e%2e/om_portal/settings.py",
        "static://localhost/reports/pdf.css",
        "static:///reports/pdf.css?x=1",
        "static:///",
        "static:///reports/missing.css",
        "file:///etc/passwd",
        "http://127.0.0.1:9/reports/pdf.css",
        "data:text/css,body{}",
    ]:
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
