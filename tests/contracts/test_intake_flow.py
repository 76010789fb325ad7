"""Issue 20, the flow around the extractor: a contract of our own writing uploaded as .txt, .docx
and .pdf is read in a worker's task, its proposals reviewed (edited, dropped) and accepted into a
contract in one transaction, each term linked back to its sentence; the API does the same; a
vendor is refused; the hostile text is escaped; a bad file fails with a reason."""

import datetime as dt
import shutil
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from contracts.intake import codec, flow
from contracts.intake.accept import IntakeRejected, accept
from contracts.intake.labels import clause_label
from contracts.models import (
    Contract,
    ContractUpload,
    Milestone,
    Organization,
    Role,
    TermSource,
)
from om_portal.models import AuditEntry
from tests.contracts.test_intake_reading import docx, pdf_of

pytestmark = pytest.mark.django_db

CLIENT = "某县公安局"
VENDOR = "某某数据服务有限公司"
TEXT = f"""{CLIENT}2026年度卡口系统运维服务项目合同

甲方（委托方）：{CLIENT}
乙方（服务方）：{VENDOR}
签订日期：2026 年 1 月 8 日

第一条 合同总价
本合同总金额：（大写）捌拾万元整（小写 ¥800,000.00 元）。
第二条 服务期限
服务期 1 年，自2026年2月1日起计算。
第三条 付款方式
1、合同签订生效之日后 10 个工作日内，甲方向乙方支付合同总价的 30%，即人民币 240,000.00 元；
2、服务期满且经甲方验收合格后 20 日内，甲方向乙方支付合同总价的 70%，即人民币 560,000.00 元。
第四条 违约责任
1、乙方未按时完成巡检的，每逾期一日按合同总额的千分之二支付违约金。
甲方（盖章）：{CLIENT}	乙方（盖章）：{VENDOR}
"""


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def bureau(db):
    return Organization.objects.create(name=CLIENT, kind=Organization.Kind.CLIENT)


@pytest.fixture
def manager(make_user, bureau):
    return make_user(Role.CLIENT_MANAGER, bureau)


@pytest.fixture
def reads_now(monkeypatch):
    """The worker's task, run where the upload's transaction commits (as a worker would)."""
    sent = []

    def enqueue(upload):
        sent.append(flow.queue_for(upload))
        flow.run_reading(upload.pk)

    monkeypatch.setattr(flow, "enqueue", enqueue)
    return sent


def upload_file(client, name, data, bureau, capture):
    with capture(execute=True):
        response = client.post(
            reverse("contracts:intake"), {"client": bureau.pk, "file": SimpleUploadedFile(name, data)}
        )
    assert response.status_code == 302, response.content[:500]
    return ContractUpload.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def proposals_of(upload):
    return [codec.load_proposal(p) for p in upload.proposals]


def form_for(upload, code, *, drop=(), edit=None):
    """The review page's form as a person sends it: every row kept but ``drop``, values edited."""
    data = {"code": code}
    for index, proposal in enumerate(proposals_of(upload)):
        if proposal["field"] not in drop:
            data[f"p{index}-keep"] = "1"
        value = proposal["value"]
        if isinstance(value, dict):
            for key, item in value.items():
                data[f"p{index}-v-{key}"] = "" if item is None else str(item)
        else:
            data[f"p{index}-value"] = "" if value is None else str(value)
        for (field, key), new in (edit or {}).items():
            if proposal["field"] == field:
                data[f"p{index}-v-{key}" if key else f"p{index}-value"] = new
    return data


def _sample_files():
    files = [("合同.txt", TEXT.encode("utf-8"), "txt"), ("合同.docx", docx(TEXT.splitlines()), "docx")]
    if shutil.which("pdftotext"):
        files.append(("合同.pdf", pdf_of(TEXT), "pdf"))
    return files


