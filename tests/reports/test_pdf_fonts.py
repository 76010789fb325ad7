"""PDFs read in Chinese on a machine with no CJK font: the portal ships its own cut of Noto Sans
CJK SC (static/fonts) behind the system's full one.

Fontconfig reads its configuration once per process, so each rendering runs in a child process
with FONTCONFIG_FILE pointing at the font folders it may see.
"""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.skipif(not shutil.which("pdffonts"), reason="poppler-utils is not installed")

# The page footer's "第 N 页 / 共 M 页" comes from an @page margin box: its font is set apart.
RENDER = textwrap.dedent(
    """
    import os, sys
    import django
    os.environ["DJANGO_SETTINGS_MODULE"] = "om_portal.settings"
    django.setup()
    from reports import pdf
    html = (
        '<html lang="zh-CN"><head><link rel="stylesheet" href="static:///reports/pdf.css"></head>'
        '<body><h1>运维服务季度验收报告</h1><p>违约金合计 ¥7,700 元，已由甲方签认。</p></body></html>'
    )
    open(sys.argv[1], "wb").write(pdf.write_pdf(html))
    """
)


def render(tmp_path: Path, font_dirs: list[str], name: str) -> Path:
    conf = tmp_path / f"{name}.conf"
    dirs = "".join(f"<dir>{d}</dir>" for d in font_dirs)
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig>{dirs}<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>"
    )
    out = tmp_path / f"{name}.pdf"
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "PYTHONPATH": str(settings.BASE_DIR)}
    subprocess.run(
        [sys.executable, "-c", RENDER, str(out)], env=env, check=True, cwd=settings.BASE_DIR, timeout=120
    )
    return out


def fonts_and_text(pdf: Path) -> tuple[str, str]:
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return fonts, text


def test_a_machine_without_cjk_fonts_still_prints_chinese(tmp_path):
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    fonts, text = fonts_and_text(render(tmp_path, [str(empty)], "bare"))
    assert "OM-Portal-Sans-SC" in fonts
    assert "OM-Portal-Sans-SC-Bold" in fonts  # the heading is bold, not smeared
    assert "运维服务季度验收报告" in text
    assert "违约金合计 ¥7,700 元，已由甲方签认。" in text
    assert "第1页/共1页" in "".join(text.split())


@pytest.mark.skipif(
    not Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists(),
    reason="fonts-noto-cjk is not installed",
)
def test_the_system_font_wins_where_it_is_installed(tmp_path):
    fonts, text = fonts_and_text(render(tmp_path, ["/usr/share/fonts/opentype/noto"], "system"))
    assert "Noto-Sans-CJK-SC" in fonts
    assert "OM-Portal-Sans-SC" not in fonts
    assert "违约金合计 ¥7,700 元，已由甲方签认。" in text
