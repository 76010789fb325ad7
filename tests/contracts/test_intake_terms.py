"""The intake's SLA and penalty-clause rules (contracts.intake.sla, .penalties), each on sentences
of our own writing in the shapes the seed contracts are written in, never on a seed's own."""

from decimal import Decimal

import pytest

from contracts.intake import extract, penalties, sla_terms
from contracts.intake.sentences import flatten, number
from contracts.seeds import SEED_CONTRACTS
from contracts.shapes import SHAPES

SEED_TERM_KEYS = SEED_CONTRACTS[0]["sla_terms"][0].keys()


def terms(text):
    return [(p.value["clock"], p.value["target"], p.value["unit"]) for p in sla_terms(text).proposals]


def cases(text):
    return {
        (p.value["clock"], p.value["target"], p.value["unit"], p.value["severity"], p.value["condition"])
        for p in sla_terms(text).proposals
    }


def clauses(text):
    return [p.value for p in penalties(text).proposals if p.field == "penalty_clause"]


def fields(value, *names):
    return tuple(value[name] for name in names)


def only_clause(text):
    (value,) = clauses(text)
    return value


# --- The flat text -------------------------------------------------------------------------------


def test_a_sentence_broken_by_a_page_is_read_whole_and_its_span_is_the_originals():
    text = (
        "三、服务要求\n乙方设立服务热线并安排专人值守，对甲方报修的各类问题，乙方应在接到报修后 3 小\n\n\n"
        "时内到达现场，并在 1 个工作日内排除故障。\n二、付款\n"
    )
    flat = flatten(text)
    assert "3小时内到达现场" in flat.text.replace(" ", "")
    # A short heading and an item of its own stay lines of their own.
    assert flat.text.split("\n")[0] == "三、服务要求" and flat.text.split("\n")[2] == "二、付款"
    (arrival, resolution) = sla_terms(text).proposals
    assert arrival.quote(text).startswith("3 小") and arrival.quote(text).endswith("到达现场")
    assert (resolution.value["target"], resolution.value["unit"]) == (1, "working_days")


def test_fill_in_blanks_and_underline_markup_are_read_as_their_figures():
    assert terms("保修期内，乙方收到通知后<u>6</u>小时内响应，_3_个日历日内完成修复。") == [
        ("response", 6, "hours"),
        ("resolution", 3, "calendar_days"),
    ]


@pytest.mark.parametrize(
    ("words", "value"), [("叁", 3), ("十五", 15), ("两", 2), ("0.05", "0.05"), ("零点五", "0.5")]
)
def test_numerals_through_cn2an(words, value):
    assert number(words) == Decimal(str(value))


# --- SLA targets ----------------------------------------------------------------------------------


def test_a_list_of_targets_after_its_case():
    text = "发生重大故障时，乙方应在 20 分钟内响应、1 小时内赶到现场，6 小时内恢复系统运行。"
    assert cases(text) == {
        ("response", 20, "minutes", "", "major_fault"),
        ("arrival", 1, "hours", "", "major_fault"),
        ("resolution", 6, "hours", "", "major_fault"),
    }


def test_each_grade_named_in_its_own_sentence():
    text = "紧急故障：乙方 15 分钟内响应，2 小时内到场；一般故障：乙方 4 小时内响应，3 个工作日内解决。"
    assert cases(text) == {
        ("response", 15, "minutes", "emergency", ""),
        ("arrival", 2, "hours", "emergency", ""),
        ("response", 4, "hours", "general", ""),
        ("resolution", 3, "working_days", "general", ""),
    }


def test_the_clock_named_before_its_target():
    text = "服务指标：响应时间不超过 10 分钟，到场时间不超过 3 小时，故障修复时间不超过 12 小时。"
    assert sorted(terms(text)) == [
        ("arrival", 3, "hours"),
        ("resolution", 12, "hours"),
        ("response", 10, "minutes"),
    ]
    assert {p.rule for p in sla_terms(text).proposals} == {"sla-time-of"}


