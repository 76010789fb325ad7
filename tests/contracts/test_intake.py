"""The contract extractor's rules (contracts.intake), each on sentences of our own writing in the
shapes contracts are written in, and the rule that no rule names a seed's parties or figures."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from contracts.intake import extract
from contracts.intake.header import capital_amount, dates, parties, title, total
from contracts.seeds import SEED_CONTRACTS

INTAKE = Path(__file__).resolve().parents[2] / "contracts" / "intake"


def test_parties_on_their_own_lines_and_beside_each_other():
    text = "甲方（委托方）：某县公安局\n乙方: 某某网络科技有限公司_\n"
    found = parties(text)
    assert (found.value("client"), found.value("vendor")) == ("某县公安局", "某某网络科技有限公司")
    one_line = parties("甲方: 某县公安局交通警察大队 乙方: 某某数据服务中心\n")
    assert one_line.value("client") == "某县公安局交通警察大队"
    assert one_line.value("vendor") == "某某数据服务中心"
    proposal = next(p for p in one_line.proposals if p.field == "vendor")
    assert proposal.quote("甲方: 某县公安局交通警察大队 乙方: 某某数据服务中心\n") == "某某数据服务中心"


def test_a_party_that_is_not_an_organisations_name_is_not_proposed():
    found = parties("甲方应按时付款。\n乙方：张三\n甲方（盖章）：\n")
    assert found.value("client") is None and found.value("vendor") is None


def test_two_names_for_one_party_are_a_conflict_and_the_first_written_is_proposed_unsure():
    found = parties("乙方：某甲科技有限公司\n……\n乙方：某乙科技有限公司\n")
    assert found.value("vendor") == "某甲科技有限公司"
    assert found.proposals[0].confidence == 0.5
    assert found.conflicts[0].values == ("某甲科技有限公司", "某乙科技有限公司")


def test_a_name_read_a_different_way_in_every_place_is_only_a_conflict():
    # A scan's glyph read three ways: no reading is the name, the reviewer chooses.
    text = "乙方：某甲科技有限公司\n……\n乙方：某乙科技有限公司\n……\n乙方（盖章）：某丙科技有限公司\n"
    found = parties(text)
    assert found.value("vendor") is None
    assert found.conflicts[0].values == ("某甲科技有限公司", "某乙科技有限公司", "某丙科技有限公司")
    # Read the same way twice, that reading is proposed; names that differ more are two names.
    assert parties(text + "乙方：某乙科技有限公司\n").value("vendor") == "某乙科技有限公司"
    names = "乙方：某甲科技有限公司\n乙方：某乙数据有限公司\n乙方：某丙科技有限公司\n"
    assert parties(names).value("vendor") == "某甲科技有限公司"


def test_the_title_is_the_heading_up_to_its_last_project_word():
    text = "某市公安局2025年度\n指挥调度系统运维服务 项目商务合同\n\n甲方：某市公安局\n"
    assert title(text).value("title") == "某市公安局2025年度指挥调度系统运维服务项目"
    text = "版本号: X-1\n某支队\n门禁系统维护服务\n项目\n运行维护服务合同\n甲方: 某支队\n"
    assert title(text, client="某支队").value("title") == "门禁系统维护服务项目"
    text = "2025年度保障项目\n(卡口系统技术支持服务) 项目合同\n"
    assert title(text).value("title") == "2025年度保障项目（卡口系统技术支持服务）"


def test_no_title_without_a_heading_that_ends_in_contract():
    assert title("根据《民法典》，双方约定如下。\n甲方：某局\n").value("title") is None


def test_signing_date_and_term_by_dates_or_from_a_start():
    found = dates("签订日期：2025 年 3 月 4 日\n服务期限: 自 2025 年 4 月 1 日 至 2026 年 3 月 31 日。")
    assert found.value("signed_on") == dt.date(2025, 3, 4)
    assert (found.value("starts_on"), found.value("ends_on")) == (dt.date(2025, 4, 1), dt.date(2026, 3, 31))
    found = dates("服务期 2 年，自2025年2月28日起计算。")
    assert (found.value("starts_on"), found.value("ends_on")) == (dt.date(2025, 2, 28), dt.date(2027, 2, 27))


def test_a_term_from_signing_needs_the_signing_date_in_the_text():
    text = "服务时间：合同生效之日起6个月截止。本合同自双方签字盖章之日起生效。"
    found = dates(text)
    assert found.value("term_months") == 6 and found.value("starts_on") is None
    found = dates("签约日期：2025年1月31日\n" + text)
    assert (found.value("starts_on"), found.value("ends_on")) == (dt.date(2025, 1, 31), dt.date(2025, 7, 30))
    # A span that is not the contract's (a part of the work) proposes nothing.
    assert dates("服务期限为系统上线后的6个月").value("term_months") is None


@pytest.mark.parametrize(
    "words, amount",
    [
        ("壹佰贰拾叁万肆仟伍佰元整", "1234500"),
        ("伍拾万零叁仟元整", "503000"),
        ("肆 拾玖万捌仟伍佰元整", "498500"),
        ("叁仟元伍角陆分", "3000.56"),
    ],
)
def test_capital_numerals(words, amount):
    assert capital_amount(words) == Decimal(amount)


def test_the_total_in_figures_checked_against_its_capital_numerals():
    found = total("合同总金额为：¥1,234,500.00（人民币大写：壹佰贰拾叁万肆仟伍佰元整）。")
    assert found.value("total") == Decimal("1234500.00") and found.proposals[0].confidence > 0.9
    heading = total("1.合同总价\n\n人民币小写: ¥90000元, 人民币大写: 玖万元整。\n")
    assert heading.value("total") == Decimal("90000.00")


def test_a_total_whose_figures_and_words_disagree_is_a_conflict_not_a_proposal():
    found = total("本合同总金额：（大写）玖万元整（小写 ¥ 80000 元）。")
    assert found.value("total") is None and found.conflicts


def test_shares_and_penalties_of_the_total_are_not_the_total():
    found = total("乙方应向甲方支付合同总价20%的违约金。甲方扣除合同总金额的1%。")
    assert found.value("total") is None


def test_no_rule_names_a_seeds_party_project_or_figure():
    code = "\n".join(path.read_text(encoding="utf-8") for path in INTAKE.glob("*.py"))
    names = set()
    for seed in SEED_CONTRACTS:
        names |= {seed["client"], seed["vendor"], seed["title"], str(seed["total"]), seed["code"]}
        names |= {str(int(seed["total"]))}
        names |= set(re.findall(r"[\u4e00-\u9fff]{2,}(?:市|区)", seed["client"]))
    found = sorted(name for name in names if name and name in code)
    assert not found, f"the extractor names a seed's {found}"


def test_extract_reads_a_whole_contract_of_our_own():
    text = (
        "某市公安局（科技信息化支队）2025年度视频专网\n运维服务项目合同\n\n"
        "甲方（委托方）：某市公安局\n乙方（服务方）：某某信息技术有限公司\n签订日期：2025 年 3 月 4 日\n"
        "本合同总金额：（大写）壹佰贰拾叁万肆仟伍佰元整（小写 ¥1,234,500.00 元）。\n"
        "服务期 1 年，自2025年4月1日起计算。\n"
    )
    found = extract(text)
    assert found.value("title") == "某市公安局（科技信息化支队）2025年度视频专网运维服务项目"
    assert found.value("total") == Decimal("1234500.00")
    assert found.value("ends_on") == dt.date(2026, 3, 31)
    assert not found.conflicts


# --- Payment milestones ---------------------------------------------------------------------------


def milestones(text):
    from contracts.intake import payments

    return [p.value for p in payments(text).proposals]


def test_payments_with_their_triggers_offsets_and_amounts():
    text = (
        "付款方式：签订合同 5 个工作日内，甲方通过转账向乙方支付 12000.00 元（大写：壹万贰仟元整），"
        "服务期满且经甲方验收合格后，甲方向乙方支付尾款人民币 48000.00 元（大写：肆万捌仟元整）。"
    )
    first, second = milestones(text)
    assert first == {
        "trigger": "signing",
        "offset": 5,
        "offset_unit": "working_days",
        "amount": Decimal("12000.00"),
        "percent": None,
    }
    assert (second["trigger"], second["offset"], second["amount"]) == (
        "final_acceptance",
        0,
        Decimal("48000.00"),
    )


def test_payments_marked_by_circled_numbers_and_fill_in_blanks():
    text = (
        "- ①合同签订生效后_20_个工作日内,甲方向乙方支付合同总价_/%预付款:即人民币小写:¥30000元。\n"
        "- ②通过项目初验后<u>10</u>个工作日内,甲方向乙方支付:即人民币小写:¥50000元。\n"
    )
    first, second = milestones(text)
    assert (first["trigger"], first["offset"], first["amount"]) == ("effective", 20, Decimal("30000"))
    assert (second["trigger"], second["offset"], second["offset_unit"]) == (
        "initial_acceptance",
        10,
        "working_days",
    )


def test_the_last_event_before_the_payment_is_its_trigger():
    text = (
        "第二期：服务期满前一个月组织验收，验收合格、待服务期满后甲方支付乙方人民币叁万元整（¥30,000.00元）。"
    )
    (only,) = milestones(text)
    assert only["trigger"] == "term_end" and only["amount"] == Decimal("30000.00")


def test_a_window_before_the_end_and_the_whole_total_at_once():
    (only,) = milestones("合同生效后，甲方在合同到期之前 60 日内向乙方一次性支付合同总金额。")
    assert (only["trigger"], only["offset"], only["percent"]) == ("before_term_end", 60, Decimal(100))


def test_late_payment_interest_and_penalties_are_not_milestones():
    text = (
        "甲方逾期付款的,每逾期1日,乙方有权要求甲方按LPR支付未付款项的利息。"
        "乙方违约的，甲方有权要求乙方支付合同总价 10%的违约金。"
        "甲方应支付给乙方的价格。"
    )
    assert milestones(text) == []


def test_a_signing_date_written_with_dots_under_its_label_and_the_term_from_it():
    text = (
        "本合同自双方签字盖章后生效，合同期限为 6 个月。\n"
        "甲方（公章）：\n\n签订日期:\n\n2025.7.15\n\n乙方（公章）：\n\n签订日期:\n\n2025.7.15\n"
    )
    found = dates(text)
    assert found.value("signed_on") == dt.date(2025, 7, 15)
    assert found.proposals[0].confidence == 0.95  # the two blocks agree
    assert (found.value("starts_on"), found.value("ends_on")) == (dt.date(2025, 7, 15), dt.date(2026, 1, 14))
    # Mixed separators or an impossible day are not a date.
    assert dates("签订日期：2025.7-15\n").value("signed_on") is None
    assert dates("签订日期：2025/02/30\n").value("signed_on") is None
    assert dates("签订日期：2025-02-03\n").value("signed_on") == dt.date(2025, 2, 3)
