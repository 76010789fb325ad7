"""A contract's text from the file a person uploads: ``.txt`` (UTF-8 or GB 18030), ``.docx`` (its
paragraphs and table rows, read from the document's XML), ``.pdf`` through its text layer
(poppler's ``pdftotext``), or, when a PDF has none (a scan), each page rasterised (``pdftoppm``)
and read by Tesseract with its simplified-Chinese data (Debian's ``tesseract-ocr`` and
``tesseract-ocr-chi-sim``). The commands run on the portal's own machine: a police network has
no cloud. Each is bounded in time and pages; a file that is none of these is refused.
"""

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings
from PIL import Image

from contracts.intake import scan_tables
from contracts.intake.ocr_fixes import ocr_cleaned as _ocr_cleaned

MAX_BYTES = 30 * 1024 * 1024
MAX_PAGES = 80
MAX_CHARS = 400_000  # some 360 pages of Chinese; the seeds are 4 to 18
COMMAND_SECONDS = 120
# Chosen by bench/intake_ocr.py --tradeoff (accuracy and CPU of each dpi and page segmentation
# mode on the seeds' pages; its docstring has the table): mode 6 drops one-line table rows.
OCR_DPI = 200
OCR_PSM = 4
MAX_PAGE_POINTS = 1250  # A3's long side is 1191 pt: a larger page is a drawing, or a trap
# A PDF page whose text layer holds fewer characters than this is treated as a scan.
TEXT_LAYER_MIN_CHARS = 20
_WORD_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class UnreadableContract(ValueError):
    """The file is not a contract text the portal can read; the message says why."""


@dataclass(frozen=True)
class ContractText:
    text: str
    kind: str  # "txt", "docx", "pdf" (its text layer) or "ocr"
    sha256: str
    pages: int = 0


def read_contract(name: str, data: bytes, progress: Callable[[int, int], None] | None = None) -> ContractText:
    """The text of an uploaded contract; ``progress(page, pages)`` is told as OCR goes."""
    if len(data) > MAX_BYTES:
        raise UnreadableContract(f"larger than {MAX_BYTES // (1024 * 1024)} MB")
    digest = hashlib.sha256(data).hexdigest()
    suffix = Path(name).suffix.lower()
    if suffix == ".txt":
        read = ContractText(_decode(data), "txt", digest)
    elif suffix == ".docx":
        read = ContractText(_docx_text(data), "docx", digest)
    elif suffix == ".pdf":
        if not data.startswith(b"%PDF-"):
            raise UnreadableContract("not a PDF file")
        read = _pdf_text(data, digest, progress)
    else:
        raise UnreadableContract("not a .txt, .docx or .pdf file")
    # The extractor's time grows with the text (bench/intake.py: about 1.4 s for 430,000
    # characters); a 30 MB text file would hold a worker for minutes.
    if len(read.text) > MAX_CHARS:
        raise UnreadableContract(f"more than {MAX_CHARS} characters of text")
    return read


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableContract("the text is neither UTF-8 nor GB 18030")


def _docx_text(data: bytes) -> str:
    try:
        with zipfile.ZipFile(_bytes_file(data)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > 10 * MAX_BYTES:  # a zip bomb unpacks to far more than it weighs
                raise UnreadableContract("the document is too large once unpacked")
            root = ElementTree.fromstring(archive.read(info))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, DefusedXmlException) as error:
        raise UnreadableContract("not a Word (.docx) document") from error
    lines = []
    body = root.find(f"{_WORD_NS}body")
    for block in body if body is not None else []:
        if block.tag == f"{_WORD_NS}p":
            lines.append(_paragraph(block))
        elif block.tag == f"{_WORD_NS}tbl":
            for row in block.iter(f"{_WORD_NS}tr"):
                cells = [
                    "".join(_paragraph(p) for p in cell.iter(f"{_WORD_NS}p"))
                    for cell in row.iter(f"{_WORD_NS}tc")
                ]
                lines.append("\t".join(cells))
    return "\n".join(lines)


def _paragraph(paragraph) -> str:
    parts = []
    for node in paragraph.iter():
        if node.tag == f"{_WORD_NS}t" and node.text:
            parts.append(node.text)
        elif node.tag == f"{_WORD_NS}tab":
            parts.append("\t")
    return "".join(parts)


def _bytes_file(data: bytes):
    import io

    return io.BytesIO(data)


