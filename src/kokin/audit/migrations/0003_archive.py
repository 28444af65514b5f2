"""The archive boundary (:class:`kokin.audit.models.AuditArchive`), and the delete trigger changed to let
an entry go only when an archive row covers it.

Updates stay refused always, and TRUNCATE on PostgreSQL; a DELETE passes only for entries whose ``seq``
is at or below the newest archive's ``last_seq`` (:mod:`kokin.audit.archiving` inserts that row in the
transaction that deletes them, after the archive file was written and verified). Anyone else still
meets the refusal (``tests/hub/audit/test_retention.py`` checks both).
"""

from django.db import migrations, models

REFUSED = "operation-log entries cannot be deleted unless archived (アーカイブされていない操作ログは削除できません)"

SQLITE_CREATE = [
    "DROP TRIGGER IF EXISTS audit_auditentry_no_delete",
    f"""CREATE TRIGGER audit_auditentry_no_delete BEFORE DELETE ON audit_auditentry
    WHEN OLD.seq > (SELECT COALESCE(MAX(last_seq), 0) FROM audit_auditarchive)
    BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditentry_no_delete",
    """CREATE TRIGGER audit_auditentry_no_delete BEFORE DELETE ON audit_auditentry
    BEGIN SELECT RAISE(ABORT, 'operation-log entries cannot be deleted (操作ログは削除できません)'); END""",
]

POSTGRESQL_CREATE = [
    "DROP TRIGGER IF EXISTS audit_auditentry_no_update_delete ON audit_auditentry",
    """CREATE TRIGGER audit_auditentry_no_update BEFORE UPDATE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_auditentry_append_only()""",
    f"""CREATE OR REPLACE FUNCTION audit_auditentry_archived_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.seq <= (SELECT COALESCE(MAX(last_seq), 0) FROM audit_auditarchive) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION '{REFUSED}' USING ERRCODE = 'integrity_constraint_violation';
    END
    $$""",
    """CREATE TRIGGER audit_auditentry_no_delete BEFORE DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_auditentry_archived_only()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS audit_auditentry_no_delete ON audit_auditentry",
    "DROP TRIGGER IF EXISTS audit_auditentry_no_update ON audit_auditentry",
    "DROP FUNCTION IF EXISTS audit_auditentry_archived_only()",
    """CREATE TRIGGER audit_auditentry_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_auditentry_append_only()""",
]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql, params=None)


def archived_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_CREATE)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRESQL_CREATE)
    else:
        raise NotImplementedError(f"no append-only triggers for {vendor}: add them to this migration")


def never(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRESQL_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_triggers"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditArchive",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=255, unique=True, verbose_name="ファイル名")),
                ("sha256", models.CharField(max_length=64, verbose_name="ファイルSHA-256")),
                ("first_seq", models.BigIntegerField(unique=True, verbose_name="最初の連番")),
                ("first_prev_mac", models.CharField(max_length=64, verbose_name="最初の記録の直前のMAC")),
                ("last_seq", models.BigIntegerField(unique=True, verbose_name="最後の連番")),
                ("last_mac", models.CharField(max_length=64, verbose_name="最後の記録のMAC")),
                ("count", models.BigIntegerField(verbose_name="件数")),
                ("before", models.DateTimeField(verbose_name="対象 (この日時より前)")),
                ("archived_at", models.DateTimeField(verbose_name="作成日時")),
            ],
            options={
                "verbose_name": "操作ログのアーカイブ",
                "verbose_name_plural": "操作ログのアーカイブ",
                "ordering": ["first_seq"],
            },
        ),
        migrations.RunPython(archived_only, never, elidable=False),
    ]
