"""Organisations and memberships now belong to identity (identity 0001, issue 16).

State only: the contract's parties point at ``identity.Organization``, whose table is the same
``contracts_organization``, so the foreign keys in the database are already right; the two models
leave this app's state without their tables being dropped.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0008_input_bounds"),
        ("identity", "0001_identity_parties"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="contract",
                    name="client",
                    field=models.ForeignKey(
                        limit_choices_to={"kind": "client"},
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="client_contracts",
                        to="identity.organization",
                        verbose_name="client",
                    ),
                ),
                migrations.AlterField(
                    model_name="contract",
                    name="vendor",
                    field=models.ForeignKey(
                        limit_choices_to={"kind": "vendor"},
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="vendor_contracts",
                        to="identity.organization",
                        verbose_name="vendor",
                    ),
                ),
                migrations.DeleteModel(name="Membership"),
                migrations.DeleteModel(name="Organization"),
            ],
            database_operations=[],
        ),
    ]