def _run(command: list[str], timeout: float = COMMAND_SECONDS, **kwargs) -> subprocess.CompletedProcess:
    if shutil.which(command[0]) is None:
        raise UnreadableContract(f"{command[0]} is not installed on the server")
    try:
        return subprocess.run(  # noqa: S603 — fixed commands, the file in our own temporary folder
            command, capture_output=True, timeout=timeout, check=True, **kwargs
        )
    except subprocess.TimeoutExpired as error:
        raise UnreadableContract(f"{command[0]} took longer than {timeout:.0f} s") from error
    except subprocess.CalledProcessError as error:
        raise UnreadableContract(f"{command[0]} could not read the file") from error


def _pdf_text(data: bytes, digest: str, progress) -> ContractText:
    with tempfile.TemporaryDirectory(prefix="om_intake_") as folder:
        pdf = Path(folder) / "contract.pdf"
        pdf.write_bytes(data)
        info = _run(["pdfinfo", str(pdf)]).stdout.decode("utf-8", "replace")
        found = re.search(r"^Pages:\s+(\d+)", info, re.M)
        pages = int(found[1]) if found else 0
        if not 0 < pages <= MAX_PAGES:
            raise UnreadableContract(f"a contract of 1 to {MAX_PAGES} pages is read; this one has {pages}")
        layer = _run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"]).stdout.decode(
            "utf-8", "replace"
        )
        if len(re.sub(r"\s+", "", layer)) >= TEXT_LAYER_MIN_CHARS * pages:
            return ContractText(layer.replace("\f", "\n"), "pdf", digest, pages)
        text, tables = scan_tables.set_aside(_ocr(pdf, pages, progress))
        return ContractText(scan_tables.put_back(_ocr_cleaned(text), tables), "ocr", digest, pages)


def _ocr(pdf: Path, pages: int, progress) -> str:
    """Every page rasterised by one ``pdftoppm`` and read by Tesseract as soon as it is written,
    pages in parallel: one single-threaded process per core (Tesseract's own OpenMP threads fight
    each other and any other work: 3.5 times slower on 2 cores), at most
    ``INTAKE_OCR_PROCESSES``. The whole read is bounded by ``INTAKE_OCR_SECONDS``, each command
    by ``COMMAND_SECONDS``; progress is told in page order, from the calling thread."""
    deadline = time.monotonic() + settings.INTAKE_OCR_SECONDS
    sizes = _run(["pdfinfo", "-f", "1", "-l", str(pages), str(pdf)]).stdout.decode("utf-8", "replace")
    for width, height in re.findall(r"^Page\s+\d+\s+size:\s+([\d.]+) x ([\d.]+)", sizes, re.M):
        if max(float(width), float(height)) > MAX_PAGE_POINTS:
            raise UnreadableContract("a page is larger than A3: not a contract's page")
    for command in ("pdftoppm", "tesseract"):
        if shutil.which(command) is None:
            raise UnreadableContract(f"{command} is not installed on the server")
    processes = max(1, min(settings.INTAKE_OCR_PROCESSES, _cores(), pages))
    scan = _Scan(pdf, pages, deadline)
    texts = []
    try:
        with ThreadPoolExecutor(max_workers=processes, thread_name_prefix="ocr") as pool:
            futures = [pool.submit(scan.read, page) for page in range(1, pages + 1)]
            try:
                for page, future in enumerate(futures, 1):
                    texts.append(future.result(timeout=_left(deadline, cap=None)))
                    if progress:
                        progress(page, pages)
            except FutureTimeout as error:
                raise UnreadableContract(f"OCR took longer than {settings.INTAKE_OCR_SECONDS} s") from error
            finally:
                for future in futures:
                    future.cancel()
                scan.stop()  # a failed or late read ends every process at once
    finally:
        scan.stop()
    # A price list's table, rebuilt from the words' boxes, in place of its loose lines.
    layouts = [scan.tables.get(page) for page in range(1, pages + 1)]
    rebuilt = scan_tables.chosen(layouts)
    texts = [text if new is None else new for text, new in zip(texts, rebuilt, strict=True)]
    ends = [
        None if layout is None else (layout.open_ends[0][0], layout.open_ends[-1][1]) for layout in layouts
    ]
    return "\n".join(scan_tables.rows_rejoined(texts, ends))


