"""Organisations and memberships, moved from contracts (issue 16) without touching the database.

The tables keep their names (``contracts_organization``, ``contracts_membership``) with their
rows, constraints, indexes and the one-side trigger (contracts 0007): this migration only tells
Django's state that the models are now this app's, and renames their content types so that the
permissions granted on them and the admin's history stay attached. Contracts 0009 drops them from
the contracts app's state and points the contract's parties here.
"""

import django.db.models.deletion
import om_portal.validators
from django.conf import settings
from django.db import migrations, models

MOVED = ("organization", "membership")


def rename_content_types(apps, schema_editor, old="contracts", new="identity"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        # A fresh database has none yet (they are made after migrating); an upgraded one has the
        # old app's, unless a failed earlier attempt already made the new one.
        if not ContentType.objects.using(db).filter(app_label=new, model=model).exists():
            ContentType.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


def rename_back(apps, schema_editor):
    rename_content_types(apps, schema_editor, old="identity", new="contracts")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("contracts", "0008_input_bounds"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Organization",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "name",
                            models.CharField(
                                max_length=200,
                                unique=True,
                                validators=[om_portal.validators.no_bidi_controls],
                                verbose_name="name",
                            ),
                        ),
                        ("short_name", models.CharField(blank=True, max_length=50, verbose_name="short name")),
                        (
                            "kind",
                            models.CharField(
                                choices=[("client", "Client (bureau)"), ("vendor", "Vendor")],
                                max_length=10,
                                verbose_name="kind",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "organisation",
                        "verbose_name_plural": "organisations",
                        "db_table": "contracts_organization",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="Membership",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "role",
                            models.CharField(
                                choices=[
                                    ("client_staff", "Client staff"),
                                    ("client_manager", "Client manager"),
                                    ("vendor_engineer", "Vendor engineer"),
                                    ("vendor_manager", "Vendor manager"),
                                    ("auditor", "Auditor"),
                                    ("administrator", "Administrator"),
                                    ("security_admin", "Security administrator"),
                                ],
                                max_length=20,
                                verbose_name="role",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="user",
                            ),
                        ),
                        (
                            "organization",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="memberships",
                                to="identity.organization",
                                verbose_name="organisation",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "membership",
                        "verbose_name_plural": "memberships",
                        "db_table": "contracts_membership",
                        "ordering": ["organization__name", "user__username"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "organization"), name="membership_unique_user_organization"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(rename_content_types, rename_back, elidable=False),
    ]