@pytest.mark.parametrize("name, data, kind", _sample_files(), ids=lambda v: v if isinstance(v, str) else "")
def test_an_upload_is_read_and_proposes_the_terms(
    client, manager, bureau, reads_now, django_capture_on_commit_callbacks, name, data, kind
):
    client.force_login(manager)
    upload = upload_file(client, name, data, bureau, django_capture_on_commit_callbacks)
    assert upload.status == ContractUpload.Status.READY, upload.reason
    assert upload.kind == kind and len(upload.sha256) == 64 and upload.size == len(data)
    assert reads_now == [flow.queue_for(upload)]
    found = {p["field"]: p["value"] for p in proposals_of(upload)}
    assert found["vendor"] == VENDOR and found["total"] == D("800000.00")
    assert found["signed_on"] == dt.date(2026, 1, 8)
    page = client.get(reverse("contracts:intake-review", args=[upload.pk]))
    assert page.status_code == 200
    assert page.content.decode().count('<mark class="span"') >= 5
    status = client.get(reverse("contracts:intake-status", args=[upload.pk])).json()
    assert status["status"] == "ready" and status["percent"] == 100
    with upload.file.open("rb") as original:
        assert original.read() == data


def test_a_pdf_is_read_on_the_render_queue_and_text_on_the_default(settings, bureau):
    pdf = ContractUpload(filename="a.PDF", client=bureau)
    txt = ContractUpload(filename="a.txt", client=bureau)
    assert flow.queue_for(pdf) == settings.CELERY_QUEUES["render"]
    assert flow.queue_for(txt) == settings.CELERY_QUEUES["default"]


def test_proposals_survive_the_json_round_trip():
    value = {"amount": D("0.30"), "on": dt.date(2028, 2, 29), "text": "0.30", "n": None}
    stored = codec.dump_proposal(
        {"group": "g", "field": "f", "value": value, "start": 1, "end": 2, "confidence": 0.5, "rule": "r"}
    )
    import json

    back = codec.load_proposal(json.loads(json.dumps(stored)))
    assert back["value"] == value and isinstance(back["value"]["amount"], D)
    assert str(back["value"]["amount"]) == "0.30" and back["value"]["text"] == "0.30"


