"""The access matrix's rules: who holds which right, what one case of the matrix is, and how the
answer to each role is judged.

A case is one route (by URL name) with one HTTP method, the roles allowed through, and how to
address organisation A's object and organisation B's. Every case is run for every role of A and
for the anonymous user:

- an allowed role on A's object is let through: no 401/403/404/405, no server error, no refusal
  message, and a GET answers 200;
- a refused role gets the route's refusal (``403``, or for the report pages that redirect, the
  refusal message) and the database is unchanged;
- B's object, addressed in the URL, is a 404 for every role of A; B's contract or objects given
  in the body or query are refused (400/403/404, or a form that says why) with nothing written.
  The administrator is the exception: by design it sees every contract (test_admin_scope.py);
- no answer to a user of A (administrator excepted) carries B's marker or contract code;
- the anonymous user is sent to the login page (portal) or gets 401/403 (API), nothing written.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from tests.access import query_counts
from tests.access.world import CODE, MARK, ROLES

ANONYMOUS = "anonymous"

# Who holds which right, worked out by hand from DESIGN.md's roles and the rules (the
# scoping table in contracts/scoping.py must agree; this copy is what the matrix expects).
VIEW = "view"
RIGHTS = {
    "client_staff": {
        VIEW,
        "report_incident",
        "close_incident",
        "request_change",
        "approve_change_first",
        "file_complaint",
    },
    "client_manager": {
        VIEW,
        "create_contract",
        "manage_contract",
        "manage_penalties",
        "manage_staff",
        "manage_assets",
        "report_incident",
        "close_incident",
        "request_change",
        "approve_change_first",
        "approve_change_second",
        "manage_knowledge",
        "file_complaint",
        "manage_inspections",
        "build_report",
        "sign_off_report",
    },
    "vendor_engineer": {
        VIEW,
        "manage_assets",
        "report_incident",
        "handle_incident",
        "request_change",
        "execute_change",
        "manage_knowledge",
        "record_consultation",
        "file_complaint",
        "perform_inspection",
        "build_report",
    },
    "vendor_manager": {
        VIEW,
        "manage_staff",
        "manage_assets",
        "report_incident",
        "handle_incident",
        "request_change",
        "execute_change",
        "manage_knowledge",
        "record_consultation",
        "file_complaint",
        "manage_inspections",
        "perform_inspection",
        "build_report",
        "write_report",
        # Names which of the vendor's engineers handle an incident.
        "assign_incident",
    },
    "auditor": {VIEW, "read_audit"},
    # Grants access and sees none of the data it grants access to (三权分立).
    "security_admin": {"manage_accounts"},
    # The portal's administrators change any contract's data but neither approve the bureau's
    # changes nor sign for either party.
    "administrator": {
        VIEW,
        "create_contract",
        "manage_contract",
        "manage_penalties",
        "manage_staff",
        "manage_assets",
        "report_incident",
        "handle_incident",
        "close_incident",
        "manage_knowledge",
        "record_consultation",
        "file_complaint",
        "manage_inspections",
        "perform_inspection",
        "build_report",
        # The portal's own settings: the working-day calendar, the rates, the channels.
        "administer_portal",
    },
}


def who(right: str) -> frozenset:
    """The roles holding ``right``."""
    found = frozenset(role for role in ROLES if right in RIGHTS[role])
    assert found or right == "nobody", f"no role holds {right!r}: a typo?"
    return found


SIGNED_IN = frozenset(ROLES)
NOBODY = frozenset()
# The administrator of A sees B's contract: the design's "administrators see every contract".
SEES_EVERY_CONTRACT = {"administrator"}
# The text of a report or acceptance page's refusal (reports.services._require), in English.
REFUSAL_MESSAGE = "You may not do this on contract"
UNSAFE = {"post", "put", "patch", "delete"}
# The project's own data: what a refused write must leave as it was.
DATA_APPS = {"identity", "contracts", "incidents", "inspections", "reports", "auth"}


@dataclass(frozen=True)
class Case:
    route: str  # the URL name, e.g. "contracts:detail" or "api:asset-detail"
    method: str  # "get", "post", "put", "patch", "delete"
    allowed: frozenset  # the roles let through on their own contract
    # URL kwargs for one organisation's objects (``side``), or None when the URL names none.
    kwargs: Callable | None = None
    # The body (or a GET's query) for one organisation: ``data(world, side)``.
    data: Callable | None = None
    # How a refused role is answered: "403", "message" (a redirect with the refusal message),
    # "400" (a form whose choices leave the contract out), "404", "405" (a method turned off).
    refusal: str = "403"
    label: str = ""  # a slug's value, telling cases of one route apart
    # The role whose request on A must change the database: proof that the body is a real write,
    # so that "unchanged" for a refused role means something. None: no role can (the object's
    # state forbids it, e.g. acting on a signed-off report); "" (default): the first allowed role.
    writer: str | None = ""
    ok: tuple = (200,)  # what an allowed GET answers
    scoped: bool = True  # False: not a contract's data (the calendar, the API's root)
    # The portal's accounts, all organisations': its allowed roles see B's people by design.
    portal_wide: bool = False
    why: str = ""  # a comment on a case that needs one
    # State the case needs, made in the request's own savepoint before the "unchanged" snapshot:
    # ``prepare(world, side)`` (a round late on the server but on time on the tablet, say).
    prepare: Callable | None = None
    extra: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def api(self) -> bool:
        return self.route.startswith("api:")

    @property
    def id(self) -> str:
        label = f"[{self.label}]" if self.label else ""
        return f"{self.route}{label}-{self.method.upper()}"

    @property
    def expected_writer(self) -> str | None:
        if self.method not in UNSAFE or self.writer is None:
            return None
        if self.writer:
            return self.writer
        return next((role for role in ROLES if role in self.allowed), None)


# --- Judging one role -------------------------------------------------------------------------


def data_models():
    return [
        model for model in apps.get_models(include_auto_created=True) if model._meta.app_label in DATA_APPS
    ]


def snapshot() -> dict:
    """Every row of the project's data, by table: small, since the world is two of each. Plain
    SQL, as the ORM's query building would be most of the matrix's time."""
    with connection.cursor() as cursor:
        rows = {}
        for table in _tables():
            columns = _COLUMNS.get(table, "*")
            cursor.execute(f"SELECT {columns} FROM {connection.ops.quote_name(table)} ORDER BY 1")  # noqa: S608 (table names from the models)
            rows[table] = cursor.fetchall()
    return rows


# A body made from a representation logs the superuser in (bodies.representation): its last
# login is the test's own write, not the request's.
_COLUMNS = {
    "auth_user": "id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active"
}


@functools.cache
def _tables() -> tuple:
    return tuple(sorted(model._meta.db_table for model in data_models()))


def changed(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def client_for(world, role: str) -> Client:
    """The role's client with a clean cookie jar: its session (logged in once, with the world)
    and the English UI, so that refusal messages can be recognised; no message of an earlier
    request rides along in a cookie."""
    if role not in world.clients:
        world.clients[role] = Client(raise_request_exception=False)
    client = world.clients[role]
    client.cookies = SimpleCookie()
    if role != ANONYMOUS:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def send(client: Client, case: Case, world, side):
    url = reverse(case.route, kwargs=case.kwargs(side) if case.kwargs else None)
    if case.method == "get":
        data = case.data(world, side) if case.data else {}
        if side is world.b and not case.kwargs and not case.data:
            # A list asked for B's contract by its code: still nothing of B.
            data = {"contract": CODE["B"]}
        return client.get(url, data)
    data = case.data(world, side) if case.data else {}
    if case.api:
        return getattr(client, case.method)(url, data, content_type="application/json")
    return client.post(url, data)


def text_of(response) -> str:
    """The answer's text if it is text (pages, JSON, CSV), else ""."""
    kind = response.get("Content-Type", "")
    if not kind.startswith(("text/", "application/json")):
        return ""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8", "replace")


