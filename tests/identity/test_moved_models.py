"""Organisations and memberships moved from contracts to identity (issue 16): the audit lines
written before the move name them by their old label, and still read as the model's name."""

from django.utils import translation

from identity.models import Membership, Organization
from identity.views.audit import model_label


def test_lines_from_before_the_move_read_as_the_models_name():
    with translation.override("en"):
        assert model_label("contracts.membership") == "membership" == model_label("identity.membership")
        assert model_label("contracts.organization") == "organisation"
        assert model_label("contracts.nothing") == "contracts.nothing"


def test_the_tables_keep_their_names():
    # The move changed no table: the one-side trigger (contracts 0007) and tests/legacy.py name them.
    assert (Organization._meta.db_table, Membership._meta.db_table) == (
        "contracts_organization",
        "contracts_membership",
    )
