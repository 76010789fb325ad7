"""The portal's routes as the URL resolver knows them, and the ones the matrix leaves out.

Nothing here is a hand-written list of routes: the resolver is walked, the DRF router's routes
included, so a route added to any app's urls.py or a viewset's new @action shows up here.
"""

from django.urls import URLPattern, URLResolver, get_resolver

# Routes the matrix does not walk, each with its reason; admin/* and static files by prefix.
EXEMPT = {
    "login": "authentication itself: the login form (tests/om_portal)",
    "logout": "authentication itself: ends the session",
    "set_language": "i18n: the language switch, no data",
    "healthz": "needs no login and reveals no data (tests/om_portal/test_healthz.py)",
    "schema": "the API's schema: no data (tests/om_portal/test_api_schema.py)",
    "api-docs": "the API's documentation page: no data",
    "api:token": "authentication itself: a token for a password (the API's login)",
    "inspections:service-worker": "the tablet app's service worker: a script, no data",
    "inspections:manifest": "the tablet app's manifest: no data",
    "inbox-open": "one's own inbox item by id: its owner's only, 404 for others (test_inbox.py)",
    "api:inbox-detail": "one's own inbox item by id: its owner's only, 404 for others (test_inbox.py)",
}
EXEMPT_PREFIXES = {
    "admin/": "Django's admin: staff only, its own permission system",
    "static/": "static files: no data",
    "media/": "never served: uploads are streamed by views that check access",
}
# What a DRF route answers besides its actions: not data.
_HOUSEKEEPING = {"options", "head"}


def _walk(resolver, prefix="", namespace=""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield route, name, pattern.callback


def _methods(callback) -> frozenset | None:
    """A DRF route's methods (a viewset's action map, or an APIView's handlers); None for a
    portal view, whose methods the matrix states per case."""
    actions = getattr(callback, "actions", None)
    if actions:
        return frozenset(actions) - _HOUSEKEEPING
    view = getattr(callback, "cls", None)
    if view is not None:
        return frozenset(m for m in view.http_method_names if hasattr(view, m)) - _HOUSEKEEPING
    return None


def exempt_by_prefix(route: str) -> bool:
    return route.lstrip("^").startswith(tuple(EXEMPT_PREFIXES))


def routes() -> dict[str, frozenset | None]:
    """Every route by URL name → its methods (None for portal views). A DRF route's
    format-suffix twin (``assets.json``) has the same name and view: one entry."""
    found: dict[str, frozenset | None] = {}
    for route, name, callback in _walk(get_resolver()):
        if exempt_by_prefix(route):
            continue
        assert name, f"the route {route!r} has no name: the matrix addresses routes by name"
        methods = _methods(callback)
        if name in found and methods is not None:
            methods = methods | found[name]
        found[name] = methods
    return found