def refusal_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if str(m).startswith(REFUSAL_MESSAGE)]


def _status(response) -> str:
    if response.status_code >= 500:
        error = getattr(response, "exc_info", None)
        return f"{response.status_code} ({error[1]!r})" if error else str(response.status_code)
    location = response.get("Location", "")
    return f"{response.status_code} → {location}" if location else str(response.status_code)


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse(settings.LOGIN_URL))


def _judge_allowed(case, response) -> str | None:
    status = response.status_code
    if status >= 500 or status in (401, 403, 404, 405) or _is_login_redirect(response):
        return f"allowed, but answered {_status(response)}"
    if case.method == "get" and status not in case.ok:
        return f"allowed GET answered {_status(response)}, expected {case.ok}"
    if case.refusal == "message" and refusal_messages(response):
        return f"allowed, but refused: {refusal_messages(response)}"
    return None


def _judge_refused(case, response) -> str | None:
    status = response.status_code
    if case.refusal == "message":
        if status != 302 or not refusal_messages(response):
            return f"refused by message expected, answered {_status(response)}"
        return None
    if status != int(case.refusal):
        return f"refused ({case.refusal}) expected, answered {_status(response)}"
    return None


def _judge_foreign(case, response) -> str | None:
    status = response.status_code
    if case.refusal == "405":
        # A method turned off is refused before any object is looked up: nothing to tell.
        return None if status == 405 else f"405 expected, answered {_status(response)}"
    if case.kwargs:
        if status != 404:
            return f"B's object in the URL: 404 expected, answered {_status(response)}"
        return None
    # A list or page asked about B (``?contract=B-…``) may answer, with nothing of B in it.
    refused = {400, 403, 404} if case.api and case.method != "get" else {200, 302, 400, 403, 404}
    if status not in refused:
        return f"B's data in the request: refusal expected, answered {_status(response)}"
    return None


