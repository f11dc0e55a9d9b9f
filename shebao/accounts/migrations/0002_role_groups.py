"""Seed one auth Group per role (name = the Role value).

The list is frozen here, as a migration must not depend on the current code; a test checks it
against ``shebao.accounts.models.Role``. A later role is added by a new data migration.
"""

from django.db import migrations

ROLE_GROUPS = (
    "applicant_unit",
    "applicant_person",
    "agent",
    "window_clerk",
    "reviewer",
    "city_reviewer",
    "finance",
    "bureau_approver",
    "policy_office",
    "catalog_editor",
    "supervisor",
    "admin",
)


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_GROUPS:
        Group.objects.using(schema_editor.connection.alias).get_or_create(name=name)


def delete_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=ROLE_GROUPS, user__isnull=True).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(create_role_groups, delete_role_groups),
    ]