def test_how_the_clock_is_met_may_stand_before_it():
    found = terms("乙方 20 分钟内电话响应，6 小时内现场解决。")
    assert found == [("response", 20, "minutes"), ("resolution", 6, "hours")]


def test_an_engineer_dispatched_within_the_time_is_an_arrival():
    assert terms("接到甲方通知后，乙方须在 90 分钟内派技术人员到达现场处理。") == [("arrival", 90, "minutes")]


def test_a_limit_not_to_be_exceeded_is_a_resolution_target():
    assert terms("乙方处理故障不得超过 3 个工作日解决。") == [("resolution", 3, "working_days")]
    assert terms("所报故障超过 72 小时仍无法修复的，视为乙方违约。") == [("resolution", 72, "hours")]


def test_the_phone_first_then_on_site():
    text = "甲方报修后 1 小时内，如远程及电话指导仍不能解决问题，乙方应立即安排工程师赶赴现场。"
    (proposal,) = sla_terms(text).proposals
    assert fields(proposal.value, "clock", "target", "unit", "condition") == (
        "arrival",
        1,
        "hours",
        "phone_unresolved",
    )
    assert proposal.rule == "sla-phone-then-site"


def test_a_question_answered_the_same_day():
    (proposal,) = sla_terms("甲方工作人员提出的咨询，乙方需当天内给予答复。").proposals
    assert fields(proposal.value, "clock", "target", "unit") == ("response", 1, "same_day")
    assert proposal.value["condition"] == "consultation"


def test_half_an_hour_is_thirty_minutes():
    assert terms("乙方半小时内响应，2 小时内到场。") == [("response", 30, "minutes"), ("arrival", 2, "hours")]


def test_a_major_emergency_fault_is_a_major_fault_not_a_grade():
    found = cases("出现重大紧急故障时，乙方 10 分钟内响应。")
    assert found == {("response", 10, "minutes", "", "major_fault")}


@pytest.mark.parametrize(
    ("sentence", "condition"),
    [
        ("在免费保修期内，乙方接到通知后 8 小时内响应。", "warranty_repair"),
        ("涉及其他部门协调的问题，乙方应在 6 小时内解决。", "other_unit"),
        ("需财政局配合处理的，2 日内解决故障。", "finance_department"),
        ("终端软件出现故障时，乙方 3 小时内到达现场。", "software_fault"),
    ],
)
def test_the_case_a_target_is_for(sentence, condition):
    (proposal,) = sla_terms(sentence).proposals
    assert proposal.value["condition"] == condition


def test_a_question_or_a_fault_report_named_before_the_fault_target_is_not_its_case():
    assert cases("乙方提供电话咨询服务，接到报修后 30 分钟内响应。") == {("response", 30, "minutes", "", "")}
    assert cases("乙方提供故障保修服务，接到通知后 2 小时内到场。") == {("arrival", 2, "hours", "", "")}
    assert cases("对用户的咨询，乙方 30 分钟内回复。") == {("response", 30, "minutes", "", "consultation")}


def test_faults_in_a_paragraph_about_software_maintenance_are_software_faults():
    text = "(2) 业务软件运维\n乙方负责业务软件的安装与升级；系统发生故障后，乙方 3 小时内赶到现场。"
    (proposal,) = sla_terms(text).proposals
    assert proposal.value["condition"] == "software_fault"
    hardware = "乙方负责软件的安装及硬件维修；系统发生故障后，乙方 3 小时内赶到现场。"
    assert sla_terms(hardware).proposals[0].value["condition"] == ""


