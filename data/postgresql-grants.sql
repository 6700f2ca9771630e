-- data/postgresql-grants.sql: the table rights of carnet_runtime (see
-- data/postgresql-setup.sql). Run as carnet_owner after the engine has
-- migrated the schema (the first open with the owner's conninfo), and
-- again after each carnet upgrade that adds a schema version:
--
--      psql "dbname=carnet user=carnet_owner" -v ON_ERROR_STOP=1 -f data/postgresql-grants.sql
--
-- The trail (audit) may be read and appended to, never updated or
-- deleted: a host process cannot rewrite it. Its head (audit_head) moves
-- with each entry; a head rewritten behind the engine's back no longer
-- matches the entries and the verification says so.
SET search_path = carnet;

REVOKE ALL ON ALL TABLES IN SCHEMA carnet FROM carnet_runtime;
GRANT SELECT ON store_schema TO carnet_runtime;
GRANT SELECT, INSERT ON audit TO carnet_runtime;
GRANT SELECT, INSERT, UPDATE ON audit_head, dossiers, professionals TO carnet_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON dossier_access, documents, contents, notifications, representatives,
        attempts, host_challenges, host_sessions, content_chunks TO carnet_runtime;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA carnet TO carnet_runtime;
