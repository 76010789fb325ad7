"""The contract's text as the clause rules read it: one line per paragraph, with the breaks a PDF
or a page puts in the middle of a sentence taken out, and a map back to the original, so that
each proposal's span is the span of the text the person uploaded.

What is taken out: underline markup and fill-in blanks (``<u>2</u>``, ``_2_``), a space between
two Chinese characters (a PDF's layout), and a line break (with the blank lines after it) inside
a sentence: after a line that ends in a comma, or mid-word in a long line, when the next line
does not start an item of its own. Table rows (tab-separated) are never joined.
"""

import bisect
import re
from dataclasses import dataclass
from decimal import Decimal

import cn2an

_HAN = r"\u4e00-\u9fff"
_MARKUP = re.compile(r"</?u>|_")
_HAN_GAP = re.compile(rf"(?<=[{_HAN}，。；：、（）])[ \u3000]+(?=[{_HAN}，。；：、（）])")
# A line that starts an item of its own: "1、", "(2)", "- ", "第三条", "二、", "#", "8.3".
_ITEM = re.compile(
    r"\s*(?:[-*#•]|\(?[（(]?\s*[0-9一二三四五六七八九十]+\s*[)）、.．]|第[一二三四五六七八九十]+[条章])"
)
_MID_SENTENCE = re.compile(rf"[{_HAN}0-9A-Za-z，、,（(]$")
_LONG_LINE = 30

# Chinese numerals in a figure: 三, 十五, 两, 叁, 0.5, 零点五.
NUMERAL = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百点壹贰叁肆伍陆柒捌玖拾佰]+)"


def number(words: str) -> Decimal | None:
    """A figure written in Arabic or Chinese numerals, through cn2an; None if it is neither."""
    words = words.strip()
    if not words:
        return None
    try:
        value = cn2an.cn2an(words, "smart")
    except (ValueError, KeyError, TypeError):
        return None
    if isinstance(value, float) and not value.is_integer():
        return Decimal(str(value))
    return Decimal(int(value))


def blanked(text: str) -> str:
    """The text with underline markup and fill-in blanks (<u>30</u>, _30_) turned to spaces of
    the same length, so that spans found in it are spans of the original."""
    return _MARKUP.sub(lambda m: " " * len(m.group()), text)


@dataclass(frozen=True)
class Flat:
    """The flattened text and where it is in the original: the flat text is the original's kept
    segments end to end, the n-th starting at ``starts[n]`` here and ``origins[n]`` there (a list
    of segments, not of characters: a text of 30 MB keeps its map small)."""

    text: str
    starts: tuple[int, ...]
    origins: tuple[int, ...]
    length: int  # of the original

    def where(self, at: int) -> int:
        """The original's index of the flat text's character ``at``."""
        if at >= len(self.text):
            return self.length
        segment = bisect.bisect_right(self.starts, at) - 1
        return self.origins[segment] + at - self.starts[segment]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original's span of the flat text's ``[start, end)``."""
        if start >= end:
            at = self.where(start)
            return at, at
        return self.where(start), self.where(end - 1) + 1

    def paragraphs(self) -> list[tuple[int, int]]:
        """The flat text's paragraphs as spans, blank ones left out."""
        spans, start = [], 0
        for line in self.text.split("\n"):
            if line.strip():
                spans.append((start, start + len(line)))
            start += len(line) + 1
        return spans


def _joins(previous: str, following: str) -> bool:
    if "\t" in previous or "\t" in following or _ITEM.match(following):
        return False
    previous = previous.rstrip()
    if previous.endswith(("，", "、", ",")):
        return True
    return len(previous) >= _LONG_LINE and bool(_MID_SENTENCE.search(previous))


def flatten(text: str) -> Flat:
    dropped = [m.span() for pattern in (_MARKUP, _HAN_GAP) for m in pattern.finditer(text)]
    # Line breaks inside a sentence: the break, the blank lines after it and the next line's indent.
    for match in re.finditer(r"[ \t\u3000]*\n[\s]*", text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        previous = text[line_start : match.start()]
        next_end = text.find("\n", match.end())
        following = text[match.end() : next_end if next_end >= 0 else len(text)]
        if previous.strip() and following.strip() and _joins(previous, following):
            dropped.append(match.span())
    starts, origins, kept = [], [], []
    at = flat_at = 0
    for start, end in [*sorted(dropped), (len(text), len(text))]:
        if start > at:
            starts.append(flat_at)
            origins.append(at)
            kept.append(text[at:start])
            flat_at += start - at
        at = max(at, end)
    return Flat("".join(kept), tuple(starts), tuple(origins), len(text))
