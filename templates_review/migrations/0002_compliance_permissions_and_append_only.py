"""Grant the "Compliance" group what reviewers need, and make ReviewDecision append-only in the database.

Reviewers see templates, versions and decisions, and approve or reject versions; they
cannot add templates, edit bodies (the admin shows them read-only) or touch decisions.
A trigger refuses UPDATE and DELETE on review decisions even from a superuser's session.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Compliance"
PERMISSIONS = [
    ("messagetemplate", "view_messagetemplate"),
    ("templateversion", "view_templateversion"),
    ("templateversion", "change_templateversion"),
    ("templateversion", "approve_templateversion"),
    ("templateversion", "reject_templateversion"),
    ("reviewdecision", "view_reviewdecision"),
]

POSTGRES_TRIGGER = """
CREATE OR REPLACE FUNCTION templates_review_decision_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'templates_review_reviewdecision is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER templates_review_decision_append_only
    BEFORE UPDATE OR DELETE ON templates_review_reviewdecision
    FOR EACH ROW EXECUTE FUNCTION templates_review_decision_append_only();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS templates_review_decision_append_only ON templates_review_reviewdecision;
DROP FUNCTION IF EXISTS templates_review_decision_append_only();
"""
SQLITE_TRIGGERS = [
    """CREATE TRIGGER templates_review_decision_no_update BEFORE UPDATE ON templates_review_reviewdecision
       BEGIN SELECT RAISE(ABORT, 'templates_review_reviewdecision is append-only'); END;""",
    """CREATE TRIGGER templates_review_decision_no_delete BEFORE DELETE ON templates_review_reviewdecision
       BEGIN SELECT RAISE(ABORT, 'templates_review_reviewdecision is append-only'); END;""",
]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("templates_review")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for model, codename in PERMISSIONS:
        permission = Permission.objects.get(content_type__app_label="templates_review", content_type__model=model, codename=codename)
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*group.permissions.filter(content_type__app_label="templates_review"))


def add_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_TRIGGER)
    elif vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS templates_review_decision_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS templates_review_decision_no_delete")


class Migration(migrations.Migration):
    dependencies = [
        ("templates_review", "0001_initial"),
        ("accounts", "0002_compliance_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(grant, revoke),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