@pytest.mark.parametrize(
    "sentence",
    [
        "乙方工程师 7×24 小时响应甲方的服务请求。",
        "乙方派遣工程师 7 天×24 小时到现场值守。",
        "应用系统可以在 15 分钟之内排除的故障，由管理员直接处理。",
        "值班人员每天 24 小时响应甲方需求。",
        "发现安全漏洞的，乙方应在 5 个工作日内修复。",
        "需要原厂配合的故障，乙方 48 小时内解决。",
        "二级故障 45 分钟内响应。",
        "乙方在 24 小时内与甲方协商到场时间。",
        "重要会议前，乙方应提前 3 小时到场检查设备。",
        "乙方接到通知 2 小时，到场时间由双方另行约定。",
        "签订合同后 5 日内，驻场人员全部到达甲方指定地点。",
    ],
)
def test_hours_of_service_plans_and_unnamed_cases_are_not_targets(sentence):
    assert sla_terms(sentence).proposals == []


def test_a_target_for_every_grade_the_contract_defines():
    text = (
        "故障级别\t说明\n紧急故障\t全部业务中断\n严重故障\t部分业务中断\n一般故障\t个别功能异常\n\n"
        "乙方接到报修后 30 分钟内响应。紧急故障 10 分钟内响应。\n"
    )
    assert cases(text) == {
        ("response", 10, "minutes", "emergency", ""),
        ("response", 30, "minutes", "severe", ""),
        ("response", 30, "minutes", "general", ""),
    }


def test_a_table_of_targets_by_grade():
    text = (
        "故障等级\t响应时间\t到场时间\t解决时间\n"
        "紧急\t10分钟\t1小时\t4小时内\n"
        "一般故障\t1小时\t/\t2个工作日\n"
    )
    assert cases(text) == {
        ("response", 10, "minutes", "emergency", ""),
        ("arrival", 1, "hours", "emergency", ""),
        ("resolution", 4, "hours", "emergency", ""),
        ("response", 1, "hours", "general", ""),
        ("resolution", 2, "working_days", "general", ""),
    }
    proposal = next(p for p in sla_terms(text).proposals if p.value["clock"] == "arrival")
    assert proposal.quote(text) == "1小时" and proposal.rule == "sla-table"


def test_the_hours_a_target_is_counted_in_when_its_paragraph_says():
    (proposal,) = sla_terms("乙方实行 7*24 小时值守，接到报修后 2 小时内到场。").proposals
    assert proposal.value["coverage"] == "7x24"
    (proposal,) = sla_terms("乙方 2 小时内到场。").proposals
    assert proposal.value["coverage"] == ""


def test_a_target_restated_in_a_penalty_clause_is_priced_by_it():
    text = (
        "二、服务要求\n发生重大故障时，乙方 20 分钟内响应、1 小时内到达现场。\n"
        "三、违约责任\n1、乙方未在 20 分钟内响应的，每次扣除合同总价的 0.5%。\n"
        "2、乙方的故障超过 24 小时仍未解决的，每次扣除合同总价的 1%。\n"
    )
    found = {(p.value["clock"], p.value["condition"]): p.value["clause"] for p in sla_terms(text).proposals}
    assert found == {
        ("response", "major_fault"): "late_response",
        ("arrival", "major_fault"): "",
        ("resolution", ""): "sla_resolution",
    }


def test_a_clause_pricing_a_late_clock_prices_that_clocks_targets():
    text = "乙方接到报修后 30 分钟内响应，4 小时内到场。\n乙方未按要求响应的，每次扣除合同总价的 0.5%。\n"
    found = {p.value["clock"]: p.value["clause"] for p in sla_terms(text).proposals}
    assert found == {"response": "late_response", "arrival": ""}
    text = text.replace("未按要求响应", "未按要求响应或到达现场")
    found = {p.value["clock"]: p.value["clause"] for p in sla_terms(text).proposals}
    assert found == {"response": "late_response", "arrival": "late_response"}
    question = "对用户的咨询，乙方当日答复。\n乙方未按要求响应的，每次扣除合同总价的 0.5%。\n"
    assert [p.value["clause"] for p in sla_terms(question).proposals] == [""]


