"""Issue 18, item 7: the audit trail reads in Chinese, page and CSV alike.

Lines showed "login/update/export", "auth.user #5" and raw dicts. Here the lines come from real
saves (the trail's own signal handlers) and real page requests: an action is a label, an object
is its kind and its name (an account by its owner's name), a changed field is its label with
its value before → after (a choice by its label, a reference by its name, yes or no, a time in
Beijing time), and the CSV's header is Chinese too.
"""

import csv
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation

from contracts.models import Contract, Role
from om_portal import audit
from tests.test_no_raw_codes import raw_codes, visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(contract_a, vendor_org_b, client_manager_a, make_user, client_org_a):
    """An account closed by the security administrator, a contract's status, party and flag
    changed, a login."""
    account = make_user(Role.CLIENT_STAFF, client_org_a, username="zhangsan", first_name="张三")
    security = Client()
    security.force_login(make_user(Role.SECURITY_ADMIN, client_org_a))
    closed = security.post(reverse("accounts:act", kwargs={"pk": account.pk, "action": "deactivate"}))
    assert closed.status_code == 302
    contract = Contract.objects.get(pk=contract_a.pk)  # loaded: the trail knows its "before"
    contract.status = Contract.Status.TERMINATED
    contract.vendor = vendor_org_b
    contract.onsite_on_non_working_days = True
    contract.save()
    audit.record("login", user=client_manager_a)
    return {"account": account, "contract": contract}


@pytest.fixture
def auditor(make_user, client_org_a):
    return make_user(Role.AUDITOR, client_org_a)


def _chinese(client, auditor):
    client.force_login(auditor)
    client.cookies["django_language"] = "zh-hans"
    return client


def test_the_page_shows_labels_names_and_values_before_and_after(client, auditor, trail):
    client = _chinese(client, auditor)
    text = re.sub(r"\s+", " ", visible_text(client.get(reverse("audit")).content.decode()))
    # Actions by their labels; objects by kind and name, never "auth.user #5".
    assert "登录" in text and "修改" in text
    assert "用户 张三（zhangsan）" in text
    assert "auth.user" not in text and "#" not in text
    # Field labels, choice labels, references by name, yes/no.
    assert "状态 履行中 → 已终止" in text
    assert "乙方 甲科技有限公司 → 乙科技有限公司" in text
    with translation.override("zh-hans"):
        active = str(get_user_model()._meta.get_field("is_active").verbose_name)
    assert f"{active} 是 → 否" in text
    assert re.search(r"非工作日.*否 → 是", text)
    for raw in ("{", "}", "True", "False", "None", "terminated", "login", "update"):
        assert raw not in text, raw
    assert raw_codes(text) == set()


def test_the_csv_reads_in_chinese(client, auditor, trail):
    client = _chinese(client, auditor)
    response = client.get(reverse("audit"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header == [
        *("序号", "时间", "用户", "操作", "对象类型", "对象编号"),
        *("对象", "合同", "结果", "地址", "详情"),
    ]
    objects = {(row[4], row[6]) for row in body}
    assert ("用户", "张三（zhangsan）") in objects
    details = " ".join(row[10] for row in body)
    assert "状态 履行中 → 已终止" in details and "乙方 甲科技有限公司 → 乙科技有限公司" in details
    cells = " ".join(cell for row in body for cell in row[3:5] + row[6:7] + row[8:9] + row[10:])
    for raw in ("{", "True", "None", "auth.user", "terminated"):
        assert raw not in cells, raw
    assert not re.search(r"\b(login|update|create|export)\b", cells)


def test_a_page_of_lines_names_its_people_in_one_query(client, auditor, trail, django_assert_max_num_queries):
    # Forty more lines about accounts: the names are read once for the page, not once a line.
    for n in range(40):
        audit.record("unlock", user=auditor, obj=trail["account"], detail={"locks": n})
    client = _chinese(client, auditor)
    client.get(reverse("audit"))  # warm: session, memberships
    with django_assert_max_num_queries(15):
        assert client.get(reverse("audit")).status_code == 200
