"""On PostgreSQL the database itself refuses to change or delete an audit entry.

The model and its queryset already refuse it in the application; this trigger
also stops raw SQL and any other program that connects to the database. The one
change allowed is what ``on_delete=SET_NULL`` does when an account, clinic or
patient is deleted: that link becomes empty, every other column stays as written.
SQLite has no such triggers in Django's hands: there the migration does nothing.
"""

from django.db import migrations

FUNCTION = "audit_auditentry_append_only"
TRIGGER = "audit_auditentry_append_only"

CREATE = f"""
CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (NEW.id, NEW.at, NEW.username, NEW.action, NEW.object_type, NEW.object_id,
            NEW.detail, NEW.ip_address, NEW.user_agent)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.username, OLD.action, OLD.object_type, OLD.object_id,
            OLD.detail, OLD.ip_address, OLD.user_agent)
       AND (NEW.user_id IS NULL OR NEW.user_id IS NOT DISTINCT FROM OLD.user_id)
       AND (NEW.clinic_id IS NULL OR NEW.clinic_id IS NOT DISTINCT FROM OLD.clinic_id)
       AND (NEW.patient_id IS NULL OR NEW.patient_id IS NOT DISTINCT FROM OLD.patient_id)
    THEN
        RETURN NEW;  -- a deleted account, clinic or patient unlinked; the entry keeps its text
    END IF;
    RAISE EXCEPTION 'audit entries cannot be %', CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'changed' END
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();
"""

DROP = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON audit_auditentry;
DROP FUNCTION IF EXISTS {FUNCTION}();
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # no placeholders: the "%" belongs to PL/pgSQL

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_more_actions"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP), elidable=False),
    ]