def _leaks(response, *, with_code: bool, side: str = "B") -> str | None:
    text = text_of(response).lower()
    found = [
        token for token in (MARK[side], CODE[side] if with_code else None) if token and token.lower() in text
    ]
    return f"the answer shows {side}'s {found}" if found else None


def run_role(case: Case, world, role: str) -> list[str]:
    """The problems of ``role`` on ``case``, each one line; each side's request in a savepoint
    that is rolled back, so that roles and sides do not see each other's changes."""
    problems = []

    def attempt(side, judge, *, may_write=False, must_write=False, leak_code=None, leak_side="B"):
        with transaction.atomic():
            if case.prepare:
                case.prepare(world, side)
            client = client_for(world, role)
            unsafe = case.method in UNSAFE
            before = snapshot() if unsafe else None
            if side is world.a:
                response, queries = query_counts.counted(
                    lambda: send(client, case, world, side), world.sessions.get(role)
                )
                over = query_counts.check(case.id, role, queries)
                if over:
                    problems.append(over)
            else:
                response = send(client, case, world, side)
            verdict = judge(case, response)
            if verdict:
                problems.append(verdict)
            if response.status_code < 500:
                diff = changed(before, snapshot()) if unsafe else []
                if must_write and not diff:
                    problems.append(f"the writer's request wrote nothing ({_status(response)})")
                if diff and not may_write:
                    problems.append(f"refused, yet wrote to {diff} ({_status(response)})")
                leak = (
                    _leaks(response, with_code=leak_code, side=leak_side) if leak_code is not None else None
                )
                if leak:
                    problems.append(leak)
            transaction.set_rollback(True)

    if role == ANONYMOUS:
        attempt(world.a, _judge_anonymous)
        return [f"{role}: {problem}" for problem in problems]
    allowed = role in case.allowed
    sees_all = role in SEES_EVERY_CONTRACT
    if case.scoped and VIEW not in RIGHTS[role]:
        # A role that sees no contract (the security administrator) meets A's objects as A's
        # users meet B's: absent from lists, 404 in detail, nothing written.
        # The marker only: a refusal may echo the contract code the request itself named.
        attempt(world.a, _judge_foreign, leak_code=False, leak_side="A")
        return [f"{role}: {problem}" for problem in problems]
    attempt(
        world.a,
        _judge_allowed if allowed else _judge_refused,
        may_write=allowed,
        must_write=role == case.expected_writer,
        leak_code=None if sees_all or (allowed and case.portal_wide) else True,
    )
    # The administrator sees B by design (test_admin_scope.py says so once, not per route).
    if case.scoped and not sees_all:
        attempt(world.b, _judge_foreign, leak_code=False)
    return [f"{role}: {problem}" for problem in problems]


def _judge_anonymous(case, response) -> str | None:
    if case.api:
        if response.status_code not in (401, 403):
            return f"anonymous API request: 401/403 expected, answered {_status(response)}"
    elif not _is_login_redirect(response):
        return f"anonymous: the login page expected, answered {_status(response)}"
    return None


def run_case(case: Case, world) -> list[str]:
    problems = []
    for role in (*ROLES, ANONYMOUS):
        problems += run_role(case, world, role)
    return problems