def test_two_targets_for_one_clock_and_case_are_a_conflict_and_neither_is_proposed():
    found = sla_terms("乙方应在 2 小时内到场。\n六、其他\n乙方应在 3 小时内到场。")
    assert found.proposals == []
    (conflict,) = found.conflicts
    assert conflict.values == ((2, "hours"), (3, "hours")) and len(conflict.spans) == 2


def test_a_term_has_the_fields_the_seed_terms_have():
    (proposal,) = sla_terms("乙方 2 小时内到场。").proposals
    assert set(proposal.value) == set(SEED_TERM_KEYS) | {"coverage"}
    assert 0 < proposal.confidence <= 1 and proposal.group == "sla" and proposal.field == "sla_term"


# --- Penalty clauses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("甲方未按时付款的，每逾期一日按应付未付款的万分之三支付违约金。", "late_payment"),
        ("乙方擅自将服务转包给第三方的，应支付合同总价 15% 的违约金。", "subcontracting"),
        ("乙方人员泄露甲方工作秘密的，应支付合同总价 25% 的违约金。", "secret_leak"),
        ("驻场人员对来访群众态度粗暴的，乙方应支付合同总价 2% 的违约金。", "staff_conduct"),
        ("乙方擅自更换驻场人员的，每次扣除合同总价的 0.5%。", "staff_replacement"),
        ("连续两个季度未达到考核指标的，甲方有权扣除合同总价的 5%。", "kpi_failure"),
        ("因乙方原因导致系统大面积瘫痪的，须缴纳合同总金额百分之八的违约金。", "major_outage"),
        ("乙方未按要求填写服务记录单的，扣除合同总价的 1%。", "missing_service_record"),
        ("乙方未在 15 分钟内响应的，每次扣除合同总价的 0.2%。", "late_response"),
        ("乙方未能按时到达现场的，每次扣除合同总价的 0.2%。", "sla_arrival"),
        ("乙方未在规定时间内排除故障的，每次扣除合同总价的 0.2%。", "sla_resolution"),
        ("乙方逾期交付系统的，每逾期一日按合同总价的 0.2% 支付违约金。", "late_delivery"),
        ("乙方未按约定时间完成系统部署的，每延误一日按合同总金额的 0.4% 支付违约金。", "late_delivery"),
        ("乙方服务考核连续两次不合格的，甲方有权扣除合同金额的 3%。", "kpi_failure"),
        ("乙方拒不整改的，甲方有权要求乙方支付合同总价 10% 的违约金。", "quality_failure"),
        ("乙方未按时完成月度巡检的，每次扣除合同总价的 0.1%。", "late_inspection"),
        ("乙方未按时提交季度运维报告的，每逾期一日扣除合同总价的 0.05%。", "late_report"),
        ("乙方未及时提供现场维护服务的，每日按合同总价的千分之一支付违约金。", "late_service"),
        ("乙方不完全履行合同的，每发生一次扣除合同总价的 2%。", "service_breach"),
        ("乙方有其他违约情形的，应支付合同总价 5% 的违约金。", "other_breach"),
        ("乙方违反本合同约定的，应支付合同总价 8% 的违约金。", "vendor_breach"),
    ],
)
def test_the_kind_of_breach_the_condition_names(sentence, kind):
    assert only_clause(sentence)["kind"] == kind


def test_the_first_kind_named_wins_and_a_catch_all_only_when_none_is_named():
    text = "乙方迟延履行合同、人员更换频繁或发生泄密事件的，每发生一次扣除合同总价的 1%。"
    assert only_clause(text)["kind"] == "service_breach"
    text = "乙方未履行合同约定，造成系统大面积中断的，须支付合同总价 6% 的违约金。"
    assert only_clause(text)["kind"] == "major_outage"


