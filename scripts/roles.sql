-- Deux rôles PostgreSQL pour AGOrA Examens ; à exécuter en superutilisateur, connecté à la base de l'application
-- (make db le fait : psql -d agora -f scripts/roles.sql). Idempotent : se relance sans dommage.
--
-- agora_proprietaire : possède la base, ses tables, séquences, fonctions et déclencheurs ; lance les migrations.
--                      Lui seul peut modifier ou désactiver une garde (ALTER TABLE … DISABLE TRIGGER, DROP TRIGGER).
-- agora_app          : l'application (serveur web, workers). Ne possède rien ; lit et écrit les lignes (SELECT,
--                      INSERT, UPDATE, DELETE), sans TRUNCATE ni DDL. Ni superutilisateur ni propriétaire, il ne peut
--                      ni désactiver un déclencheur ni SET session_replication_role : les gardes s'appliquent à lui.
SET client_min_messages = warning;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'agora_proprietaire') THEN
        CREATE ROLE agora_proprietaire LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'agora_app') THEN
        CREATE ROLE agora_app LOGIN;
    END IF;
END
$$;
ALTER ROLE agora_proprietaire NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE agora_app NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

-- Extension « de confiance » créée ici par le superutilisateur : la migration (IF NOT EXISTS) n'a rien à faire.
CREATE EXTENSION IF NOT EXISTS unaccent;

DO $$
DECLARE
    o record;
BEGIN
    EXECUTE format('ALTER DATABASE %I OWNER TO agora_proprietaire', current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO agora_app', current_database());
    -- Une base déjà migrée par un autre rôle (avant ces rôles) : ses objets passent au propriétaire.
    FOR o IN
        SELECT c.oid::regclass AS nom FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
          AND c.relowner <> 'agora_proprietaire'::regrole
          -- une séquence liée à une colonne change de propriétaire avec sa table
          AND NOT EXISTS (
              SELECT FROM pg_depend d
              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')
          )
    LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO agora_proprietaire', o.nom);
    END LOOP;
    FOR o IN
        SELECT p.oid::regprocedure AS nom FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> 'agora_proprietaire'::regrole
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')  -- pas d'une extension
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO agora_proprietaire', o.nom);
    END LOOP;
    FOR o IN
        SELECT t.oid::regtype AS nom FROM pg_type t
        WHERE t.typnamespace = 'public'::regnamespace
          AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
          AND t.typowner <> 'agora_proprietaire'::regrole
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER TYPE %s OWNER TO agora_proprietaire', o.nom);
    END LOOP;
END
$$;

ALTER SCHEMA public OWNER TO agora_proprietaire;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO agora_app;
-- Ce qui existe, et ce que les migrations créeront (privilèges par défaut des objets du propriétaire).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO agora_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO agora_app;
ALTER DEFAULT PRIVILEGES FOR ROLE agora_proprietaire IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO agora_app;
ALTER DEFAULT PRIVILEGES FOR ROLE agora_proprietaire IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO agora_app;
