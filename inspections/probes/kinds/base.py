"""What a kind of automated check is, in one place: ``ProbeKind`` and its ``Option`` schema.

Each kind is one module of this package holding a ``KIND``: its label, where it points (a URL or
a host), the one options schema that drives the model's validation, the management form's boxes,
the API's schema and the target's display, the probe coroutine and the messages it may give.
No Django here (labels are English msgids the portal translates), so the engine and the bench
can use the kinds without settings.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["NUMBER", "Option", "ProbeKind", "gettext_noop"]

NUMBER = (int, float)
FIELDS = frozenset({"int", "float", "bool", "text", "choice", "json_scalar", "secret"})


def gettext_noop(message: str) -> str:
    # Django's own name for "mark only": makemessages looks for it; the probes import no Django.
    return message


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a kind: the JSON type its value must have, and how a form asks for it.

    ``field``: int, float, bool, text, choice (from ``choices``), json_scalar (a JSON scalar
    typed as text) or secret (write-only: kept in the check's password column, never read
    back). ``minimum``/``maximum`` bound numbers inclusively; the check's dataclass checks
    ranges and combinations again."""

    name: str
    json_type: type | tuple[type, ...]
    field: str
    label: str
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[tuple[str, str], ...] = ()
    blank_choice: str = ""
    required: bool = False
    max_length: int = 200

    @property
    def secret(self) -> bool:
        return self.field == "secret"

    def json_schema(self) -> dict[str, Any]:
        types = self.json_type if isinstance(self.json_type, tuple) else (self.json_type,)
        names = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}
        found = {names[t] for t in types}
        if found == {"integer", "number"}:
            found = {"number"}
        # OpenAPI 3.0 has no list of types: a value of several (a JSON scalar) is left untyped.
        schema: dict[str, Any] = {"type": found.pop()} if len(found) == 1 else {}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.choices:
            schema["enum"] = [value for value, _label in self.choices]
        if self.secret:
            schema["writeOnly"] = True
        return schema


Probe = Callable[[Any, Any, dict[str, Any], float, Any], Awaitable[list]]


@dataclass(frozen=True, slots=True)
class ProbeKind:
    """A kind of automated check. ``build(target, port, timeout, options, secrets)`` returns
    its dataclass (ValueError when malformed); ``probe(prober, check, values, timeout, policy)``
    measures and judges it (``engine._Prober`` gives it the guard's pins, the HTTP session and
    threads)."""

    code: str
    label: str
    check_type: type
    options: tuple[Option, ...]
    build: Callable[..., Any]
    probe: Probe
    messages: frozenset[str]
    target: str = "host"  # "url": the asset's URL; "host": the asset's host
    needs_port: bool = False
    show_port: bool = False  # the target is displayed as host:port
    password: bool = False  # takes the check's password (a database login)
    logs_in: bool = False  # refused logins back off and pause the check (inspections.targets)

    @property
    def option_names(self) -> tuple[str, ...]:
        return tuple(option.name for option in self.options)

    @property
    def secret_names(self) -> tuple[str, ...]:
        return tuple(option.name for option in self.options if option.secret)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(option.name for option in self.options if option.required)

    def option(self, name: str) -> Option | None:
        return next((option for option in self.options if option.name == name), None)

    # Secret options live in the check's password column as a JSON object, never in its options.
    def read_secrets(self, stored: str) -> dict[str, str]:
        if not self.secret_names or not stored:
            return {}
        try:
            found = json.loads(stored)
        except ValueError:
            return {}
        if not isinstance(found, Mapping):
            return {}
        return {k: v for k, v in found.items() if k in self.secret_names and isinstance(v, str) and v}

    def write_secrets(self, secrets: Mapping[str, str]) -> str:
        kept = {k: v for k, v in secrets.items() if k in self.secret_names and v}
        return json.dumps(kept, sort_keys=True) if kept else ""
