"""Every message the probes can give is in the translators' list, and has a translation."""

import ast
from pathlib import Path

from django.utils import translation

from inspections.probes.messages import MESSAGES

PROBES = Path(__file__).resolve().parents[2] / "inspections" / "probes"
# Where each call takes its message: Problem(message, …), _Verdict(status, message, …),
# latency_problems(values, limit, message).
MESSAGE_ARGUMENT = {"Problem": 0, "_Verdict": 1, "latency_problems": 2}


def probe_messages() -> set[str]:
    found = set()
    for path in PROBES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            index = MESSAGE_ARGUMENT.get(name)
            if index is not None and len(node.args) > index and isinstance(node.args[index], ast.Constant):
                found.add(node.args[index].value)
    return found


def test_every_probe_message_is_listed_for_translation():
    found = probe_messages()
    assert len(found) > 20  # the scan itself works
    assert found - MESSAGES == set()


def test_every_listed_message_is_translated():
    with translation.override("zh-hans"):
        untranslated = {message for message in MESSAGES if translation.gettext(message) == message}
    assert untranslated == set()
