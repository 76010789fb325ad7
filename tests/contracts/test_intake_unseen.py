"""The intake's rules on phrasings the seeds do not use, each on a sentence of our own: what made
the extractor miss or misread the contracts written for the tests (tests/contracts/intake_unseen),
made general. And those contracts themselves: nothing proposed there may be wrong."""

import datetime as dt
import importlib.util
from decimal import Decimal
from pathlib import Path

import pytest

from contracts.intake import extract, extract_duties, extract_header, extract_routines, penalties, sla_terms
from contracts.intake.payments import payments
from contracts.intake.prices import prices
from tests.contracts.intake_unseen.truths import cases

BENCH = Path(__file__).resolve().parents[2] / "bench" / "intake.py"


def clauses(text):
    return [p.value for p in penalties(text).proposals if p.field == "penalty_clause"]


def values(extraction, name):
    return [p.value for p in extraction.proposals if p.field == name]


def duties_due(text):
    """Each report duty's kind and deadline."""
    return {(v["kind"], v["offset"], v["offset_unit"]) for v in values(extract_routines(text), "report_duty")}


# --- Penalties ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        # Per hour, per percentage point: units the engine does not count by.
        "乙方未在约定时限内修复故障的，每延误1小时扣除合同总价的0.05%。",
        "因乙方原因造成系统瘫痪的，每超过2小时扣除合同总价的0.1%，最高不超过合同总价的3%。",
        "乙方服务满意度未达到90%的，每低1个百分点扣除合同总价的0.5%。",
        # A fixed sum per occurrence, and a kind of breach the portal does not know: nothing.
        "乙方巡检漏项的，每次扣罚300元；驻场人员迟到早退的，每人次罚款100元。",
        "乙方人员着装不规范的，每次按合同总价的0.1%扣款。",
    ],
)
def test_a_penalty_the_engine_cannot_price_is_not_proposed(sentence):
    assert clauses(sentence) == []


def test_what_no_clause_can_price_is_proposed_as_a_note_for_the_reviewer():
    text = (
        "八、违约责任\n"
        "1. 乙方巡检漏项的，每次扣罚300元。\n"
        "2. 乙方人员着装不规范的，每次按合同总价的0.1%扣款。\n"
        "3. 乙方未按约定完成巡检的，每逾期一日按合同总价的0.1%支付违约金。\n"
        "4. 本合同违约金总额不超过合同总价的20%。\n"
    )
    found = penalties(text)
    assert [c["kind"] for c in values(found, "penalty_clause")] == ["late_inspection"]
    (note,) = values(found, "notes")
    assert "每次扣罚300元" in note and "着装不规范" in note
    assert "每逾期一日" not in note and "违约金总额" not in note
    # A text whose penalties are all priced has no note.
    assert values(penalties(text.split("1.")[0] + "3." + text.split("3.")[1]), "notes") == []


@pytest.mark.parametrize(
    "sentence, count",
    [
        ("在一个服务年度内，乙方累计更换现场工程师达到4人次的，扣除合同总价的1.5%。", 4),
        ("一个合同年度内乙方擅自更换驻场运维人员累计超过1人的，甲方有权扣除合同总价的1.5%。", 2),
    ],
)
def test_a_count_within_a_year_said_further_from_the_year(sentence, count):
    (clause,) = clauses(sentence)
    assert (clause["kind"], clause["shape"], clause["threshold_count"]) == (
        "staff_replacement",
        "count_threshold",
        count,
    )
    assert clause["rate_percent"] == Decimal("1.5")


@pytest.mark.parametrize(
    "sentence, kind",
    [
        ("乙方故障响应或到达现场超时的，每次扣除合同总价的0.2%。", "late_response"),
        ("因乙方原因致使甲方业务数据外泄的，乙方应支付合同总价25%的违约金。", "secret_leak"),
    ],
)
def test_the_kind_named_after_what_happened(sentence, kind):
    (clause,) = clauses(sentence)
    assert clause["kind"] == kind


def test_a_clause_priced_at_a_count_of_breaches_is_not_read_as_once():
    # Charged at the fourth late report: a one-off clause would charge the first.
    assert clauses("乙方在服务期内累计四次未按时提交运维月报的，甲方有权扣除合同总价的2%。") == []


def test_a_cap_on_all_penalties_in_a_sentence_of_its_own_and_a_clauses_own_cap():
    text = (
        "1. 乙方未按约定完成巡检的，每逾期一日按合同总价的0.1%计收违约金，违约金累计不超过合同总价的4%。\n"
        "2. 本合同项下违约金累计不超过合同总价的25%。\n"
    )
    found = penalties(text)
    (clause,) = values(found, "penalty_clause")
    assert clause["cap_percent"] == Decimal(4)
    assert found.value("penalty_cap_percent") == Decimal(25)


