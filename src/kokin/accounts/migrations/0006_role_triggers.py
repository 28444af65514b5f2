"""Database triggers behind the model's checks (kokin.accounts.models.check_role / check_flags).

A CheckConstraint sees one row only; these rules span two tables, so each vendor gets triggers:
- a role row for a system administrator or an auditor is refused;
- 送信 (upload) and 承認 (approve) on one business for one user is refused (separation of duties);
- turning on the system administrator or auditor flag of a user who holds a role is refused.
On PostgreSQL the role trigger locks the user's row first, so two concurrent inserts (or an insert
and a flag change) for one user are checked one after the other.
"""

from django.db import migrations

MESSAGE_FLAGGED = "kokin: a system administrator or auditor holds no business role"
MESSAGE_DUTIES = "kokin: upload and approve on one business for one user are refused (separation of duties)"
MESSAGE_FLAG = "kokin: a user who holds business roles cannot become a system administrator or auditor"

SQLITE_UP = [
    f"""
    CREATE TRIGGER kokin_role_{event.lower()}_checks BEFORE {event}{columns} ON accounts_roleassignment
    FOR EACH ROW BEGIN
        SELECT RAISE(ABORT, '{MESSAGE_FLAGGED}') WHERE EXISTS (
            SELECT 1 FROM accounts_user WHERE id = NEW.user_id AND (is_system_admin OR is_auditor));
        SELECT RAISE(ABORT, '{MESSAGE_DUTIES}') WHERE NEW.role IN ('upload', 'approve') AND EXISTS (
            SELECT 1 FROM accounts_roleassignment r WHERE r.user_id = NEW.user_id
            AND r.business_id = NEW.business_id AND r.id IS NOT NEW.id
            AND r.role = CASE NEW.role WHEN 'upload' THEN 'approve' ELSE 'upload' END);
    END
    """
    for event, columns in (("INSERT", ""), ("UPDATE", " OF user_id, business_id, role"))
] + [
    f"""
    CREATE TRIGGER kokin_user_flag_check BEFORE UPDATE OF is_system_admin, is_auditor ON accounts_user
    FOR EACH ROW WHEN (NEW.is_system_admin OR NEW.is_auditor) BEGIN
        SELECT RAISE(ABORT, '{MESSAGE_FLAG}') WHERE EXISTS (
            SELECT 1 FROM accounts_roleassignment WHERE user_id = NEW.id);
    END
    """
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS kokin_role_insert_checks",
    "DROP TRIGGER IF EXISTS kokin_role_update_checks",
    "DROP TRIGGER IF EXISTS kokin_user_flag_check",
]

POSTGRESQL_UP = [
    f"""
    CREATE FUNCTION kokin_role_checks() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM 1 FROM accounts_user WHERE id = NEW.user_id FOR UPDATE;
        IF EXISTS (SELECT 1 FROM accounts_user WHERE id = NEW.user_id AND (is_system_admin OR is_auditor)) THEN
            RAISE EXCEPTION '{MESSAGE_FLAGGED}' USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.role IN ('upload', 'approve') AND EXISTS (
            SELECT 1 FROM accounts_roleassignment r WHERE r.user_id = NEW.user_id
            AND r.business_id = NEW.business_id AND r.id IS DISTINCT FROM NEW.id
            AND r.role = CASE NEW.role WHEN 'upload' THEN 'approve' ELSE 'upload' END) THEN
            RAISE EXCEPTION '{MESSAGE_DUTIES}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER kokin_role_checks BEFORE INSERT OR UPDATE OF user_id, business_id, role
    ON accounts_roleassignment FOR EACH ROW EXECUTE FUNCTION kokin_role_checks()
    """,
    f"""
    CREATE FUNCTION kokin_user_flag_check() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF (NEW.is_system_admin OR NEW.is_auditor)
            AND EXISTS (SELECT 1 FROM accounts_roleassignment WHERE user_id = NEW.id) THEN
            RAISE EXCEPTION '{MESSAGE_FLAG}' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER kokin_user_flag_check BEFORE UPDATE OF is_system_admin, is_auditor
    ON accounts_user FOR EACH ROW EXECUTE FUNCTION kokin_user_flag_check()
    """,
]
POSTGRESQL_DOWN = [
    "DROP TRIGGER IF EXISTS kokin_role_checks ON accounts_roleassignment",
    "DROP FUNCTION IF EXISTS kokin_role_checks()",
    "DROP TRIGGER IF EXISTS kokin_user_flag_check ON accounts_user",
    "DROP FUNCTION IF EXISTS kokin_user_flag_check()",
]

STATEMENTS = {"sqlite": (SQLITE_UP, SQLITE_DOWN), "postgresql": (POSTGRESQL_UP, POSTGRESQL_DOWN)}


def _run(index: int):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
        vendor = schema_editor.connection.vendor
        if vendor not in STATEMENTS:
            raise RuntimeError(f"kokin: no role triggers for the {vendor} database")
        for statement in STATEMENTS[vendor][index]:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_role_grant_request"),
    ]

    operations = [migrations.RunPython(_run(0), _run(1))]
