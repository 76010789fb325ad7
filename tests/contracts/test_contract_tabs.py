"""The contract page's tabs: its own, then those the apps above contracts registered
(contracts.tabs, filled in their AppConfig.ready), each linking to that app's page."""

import re

import pytest

from contracts.tabs import registered_tabs

pytestmark = pytest.mark.django_db


def test_inspections_and_acceptance_register_their_tabs():
    assert [(tab.key, tab.url_name) for tab in registered_tabs()] == [
        ("escalation", "incidents:escalation"),
        ("inspections", "inspections:contract"),
        ("acceptance", "reports:acceptance-list"),
    ]


@pytest.mark.parametrize("tab", ["", "sla/", "assets/"])
def test_every_tab_of_the_page_links_to_the_registered_ones(client, contract_a, vendor_engineer_a, tab):
    client.force_login(vendor_engineer_a)
    body = client.get(f"/contracts/A-2026-OM/{tab}").content.decode()
    nav = re.search(r'<nav class="tabs".*?</nav>', body, re.S).group(0)
    links = re.findall(r'<a href="([^"]+)"', nav)
    assert links[-4:] == [
        "/contracts/A-2026-OM/assets/",
        "/incidents/contract/A-2026-OM/escalation/",
        "/inspections/contract/A-2026-OM/",
        "/reports/acceptance/contract/A-2026-OM/",
    ]
    # Their labels, translated as the app gave them (the acceptance tab's in its context).
    assert ">巡检</a>" in nav and ">验收</a>" in nav
