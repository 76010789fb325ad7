"""The intake rules for staff posts, staff rules, acceptance, inspection schedules and report
duties (contracts.intake.duties and .routines), each on sentences of our own writing."""

import pytest

from contracts.intake import extract
from contracts.intake.duties import acceptance, number, staff_posts, staff_rules
from contracts.intake.routines import inspections, reports


def posts(text):
    return [
        (p.value["shift"], p.value["headcount"], p.value["place"], p.rule)
        for p in staff_posts(text).proposals
    ]


def values(extraction, field):
    return [p.value for p in extraction.proposals if p.field == field]


@pytest.mark.parametrize("words, n", [("3", 3), ("五", 5), ("两", 2), ("十二", 12), ("x", None)])
def test_numbers_in_figures_and_chinese_numerals(words, n):
    assert number(words) == n


# --- Staff posts ----------------------------------------------------------------------------------


def test_a_count_of_resident_staff_is_a_post_on_working_days():
    assert posts("乙方应派驻不少于2名驻场人员负责日常维护。") == [("5x8", 2, "", "resident-count")]
    assert posts("乙方安排两名一线驻场工程师。") == [("5x8", 2, "", "resident-count")]
    assert posts("乙方派遣6名技术人员驻场。") == [("5x8", 6, "", "resident-count")]
    assert posts("驻场工程师不少于4名，负责机房值守。") == [("5x8", 4, "", "resident-count")]


def test_one_count_said_twice_is_one_post():
    text = "乙方提供 4 位以上驻场人员。……乙方提供4名驻场人员，按甲方制度管理。"
    assert posts(text) == [("5x8", 4, "", "resident-count")]


def test_two_different_counts_without_a_majority_are_a_conflict_not_a_post():
    found = staff_posts("乙方提供3名驻场人员。……乙方提供5名驻场人员。")
    assert found.proposals == [] and found.conflicts[0].values == (3, 5)


def test_posts_by_shift_pattern_from_a_table_and_none_where_it_says_slash():
    text = "驻场安排：5天×8小时驻场岗位3个，7天×8小时驻场岗位/个，7天×24小时驻场岗位1个。"
    assert posts(text) == [("5x8", 3, "", "shift-table"), ("7x24", 1, "", "shift-table")]


def test_posts_at_named_places_and_their_total_is_not_a_post_of_its_own():
    text = "乙方派遣5名技术人员驻场。乙方需安排指挥中心驻场运维工程师4名，交通支队驻场技术人员1名。"
    assert posts(text) == [("5x8", 4, "指挥中心", "placed-post"), ("5x8", 1, "交通支队", "placed-post")]
    names = [p.value["name"] for p in staff_posts(text).proposals]
    assert names == ["指挥中心驻场工程师", "交通支队驻场人员"]


def test_a_round_the_clock_duty_and_a_designated_lead_are_posts_of_one():
    assert posts("乙方实行7×24小时值班制度，保障系统运行。") == [("7x24", 1, "", "round-the-clock-duty")]
    assert posts("乙方应指定一名项目负责人统筹服务。") == [("5x8", 1, "", "designated-lead")]


def test_occasions_and_services_round_the_clock_are_not_posts():
    assert posts("节假日期间乙方安排2名驻场人员值班。") == []
    assert posts("乙方提供7*24小时电话服务，保障系统7×24小时正常运行。") == []
    assert posts("乙方配有不少于5名的服务人员。") == []


def test_staff_rules_of_the_contract():
    found = staff_rules("乙方的项目负责人不得擅自更换，确需更换的，应事先征得甲方书面同意。")
    assert values(found, "key_staff_change_needs_consent") == [True]
    found = staff_rules("双休日和法定节假日乙方须安排至少2名工程师在岗。")
    assert values(found, "onsite_on_non_working_days") == [True]
    # Replaced only on the bureau's word is not about key staff; on request is not a must.
    assert staff_rules("涉密人员未经甲方许可不得更换。").proposals == []
    assert staff_rules("节假日期间乙方根据甲方要求派人提供现场保障。").proposals == []


# --- Acceptance -----------------------------------------------------------------------------------


def method(text):
    return values(acceptance(text), "acceptance_method")


def test_the_acceptance_way_the_text_picks_from_its_list():
    options = "\nI.一次性验收：服务结束后一次验收。\nII.固定周期验收：每季度验收一次。\n"
    assert method("验收方式：甲方按下列第2种方式进行验收。" + options) == ["periodic"]
    assert method("验收方式：甲方按下列第1种方式进行验收。" + options) == ["one_time"]


def test_acceptance_at_the_end_or_periodically():
    assert method("服务期满后，由甲方组织验收。") == ["one_time"]
    assert method("项目最终验收合格后进入维保期。") == ["one_time"]
    assert method("甲方每季度对乙方的服务进行验收。") == ["periodic"]
    found = acceptance("甲方按月进行验收，服务期满后组织总体验收。")
    assert values(found, "acceptance_method") == [] and found.conflicts


