"""Contract intake: the portal reads a contract's text and proposes its terms, each tied to the
span of text it came from (``Proposal``). A person confirms; nothing here writes a contract.

What the text does not say is left out: a wrong proposal is worse than none. No rule names a
party, a project or a figure of any contract (tests/contracts/test_intake.py greps for them).
"""

from contracts.intake.header import extract_header
from contracts.intake.payments import payments
from contracts.intake.penalties import penalties
from contracts.intake.proposals import Conflict, Extraction, Proposal
from contracts.intake.sentences import flatten
from contracts.intake.sla import sla_terms

__all__ = [
    "Conflict",
    "Extraction",
    "Proposal",
    "extract",
    "extract_header",
    "payments",
    "penalties",
    "sla_terms",
]


def extract(text: str) -> Extraction:
    """Every proposal the rules make for ``text``, with the conflicts they found."""
    flat = flatten(text)
    clauses = penalties(text, flat)
    return extract_header(text).extend(payments(text)).extend(sla_terms(text, clauses, flat)).extend(clauses)
