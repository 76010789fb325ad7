import functools
import ipaddress

from django.conf import settings
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext as _


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the user chose another language with the language menu (its cookie).

    Django's own middleware follows the browser's Accept-Language, and many workstations in a
    bureau run browsers set to English; the portal's working language is Chinese all the same.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen not in dict(settings.LANGUAGES):
            chosen = settings.LANGUAGE_CODE
        translation.activate(chosen)
        request.LANGUAGE_CODE = translation.get_language()


def policy_header(policy: dict) -> str:
    """A Content-Security-Policy header from its directives (name → sources)."""
    return "; ".join(f"{name} {value}" for name, value in policy.items())


class SecurityHeadersMiddleware:
    """The headers Django's SecurityMiddleware does not set: a Content Security Policy and a
    Permissions Policy on every answer, and the refusal of a request body larger than
    ``MAX_REQUEST_BYTES`` before any view reads it.

    The portal ships every script and style as a file under static/ (police networks are closed,
    and no page has an inline script), so the policy allows only the portal's own origin: an
    injected ``<script>`` or ``onclick=`` does not run, even where escaping failed.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = policy_header(settings.CONTENT_SECURITY_POLICY)
        self.permissions = settings.PERMISSIONS_POLICY

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            response = HttpResponse(
                _("The request is too large."), status=413, content_type="text/plain; charset=utf-8"
            )
        else:
            response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.policy)
        response.setdefault("Permissions-Policy", self.permissions)
        if response.has_header("Content-Disposition"):
            # A file the portal hands out (PDF, photo, ledger) never runs as a page of the portal,
            # whatever its bytes claim to be.
            response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


def with_policy(view, **directives):
    """``view`` answered under the portal's policy with ``directives`` replaced (e.g.
    ``style_src="'self' 'unsafe-inline'"``): for a page of a library that the portal does not
    write, never for the portal's own templates."""
    header = policy_header(
        {**settings.CONTENT_SECURITY_POLICY, **{k.replace("_", "-"): v for k, v in directives.items()}}
    )

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = header
        return response

    return wrapped


@functools.lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def trusted_proxy(address: str, proxies=None) -> bool:
    """Whether ``address`` is one of the proxies in TRUSTED_PROXIES (addresses or CIDR ranges)."""
    networks = _networks(tuple(settings.TRUSTED_PROXIES if proxies is None else proxies))
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request) -> str | None:
    """The client's address for the lockout and the audit trail.

    X-Forwarded-For is read only when the request comes from a listed proxy (REMOTE_ADDR in
    ``TRUSTED_PROXIES``): a client that reaches the portal directly, or sends its own header
    through the proxy, cannot choose its address. From the right, each entry is the address the
    hop after it saw; the walk skips the trusted proxies and stops at the first address that is
    not one: the client. Entries left of it were written by the client and are never read. An
    entry that is not an address stops the walk at the last proxy that vouched for it.
    ``TRUSTED_PROXY_COUNT``, when above 0, caps how many entries are read.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    if remote is None or not settings.TRUSTED_PROXIES:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if settings.TRUSTED_PROXY_COUNT > 0:
        forwarded = forwarded[-settings.TRUSTED_PROXY_COUNT :]
    current = remote
    for entry in reversed(forwarded):
        if not trusted_proxy(current):
            break
        try:
            current = str(ipaddress.ip_address(entry))
        except ValueError:
            break
    return current


def refuse_nul_characters(get_response):
    """A 400 for a query or form value holding a NUL character. No text of the portal holds one,
    and PostgreSQL refuses it in a string: a value the forms do not validate (a contract's code in
    the query, a comment's note) reached the database and was a 500 (found by tests/fuzz)."""

    def middleware(request):
        values = [*request.GET.lists(), *(request.POST.lists() if request.method == "POST" else [])]
        if any("\x00" in key or any("\x00" in value for value in items) for key, items in values):
            return HttpResponse(
                _("The request holds a NUL character, which no field accepts."),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return get_response(request)

    return middleware