def test_edit_drop_and_accept_create_the_contract_with_its_sources(
    client, manager, bureau, reads_now, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    upload = upload_file(client, "合同.txt", TEXT.encode(), bureau, django_capture_on_commit_callbacks)
    data = form_for(upload, "KK-2026-OM", drop={"signed_on"}, edit={("title", None): "卡口系统运维（改）"})
    response = client.post(reverse("contracts:intake-review", args=[upload.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    contract = Contract.objects.get(code="KK-2026-OM")
    assert response["Location"] == contract.get_absolute_url()
    assert contract.title == "卡口系统运维（改）" and contract.signed_on is None
    assert (contract.client, contract.vendor.name, contract.total) == (bureau, VENDOR, D("800000.00"))
    assert (contract.starts_on, contract.ends_on) == (dt.date(2026, 2, 1), dt.date(2027, 1, 31))
    milestones = list(contract.milestones.order_by("position"))
    assert [(m.trigger, m.value) for m in milestones] == [
        ("effective", D("240000.00")),
        ("final_acceptance", D("560000.00")),
    ]
    # 10 working days from Sunday 1 February 2026 (a weekend day).
    assert milestones[0].due_on == dt.date(2026, 2, 13)
    upload.refresh_from_db()
    assert upload.status == ContractUpload.Status.ACCEPTED and upload.contract == contract
    source = TermSource.objects.get(
        contract=contract,
        content_type=ContentType.objects.get_for_model(Milestone),
        object_id=milestones[1].pk,
    )
    assert source.label == "第三条第2款"
    assert TEXT[source.start : source.end].startswith("2、服务期满且经甲方验收合格后 20 日内")
    assert not TermSource.objects.filter(contract=contract, field="signed_on").exists()
    # The milestones tab links each payment to its sentence; the link shows it marked.
    tab = client.get(reverse("contracts:milestones", args=[contract.code])).content.decode()
    link = reverse("contracts:intake-text", args=[upload.pk]) + f"?start={source.start}&amp;end={source.end}"
    assert link in tab and "第三条第2款" in tab
    # The overview links the contract's own fields (its total) the same way.
    total = TermSource.objects.get(contract=contract, field="total")
    overview = client.get(reverse("contracts:detail", args=[contract.code])).content.decode()
    assert f"?start={total.start}&amp;end={total.end}" in overview and f"依据：{total.label}" in overview
    text_page = client.get(link.replace("&amp;", "&")).content.decode()
    assert f'<mark class="span source">{TEXT[source.start : source.end]}</mark>' in text_page
    actions = set(
        AuditEntry.objects.filter(object_type="contracts.contractupload").values_list("action", flat=True)
    )
    assert {"upload", "accept"} <= actions
    # Accepted once: a second accept creates nothing.
    again = client.post(reverse("contracts:intake-review", args=[upload.pk]), {**data, "code": "KK-2"})
    assert again.status_code == 200 and not Contract.objects.filter(code="KK-2").exists()


def test_a_validation_error_returns_the_page_with_errors_and_saves_nothing(
    client, manager, bureau, reads_now, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    upload = upload_file(client, "合同.txt", TEXT.encode(), bureau, django_capture_on_commit_callbacks)
    data = form_for(upload, "KK-2026-OM", edit={("milestone", "offset"): "不是数字", ("total", None): "-5"})
    response = client.post(reverse("contracts:intake-review", args=[upload.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "errorlist" in page and "不是数字" in page  # the person's edit is kept
    assert not Contract.objects.filter(code="KK-2026-OM").exists()
    assert not Organization.objects.filter(name=VENDOR).exists()
    assert not Milestone.objects.exists() and not TermSource.objects.exists()


def test_a_failing_part_rolls_back_everything(
    manager, bureau, monkeypatch, reads_now, django_capture_on_commit_callbacks
):
    upload = _read(bureau, manager, django_capture_on_commit_callbacks)
    config = apps.get_app_config("contracts")

    def refuses(contract, proposals):
        assert Milestone.objects.filter(contract=contract).count() == 2  # saved, inside the transaction
        raise ValidationError("计划无法保存")

    monkeypatch.setattr(config, "accept_intake", refuses, raising=False)
    with pytest.raises(IntakeRejected) as rejected:
        accept(upload, proposals_of(upload), code="KK-2026-OM", by=manager)
    assert any("计划无法保存" in m for m in rejected.value.errors["other"])
    assert not Contract.objects.filter(code="KK-2026-OM").exists()
    assert not Milestone.objects.exists() and not TermSource.objects.exists()
    assert not Organization.objects.filter(name=VENDOR).exists()
    upload.refresh_from_db()
    assert upload.status == ContractUpload.Status.READY and upload.contract is None


def test_an_upper_app_plugs_in_and_its_objects_get_sources(
    manager, bureau, monkeypatch, reads_now, django_capture_on_commit_callbacks
):
    upload = _read(bureau, manager, django_capture_on_commit_callbacks)
    config = apps.get_app_config("contracts")
    seen = []

    def plug(contract, proposals):
        seen.extend(p["field"] for p in proposals)
        total = next(p for p in proposals if p["field"] == "total")
        return [(contract.milestones.first(), total)]

    monkeypatch.setattr(config, "accept_intake", plug, raising=False)
    contract = accept(upload, proposals_of(upload), code="KK-2026-OM", by=manager)
    assert "milestone" in seen and "total" in seen
    first = contract.milestones.first()
    labels = set(
        TermSource.objects.filter(
            contract=contract, content_type=ContentType.objects.get_for_model(first), object_id=first.pk
        ).values_list("label", flat=True)
    )
    assert labels == {"第三条第1款", "第一条"}


def _read(bureau, user, capture):
    with capture(execute=True):
        upload = flow.create_upload(
            client=bureau, uploaded_file=SimpleUploadedFile("合同.txt", TEXT.encode()), by=user
        )
    upload.refresh_from_db()
    assert upload.status == ContractUpload.Status.READY
    return upload


def test_the_api_uploads_reads_and_accepts(manager, bureau, reads_now, django_capture_on_commit_callbacks):
    api = APIClient()
    api.force_authenticate(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/contract-uploads/",
            {"client": bureau.pk, "file": SimpleUploadedFile("合同.txt", TEXT.encode())},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    pk = response.json()["id"]
    assert api.get(f"/api/v1/contract-uploads/{pk}/status/").json()["status"] == "ready"
    detail = api.get(f"/api/v1/contract-uploads/{pk}/").json()
    proposals = [p for p in detail["proposals"] if p["field"] != "signed_on"]
    assert {"field": "total", "value": "800000.00"}.items() <= next(
        p for p in proposals if p["field"] == "total"
    ).items()
    bad = [
        {**p, "value": {**p["value"], "trigger": "whenever"}} if p["field"] == "milestone" else p
        for p in proposals
    ]
    refused = api.post(
        f"/api/v1/contract-uploads/{pk}/accept/", {"code": "KK-API", "proposals": bad}, format="json"
    )
    assert refused.status_code == 400
    index = str(next(i for i, p in enumerate(bad) if p["field"] == "milestone"))
    assert "trigger" in refused.json()["proposals"][index]
    assert not Contract.objects.filter(code="KK-API").exists()
    created = api.post(
        f"/api/v1/contract-uploads/{pk}/accept/", {"code": "KK-API", "proposals": proposals}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["contract"] == "KK-API"
    contract = Contract.objects.get(code="KK-API")
    assert contract.signed_on is None and contract.milestones.count() == 2
    assert TermSource.objects.filter(contract=contract).count() == len(proposals)


@pytest.mark.parametrize("role", [Role.VENDOR_MANAGER, Role.VENDOR_ENGINEER, Role.CLIENT_STAFF])
def test_who_may_not_create_contracts_is_refused(
    client, make_user, bureau, manager, role, reads_now, django_capture_on_commit_callbacks
):
    vendor = Organization.objects.create(name="某厂商有限公司", kind=Organization.Kind.VENDOR)
    user = make_user(role, vendor if role.startswith("vendor") else bureau)
    upload = _read(bureau, manager, django_capture_on_commit_callbacks)
    client.force_login(user)
    assert client.get(reverse("contracts:intake")).status_code == 403
    file = SimpleUploadedFile("合同.txt", TEXT.encode())
    assert client.post(reverse("contracts:intake"), {"client": bureau.pk, "file": file}).status_code == 403
    assert client.get(reverse("contracts:intake-review", args=[upload.pk])).status_code == 404
    assert (
        client.post(reverse("contracts:intake-review", args=[upload.pk]), form_for(upload, "X-1")).status_code
        == 404
    )
    api = APIClient()
    api.force_authenticate(user)
    assert api.get("/api/v1/contract-uploads/").status_code == 403
    assert api.get(f"/api/v1/contract-uploads/{upload.pk}/").status_code == 404
    assert api.post(f"/api/v1/contract-uploads/{upload.pk}/accept/", {}, format="json").status_code == 404
    assert ContractUpload.objects.count() == 1 and not Contract.objects.exists()


def test_another_bureaus_manager_does_not_find_the_upload(
    client, make_user, bureau, manager, reads_now, django_capture_on_commit_callbacks
):
    other = Organization.objects.create(name="另一市公安局", kind=Organization.Kind.CLIENT)
    upload = _read(bureau, manager, django_capture_on_commit_callbacks)
    client.force_login(make_user(Role.CLIENT_MANAGER, other))
    assert client.get(reverse("contracts:intake-review", args=[upload.pk])).status_code == 404
    assert client.get(reverse("contracts:intake-text", args=[upload.pk])).status_code == 404
    assert client.get(reverse("contracts:intake-original", args=[upload.pk])).status_code == 404


def test_hostile_text_is_escaped_on_the_review_page(
    client, manager, bureau, reads_now, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    hostile = TEXT.replace(
        "第二条 服务期限", "第二条 <script>alert('x')</script><img src=x onerror=alert(1)>"
    )
    hostile = hostile.replace(f"乙方（服务方）：{VENDOR}", f"乙方（服务方）：{VENDOR}\n备注：</pre><b>粗</b>")
    upload = upload_file(client, "合同.txt", hostile.encode(), bureau, django_capture_on_commit_callbacks)
    page = client.get(reverse("contracts:intake-review", args=[upload.pk])).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>粗</b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;/pre&gt;&lt;b&gt;粗&lt;/b&gt;" in page


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("合同.pdf", b"%PDF-1.4 not really a pdf", "损坏"),
        ("合同.docx", b"PK\x03\x04 not a zip", "Word"),
        ("合同.txt", "甲方".encode("utf-16"), "GB 18030"),
    ],
)
def test_a_bad_file_fails_with_a_reason(
    client, manager, bureau, reads_now, django_capture_on_commit_callbacks, name, data, reason
):
    if name.endswith(".pdf") and shutil.which("pdfinfo") is None:
        pytest.skip("poppler-utils is not installed")
    client.force_login(manager)
    upload = upload_file(client, name, data, bureau, django_capture_on_commit_callbacks)
    assert upload.status == ContractUpload.Status.FAILED
    assert reason in upload.reason, upload.reason
    page = client.get(reverse("contracts:intake-review", args=[upload.pk]))
    assert page.status_code == 200 and upload.reason in page.content.decode()


def test_a_file_of_another_type_or_too_large_is_refused_before_it_is_stored(
    client, manager, bureau, monkeypatch
):
    client.force_login(manager)
    response = client.post(
        reverse("contracts:intake"), {"client": bureau.pk, "file": SimpleUploadedFile("a.exe", b"MZ")}
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    monkeypatch.setattr(flow.reading, "MAX_BYTES", 10)
    response = client.post(
        reverse("contracts:intake"), {"client": bureau.pk, "file": SimpleUploadedFile("a.txt", b"x" * 11)}
    )
    assert response.status_code == 200 and not ContractUpload.objects.exists()


def test_a_worker_delivered_twice_reads_once(
    manager, bureau, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(flow, "enqueue", lambda upload: None)
    upload = flow.create_upload(
        client=bureau, uploaded_file=SimpleUploadedFile("a.txt", TEXT.encode()), by=manager
    )
    assert flow.run_reading(upload.pk) is True
    assert flow.run_reading(upload.pk) is False


@pytest.mark.parametrize(
    "needle, label",
    [
        ("每逾期一日", "第四条第1款"),
        ("服务期 1 年", "第二条"),
        ("甲方（委托方）", ""),
    ],
)
def test_clause_labels_name_the_article_and_item(needle, label):
    assert clause_label(TEXT, TEXT.index(needle)) == label


def test_clause_labels_of_chinese_numbered_headings():
    text = (
        "一、总则\n说明。\n三、价格与支付\n2. 支付\n(1) 首付款在签订后支付。\n"
        "（二）其他\n四、验收\n验收合格。\n"
    )
    assert clause_label(text, text.index("首付款")) == "第三条第2款第(1)项"
    assert clause_label(text, text.index("其他")) == "第三条第二款"
    assert clause_label(text, text.index("验收合格")) == "第四条"


def test_a_failed_reading_is_read_again_on_request(
    client, manager, bureau, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(flow, "enqueue", lambda upload: sent.append(upload.pk))
    upload = flow.create_upload(
        client=bureau, uploaded_file=SimpleUploadedFile("a.txt", TEXT.encode()), by=manager
    )
    ContractUpload.objects.filter(pk=upload.pk).update(
        status=ContractUpload.Status.FAILED, reason="服务器缺少程序"
    )
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("contracts:intake-retry", args=[upload.pk]))
    assert response.status_code == 302
    upload.refresh_from_db()
    assert (upload.status, upload.reason, sent) == (ContractUpload.Status.QUEUED, "", [upload.pk])
    assert flow.run_reading(upload.pk) is True
    # A file read already is not read again.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("contracts:intake-retry", args=[upload.pk]))
    upload.refresh_from_db()
    assert upload.status == ContractUpload.Status.READY and sent == [upload.pk]


def test_an_upper_apps_values_reach_its_hook_as_they_came(
    client, manager, bureau, monkeypatch, reads_now, django_capture_on_commit_callbacks
):
    """A field this app does not own (an upper app's) is not typed here: its list of times stays
    a list, edited on the page as "08:00, 13:00", and reaches the hook that owns it."""
    upload = _read(bureau, manager, django_capture_on_commit_callbacks)
    extra = {"kind": "daily", "times_of_day": ["08:00", "13:00"], "grace_hours": 2}
    proposal = {"group": "x", "field": "upper_thing", "value": extra, "start": 0, "end": 4}
    upload.proposals = [*upload.proposals, codec.dump_proposal(proposal)]
    upload.save(update_fields=["proposals"])
    got = []

    def hook(contract, proposals):
        got.extend(p["value"] for p in proposals if p["field"] == "upper_thing")
        return []

    monkeypatch.setattr(apps.get_app_config("contracts"), "accept_intake", hook, raising=False)
    client.force_login(manager)
    page = client.get(reverse("contracts:intake-review", args=[upload.pk])).content.decode()
    assert 'value="08:00, 13:00"' in page
    data = form_for(upload, "KK-2026-OM", edit={("upper_thing", "times_of_day"): "08:00，13:00, 19:00"})
    assert client.post(reverse("contracts:intake-review", args=[upload.pk]), data).status_code == 302
    assert got == [{"kind": "daily", "times_of_day": ["08:00", "13:00", "19:00"], "grace_hours": "2"}]
