"""The intake's rules on phrasings met in the held-out contracts u5 and u6
(tests/contracts/intake_heldout), each made general and tested on a sentence of our own. The
other held-out contracts stay unread, so that they still measure contracts never seen."""

from contracts.intake import sla_terms


def sla(text):
    return {
        (p.value["clock"], p.value["target"], p.value["unit"], p.value["severity"])
        for p in sla_terms(text).proposals
    }


# --- SLA ------------------------------------------------------------------------------------------


def test_a_table_whose_grade_cell_numbers_the_grade_and_names_it_in_brackets():
    text = (
        "| 级别 | 说明 | 响应时间 | 到场时间 | 解决时间 |\n"
        "|---|---|---|---|---|\n"
        "| 甲类（紧急） | 平台全部停用 | 20分钟 | 3小时 | 8小时 |\n"
        "| 乙类(一般) | 单点异常 | 4小时 | — | 3个工作日 |\n"
    )
    assert sla(text) == {
        ("response", 20, "minutes", "emergency"),
        ("arrival", 3, "hours", "emergency"),
        ("resolution", 8, "hours", "emergency"),
        ("response", 4, "hours", "general"),
        ("resolution", 3, "working_days", "general"),
    }


def test_an_item_that_opens_on_its_grade_gives_it_to_the_targets_after_its_definition():
    text = (
        "（1）严重故障（B类）：指业务系统大范围不可用。服务方须在20分钟内响应，3小时内排除故障。\n"
        "（2）一般故障（C类）：指个别功能异常。服务方须在2小时内响应，2个工作日内排除故障。\n"
    )
    assert sla(text) == {
        ("response", 20, "minutes", "severe"),
        ("resolution", 3, "hours", "severe"),
        ("response", 2, "hours", "general"),
        ("resolution", 2, "working_days", "general"),
    }
