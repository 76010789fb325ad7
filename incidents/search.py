"""The top bar's search: contracts, incidents, assets and knowledge articles, each through the
same ``restrict`` as its list (a vendor finds only their contracts' objects; articles as the
knowledge base shows them), at most ``GROUP_LIMIT`` of each kind.

An incident number or a contract code typed exactly is where the person wants to go: ``exact``
gives that object's page, and the view goes straight there.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from contracts.models import Asset, Contract
from incidents.knowledge import search_articles, visible_articles
from incidents.models import Incident

GROUP_LIMIT = 10
MAX_LENGTH = 100  # characters of a query; more is not a search term but a paste
# An incident's number is its contract's code and its id (Incident.number): "BJ-2026-RP-00042".
NUMBER = re.compile(r"^(?P<code>[\w-]+)-(?P<pk>\d{1,9})$")


@dataclass
class Hit:
    title: str
    url: str
    detail: str = ""


@dataclass
class Group:
    kind: str
    label: str
    hits: list[Hit] = field(default_factory=list)
    more_url: str = ""  # the list page with this search, when there are more than shown

    @property
    def more(self) -> bool:
        return bool(self.more_url)


def clean(text: str) -> str:
    return " ".join(str(text or "").split())[:MAX_LENGTH]


def exact(user, text: str) -> str | None:
    """The page of the contract whose code, or the incident whose number, is ``text``."""
    text = clean(text)
    if not text or " " in text:
        return None
    contract = Contract.objects.restrict(user).filter(code__iexact=text).only("code").first()
    if contract is not None:
        return contract.get_absolute_url()
    match = NUMBER.match(text)
    if match:
        incident = (
            Incident.objects.restrict(user)
            .filter(contract__code__iexact=match["code"], pk=int(match["pk"]))
            .only("pk")
            .first()
        )
        if incident is not None:
            return incident.get_absolute_url()
    return None


def _take(queryset, group: Group, hit, list_url: str | None, query: str) -> Group:
    # One more than shown says whether there are more, without a COUNT over the table.
    rows = list(queryset[: GROUP_LIMIT + 1])
    group.hits = [hit(row) for row in rows[:GROUP_LIMIT]]
    if len(rows) > GROUP_LIMIT and list_url:
        group.more_url = f"{list_url}?{urlencode({'q': query})}"
    return group


def _incident_match(text: str) -> Q:
    match = Q(title__icontains=text)
    number = NUMBER.match(text)
    if number:
        match |= Q(contract__code__iexact=number["code"], pk=int(number["pk"]))
    elif text.isascii() and text.isdigit() and len(text) <= 9:
        match |= Q(pk=int(text))  # the number's tail, as people read it out: "00042"
    return match


def search(user, text: str) -> list[Group]:
    """Each kind's first hits for ``text``, newest or by name; the kinds without any left out."""
    text = clean(text)
    if not text:
        return []
    contracts = (
        Contract.objects.restrict(user)
        .filter(Q(code__icontains=text) | Q(title__icontains=text))
        .order_by("code")
    )
    incidents = (
        Incident.objects.restrict(user)
        .filter(_incident_match(text))
        .select_related("contract")
        .order_by("-reported_at", "-pk")
    )
    assets = (
        Asset.objects.restrict(user)
        .filter(
            Q(name__icontains=text)
            | Q(host__icontains=text)
            | Q(system__icontains=text)
            | Q(url__icontains=text)
        )
        .select_related("contract")
        .order_by("contract__code", "name", "pk")
    )
    articles = search_articles(visible_articles(user), text).select_related("contract").order_by("-pk")
    groups = [
        _take(
            contracts,
            Group("contracts", _("Contracts")),
            lambda c: Hit(c.code, c.get_absolute_url(), c.title),
            reverse("contracts:list"),
            text,
        ),
        _take(
            incidents,
            Group("incidents", _("Incidents")),
            lambda i: Hit(f"{i.number} {i.title}", i.get_absolute_url(), str(i.get_status_display())),
            reverse("incidents:list"),
            text,
        ),
        _take(assets, Group("assets", _("Assets")), _asset_hit, None, text),
        _take(
            articles,
            Group("articles", _("Knowledge base")),
            lambda a: Hit(a.title, a.get_absolute_url(), a.contract.code),
            reverse("incidents:knowledge"),
            text,
        ),
    ]
    return [group for group in groups if group.hits]


def _asset_hit(asset: Asset) -> Hit:
    # An asset has no page of its own: its contract's ledger, searched for it.
    url = reverse("contracts:assets", kwargs={"code": asset.contract.code})
    detail = " · ".join(part for part in (asset.contract.code, asset.get_kind_display(), asset.host) if part)
    return Hit(asset.name, f"{url}?{urlencode({'q': asset.name})}", detail)
