"""Builds static/fonts/OMPortalSansSC-{Regular,Bold}.otf, the PDFs' fallback font.

Noto Sans CJK SC (SIL Open Font License 1.1, static/fonts/LICENSE.txt) cut to GB 2312, every
character of the repository's own text (translations, templates, code) and common symbols, under a
family name of its own so it never stands in for the full font where fontconfig has it. Run it
again after adding text with characters outside GB 2312, on a machine with Debian's
fonts-noto-cjk:

    .venv/bin/python deploy/fonts/subset_cjk_font.py .
"""

import pathlib
import sys

from fontTools import subset
from fontTools.ttLib import TTCollection

NOTO = "/usr/share/fonts/opentype/noto/NotoSansCJK-{weight}.ttc"
SC = 2  # the collection's faces: JP, KR, SC, TC, HK, then the monospaced ones
APPS = ("om_portal", "contracts", "incidents", "inspections", "reports")
OWN_TEXT = (
    "locale/**/*.po",
    "templates/**/*.html",
    "static/reports/*.css",
    *(f"{app}/**/*.py" for app in APPS),
)
SYMBOLS = "①②③④⑤⑥⑦⑧⑨⑩→←↑↓✓✗✔✘•·…—–‘’“”〔〕〖〗【】《》〈〉「」『』¥￥℃‰±×÷≤≥≠∶"
NAMES = {
    "Noto Sans CJK SC": "OM Portal Sans SC",
    "NotoSansCJKsc": "OMPortalSansSC",
    "NotoSansCJKSC": "OMPortalSansSC",
}


def gb2312() -> set[str]:
    chars = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # an unassigned code point of the table
    return chars


def characters(repo: pathlib.Path) -> set[str]:
    chars = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x180)}
    chars |= gb2312() | set(SYMBOLS)
    for pattern in OWN_TEXT:
        for path in repo.glob(pattern):
            chars |= set(path.read_text(encoding="utf-8", errors="ignore"))
    return {c for c in chars if c.isprintable()}


def main(repo: pathlib.Path) -> None:
    chars = characters(repo)
    print(len(chars), "characters")
    for weight in ("Regular", "Bold"):
        font = TTCollection(NOTO.format(weight=weight)).fonts[SC]
        options = subset.Options()
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in chars])
        subsetter.subset(font)
        for record in font["name"].names:
            text = record.toUnicode()
            for old, new in NAMES.items():
                text = text.replace(old, new)
            record.string = text
        out = repo / "static" / "fonts" / f"OMPortalSansSC-{weight}.otf"
        font.save(out)
        print(out, out.stat().st_size, "bytes")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
