"""Issue 20 in a real headless Chromium: a client manager uploads a contract's text, sees each
proposal's span marked in the text, drops one proposal, accepts, and lands on the new contract,
whose milestones link back to their sentences ("依据：第三条第1款").

With SAVE_SCREENSHOTS=1 the review page is saved as docs/screenshots/intake-review.png.
"""

import os
from pathlib import Path

import pytest

from contracts.models import Contract, ContractUpload

pytestmark = pytest.mark.e2e

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "intake-review.png"
BUREAU = "北京市公安局人口管理和基层工作总队"  # the demo client manager's bureau
TEXT = f"""{BUREAU}2027年度卡口系统运维服务项目合同

甲方（委托方）：{BUREAU}
乙方（服务方）：某某数据服务有限公司
签订日期：2026 年 12 月 8 日

第一条 合同总价
本合同总金额：（大写）捌拾万元整（小写 ¥800,000.00 元）。
第二条 服务期限
服务期 1 年，自2027年1月1日起计算。
第三条 付款方式
1、合同签订生效之日后 10 个工作日内，甲方向乙方支付合同总价的 30%，即人民币 240,000.00 元；
2、服务期满且经甲方验收合格后 20 日内，甲方向乙方支付合同总价的 70%，即人民币 560,000.00 元。
第四条 违约责任
1、乙方未按时完成巡检的，每逾期一日按合同总额的千分之二支付违约金。
甲方（盖章）：{BUREAU}	乙方（盖章）：某某数据服务有限公司
"""


@pytest.fixture
def eager_celery(settings, tmp_path):
    """The reading task runs where it is sent (the live server's thread); files in tmp_path."""
    from om_portal.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


def test_upload_review_drop_accept_and_follow_a_source(log_in, live_server, blocked, eager_celery):
    page = log_in("client_manager")
    page.goto(f"{live_server.url}/contracts/")
    with page.expect_navigation():
        page.get_by_role("link", name="读取合同").click()
    page.set_input_files(
        "input[name=file]", files=[{"name": "合同.txt", "mimeType": "text/plain", "buffer": TEXT.encode()}]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="上传并读取").click()
    upload = ContractUpload.objects.get(filename="合同.txt")
    assert page.url == f"{live_server.url}/contracts/intake/{upload.pk}/"
    assert upload.status == ContractUpload.Status.READY, upload.reason

    marks = page.locator("#intake-text mark.span")
    assert marks.count() >= 6 and marks.first.is_visible()
    fields = [p["field"] for p in upload.proposals]
    signed = fields.index("signed_on")
    row = page.locator(f"#p-{signed}")
    row.locator("input[type=checkbox]").uncheck()
    assert "dropped" in row.get_attribute("class")
    page.fill("#intake-code", "E2E-2027-OM")
    if os.environ.get("SAVE_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=False)

    with page.expect_navigation():
        page.get_by_role("button", name="采纳并创建合同").click()
    contract = Contract.objects.get(code="E2E-2027-OM")
    assert page.url == f"{live_server.url}/contracts/E2E-2027-OM/"
    assert contract.signed_on is None and contract.milestones.count() == 2

    page.goto(f"{live_server.url}/contracts/E2E-2027-OM/milestones/")
    source = page.get_by_role("link", name="依据：第三条第1款")
    assert source.is_visible()
    with page.expect_navigation():
        source.click()
    marked = page.locator("#intake-text mark.source")
    assert marked.inner_text().startswith("1、合同签订生效之日后 10 个工作日内")
    assert blocked == []