def test_per_day_with_its_cap_and_the_days_after_which_the_client_may_terminate():
    value = only_clause(
        "乙方未按时提供巡检等维护服务的，每日按合同总额的千分之贰支付违约金，最高不超过合同总额的 8%；"
        "逾期超过 7 日的，甲方有权解除本合同。"
    )
    assert (value["shape"], value["rate_percent"], value["cap_percent"]) == ("per_day", Decimal("0.2"), 8)
    assert (value["termination_after_days"], value["termination_at_count"]) == (7, None)
    assert SHAPES[value["shape"]].code == "per_day"


def test_per_day_of_delay_counted_in_calendar_days_and_a_clause_cap_named_as_a_total():
    text = "乙方逾期交付的，每延误 1 个日历日按合同总价的 0.3%计收，违约金总额不超过合同总价的 6%。"
    value = only_clause(text)
    assert fields(value, "shape", "rate_percent", "cap_percent") == ("per_day", Decimal("0.3"), 6)
    assert penalties(text).value("penalty_cap_percent") is None


def test_per_occurrence_escalating_at_the_nth_with_termination_then():
    value = only_clause(
        "乙方不完全履行合同的，每发生一次，扣除合同总额 2%的违约金。"
        "累计发生四次的，乙方支付合同总额 15%的违约金，甲方有权解除合同。"
    )
    assert (value["shape"], value["rate_percent"]) == ("per_occurrence", 2)
    assert fields(value, "escalation_at", "escalation_percent", "escalation_mode") == (4, 15, "replaces")
    assert value["termination_at_count"] == 4


def test_per_occurrence_terminating_at_a_count_without_escalation():
    value = only_clause("每发生一次服务不到位，扣除合同总价的 0.5%；累计发生 6 次的，甲方有权解除合同。")
    assert fields(value, "shape", "escalation_at", "termination_at_count") == ("per_occurrence", None, 6)


def test_a_catch_all_clause_repeats_and_a_clause_naming_no_count_is_once():
    assert only_clause("乙方有其他违约行为的，应支付合同总价 4% 的违约金。")["shape"] == "per_occurrence"
    once = penalties("乙方转包的，须缴纳合同总金额百分之六的违约金。").proposals[0]
    assert once.value["shape"] == "one_off" and once.confidence < 0.9


def test_a_count_within_a_year():
    value = only_clause("一年内更换驻场人员 3 人及以上的，甲方有权扣除合同总金额的 2% 或解除合同。")
    assert fields(value, "shape", "threshold_count", "termination_at_count") == ("count_threshold", 3, 1)
    value = only_clause("合同年度内驻场人员更换超过 2 人的，甲方有权扣除合同总额的 1%。")
    assert value["threshold_count"] == 3


def test_one_off_with_termination():
    value = only_clause("乙方泄露甲方数据的，甲方有权解除合同，并要求乙方支付合同总价 30% 的违约金。")
    assert (value["shape"], value["rate_percent"], value["termination_at_count"]) == ("one_off", 30, 1)
    assert value["party"] == "vendor" and value["base"] == "total" and value["rate_source"] == "fixed"


def test_the_clients_late_payment_on_the_overdue_amount_or_on_the_total():
    value = only_clause("甲方逾期付款的，逾期部分按每日万分之五计算违约金。")
    assert fields(value, "party", "base", "rate_percent") == ("client", "overdue_amount", Decimal("0.05"))
    value = only_clause(
        "甲方未按约定时间付款的，每迟延一日按合同总价的 0.05% 支付违约金，最高不超过合同总价的 2%。"
    )
    assert (value["party"], value["base"], value["cap_percent"]) == ("client", "total", 2)


def test_the_clients_late_payment_at_the_lpr():
    text = (
        "甲方逾期付款的，每逾期 1 日，按一年期LPR（贷款市场报价利率）计付未付款项的违约金，"
        "最高为合同总价的 5%。"
    )
    value = only_clause(text)
    assert fields(value, "rate_source", "rate_percent", "base") == ("lpr_one_year", 0, "overdue_amount")
    assert value["cap_percent"] == 5 and value["shape"] == "per_day"
    assert clauses("甲方逾期付款的，每逾期 1 日，按五年期LPR计付未付款项的违约金。") == []
    value = only_clause("甲方逾期支付的，按一年期LPR向乙方支付未付款项的逾期利息。")
    assert fields(value, "kind", "shape", "rate_source", "base") == (
        "late_payment",
        "per_day",
        "lpr_one_year",
        "overdue_amount",
    )