# --- Header ---------------------------------------------------------------------------------------


def test_a_term_counted_in_chinese_numerals_from_its_start_date():
    found = extract_header("三、服务期限\n服务期为三年，自2026年1月1日起计算。\n")
    assert (found.value("starts_on"), found.value("ends_on")) == (dt.date(2026, 1, 1), dt.date(2028, 12, 31))


def test_a_term_counted_from_an_event_is_its_months_without_dates():
    text = (
        "服务期限：自系统上线运行之日起24个月。\n本合同自双方签字盖章之日起生效。\n签订日期：2026年3月2日\n"
    )
    found = extract_header(text)
    assert found.value("term_months") == 24
    # Signing is not the event the term counts from: no start or end date is proposed.
    assert found.value("starts_on") is None and found.value("ends_on") is None


def test_the_total_named_as_the_contract_price():
    found = extract_header("合同价款为人民币伍拾万元整（¥500,000.00），为含税价。\n")
    assert found.value("total") == Decimal("500000.00")


# --- Payments -------------------------------------------------------------------------------------


def test_a_payment_counted_from_the_contract_being_signed():
    (first, second) = values(
        payments(
            "1. 本合同签订之日起5个工作日内，甲方向乙方支付合同价款的20%；\n"
            "2. 本合同签订后30日内，甲方向乙方支付合同价款的30%。\n"
        ),
        "milestone",
    )
    assert (first["trigger"], first["offset"], first["offset_unit"], first["percent"]) == (
        "signing",
        5,
        "working_days",
        Decimal(20),
    )
    assert (second["trigger"], second["offset"], second["offset_unit"]) == ("signing", 30, "calendar_days")


# --- Staff and acceptance -------------------------------------------------------------------------


def test_people_sent_to_the_bureaus_own_site_are_the_vendors_post():
    (post,) = values(extract_duties("乙方应在甲方数据中心派驻运维人员4名，负责日常值守。"), "staff_post")
    assert (post["headcount"], post["shift"]) == (4, "5x8")


def test_several_posts_sent_at_once_and_a_heightened_periods_duty_that_is_none():
    text = (
        "乙方派驻网络运维工程师3名、安全工程师1名常驻甲方机房；"
        "重大安保期间，乙方另行安排工程师实行7×24小时值守。"
    )
    found = {(v["name"], v["shift"], v["headcount"]) for v in values(extract_duties(text), "staff_post")}
    assert found == {("网络运维工程师", "5x8", 3), ("安全工程师", "5x8", 1)}


@pytest.mark.parametrize(
    "sentence",
    [
        "乙方项目经理未经甲方书面许可不得更换。",
        "乙方技术负责人原则上不予更换，确需更换的须经甲方同意。",
    ],
)
def test_key_staff_changed_only_with_consent_said_either_way(sentence):
    assert extract_duties(sentence).value("key_staff_change_needs_consent") is True


def test_the_acceptance_article_says_the_way_over_a_payment_on_acceptance_elsewhere():
    text = (
        "四、付款\n服务期满并经甲方验收合格后10日内，甲方支付合同价款的70%。\n"
        "六、验收\n甲方每月对乙方运维服务情况进行验收，验收结果作为考核依据。\n七、违约责任\n"
    )
    assert extract_duties(text).value("acceptance_method") == "periodic"
    # Without the article, the two readings stay a conflict for the reviewer.
    plain = text.replace("六、验收\n", "")
    assert extract_duties(plain).value("acceptance_method") is None


# --- SLA ------------------------------------------------------------------------------------------


def test_a_grade_in_brackets_after_its_number_and_restoring_said_alone():
    found = {
        (p.value["clock"], p.value["target"], p.value["unit"], p.value["severity"])
        for p in sla_terms("二级（严重）故障：乙方应在1小时内响应，6小时内恢复；").proposals
    }
    assert found == {("response", 1, "hours", "severe"), ("resolution", 6, "hours", "severe")}


# --- Reports --------------------------------------------------------------------------------------


def test_a_monthly_report_named_after_its_day_and_recipient_and_an_analysis_report():
    text = "乙方应于每月10日前向甲方信息中心报送上月巡检报告；每季度结束后5个工作日内提交季度分析报告。"
    found = duties_due(text)
    assert found == {("monthly", 10, "calendar_days"), ("quarterly", 5, "working_days")}