def test_a_build_contracts_periods():
    text = (
        "自签订合同之日起 90 个日历日内完成建设；系统建设完成后 _15_ 个日历日内完成初验。"
        "项目通过初验后进入为期<u>60</u>个日历日的试运行期，如发生问题，试运行期延长 20 个日历日。"
        "试运行期满后 10 个日历日内完成项目终验。质保期为 2 年。"
    )
    found = acceptance(text)
    assert {p.field: p.value for p in found.proposals if p.field != "acceptance_method"} == {
        "build_days": 90,
        "initial_acceptance_days": 15,
        "trial_run_days": 60,
        "trial_extension_days": 20,
        "final_acceptance_days": 10,
        "warranty_years": 2,
    }
    quote = next(p for p in found.proposals if p.field == "trial_run_days").quote(text)
    assert "60" in quote and "试运行" in quote


def test_two_periods_for_one_field_are_a_conflict():
    found = acceptance("项目初验后试运行。提供2年免费维保。……维保期为3年。")
    assert values(found, "warranty_years") == [] and found.conflicts[0].values == (2, 3)


# --- Inspections ----------------------------------------------------------------------------------


def kinds_of(text):
    return [
        (v["kind"], {k: v[k] for k in ("times_of_day", "nth_working_day") if k in v})
        for v in values(inspections(text), "inspection_schedule")
    ]


def test_inspections_by_their_frequency():
    text = (
        "乙方每天对机房进行巡检；每周检查一次备份；每个月对服务器进行性能检测；"
        "每季度开展一次安全检查；每半年巡查一次线路。"
    )
    assert [k for k, _x in kinds_of(text)] == ["daily", "weekly", "monthly_day", "quarterly", "half_yearly"]


def test_a_list_of_periods_and_every_day_of_the_week():
    assert [k for k, _x in kinds_of("乙方按周、季度频率提供巡检报告。")] == ["weekly", "quarterly"]
    assert kinds_of("乙方每周巡检7天，记录巡检结果。") == [("daily", {})]


def test_times_of_day_and_the_nth_working_day():
    assert kinds_of("乙方每日9:30巡检一次。") == [("daily", {"times_of_day": ["09:30"]})]
    assert kinds_of("系统每日7、12、18时自动检测三次。") == [
        ("several_daily", {"times_of_day": ["07:00", "12:00", "18:00"]})
    ]
    assert kinds_of("每月的巡检计划应在当月第3个工作日之前报甲方。") == [
        ("monthly_working_day", {"nth_working_day": 3})
    ]


def test_a_heightened_periods_rounds_and_words_without_a_frequency_are_not_schedules():
    assert kinds_of("遇重大节日等特殊时期，巡检改为每日9、15时2次。") == []
    assert kinds_of("乙方定期对设备进行巡检。每日备份数据库。") == []


def test_one_schedule_per_kind():
    assert kinds_of("每日巡检机房。每天检查日志。") == [("daily", {})]


# --- Reports --------------------------------------------------------------------------------------


def duties(text):
    return [(v["kind"], v["offset"], v["offset_unit"]) for v in values(reports(text), "report_duty")]


def test_reports_by_their_names_due_as_their_kind_says():
    text = "乙方按时提交周报、月报和季报，并提交半年度工作报告；年终提交年度工作报告。"
    assert duties(text) == [
        ("weekly", None, None),
        ("monthly", None, None),
        ("quarterly", None, None),
        ("half_yearly", None, None),
        ("annual", None, None),
    ]


def test_a_deadline_after_the_period_and_the_mention_with_it_wins():
    text = "验收材料包括年度总结。乙方应在服务期满后 5 个工作日内提交年度总结。"
    assert duties(text) == [("annual", 5, "working_days")]
    assert duties("合同结束后 20 日内向甲方提交年度报告。") == [("annual", 20, "calendar_days")]


def test_a_list_of_periods_with_reports_and_a_half_years_report_is_not_annual():
    assert duties("按月、半年频率提供巡检报告。") == [("monthly", None, None), ("half_yearly", None, None)]
    assert duties("乙方提交半年报。") == [("half_yearly", None, None)]


def test_reports_that_are_not_periodic_are_not_duties():
    assert duties("故障处理完毕后提交故障诊断报告和维护工作阶段报告。") == []


def test_extract_proposes_every_group_with_a_rule_and_a_confidence():
    text = "乙方派驻 2 名驻场工程师。乙方每日巡检。每周提交周报。服务期满后由甲方组织验收。"
    found = extract(text)
    groups = {p.group for p in found.proposals}
    assert {"staff", "acceptance", "inspections", "reports"} <= groups
    assert all(p.rule and 0 < p.confidence <= 1 for p in found.proposals)


def test_a_shift_pattern_beside_the_count_and_no_round_the_clock_post_besides():
    text = "乙方安排 3 名运维工程师驻场，实行7×24小时值班。"
    assert posts(text) == [("7x24", 3, "", "resident-count-shift")]
    assert posts("驻场运维人员不少于2名，5×8小时工作制。") == [("5x8", 2, "", "resident-count-shift")]


