"""The five seed contracts as `load_seed_contracts` enters them, checked against the contract text."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from contracts import services
from contracts.models import Asset, Contract, Milestone, ServiceItem, SLATerm

pytestmark = pytest.mark.django_db

W = Decimal(10000)  # seed 000's price list is in 万元


@pytest.fixture
def seeds():
    call_command("load_seed_contracts", verbosity=0)
    return {c.code: c for c in Contract.objects.all()}


def snapshot():
    from contracts.models import Breach, DutyShift, Organization, PenaltyClause, StaffPost

    models = [
        Organization,
        Contract,
        ServiceItem,
        SLATerm,
        PenaltyClause,
        Breach,
        Milestone,
        StaffPost,
        Asset,
        DutyShift,
    ]
    return {m.__name__: sorted(map(str, m.objects.values_list())) for m in models}


def test_loading_twice_changes_nothing(seeds):
    before = snapshot()
    call_command("load_seed_contracts", verbosity=0)
    assert snapshot() == before
    assert sorted(seeds) == ["BJ-2026-RP", "BJ-SSP-UPG", "XJ-2024-PAY", "XX-2024-SEAL", "ZH-2023-SPS"]


def test_seed_000_price_list_is_eight_categories_summing_to_70_8_wan(seeds):
    price = services.price_list(seeds["ZH-2023-SPS"])
    subtotals = {c["category"]: c["subtotal"] for c in price.categories}
    # The attachment's 小计 column, in 万元.
    assert subtotals == {
        "基础设施维护": Decimal("11.34") * W,
        "系统功能维护": Decimal("13.68") * W,
        "接口调用维护": Decimal("10.44") * W,
        "信息资源维护": Decimal("23.94") * W,
        "对其他警种单位的支撑": Decimal("2.52") * W,
        "用户支撑服务": Decimal("3.24") * W,
        "安全服务": Decimal("5.04") * W,
        "综合管理": Decimal("0.6") * W,
    }
    assert price.priced_total == Decimal("708000.00") == seeds["ZH-2023-SPS"].total
    assert price.warning == ""
    interfaces = next(c for c in price.categories if c["category"] == "接口调用维护")
    assert len(interfaces["items"]) == 14


def test_seed_001_price_list_is_eighteen_lines_summing_to_the_total(seeds):
    contract = seeds["BJ-SSP-UPG"]
    items = list(contract.service_items.all())
    assert len(items) == 18
    kylin = contract.service_items.get(name__startswith="操作系统")
    # Kylin V10 × 38 at ¥4,500 = ¥171,000.
    assert (kylin.quantity, kylin.unit_price, kylin.amount) == (Decimal(38), Decimal(4500), Decimal(171000))
    assert sum(item.amount for item in items) == Decimal("6986000.00") == contract.total


def test_a_price_list_that_does_not_add_up_is_flagged(seeds):
    contract = seeds["ZH-2023-SPS"]
    contract.service_items.filter(name="综合管理").update(amount=Decimal("5000.00"))
    warning = services.price_list(contract).warning
    # 708,000 − 6,000 + 5,000 = 707,000: ¥1,000 short.
    assert "¥707,000.00" in warning
    assert "¥1,000.00" in warning


def test_every_contracts_milestones_add_up_to_its_total(seeds):
    for contract in seeds.values():
        assert services.milestone_percent_total(contract) == Decimal("100.00"), contract.code


def sla(contract, **lookup):
    return {(t.clock, t.target, t.unit) for t in contract.sla_terms.filter(**lookup)}


def test_every_sla_of_the_seeds_is_expressed(seeds):
    # 000: on site 2 h when the phone cannot solve it; resolution within 5 working days; general
    # questions answered the same day (一般问题乙方需在当日内予以答复).
    assert sla(seeds["ZH-2023-SPS"]) == {
        ("arrival", 2, "hours"),
        ("resolution", 5, "working_days"),
        ("response", 1, "same_day"),
    }
    # 001: 7×24 duty, respond 1 h, on site 2 h, fixed 4 h, for every severity; warranty: respond
    # 2 h, repair or replace within 2 calendar days.
    for severity in ["emergency", "severe", "general"]:
        assert sla(seeds["BJ-SSP-UPG"], severity=severity) == {
            ("response", 1, "hours"),
            ("arrival", 2, "hours"),
            ("resolution", 4, "hours"),
        }
    assert sla(seeds["BJ-SSP-UPG"], condition="warranty_repair") == {
        ("response", 2, "hours"),
        ("resolution", 2, "calendar_days"),
    }
    # 002: major faults: respond in 30 minutes, on site in 2 hours.
    assert sla(seeds["XX-2024-SEAL"]) == {("response", 30, "minutes"), ("arrival", 2, "hours")}
    # 003: software faults: on site in 2 hours, fixed in 4.
    assert sla(seeds["BJ-2026-RP"]) == {("arrival", 2, "hours"), ("resolution", 4, "hours")}
    # 004: on site in 2 h; resolved in 4 h with another unit, 1 day with the finance department
    # ("需协调其它单位的问题4小时内解决，需财政厅配合完成的，1日内解决": resolution, issue 13);
    # 48 h is a breach.
    assert sla(seeds["XJ-2024-PAY"], clock="arrival") == {("arrival", 2, "hours")}
    assert sla(seeds["XJ-2024-PAY"], clock="resolution") == {
        ("resolution", 48, "hours"),
        ("resolution", 4, "hours"),
        ("resolution", 1, "calendar_days"),
    }
    resolution = seeds["XJ-2024-PAY"].sla_terms.get(clock="resolution", condition="")
    assert (resolution.target, resolution.unit, resolution.penalty_clause.kind) == (
        48,
        "hours",
        "service_breach",
    )


def test_the_estates_the_seeds_name(seeds):
    def count(code, **lookup):
        return Asset.objects.filter(contract__code=code, **lookup).count()

    assert count("ZH-2023-SPS", kind="vm") == 37
    assert count("ZH-2023-SPS", kind="interface") == 14
    assert count("ZH-2023-SPS", kind="database") == 1
    assert set(
        Asset.objects.filter(contract__code="ZH-2023-SPS", kind="middleware").values_list("name", flat=True)
    ) == {
        "Nginx 集群",
        "Tomcat 节点",
    }
    # 002: 2 application servers, 2 database servers, a gatekeeper, a firewall, a switch.
    assert count("XX-2024-SEAL", kind="server") == 4
    assert count("XX-2024-SEAL", kind="security") == 2
    assert count("XX-2024-SEAL", kind="network") == 1
    # 004: nine systems.
    assert count("XJ-2024-PAY", kind="application") == 9


def test_staff_posts_of_the_seeds(seeds):
    def heads(code):
        return sum(seeds[code].staff_posts.values_list("headcount", flat=True))

    assert heads("ZH-2023-SPS") == 3  # at least 3 resident engineers
    assert heads("XX-2024-SEAL") == 5  # 5 resident engineers
    assert list(seeds["BJ-2026-RP"].staff_posts.values_list("shift", "headcount")) == [("7x8", 2)]
    # 004: 3 at the traffic-police HQ, 1 at the finance department, and a lead.
    assert heads("XJ-2024-PAY") == 5
