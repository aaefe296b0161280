"""Endpoint names are unique on a stored key (NFKC + case folding, invisible characters
left out) instead of LOWER(name), so SQLite and PostgreSQL refuse the same names (S31).

Rows whose names already share a key are all kept: the oldest keeps its name, each later
one gets " (2)", " (3)", … (rows are referenced by id, so rules and projects follow), and
every rename is printed so an administrator can choose better names.
"""

from django.db import migrations, models

import endpoints.names

NAME_MAX_LENGTH = 64


def fill_name_keys(apps, schema_editor):
    Registry = apps.get_model("endpoints", "Registry")
    rows = list(Registry.objects.using(schema_editor.connection.alias).order_by("pk"))
    for row in rows:
        row.name_key = endpoints.names.name_key(row.name)
    taken = {row.name_key for row in rows}
    keeper = {}
    for row in rows:
        first = keeper.setdefault(row.name_key, row)
        if first is not row:
            rename(row, first, taken)
    Registry.objects.using(schema_editor.connection.alias).bulk_update(
        rows, ["name", "name_key"], batch_size=500
    )


def rename(row, first, taken):
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = row.name[: NAME_MAX_LENGTH - len(suffix)] + suffix
        key = endpoints.names.name_key(candidate)
        if key not in taken:
            break
        number += 1
    print(
        f"\n  Renamed endpoint #{row.pk} “{row.name}” to “{candidate}”: its name is the same as "
        f"endpoint #{first.pk} “{first.name}” once case, compatibility forms and invisible "
        "characters are set aside. Rename either if you like."
    )
    row.name, row.name_key = candidate, key
    taken.add(key)


class Migration(migrations.Migration):

    dependencies = [
        ("endpoints", "0003_status_name_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="registry",
            name="name_key",
            field=endpoints.names.NameKeyField(default=""),
            preserve_default=False,
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="registry",
            name="registry_name_ci_unique",
        ),
        migrations.AddConstraint(
            model_name="registry",
            constraint=models.UniqueConstraint(fields=("name_key",), name="registry_name_key_unique"),
        ),
    ]
