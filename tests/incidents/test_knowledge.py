"""Knowledge base, emergency plans and drills, consultations (seed 004) and complaints (seed 002)."""

import datetime as dt
import functools
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from contracts.models import Asset, Role
from incidents.knowledge import article_from_incident, consultation_rates, decide_complaint, file_complaint
from incidents.models import Complaint, Consultation, Drill, EmergencyPlan, KnowledgeArticle
from tests import factories

pytestmark = pytest.mark.django_db

CN = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(*args):
    return dt.datetime(*args, tzinfo=CN)


def api_as(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


@pytest.fixture
def engineer_a(make_user, vendor_org_a):
    return make_user(Role.VENDOR_ENGINEER, vendor_org_a, username="zhang", last_name="张", first_name="工")


@pytest.fixture
def engineer_a2(make_user, vendor_org_a):
    return make_user(Role.VENDOR_ENGINEER, vendor_org_a, username="li", last_name="李", first_name="工")


@pytest.fixture
def manager_a(make_user, client_org_a):
    return make_user(Role.CLIENT_MANAGER, client_org_a)


# A resolved incident, written up: what the knowledge base turns into an article.
incident = functools.partial(factories.incident, status="resolved", **factories.WRITTEN_UP)


# --- Knowledge base -------------------------------------------------------------------------------


def test_a_resolved_incident_becomes_a_prefilled_draft_once(contract_a, engineer_a):
    asset = Asset.objects.create(
        contract=contract_a, kind=Asset.Kind.DATABASE, name="人口库", system="居住证系统"
    )
    source = incident(contract_a, asset=asset)

    article = article_from_incident(source, engineer_a)

    assert article.status == KnowledgeArticle.Status.DRAFT
    assert (article.contract, article.source_incident, article.author) == (contract_a, source, engineer_a)
    assert article.title == "人口库同步中断"
    assert article.background == source.description
    assert article.symptoms == source.impact
    for part in (source.cause, source.method, source.result):
        assert part in article.solution
    assert (article.system, article.asset_kind) == ("居住证系统", Asset.Kind.DATABASE)
    # A second tap returns the same draft instead of a copy.
    assert article_from_incident(source, engineer_a) == article
    assert KnowledgeArticle.objects.count() == 1


def test_an_open_incident_cannot_become_an_article(client, contract_a, engineer_a):
    source = incident(contract_a, status="acknowledged")
    with pytest.raises(ValidationError):
        article_from_incident(source, engineer_a)

    client.force_login(engineer_a)
    response = client.post(f"/incidents/knowledge/from-incident/{source.pk}/")
    assert response["Location"] == source.get_absolute_url()  # back, with the reason as a message
    assert not KnowledgeArticle.objects.exists()


def test_portal_button_makes_the_draft_and_opens_it(client, contract_a, engineer_a):
    source = incident(contract_a)
    client.force_login(engineer_a)
    assert client.get(f"/incidents/knowledge/from-incident/{source.pk}/").status_code == 405

    response = client.post(f"/incidents/knowledge/from-incident/{source.pk}/")

    article = KnowledgeArticle.objects.get()
    assert response["Location"] == f"/incidents/knowledge/{article.pk}/edit/"
    assert "连接池" in client.get(response["Location"]).content.decode()


def test_article_button_rights(client, contract_a, client_staff_a, outsider):
    source = incident(contract_a)
    url = f"/incidents/knowledge/from-incident/{source.pk}/"
    client.force_login(client_staff_a)
    assert client.post(url).status_code == 403
    client.force_login(outsider)
    assert client.post(url).status_code == 404
    assert not KnowledgeArticle.objects.exists()


@pytest.fixture
def articles(contract_a, contract_b):
    def make(contract, title, solution, status=KnowledgeArticle.Status.PUBLISHED, **fields):
        return KnowledgeArticle.objects.create(
            contract=contract, title=title, solution=solution, status=status, **fields
        )

    return {
        "pool": make(
            contract_a, "同步中断", "处理：数据库连接池耗尽时重启同步服务。", symptoms="查询结果陈旧"
        ),
        "nginx": make(contract_a, "Nginx 504", "调大 proxy_read_timeout 至 300 秒", background="网关超时"),
        "draft": make(contract_a, "未审核的草稿", "连接池草稿", status=KnowledgeArticle.Status.DRAFT),
        "foreign": make(contract_b, "乙方连接池问题", "连接池参数"),
    }


def test_search_finds_a_chinese_substring_in_any_field(client, articles, vendor_engineer_a):
    client.force_login(vendor_engineer_a)
    body = client.get("/incidents/knowledge/", {"q": "连接池"}).content.decode()
    assert "同步中断" in body
    assert "未审核的草稿" in body  # the vendor's engineers edit the base: drafts too
    assert "Nginx 504" not in body
    assert "乙方连接池问题" not in body  # another organisation's article

    found = api_as(vendor_engineer_a).get("/api/v1/knowledge-articles/", {"q": "网关 超时"}).json()
    assert [row["title"] for row in found["results"]] == ["Nginx 504"]
    found = api_as(vendor_engineer_a).get("/api/v1/knowledge-articles/", {"q": "陈旧"}).json()
    assert [row["title"] for row in found["results"]] == ["同步中断"]


def test_drafts_are_hidden_from_those_who_cannot_edit_the_base(client, articles, client_staff_a):
    client.force_login(client_staff_a)
    body = client.get("/incidents/knowledge/", {"q": "连接池"}).content.decode()
    assert "同步中断" in body
    assert "未审核的草稿" not in body
    assert client.get(f"/incidents/knowledge/{articles['draft'].pk}/").status_code == 404
    assert client.get(f"/incidents/knowledge/{articles['pool'].pk}/").status_code == 200
    assert client.get(f"/incidents/knowledge/{articles['pool'].pk}/edit/").status_code == 403
    assert client.get("/incidents/knowledge/add/").status_code == 403


def test_portal_adds_and_edits_an_article(client, contract_a, engineer_a):
    client.force_login(engineer_a)
    assert client.get("/incidents/knowledge/add/?contract=A-2026-OM").status_code == 200
    response = client.post(
        "/incidents/knowledge/add/",
        {"contract": "A-2026-OM", "title": "磁盘满", "status": "published", "solution": "清理 /var/log"},
    )
    article = KnowledgeArticle.objects.get()
    assert response["Location"] == f"/incidents/knowledge/{article.pk}/"
    assert article.author == engineer_a
    client.post(
        f"/incidents/knowledge/{article.pk}/edit/",
        {"title": "磁盘满告警", "status": "published", "solution": "清理 /var/log 并配置 logrotate"},
    )
    article.refresh_from_db()
    assert (article.title, article.contract.code) == ("磁盘满告警", "A-2026-OM")


# --- Emergency plans and drills -------------------------------------------------------------------


def test_plan_and_drill_in_the_portal(client, contract_a, engineer_a, client_staff_a, outsider):
    client.force_login(engineer_a)
    response = client.post(
        "/incidents/plans/add/",
        {
            "contract": "A-2026-OM",
            "category": "network_attack",
            "title": "网络攻击应急预案",
            "version": "1.0",
            "trigger_conditions": "防火墙告警持续 5 分钟",
            "steps": "1. 隔离 2. 上报 3. 取证",
        },
    )
    plan = EmergencyPlan.objects.get()
    assert response["Location"] == f"/incidents/plans/{plan.pk}/"
    client.post(
        f"/incidents/plans/{plan.pk}/drills/add/",
        {
            "date": "2026-06-01",
            "participants": "驻场工程师 3 人",
            "scenario": "模拟 DDoS",
            "findings": "隔离用时 8 分钟",
        },
    )
    drill = Drill.objects.get()
    assert (drill.plan, drill.recorded_by) == (plan, engineer_a)
    assert "模拟 DDoS" in client.get(f"/incidents/plans/{plan.pk}/").content.decode()
    assert "网络攻击应急预案" in client.get("/incidents/plans/?category=network_attack").content.decode()

    client.force_login(client_staff_a)
    assert client.get(f"/incidents/plans/{plan.pk}/").status_code == 200
    assert client.post(f"/incidents/plans/{plan.pk}/drills/add/", {}).status_code == 403
    client.force_login(outsider)
    assert client.get(f"/incidents/plans/{plan.pk}/").status_code == 404


# --- Consultations and their rates ----------------------------------------------------------------


@pytest.fixture
def march(contract_a, contract_b, engineer_a, engineer_a2):
    """Engineer 张 (A): 4 asked in March, 3 answered, 2 within 24 h.
    Engineer 李 (A): 3 asked, 3 answered, 2 within 24 h (one asked at 23:30 on the last day)."""

    def ask(engineer, asked, replied=None, contract=contract_a):
        return Consultation.objects.create(
            contract=contract,
            channel="platform",
            question="缴费后未出票",
            asked_at=asked,
            engineer=engineer,
            answered=replied is not None,
            replied_at=replied,
        )

    ask(engineer_a, at(2026, 3, 2, 9), at(2026, 3, 2, 10))  # 1 h: timely
    ask(engineer_a, at(2026, 3, 3, 9), at(2026, 3, 4, 9))  # exactly 24 h: timely
    ask(engineer_a, at(2026, 3, 5, 9), at(2026, 3, 6, 12))  # 27 h: late
    ask(engineer_a, at(2026, 3, 6, 9))  # never answered
    ask(engineer_a, at(2026, 4, 1, 9), at(2026, 4, 1, 10))  # April: outside the period
    ask(engineer_a2, at(2026, 3, 10, 10), at(2026, 3, 10, 11))  # timely
    ask(engineer_a2, at(2026, 3, 31, 23, 30), at(2026, 4, 1, 0, 10))  # asked in March: counts, timely
    ask(engineer_a2, at(2026, 3, 12, 10), at(2026, 3, 14, 10))  # 48 h: late
    ask(None, at(2026, 3, 15, 10), contract=contract_b)  # another contract


def test_rates_per_engineer_with_worked_numbers(contract_a, march, django_assert_num_queries):
    with django_assert_num_queries(1):
        rates = consultation_rates(contract_a, dt.date(2026, 3, 1), dt.date(2026, 3, 31))

    by_name = {row.engineer_name: row for row in rates}
    zhang, li = by_name["张工"], by_name["李工"]
    # 张: answered 3 of 4 = 75.0 %; timely 2 of the 4 asked = 50.0 %.
    assert (zhang.asked, zhang.answered, zhang.timely) == (4, 3, 2)
    assert (zhang.answer_rate, zhang.timely_rate) == (Decimal("75.0"), Decimal("50.0"))
    # 李: 3 of 3 = 100.0 %; timely 2 of 3 = 66.666… → 66.7 %.
    assert (li.asked, li.answered, li.timely) == (3, 3, 2)
    assert (li.answer_rate, li.timely_rate) == (Decimal("100.0"), Decimal("66.7"))

    # Within 48 h instead: 张's 27-hour reply and 李's 48-hour reply become timely.
    wide = {
        r.engineer_name: r
        for r in consultation_rates(contract_a, dt.date(2026, 3, 1), dt.date(2026, 3, 31), 48)
    }
    assert (wide["张工"].timely_rate, wide["李工"].timely_rate) == (Decimal("75.0"), Decimal("100.0"))


def test_rates_over_the_api_and_the_portal(client, contract_a, march, client_staff_a, outsider):
    query = {"contract": "A-2026-OM", "start": "2026-03-01", "end": "2026-03-31"}
    rows = api_as(client_staff_a).get("/api/v1/consultations/rates/", query).json()
    zhang = next(row for row in rows if row["engineer_name"] == "张工")
    assert (zhang["asked"], zhang["answer_rate"], zhang["timely_rate"]) == (4, "75.0", "50.0")
    assert (
        api_as(client_staff_a).get("/api/v1/consultations/rates/", {"contract": "A-2026-OM"}).status_code
        == 400
    )
    assert api_as(outsider).get("/api/v1/consultations/rates/", query).status_code == 404

    client.force_login(client_staff_a)
    body = client.get("/incidents/consultations/stats/", {**query, "hours": 24}).content.decode()
    assert "75.0%" in body
    assert "66.7%" in body
    client.force_login(outsider)
    assert client.get("/incidents/consultations/stats/", query).status_code == 404


def test_consultation_recorded_then_answered_in_the_portal(client, contract_a, engineer_a):
    client.force_login(engineer_a)
    response = client.post(
        "/incidents/consultations/add/",
        {
            "contract": "A-2026-OM",
            "channel": "phone",
            "asker_name": "窗口民警",
            "question": "12123 支付宝缴费失败",
            "asked_at": "2026-03-02T09:00",
            "engineer": engineer_a.pk,
        },
    )
    assert response.status_code == 302
    row = Consultation.objects.get()
    assert (row.recorded_by, row.answered) == (engineer_a, False)
    # Answered without the reply's time: refused.
    edit = f"/incidents/consultations/{row.pk}/edit/"
    fields = {
        "channel": "phone",
        "question": row.question,
        "asked_at": "2026-03-02T09:00",
        "engineer": engineer_a.pk,
    }
    assert client.post(edit, {**fields, "answered": "on"}).status_code == 200
    client.post(edit, {**fields, "answered": "on", "replied_at": "2026-03-02T09:20", "answer": "重新签约"})
    row.refresh_from_db()
    assert row.answered
    assert row.replied_at == at(2026, 3, 2, 9, 20)


def test_consultation_engineer_must_work_for_the_vendor(
    contract_a, engineer_a, vendor_engineer_a, make_user, vendor_org_b
):
    stranger = make_user(Role.VENDOR_ENGINEER, vendor_org_b)
    body = {
        "contract": "A-2026-OM",
        "channel": "online",
        "question": "?",
        "asked_at": "2026-03-02T09:00:00+08:00",
    }
    response = api_as(engineer_a).post("/api/v1/consultations/", {**body, "engineer": stranger.pk})
    assert response.status_code == 400
    assert (
        api_as(engineer_a)
        .post("/api/v1/consultations/", {**body, "engineer": vendor_engineer_a.pk})
        .status_code
        == 201
    )


# --- Complaints -----------------------------------------------------------------------------------


def test_vendor_complains_and_a_client_manager_upholds_it(client, contract_a, engineer_a, manager_a):
    client.force_login(engineer_a)
    response = client.post(
        "/incidents/complaints/add/",
        {
            "contract": "A-2026-OM",
            "subject": "甲方未按时提供机房门禁",
            "description": "三次到场无法进入机房。",
        },
    )
    complaint = Complaint.objects.get()
    assert response["Location"] == f"/incidents/complaints/{complaint.pk}/"
    assert (complaint.filed_by, complaint.filed_by_side, complaint.against_side) == (
        engineer_a,
        "vendor",
        "client",
    )
    # The vendor does not decide.
    assert (
        client.post(
            f"/incidents/complaints/{complaint.pk}/decide/", {"status": "upheld", "note": "x"}
        ).status_code
        == 403
    )

    client.force_login(manager_a)
    client.post(
        f"/incidents/complaints/{complaint.pk}/decide/", {"status": "upheld", "note": "属实，已整改门禁授权"}
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.decided_by) == (Complaint.Status.UPHELD, manager_a)
    assert complaint.decided_at is not None
    # Decided once: a second decision changes nothing.
    with pytest.raises(ValidationError):
        decide_complaint(complaint, manager_a, Complaint.Status.DISMISSED, "改判")
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.UPHELD
    assert "甲方未按时提供机房门禁" in client.get("/incidents/complaints/?status=upheld").content.decode()


def test_complaint_decisions_over_the_api(contract_a, engineer_a, manager_a):
    complaint = file_complaint(contract_a, manager_a, "工程师未按时巡检", "3 月 5 日未巡检。")
    assert (complaint.filed_by_side, complaint.against_side) == ("client", "vendor")
    url = f"/api/v1/complaints/{complaint.pk}/decide/"
    assert api_as(engineer_a).post(url, {"status": "dismissed", "note": "x"}).status_code == 403
    # Nobody decides their own complaint.
    assert api_as(manager_a).post(url, {"status": "upheld", "note": "x"}).status_code == 400
    other_manager = type(manager_a).objects.create_user("wang")
    other_manager.memberships.create(organization=contract_a.client, role=Role.CLIENT_MANAGER)
    response = api_as(other_manager).post(url, {"status": "upheld", "note": "核实属实"})
    assert response.status_code == 200
    assert response.json()["status"] == "upheld"
    assert api_as(other_manager).post(url, {"status": "dismissed", "note": "再议"}).status_code == 400
    assert (
        api_as(manager_a).patch(f"/api/v1/complaints/{complaint.pk}/", {"subject": "改"}).status_code == 405
    )


# --- Access ---------------------------------------------------------------------------------------


def test_outsider_gets_404_everywhere(client, contract_a, articles, engineer_a, outsider):
    plan = EmergencyPlan.objects.create(
        contract=contract_a, category="host_fault", title="主机", trigger_conditions="宕机", steps="切换"
    )
    row = Consultation.objects.create(
        contract=contract_a, channel="phone", question="?", asked_at=timezone.now()
    )
    complaint = file_complaint(contract_a, engineer_a, "s", "d")
    client.force_login(outsider)
    for url in [
        f"/incidents/knowledge/{articles['pool'].pk}/",
        f"/incidents/knowledge/{articles['pool'].pk}/edit/",
        f"/incidents/plans/{plan.pk}/edit/",
        f"/incidents/consultations/{row.pk}/edit/",
        f"/incidents/complaints/{complaint.pk}/",
    ]:
        assert client.get(url).status_code == 404, url
    api = api_as(outsider)
    for url in [
        f"/api/v1/knowledge-articles/{articles['pool'].pk}/",
        f"/api/v1/emergency-plans/{plan.pk}/",
        f"/api/v1/consultations/{row.pk}/",
        f"/api/v1/complaints/{complaint.pk}/",
    ]:
        assert api.get(url).status_code == 404, url
    for page in ["knowledge", "plans", "consultations", "complaints"]:
        assert "A-2026-OM" not in client.get(f"/incidents/{page}/").content.decode()


def test_wrong_role_gets_403(client, contract_a, client_staff_a, make_user, client_org_a):
    client.force_login(client_staff_a)
    for url in ["/incidents/knowledge/add/", "/incidents/plans/add/", "/incidents/consultations/add/"]:
        assert client.get(url).status_code == 403, url
    body = {
        "contract": "A-2026-OM",
        "channel": "phone",
        "question": "?",
        "asked_at": "2026-03-02T09:00:00+08:00",
    }
    assert api_as(client_staff_a).post("/api/v1/consultations/", body).status_code == 403
    auditor = make_user(Role.AUDITOR, client_org_a)
    client.force_login(auditor)
    assert client.get("/incidents/complaints/add/").status_code == 403
    assert not Consultation.objects.exists()


@pytest.mark.parametrize(
    ("endpoint", "body"),
    [
        ("knowledge-articles", {"title": "t", "solution": "s"}),
        ("emergency-plans", {"category": "other", "title": "t", "trigger_conditions": "c", "steps": "s"}),
        ("consultations", {"channel": "phone", "question": "?", "asked_at": "2026-03-02T09:00:00+08:00"}),
        ("complaints", {"subject": "s", "description": "d"}),
    ],
)
def test_api_foreign_contract_code_is_400_and_nothing_written(
    endpoint, body, contract_a, contract_b, engineer_a
):
    model = {
        "knowledge-articles": KnowledgeArticle,
        "emergency-plans": EmergencyPlan,
        "consultations": Consultation,
        "complaints": Complaint,
    }[endpoint]
    response = api_as(engineer_a).post(f"/api/v1/{endpoint}/", {**body, "contract": "B-2026-OM"})
    assert response.status_code == 400
    assert "contract" in response.json()
    assert not model.objects.exists()
    assert (
        api_as(engineer_a).post(f"/api/v1/{endpoint}/", {**body, "contract": "A-2026-OM"}).status_code == 201
    )


def test_api_drill_on_a_foreign_plan_is_400(contract_b, engineer_a):
    plan = EmergencyPlan.objects.create(
        contract=contract_b, category="other", title="乙", trigger_conditions="c", steps="s"
    )
    body = {"plan": plan.pk, "date": "2026-06-01", "participants": "p", "scenario": "s"}
    assert api_as(engineer_a).post("/api/v1/drills/", body).status_code == 400
    assert not Drill.objects.exists()


def test_api_article_from_incident(contract_a, engineer_a, client_staff_a):
    source = incident(contract_a)
    assert (
        api_as(client_staff_a)
        .post("/api/v1/knowledge-articles/from-incident/", {"incident": source.pk})
        .status_code
        == 403
    )
    response = api_as(engineer_a).post("/api/v1/knowledge-articles/from-incident/", {"incident": source.pk})
    assert response.status_code == 201
    assert response.json()["status"] == "draft"
    opened = incident(contract_a, status="new")
    assert (
        api_as(engineer_a)
        .post("/api/v1/knowledge-articles/from-incident/", {"incident": opened.pk})
        .status_code
        == 400
    )


@pytest.mark.parametrize(
    "url",
    [
        "/incidents/knowledge/",
        "/incidents/plans/",
        "/incidents/consultations/",
        "/incidents/complaints/",
        "/api/v1/knowledge-articles/",
        "/api/v1/consultations/",
        "/api/v1/complaints/",
    ],
)
def test_lists_take_the_same_queries_for_two_rows_or_twelve(url, client, contract_a, engineer_a):
    """No query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(count):
        for n in range(count):
            KnowledgeArticle.objects.create(
                contract=contract_a, title=f"t{n}", solution="s", author=engineer_a
            )
            EmergencyPlan.objects.create(
                contract=contract_a, category="other", title=f"p{n}", trigger_conditions="c", steps="s"
            )
            Consultation.objects.create(
                contract=contract_a,
                channel="phone",
                question="q",
                asked_at=timezone.now(),
                engineer=engineer_a,
            )
            file_complaint(contract_a, engineer_a, f"s{n}", "d")

    client.force_login(engineer_a)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    add(2)
    few = queries()
    add(10)
    assert queries() == few
