"""Chinese by default, English on request; the committed translations are complete and compiled."""

import gettext
import re
import shutil
import subprocess

import pytest

from tests.om_portal.helpers import ROOT

PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_every_message_is_translated():
    text = PO.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    # An empty msgstr that is not the header (the header's msgid is empty too).
    assert re.findall(r'msgid "(.+)"\nmsgstr ""\n', text) == []
    assert re.findall(r'msgid_plural ".+"\nmsgstr\[0\] ""\n', text) == []


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="needs gettext's msgfmt (apt-get install gettext)")
def test_compiled_catalog_matches_the_po_file(tmp_path):
    fresh = tmp_path / "django.mo"
    # --check: every translation keeps its msgid's placeholders (%(name)s), or rendering fails.
    subprocess.run(["msgfmt", "--check", "-o", str(fresh), str(PO)], check=True)
    with fresh.open("rb") as a, MO.open("rb") as b:
        assert gettext.GNUTranslations(b)._catalog == gettext.GNUTranslations(a)._catalog, (
            "run `make messages`"
        )


@pytest.mark.django_db
def test_pages_are_chinese_by_default_whatever_the_browser_asks(client, client_staff_a):
    client.force_login(client_staff_a)
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-CN">' in body
    for text in ["运维合同管理平台", "首页", "合同", "故障", "巡检", "报告", "退出"]:
        assert text in body


@pytest.mark.django_db
def test_english_is_one_switch_away(client, client_staff_a):
    client.force_login(client_staff_a)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    body = client.get("/").content.decode()
    assert '<html lang="en">' in body
    assert "Contracts" in body
    assert "运维合同管理平台" not in body
