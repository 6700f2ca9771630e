-- data/postgresql-setup.sql: the roles and database of carnet's dossier
-- store on PostgreSQL (docs/operations.md, "The dossier store on
-- PostgreSQL"). Run once, as a PostgreSQL superuser:
--
--      psql -v ON_ERROR_STOP=1 -f data/postgresql-setup.sql
--
-- (-v dbname=NAME names the database otherwise than carnet.)
--
-- carnet_owner owns the schema and runs the migrations (the engine applies
-- them at open, so the first open after an install or an upgrade uses the
-- owner's conninfo); carnet_runtime is the role the host processes use
-- every day: it may read and write the dossiers but not change the schema,
-- and may only add to the trail (data/postgresql-grants.sql, run by the
-- owner after each migration, gives the table rights). Neither has a
-- password here: connect over the Unix socket with peer authentication
-- (pg_hba.conf), or set one with \password.

\if :{?dbname}
\else
\set dbname carnet
\endif

CREATE ROLE carnet_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE carnet_runtime LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;

-- C collation: text sorts byte-wise, as on SQLite
CREATE DATABASE :"dbname" OWNER carnet_owner ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"dbname" TO carnet_runtime;

\connect :"dbname"
-- the tables live in the owner's schema; nobody else may create objects
CREATE SCHEMA carnet AUTHORIZATION carnet_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA carnet TO carnet_runtime;
ALTER ROLE carnet_owner IN DATABASE :"dbname" SET search_path = carnet;
ALTER ROLE carnet_runtime IN DATABASE :"dbname" SET search_path = carnet;
