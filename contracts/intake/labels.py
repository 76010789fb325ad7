"""Which article and item of a contract a span of its text sits in, named as a Chinese reader
cites it: "第六条第2款", "第三条第1款第(2)项".

The headings are read as the seeds write them, at the start of a line: an article is 第六条 or
六、 (or a numbered section 1.3); an item 2、 2. or （一）; a sub-item (2) or （2）. A heading
resets what was below it, so a span is labelled with the nearest headings of each level above it.
"""

import bisect
import functools
import re

_CN = "零〇一二三四五六七八九十百两"
_HEADING = re.compile(
    rf"^[ \t\u3000]*(?:"
    rf"(?P<article>第[{_CN}\d]{{1,5}}条)"
    rf"|(?P<chapter>[{_CN}]{{1,4}})[、．.]"
    rf"|(?P<section>\d{{1,2}}\.\d{{1,2}})(?![\d.])"
    rf"|[（(](?P<cn_item>[{_CN}]{{1,4}})[）)]"
    rf"|(?P<item>\d{{1,2}})(?:[、．]|\.(?!\d))"
    rf"|[（(](?P<sub>\d{{1,2}})[）)]"
    rf")",
    re.M,
)
_LEVEL = {"article": 0, "chapter": 0, "section": 0, "cn_item": 1, "item": 1, "sub": 2}


@functools.lru_cache(maxsize=8)
def _headings(text: str) -> tuple[list[int], list[tuple[int, str]]]:
    """Each heading's offset, and its level and label, in the text's order."""
    offsets, marks = [], []
    for match in _HEADING.finditer(text):
        kind = match.lastgroup
        value = match[kind]
        if kind == "article":
            label = value
        elif kind == "chapter" or kind == "section":
            label = f"第{value}条"
        elif kind in ("cn_item", "item"):
            label = f"第{value}款"
        else:
            label = f"第({value})项"
        offsets.append(match.start())
        marks.append((_LEVEL[kind], label))
    return offsets, marks


def clause_label(text: str, start: int) -> str:
    """The article and item holding ``text[start]``, or "" before the first heading."""
    offsets, marks = _headings(text)
    levels: list[str | None] = [None, None, None]
    for level, label in marks[: bisect.bisect_right(offsets, start)]:
        levels[level] = label
        for deeper in range(level + 1, 3):
            levels[deeper] = None
    return "".join(label for label in levels if label)[:60]
