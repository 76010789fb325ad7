"""The contract page's tabs that the apps above contracts add (inspections, acceptance...).

Contracts cannot name those apps: each registers its tab when it is ready (its AppConfig.ready),
and the contract page shows them after its own, in the order of INSTALLED_APPS.
"""

from typing import NamedTuple


class Tab(NamedTuple):
    key: str
    label: str
    url_name: str  # takes the contract's code as ``code``


_registered: dict[str, Tab] = {}


def register_contract_tab(key: str, label, url_name: str) -> None:
    """Adds a tab to every contract's page; registering a key again replaces its tab."""
    _registered[key] = Tab(key, label, url_name)


def registered_tabs() -> list[Tab]:
    return list(_registered.values())