def test_a_cap_in_a_clauses_sentence_on_all_penalties_is_the_overall_cap():
    text = "乙方逾期交付的，每日按合同总价的 0.1% 支付违约金，上述各项违约金累计不超过合同总价的 20%。"
    found = penalties(text)
    assert found.value("penalty_cap_percent") == 20 and only_clause(text)["cap_percent"] is None


def test_inspections_named_as_an_example_of_the_service_are_the_service():
    value = only_clause("乙方未按时完成巡检等维护服务的，每日按合同总价的 0.1% 支付违约金。")
    assert value["kind"] == "late_service"


def test_a_daily_word_in_the_condition_does_not_make_the_clause_per_day():
    value = only_clause("乙方未完成每日巡检的，扣除合同总价的 0.5%。")
    assert (value["kind"], value["shape"]) == ("late_inspection", "one_off")


def test_the_day_written_after_the_rate_and_each_breach_as_each_time():
    value = only_clause("乙方逾期交付的，按合同总价的 0.2%/日支付违约金。")
    assert fields(value, "shape", "rate_percent") == ("per_day", Decimal("0.2"))
    value = only_clause("乙方每违约一次，甲方有权扣除合同总价的 1.5%。")
    assert fields(value, "kind", "shape") == ("vendor_breach", "per_occurrence")
    assert value["rate_percent"] == Decimal("1.5")


def test_per_mille_and_a_cap_written_as_a_limit():
    value = only_clause("乙方逾期交付的，每日按合同总价的 2‰ 支付违约金，违约金以合同总价的 12% 为限。")
    assert fields(value, "shape", "rate_percent", "cap_percent") == ("per_day", Decimal("0.2"), 12)


def test_a_figure_in_the_condition_is_not_the_rate():
    value = only_clause("因乙方原因导致系统可用率低于 99.5% 的，每次扣除合同总价的 0.8%。")
    assert fields(value, "kind", "shape", "rate_percent") == ("kpi_failure", "per_occurrence", Decimal("0.8"))


def test_a_figure_after_the_rate_that_is_no_cap_is_not_the_cap():
    value = only_clause("乙方未及时提供维护服务的，每日扣除合同总价的 0.1%。系统可用率须恢复到 99% 以上。")
    assert fields(value, "rate_percent", "cap_percent") == (Decimal("0.1"), None)


def test_the_clients_own_breach_is_not_a_vendors_kind():
    assert clauses("甲方有其他违约行为的，应向乙方支付合同总价 6% 的违约金。") == []
    assert only_clause("经甲方书面确认，乙方违约的，应支付合同总价 6% 的违约金。")["kind"] == "vendor_breach"


def test_the_cap_on_all_penalties_together():
    text = "1、乙方转包的，应支付合同总价 20% 的违约金。\n2、本合同项下各项违约金累计不超过合同总价的 25%。\n"
    found = penalties(text)
    assert found.value("penalty_cap_percent") == 25
    assert [p.value["cap_percent"] for p in found.proposals if p.field == "penalty_clause"] == [None]
    cap = next(p for p in found.proposals if p.field == "penalty_cap_percent")
    assert cap.quote(text) == "25%" and cap.group == "penalties"


@pytest.mark.parametrize(
    "sentence",
    [
        "验收合格后 15 日内，甲方向乙方支付合同总价的 40%。",
        "乙方应提交合同总价 5% 的履约保证金，违约时甲方有权扣除。",
        "乙方服务质量不符合要求的，每次扣除当月服务费的 10%。",
        "乙方拒不整改的，每日扣除合同总价的 0.1%，最高不超过当年服务费的 5%。",
        "乙方迟延的，应按合同总价的 1% 支付违约金。",
        "乙方逾期交付的，按逾期金额每日 0.1% 支付违约金。",
    ],
)
def test_no_clause_without_a_kind_a_share_of_the_total_or_a_penalty(sentence):
    assert clauses(sentence) == []


