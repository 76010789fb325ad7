"""A contract's text from the file a person uploads: ``.txt`` (UTF-8 or GB 18030), ``.docx`` (its
paragraphs and table rows, read from the document's XML), ``.pdf`` through its text layer
(poppler's ``pdftotext``), or, when a PDF has none (a scan), each page rasterised (``pdftoppm``)
and read by Tesseract with its simplified-Chinese data (Debian's ``tesseract-ocr`` and
``tesseract-ocr-chi-sim``). The commands run on the portal's own machine: a police network has
no cloud. Each is bounded in time and pages; a file that is none of these is refused.
"""

import hashlib
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

MAX_BYTES = 30 * 1024 * 1024
MAX_PAGES = 80
COMMAND_SECONDS = 120
OCR_DPI = 200
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
        return ContractText(_decode(data), "txt", digest)
    if suffix == ".docx":
        return ContractText(_docx_text(data), "docx", digest)
    if suffix == ".pdf":
        if not data.startswith(b"%PDF-"):
            raise UnreadableContract("not a PDF file")
        return _pdf_text(data, digest, progress)
    raise UnreadableContract("not a .txt, .docx or .pdf file")


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


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    if shutil.which(command[0]) is None:
        raise UnreadableContract(f"{command[0]} is not installed on the server")
    try:
        return subprocess.run(  # noqa: S603 — fixed commands, the file in our own temporary folder
            command, capture_output=True, timeout=COMMAND_SECONDS, check=True, **kwargs
        )
    except subprocess.TimeoutExpired as error:
        raise UnreadableContract(f"{command[0]} took longer than {COMMAND_SECONDS} s") from error
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
        texts = []
        for page in range(1, pages + 1):
            image = Path(folder) / f"page-{page}"
            _run(
                [
                    "pdftoppm",
                    "-r",
                    str(OCR_DPI),
                    "-f",
                    str(page),
                    "-l",
                    str(page),
                    "-gray",
                    "-png",
                    str(pdf),
                    str(image),
                ]
            )
            png = next(Path(folder).glob(f"page-{page}*.png"))
            read = _run(["tesseract", str(png), "-", "-l", "chi_sim", "--psm", "6"]).stdout.decode(
                "utf-8", "replace"
            )
            texts.append(read)
            png.unlink()
            if progress:
                progress(page, pages)
        return ContractText(_ocr_cleaned("\n".join(texts)), "ocr", digest, pages)


def _ocr_cleaned(text: str) -> str:
    """What Tesseract makes of a printed contract, put back: a space between Chinese characters,
    an opening bracket read as 《 or 〈 before a closing one, ¥ read as Y before a figure."""
    han = r"[\u4e00-\u9fff（）：，。；、]"
    text = re.sub(rf"(?<={han}) +(?={han})", "", text)
    text = re.sub(r"[《〈【]([^《》〈〉【】()（）\n]{1,12})[)）]", r"（\1）", text)
    text = re.sub(r"([甲乙]\s*方\s*(?:（[^）\n]{1,12}）)?\s*)[;；]", r"\1：", text)  # a colon read as ;
    return re.sub(r"(?<![A-Za-z])Y(?=\s?\d)", "¥", text)