def _left(deadline: float, cap: float | None = COMMAND_SECONDS) -> float:
    """Seconds a command may still take: what is left of the whole read, at most ``cap``."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise UnreadableContract(f"OCR took longer than {settings.INTAKE_OCR_SECONDS} s")
    return left if cap is None else min(left, cap)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class _Scan:
    """A scanned PDF being read: one ``pdftoppm`` writing every page's image (TIFF with PackBits:
    PNG's compression cost more than the rasterising itself), and the Tesseract processes
    reading them, each page as soon as its image is complete, so that nothing waits for the
    whole rasterising. ``stop()`` ends every process."""

    POLL_SECONDS = 0.05

    def __init__(self, pdf: Path, pages: int, deadline: float):
        self.pages, self.deadline = pages, deadline
        self.folder = pdf.parent
        self.lock = threading.Lock()
        self.processes: set[subprocess.Popen] = set()
        self.stopped = False
        self.tables: dict[int, scan_tables.PageTables] = {}  # a page's bordered tables, read
        self.env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        self.raster_until = time.monotonic() + _left(deadline)
        rasterise = ["pdftoppm", "-r", str(OCR_DPI), "-gray", "-tiff", "-tiffcompression", "packbits"]
        pages_range = ["-f", "1", "-l", str(pages)]
        self.raster = self._start(
            [*rasterise, *pages_range, str(pdf), str(self.folder / "page")], stdout=subprocess.DEVNULL
        )

    def _start(self, command: list[str], **kwargs) -> subprocess.Popen:
        with self.lock:
            if self.stopped:
                raise UnreadableContract("OCR stopped")
            process = subprocess.Popen(  # noqa: S603 — fixed commands, files in our own temporary folder
                command, stderr=subprocess.DEVNULL, env=self.env, **kwargs
            )
            self.processes.add(process)
            return process

    def stop(self):
        with self.lock:
            self.stopped = True
            for process in self.processes:
                if process.poll() is None:
                    process.kill()
                process.wait()
            self.processes.clear()

    def over_time(self) -> None:
        """A command stopped because the whole read ran out of time is refused as the read's
        limit, whichever command it was (a loaded machine decides which one meets it first)."""
        if time.monotonic() >= self.deadline:
            raise UnreadableContract(f"OCR took longer than {settings.INTAKE_OCR_SECONDS} s")

    def _image(self, page: int) -> Path | None:
        # pdftoppm pads the page number to the width of the last one: page-7.tif, page-07.tif.
        path = self.folder / f"page-{page:0{len(str(self.pages))}d}.tif"
        return path if path.exists() else None

    def image(self, page: int) -> Path:
        """The page's image once pdftoppm has finished it: the next page's image is begun, or
        pdftoppm is done."""
        while True:
            if self.stopped:
                raise UnreadableContract("OCR stopped")
            done = self.raster.poll()
            image = self._image(page)
            if done is not None:
                if done != 0 or image is None:
                    raise UnreadableContract("pdftoppm could not read the file")
                return image
            if image is not None and self._image(page + 1) is not None:
                return image
            if time.monotonic() > self.raster_until:
                self.raster.kill()
                self.over_time()
                raise UnreadableContract(f"pdftoppm took longer than {COMMAND_SECONDS} s")
            time.sleep(self.POLL_SECONDS)

    def read(self, page: int) -> str:
        """The page's text; a page with bordered tables is read with the words' boxes too
        (Tesseract's ``tsv``, from the same process) and its tables read (scan_tables): which of
        them replace their loose lines is chosen once every page is read."""
        image = self.image(page)
        with Image.open(image) as picture:
            tables = scan_tables.find_tables(picture)
        command = ["tesseract", str(image), "-", "-l", "chi_sim", "--psm", str(OCR_PSM)]
        base = self.folder / f"ocr-{page}"
        if tables:
            command[2:3] = [str(base)]
            command += ["txt", "tsv"]
        process = self._start(command, stdout=subprocess.PIPE)
        timeout = _left(self.deadline)
        try:
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as error:
            process.kill()
            process.communicate()
            self.over_time()
            raise UnreadableContract(f"tesseract took longer than {timeout:.0f} s") from error
        if process.returncode:
            raise UnreadableContract("tesseract could not read a page")
        image.unlink()
        if not tables:
            return out.decode("utf-8", "replace")
        text = base.with_suffix(".txt").read_text("utf-8", "replace")
        tsv = base.with_suffix(".tsv").read_text("utf-8", "replace")
        layout = scan_tables.page_tables(text, tsv, tables)
        if layout is not None:
            self.tables[page] = layout
        return text