def test_report_names_that_say_what_they_are_of_and_a_deadline_in_the_next_clause():
    text = (
        "乙方应于每月结束后2个工作日内报送月度服务报告；"
        "乙方每季度向甲方提交季度运行报告，于每季度结束后5日内提交；合同期满时提交年度技术工作总结。"
    )
    found = duties_due(text)
    assert found == {
        ("monthly", 2, "working_days"),
        ("quarterly", 5, "calendar_days"),
        ("annual", None, None),
    }


# --- Prices ---------------------------------------------------------------------------------------


def test_a_fee_per_year_beside_the_amount_is_the_rate_not_the_amount():
    text = (
        "序号\t服务项目\t服务年限\t每年费用（元）\t金额（元）\n"
        "1\t机房运维\t3年\t80,000.00\t240,000.00\n"
        "2\t网络运维\t3年\t20,000.00\t60,000.00\n"
        "\t合计\t\t\t300,000.00\n"
    )
    found = {(v["name"], v["amount"]) for v in values(prices(text), "service_item")}
    assert found == {("机房运维", Decimal("240000.00")), ("网络运维", Decimal("60000.00"))}


# --- The contracts written for the tests ----------------------------------------------------------


def _bench():
    spec = importlib.util.spec_from_file_location("intake_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _code(case):
    return case["code"] if isinstance(case, dict) else ""


@pytest.mark.parametrize("text, truth", cases(), ids=_code)
def test_nothing_proposed_for_a_contract_written_for_the_tests_is_wrong(text, truth):
    counts = _bench().score(extract(text), truth)
    assert {group: wrong for group, (_right, wrong, _missed) in counts.items() if wrong} == {}


# --- A term counted from an event, at acceptance and on the review page ---------------------------

EVENT_TERM = """某区公安局2026年度门禁系统运维服务项目合同
甲方：某区公安局
乙方：某某安防工程有限公司
一、合同金额
合同金额：人民币贰拾万元整（¥200,000.00元）。
二、服务期限
服务期限：自系统验收合格之日起12个月。
三、其他
本合同自双方签字盖章之日起生效。签订日期：2026年4月1日
"""


@pytest.fixture
def event_upload(db, make_user, settings, tmp_path, django_capture_on_commit_callbacks, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from contracts.intake import flow
    from contracts.models import Organization, Role

    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(flow, "enqueue", lambda upload: flow.run_reading(upload.pk))
    bureau = Organization.objects.create(name="某区公安局", kind=Organization.Kind.CLIENT)
    user = make_user(Role.CLIENT_MANAGER, bureau)
    with django_capture_on_commit_callbacks(execute=True):
        upload = flow.create_upload(
            client=bureau, uploaded_file=SimpleUploadedFile("合同.txt", EVENT_TERM.encode()), by=user
        )
    upload.refresh_from_db()
    return upload, user


def _kept(upload):
    from contracts.intake import codec

    return [codec.load_proposal(p) for p in upload.proposals]


def test_the_months_give_the_end_date_once_the_contract_has_a_start_date(event_upload):
    from contracts.intake.accept import accept
    from contracts.models import TermSource

    upload, user = event_upload
    proposals = _kept(upload)
    (months,) = [p for p in proposals if p["field"] == "term_months"]
    assert months["value"] == 12 and not [p for p in proposals if p["field"] in ("starts_on", "ends_on")]
    # The reviewer enters the day the system passed acceptance as the start.
    started = {**months, "field": "starts_on", "group": "term", "value": "2026-06-15", "rule": "reviewer"}
    contract = accept(upload, [*proposals, started], code="QX-2026-MJ", by=user)
    assert (contract.starts_on, contract.ends_on) == (dt.date(2026, 6, 15), dt.date(2027, 6, 14))
    source = TermSource.objects.get(contract=contract, field="ends_on")
    assert EVENT_TERM[source.start : source.end].startswith("服务期限")


def test_without_a_start_date_the_months_are_not_entered_and_the_review_page_says_why(event_upload):
    from django.utils import translation

    from contracts.intake import review
    from contracts.intake.accept import accept
    from om_portal.models import AuditEntry

    upload, user = event_upload
    contract = accept(upload, _kept(upload), code="QX-2026-MJ", by=user)
    assert contract.starts_on is None and contract.ends_on is None
    entry = AuditEntry.objects.filter(action="accept").latest("pk")
    assert "term_months" in entry.detail["not_entered"]
    with translation.override("zh-hans"):
        (row,) = [r for r in review.rows(_kept(upload), upload.text) if r.inputs[0].value == "12"]
        assert (str(row.label), row.tab) == ("服务期限（月）", "overview")
        assert "不录入" in str(row.note) and "起止日期" in str(row.note)
