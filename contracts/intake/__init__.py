"""Contract intake: the portal reads a contract's text and proposes its terms, each tied to the
span of text it came from (``Proposal``). A person confirms; nothing here writes a contract.

What the text does not say is left out: a wrong proposal is worse than none. No rule names a
party, a project or a figure of any contract (tests/contracts/test_intake.py greps for them).
"""

from contracts.intake.duties import extract_duties
from contracts.intake.header import extract_header
from contracts.intake.payments import payments
from contracts.intake.penalties import penalties
from contracts.intake.prices import prices
from contracts.intake.proposals import Conflict, Extraction, Proposal
from contracts.intake.routines import extract_routines
from contracts.intake.sentences import flatten
from contracts.intake.sla import sla_terms

__all__ = [
    "Conflict",
    "Extraction",
    "Proposal",
    "extract",
    "extract_duties",
    "extract_header",
    "extract_routines",
    "payments",
    "penalties",
    "prices",
    "sla_terms",
]


def extract(text: str) -> Extraction:
    """Every proposal the rules make for ``text``, with the conflicts they found."""
    header = extract_header(text)
    flat = flatten(text)
    clauses = penalties(text, flat)
    return (
        header.extend(payments(text))
        # The price list is checked against the total the header proposes.
        .extend(prices(text, header))
        .extend(sla_terms(text, clauses, flat))
        .extend(clauses)
        .extend(extract_duties(text))
        .extend(extract_routines(text))
    )