def test_two_readings_of_one_kind_are_a_conflict_and_neither_is_proposed():
    text = "1、乙方转包的，应支付合同总价 10% 的违约金。\n附件：乙方分包的，应支付合同总价 15% 的违约金。\n"
    found = penalties(text)
    assert clauses(text) == []
    (conflict,) = found.conflicts
    assert [v["rate_percent"] for v in conflict.values] == [10, 15]


def test_a_problem_in_the_trial_run_extends_it_and_a_second_lets_the_client_terminate():
    text = (
        "系统上线后进入 90 个日历日的试运行期，期间如出现问题，试运行期自问题解决之日起延长 15 个日历日。\n"
        "延长期内再次出现问题的，甲方有权解除合同。\n"
    )
    value = only_clause(text)
    assert (value["kind"], value["shape"], value["rate_percent"], value["termination_at_count"]) == (
        "trial_run_problem",
        "per_occurrence",
        0,
        2,
    )


def test_a_clause_has_the_fields_of_a_penalty_clause_and_its_span():
    text = "五、违约责任\n乙方转包的，应支付合同总价 12% 的违约金。\n六、其他"
    (proposal,) = penalties(text).proposals
    assert proposal.quote(text) == "乙方转包的，应支付合同总价 12% 的违约金。"
    assert proposal.value["title"] and proposal.value["text"] == proposal.quote(text)
    assert {"kind", "shape", "rate_percent", "cap_percent", "base", "party"} <= set(proposal.value)
    assert proposal.rule == "penalty-clause" and 0 < proposal.confidence <= 1


def test_extract_proposes_both_groups():
    text = "乙方 2 小时内到场。\n乙方转包的，应支付合同总价 12% 的违约金。\n"
    groups = {p.group for p in extract(text).proposals}
    assert {"sla", "penalties"} <= groups


MODEL_TEXT = (
    "三、服务要求\n"
    "紧急故障：乙方 15 分钟内响应，2 小时内到场；一般故障：乙方 4 小时内响应，3 个工作日内解决。\n"
    "乙方实行 7×24 小时值守，接到报修后半小时内响应。\n"
    "五、违约责任\n1、甲方逾期付款的，每逾期 1 日，按一年期LPR计付未付款项的违约金，最高为合同总价的 5%。\n"
    "2、乙方不完全履行合同的，每发生一次，扣除合同总额 2%的违约金。"
    "累计发生四次的，乙方支付合同总额 15%的违约金。\n"
    "3、一年内更换驻场人员 3 人及以上的，甲方有权扣除合同总金额的 2% 或解除合同。\n"
    "4、乙方逾期交付的，每日按合同总价的 0.2% 支付违约金，最高不超过合同总价的 8%。\n"
    "5、乙方转包的，须缴纳合同总金额百分之六的违约金。\n"
)


def test_every_proposed_clause_and_term_is_one_the_models_take():
    from contracts.models import PenaltyClause, SLATerm
    from contracts.shapes import check

    found = extract(MODEL_TEXT)
    proposed = [p.value for p in found.proposals if p.field == "penalty_clause"]
    assert len(proposed) == 5
    for value in proposed:
        clause = PenaltyClause(**value)
        clause.clean_fields(exclude=["contract"])
        assert check(clause) == {}, value
    terms_found = [p.value for p in found.proposals if p.field == "sla_term"]
    assert len(terms_found) == 5
    for value in terms_found:
        fields_of_term = {k: v for k, v in value.items() if k != "clause" and (k != "coverage" or v)}
        term = SLATerm(**fields_of_term)
        term.clean_fields(exclude=["contract", "penalty_clause"])
        term.clean()
