"""Every registered kind of automated check is complete: one module holds its schema, probe and
messages, and the model, the form, the API and the translators all follow from it."""

import ast
import inspect

import pytest
from django.utils import translation

from inspections.manage_forms import CheckForm
from inspections.models import AutomatedCheck
from inspections.probes import kinds
from inspections.probes.kinds.base import FIELDS
from inspections.probes.messages import MESSAGES
from tests.inspections.test_probe_messages import MESSAGE_ARGUMENT

MESSAGE_CALLS = {**MESSAGE_ARGUMENT, "Verdict": 1}
ALL = sorted(kinds.KINDS)
SAME_IN_CHINESE = {"HTTP(S)", "Ping"}  # translated as themselves


def messages_in(module) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Call):
            index = MESSAGE_CALLS.get(getattr(node.func, "id", getattr(node.func, "attr", None)))
            if index is not None and len(node.args) > index and isinstance(node.args[index], ast.Constant):
                found.add(node.args[index].value)
    return found


def test_the_registry_holds_every_kind_once():
    assert sorted(["http", "tcp", "ping", "node_exporter", "postgres", "mysql", "snmp"]) == ALL
    assert len({kind.check_type for kind in kinds.KINDS.values()}) == len(ALL)
    assert sorted(AutomatedCheck.Kind.values) == ALL  # the model's choices come from here
    assert max(map(len, ALL)) <= AutomatedCheck._meta.get_field("kind").max_length


@pytest.mark.parametrize("code", ALL)
def test_each_kind_is_complete(code):
    kind = kinds.KINDS[code]
    module = inspect.getmodule(kind.build)
    assert kind.code == code == kind.check_type.kind
    assert kind.target in ("url", "host")
    assert inspect.iscoroutinefunction(kind.probe)
    assert kind.messages, "a kind lists the messages it gives"
    # Its own messages (those written in its module) are listed by it, and every one translated.
    assert messages_in(module) - kind.messages - MESSAGES == set()
    with translation.override("zh-hans"):
        for text in {kind.label, *kind.messages} - SAME_IN_CHINESE:
            assert translation.gettext(text) != text, text
        for option in kind.options:
            assert option.field in FIELDS
            for text in filter(None, (option.label, option.help, option.blank_choice)):
                assert translation.gettext(text) != text, text
    # Every option has its box on the form, and the dataclass takes it.
    fields = CheckForm.base_fields
    parameters = set(inspect.signature(kind.check_type).parameters)
    for option in kind.options:
        assert option.name in fields, option.name
        assert option.name in parameters, option.name
        assert option.json_schema().get("type") or option.field == "json_scalar"


def test_an_option_name_means_one_option():
    seen = {}
    for kind in kinds.KINDS.values():
        for option in kind.options:
            assert seen.setdefault(option.name, option) == option, option.name


def test_secret_options_are_written_never_read():
    snmp = kinds.get("snmp")
    assert set(snmp.secret_names) == {"community", "auth_key", "priv_key"}
    stored = snmp.write_secrets({"community": "c", "auth_key": "", "other": "x"})
    assert snmp.read_secrets(stored) == {"community": "c"}
    assert snmp.read_secrets("not json") == {}
