"""Issue 18, item 6: the top bar's search finds contracts, incidents, assets and knowledge articles
as every list does — only what the user may see — a few of each kind, and goes straight to a
contract or an incident typed exactly."""

import pytest
from django.urls import reverse

from contracts.models import Asset, Role
from incidents import search as searching
from incidents.models import Incident, KnowledgeArticle
from tests.factories import incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(contract_a, contract_b):
    return {
        "a": incident(contract_a, title="人口库同步中断"),
        "b": incident(contract_b, title="人口库备份失败"),
        "asset_a": Asset.objects.create(
            contract=contract_a, kind="database", name="人口库主库", host="10.1.2.4"
        ),
        "asset_b": Asset.objects.create(
            contract=contract_b, kind="database", name="人口库备库", host="10.9.9.9"
        ),
        "article_a": KnowledgeArticle.objects.create(
            contract=contract_a, title="人口库连接池耗尽的处理", status="published", solution="调大连接池"
        ),
        "draft_a": KnowledgeArticle.objects.create(contract=contract_a, title="人口库草稿", status="draft"),
        "article_b": KnowledgeArticle.objects.create(
            contract=contract_b, title="人口库乙方文章", status="published"
        ),
    }


@pytest.fixture
def vendor_b(make_user, vendor_org_b):
    return make_user(Role.VENDOR_MANAGER, vendor_org_b)


def hits(response) -> dict[str, list[str]]:
    assert response.status_code == 200
    return {group.kind: [hit.title for hit in group.hits] for group in response.context["groups"]}


def test_each_kind_is_found_within_the_users_contracts(client, client_staff_a, world):
    client.force_login(client_staff_a)
    found = hits(client.get(reverse("search"), {"q": "人口库"}))
    assert found == {
        "incidents": [f"{world['a'].number} 人口库同步中断"],
        "assets": ["人口库主库"],
        # Client staff read published articles, not the vendor's drafts (the knowledge list's rule).
        "articles": ["人口库连接池耗尽的处理"],
    }


def test_a_vendor_of_another_contract_sees_only_theirs(client, vendor_b, world):
    client.force_login(vendor_b)
    found = hits(client.get(reverse("search"), {"q": "人口库"}))
    assert found == {
        "incidents": [f"{world['b'].number} 人口库备份失败"],
        "assets": ["人口库备库"],
        "articles": ["人口库乙方文章"],
    }
    # By address or contract code: nothing of A.
    assert hits(client.get(reverse("search"), {"q": "10.1.2"})) == {}
    assert hits(client.get(reverse("search"), {"q": "A-2026"})) == {}


def test_an_exact_code_or_number_goes_straight_to_it(client, client_staff_a, world, contract_a):
    client.force_login(client_staff_a)
    response = client.get(reverse("search"), {"q": " a-2026-om "})
    assert response.status_code == 302 and response["Location"] == contract_a.get_absolute_url()
    response = client.get(reverse("search"), {"q": world["a"].number})
    assert response.status_code == 302 and response["Location"] == world["a"].get_absolute_url()
    # The page lists what a part of the code finds.
    assert hits(client.get(reverse("search"), {"q": "2026-OM"}))["contracts"] == ["A-2026-OM"]


def test_an_exact_number_out_of_scope_is_not_a_jump_nor_a_hit(client, vendor_b, world):
    client.force_login(vendor_b)
    response = client.get(reverse("search"), {"q": world["a"].number})
    assert response.status_code == 200 and hits(response) == {}
    response = client.get(reverse("search"), {"q": "A-2026-OM"})
    assert response.status_code == 200 and hits(response) == {}


def test_each_group_is_bounded_and_links_to_its_list(client, client_staff_a, contract_a):
    Incident.objects.bulk_create(
        Incident(
            contract=contract_a,
            title=f"网闸故障{n}",
            source="phone",
            reported_at=incident(contract_a).reported_at,
        )
        for n in range(searching.GROUP_LIMIT + 5)
    )
    client.force_login(client_staff_a)
    response = client.get(reverse("search"), {"q": "网闸"})
    (group,) = response.context["groups"]
    assert len(group.hits) == searching.GROUP_LIMIT
    assert group.more_url == reverse("incidents:list") + "?q=%E7%BD%91%E9%97%B8"
    assert group.more_url.replace("&", "&amp;") in response.content.decode()


def test_a_long_query_is_cut_and_an_empty_one_searches_nothing(client, client_staff_a, world):
    client.force_login(client_staff_a)
    response = client.get(reverse("search"), {"q": "人" * 5000})
    assert response.status_code == 200 and response.context["q"] == "人" * searching.MAX_LENGTH
    response = client.get(reverse("search"), {"q": "   "})
    assert response.status_code == 200 and response.context["groups"] == []


def test_the_top_bar_has_the_box_for_people_logged_in(client, client_staff_a):
    assert 'class="topsearch"' not in client.get(reverse("login")).content.decode()
    client.force_login(client_staff_a)
    page = client.get(reverse("incidents:list")).content.decode()
    assert 'class="topsearch"' in page and f'action="{reverse("search")}"' in page


def test_the_security_administrator_finds_no_contract_data(client, make_user, client_org_a, world):
    client.force_login(make_user(Role.SECURITY_ADMIN, client_org_a))
    assert hits(client.get(reverse("search"), {"q": "人口库"})) == {}
    assert client.get(reverse("search"), {"q": "A-2026-OM"}).status_code == 200
