"""Templates follow the apps' layers too, which import-linter (make test) cannot see: no template
under templates/<app>/ links to a page of an app above it ({% url 'reports:...' %}) or includes or
extends that app's templates. The contract page's tabs of the apps above contracts come from
contracts.tabs, which those apps fill."""

import re
import tomllib
from pathlib import Path

from django.conf import settings
from django.urls import URLResolver, get_resolver

TEMPLATES = Path(settings.BASE_DIR) / "templates"
URL_NAMESPACE = re.compile(r"""\{%\s*url\s+["']([\w-]+):""")
TEMPLATE_FOLDER = re.compile(r"""\{%\s*(?:include|extends)\s+["']([\w-]+)/""")


def layers() -> list[str]:
    """The layers of pyproject.toml's import-linter contract, from the top one down."""
    config = tomllib.loads((Path(settings.BASE_DIR) / "pyproject.toml").read_text())
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return contract["layers"]


def namespace_apps() -> dict[str, str]:
    """Each URL namespace → the app whose urls module it is ("accounts" → identity)."""
    apps = {}
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace:
            module = pattern.urlconf_module
            if hasattr(module, "__name__"):
                apps[pattern.namespace] = module.__name__.split(".")[0]
    return apps


def upper_references(text: str, app: str) -> list[str]:
    """What ``text``, a template of ``app``, names of the apps above ``app``."""
    order = layers()
    above = set(order[: order.index(app)])
    namespaces = namespace_apps()
    found = [
        f"url {namespace}:" for namespace in URL_NAMESPACE.findall(text) if namespaces.get(namespace) in above
    ]
    found += [f"template {folder}/" for folder in TEMPLATE_FOLDER.findall(text) if folder in above]
    return found


def test_the_namespaces_of_every_app_are_known():
    apps = set(namespace_apps().values())
    assert {"contracts", "identity", "incidents", "inspections", "reports"} <= apps, apps


def test_no_template_of_a_lower_app_names_an_upper_one():
    checked, offences = 0, []
    for app in layers():
        for template in sorted((TEMPLATES / app).rglob("*.html")):
            checked += 1
            offences += [
                f"{template.relative_to(TEMPLATES)}: {ref}"
                for ref in upper_references(template.read_text(), app)
            ]
    assert checked > 50, checked
    assert offences == []


def test_the_check_sees_what_it_looks_for():
    tab = """<a href="{% url 'inspections:contract' code=contract.code %}">"""
    assert upper_references(tab, "contracts") == ["url inspections:"]
    assert upper_references(tab, "reports") == []
    assert upper_references("""{% url "accounts:list" %}""", "om_portal") == ["url accounts:"]
    assert upper_references("""{% include 'reports/x.html' %}""", "identity") == ["template reports/"]
    assert upper_references("""{% include "form_fields.html" %}{% url 'home' %}""", "identity") == []
