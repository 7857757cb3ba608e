"""Gardes de la base sans trous : ancienne et nouvelle ligne, TRUNCATE, historique des notes.

- Une note ne sort pas d'une session verrouillée : sur UPDATE, le déclencheur contrôle la session de l'ancien
  candidat ET celle du nouveau (changer `candidat_id` ne contourne plus le verrou). De même un candidat ne
  change pas de session quand l'une des deux est verrouillée (ses notes le suivraient).
- L'historique des notes est en ajout seul : UPDATE toujours refusé ; DELETE refusé pour un candidat d'une
  session verrouillée (comme ses notes) — la purge d'une session close passe par son déverrouillage, journalisé.
- TRUNCATE contourne les déclencheurs par ligne : des déclencheurs BEFORE TRUNCATE (par instruction) le
  refusent sur le journal, les notes, les historiques (notes et grilles) et les documents émis, y compris
  quand il y arrive par CASCADE depuis une autre table.
"""

from django.db import migrations

TABLES_SANS_VIDAGE = [
    "examens_journal",
    "examens_note",
    "examens_historiquenote",
    "examens_historiquegrille",
    "examens_documentemis",
]

NOTE_SESSION_OUVERTE = """
CREATE OR REPLACE FUNCTION examens_note_session_ouverte() RETURNS trigger AS $$
BEGIN
    -- NEW vaut NULL pour un DELETE, OLD pour un INSERT : on contrôle toutes les lignes concernées.
    IF EXISTS (
        SELECT 1 FROM examens_candidat c JOIN examens_session s ON s.id = c.session_id
        WHERE s.verrouillee AND c.id IN (NEW.candidat_id, OLD.candidat_id)
    ) THEN
        RAISE EXCEPTION 'Session verrouillée : note non modifiable' USING ERRCODE = 'check_violation';
    END IF;
    RETURN COALESCE(NEW, OLD);
END;
$$ LANGUAGE plpgsql
"""

NOTE_SESSION_OUVERTE_0003 = """
CREATE OR REPLACE FUNCTION examens_note_session_ouverte() RETURNS trigger AS $$
DECLARE
    fermee boolean;
BEGIN
    SELECT s.verrouillee INTO fermee FROM examens_candidat c JOIN examens_session s ON s.id = c.session_id
    WHERE c.id = COALESCE(NEW.candidat_id, OLD.candidat_id);
    IF fermee THEN
        RAISE EXCEPTION 'Session verrouillée : note non modifiable' USING ERRCODE = 'check_violation';
    END IF;
    RETURN COALESCE(NEW, OLD);
END;
$$ LANGUAGE plpgsql
"""

HISTORIQUE_NOTE = """
CREATE FUNCTION examens_historiquenote_immuable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'L''historique des notes est en ajout seul : UPDATE refusé' USING ERRCODE = 'check_violation';
    END IF;
    IF EXISTS (
        SELECT 1 FROM examens_candidat c JOIN examens_session s ON s.id = c.session_id
        WHERE s.verrouillee AND c.id = OLD.candidat_id
    ) THEN
        RAISE EXCEPTION 'Session verrouillée : historique des notes non supprimable' USING ERRCODE = 'check_violation';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql
"""

CANDIDAT_SESSION = """
CREATE FUNCTION examens_candidat_session_fixe() RETURNS trigger AS $$
BEGIN
    IF NEW.session_id IS DISTINCT FROM OLD.session_id AND EXISTS (
        SELECT 1 FROM examens_session s WHERE s.verrouillee AND s.id IN (NEW.session_id, OLD.session_id)
    ) THEN
        RAISE EXCEPTION 'Session verrouillée : le candidat ne change pas de session' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""

VIDAGE_REFUSE = """
CREATE FUNCTION agora_vidage_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'TRUNCATE refusé : la table % est protégée (ajout seul ou session verrouillée)', TG_TABLE_NAME
        USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql
"""


class Migration(migrations.Migration):
    dependencies = [
        ("examens", "0014_tri_francais"),
    ]

    operations = [
        migrations.RunSQL(sql=[NOTE_SESSION_OUVERTE], reverse_sql=[NOTE_SESSION_OUVERTE_0003]),
        migrations.RunSQL(
            sql=[
                HISTORIQUE_NOTE,
                "CREATE TRIGGER historiquenote_immuable BEFORE UPDATE OR DELETE ON examens_historiquenote "
                "FOR EACH ROW EXECUTE FUNCTION examens_historiquenote_immuable()",
            ],
            reverse_sql=[
                "DROP TRIGGER historiquenote_immuable ON examens_historiquenote",
                "DROP FUNCTION examens_historiquenote_immuable()",
            ],
        ),
        migrations.RunSQL(
            sql=[
                CANDIDAT_SESSION,
                "CREATE TRIGGER candidat_session_fixe BEFORE UPDATE OF session_id ON examens_candidat "
                "FOR EACH ROW EXECUTE FUNCTION examens_candidat_session_fixe()",
            ],
            reverse_sql=[
                "DROP TRIGGER candidat_session_fixe ON examens_candidat",
                "DROP FUNCTION examens_candidat_session_fixe()",
            ],
        ),
        migrations.RunSQL(
            sql=[VIDAGE_REFUSE]
            + [
                f"CREATE TRIGGER {table.removeprefix('examens_')}_sans_vidage BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION agora_vidage_refuse()"
                for table in TABLES_SANS_VIDAGE
            ],
            reverse_sql=[
                f"DROP TRIGGER {table.removeprefix('examens_')}_sans_vidage ON {table}" for table in TABLES_SANS_VIDAGE
            ]
            + ["DROP FUNCTION agora_vidage_refuse()"],
        ),
    ]
