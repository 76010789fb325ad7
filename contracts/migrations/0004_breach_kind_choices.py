from django.db import migrations, models

import contracts.obligations


def check_kinds_registered(apps, schema_editor):
    """Every kind already in the ledger or on a clause must be one the registry knows."""
    known = set(contracts.obligations.KINDS)
    unknown = set()
    for name in ("PenaltyClause", "Breach"):
        model = apps.get_model("contracts", name)
        unknown |= set(model.objects.exclude(kind__in=known).values_list("kind", flat=True).distinct())
    if unknown:
        raise RuntimeError(
            "Kinds of breach not in contracts/obligations.py: "
            + ", ".join(sorted(unknown))
            + ". Register them (code, labels, producers, shapes) before migrating."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0003_security_admin_role"),
    ]

    operations = [
        migrations.RunPython(check_kinds_registered, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="breach",
            name="kind",
            field=models.SlugField(choices=contracts.obligations.choices, verbose_name="kind of breach"),
        ),
        migrations.AlterField(
            model_name="penaltyclause",
            name="kind",
            field=models.SlugField(choices=contracts.obligations.choices, verbose_name="kind of breach"),
        ),
    ]