def test_the_bureau_checking_the_vendor_is_not_an_inspection_round():
    assert kinds_of("甲方每季度对乙方服务质量进行检查考核。") == []
    assert kinds_of("乙方每月对驻场人员开展培训并检查培训效果。") == []


def test_the_day_a_weekly_or_monthly_round_falls_on():
    found = values(
        inspections("乙方每周三对网络设备进行巡检；每月10日检查一次备份介质。"), "inspection_schedule"
    )
    assert [(v["kind"], v.get("weekday"), v.get("day_of_month")) for v in found] == [
        ("weekly", 2, None),
        ("monthly_day", None, 10),
    ]


def test_deadlines_counted_from_the_end_of_the_period():
    assert duties("乙方应于下周一前提交上周周报。") == [("weekly", 1, "calendar_days")]
    assert duties("乙方于次月5日前提交上月月报。") == [("monthly", 5, "calendar_days")]
    assert duties("季度报告于次月前3个工作日内提交。") == [("quarterly", 3, "working_days")]
    # A day of the next month is no deadline for a weekly report.
    assert duties("周报于次月5日前汇总提交。") == [("weekly", None, None)]


def test_a_deadline_in_the_clause_before_and_not_across_a_list_of_reports():
    assert duties("服务期满后 7 日内，乙方提交年度总结。") == [("annual", 7, "calendar_days")]
    text = "乙方每周提交周报，服务期满后10个工作日内提交年度总结。"
    assert duties(text) == [("weekly", None, None), ("annual", 10, "working_days")]


def test_times_of_day_in_the_afternoon_and_rounds_a_day_without_their_times():
    assert kinds_of("乙方每日上午9时、下午3点半各巡检一次。") == [
        ("several_daily", {"times_of_day": ["09:00", "15:30"]})
    ]
    assert kinds_of("乙方每日巡检3次。") == []


def test_a_warranty_without_a_build_is_not_a_build_period():
    assert values(acceptance("乙方更换的备件质保期为1年。"), "warranty_years") == []


def test_staff_stationed_at_the_bureau_and_last_months_report_due_this_month():
    assert posts("乙方安排4名运维工程师常驻甲方机房。") == [("5x8", 4, "", "resident-count")]
    assert duties("乙方每月5日前向甲方提交上月运维月报。") == [("monthly", 5, "calendar_days")]
    assert duties("乙方每周一提交上周周报。") == [("weekly", 1, "calendar_days")]
    # This month's report due on the 5th is not a deadline after the period.
    assert duties("乙方每月5日前提交本月工作计划及月报。") == [("monthly", None, None)]


def test_periodic_acceptance_in_a_long_sentence_beside_a_final_one_is_a_conflict():
    found = acceptance("甲方每半年对乙方运维服务进行一次阶段验收，合同期满后进行总体验收。")
    assert values(found, "acceptance_method") == [] and found.conflicts


def test_a_shift_pattern_in_brackets_after_the_count():
    assert posts("乙方提供驻场服务人员3名（7×24小时）。") == [("7x24", 3, "", "resident-count-shift")]


def test_a_report_and_a_round_by_the_period_the_report_is_given():
    text = "乙方应按季度提供巡检报告。"
    assert kinds_of(text) == [("quarterly", {})]
    assert duties(text) == [("quarterly", None, None)]


def test_the_acceptance_way_said_outright_wins_over_a_final_acceptance_in_passing():
    found = acceptance("本项目采用固定周期验收方式，每半年验收一次。终验合格后支付尾款。")
    assert [(p.value, p.rule) for p in found.proposals] == [("periodic", "acceptance-stated")]
    assert method("验收方式为一次性验收。") == ["one_time"]


def test_the_bureaus_own_people_on_site_are_not_a_post():
    assert posts("甲方安排2名人员驻场监督。") == []
    assert posts("甲方要求乙方安排3名驻场工程师。") == [("5x8", 3, "", "resident-count")]


def test_lines_a_scan_or_a_pdf_broke_inside_a_sentence_are_read_whole():
    from contracts.intake import extract_duties, extract_routines

    # A page-wide line (a PDF's text layer) that ends mid-word, and one that ends on a comma.
    text = (
        "第三条 驻场\n"
        "为保障本项目各系统的稳定运行，乙方在整个服务期内安排3名驻场工\n程师，负责系统的日常运维，\n"
        "乙方每 日对机房、网络设备、服务器、存储设备及全部前端终端设备进\n行巡检。\n2. 甲方付款。"
    )
    (post,) = [p for p in extract_duties(text).proposals if p.field == "staff_post"]
    assert post.value["headcount"] == 3 and post.quote(text) == "3名驻场工\n程师"
    (round_,) = extract_routines(text).proposals
    assert round_.value["kind"] == "daily" and round_.quote(text) == "每 日"
    # A heading and an item of a list stay lines of their own.
    from contracts.intake.sentences import flatten

    assert flatten(text).text.startswith("第三条驻场\n为保障")
    assert flatten("运维。\n2. 甲方付款，\n按月结算").text == "运维。\n2. 甲方付款，按月结算"
