-- A least-privilege PostgreSQL role for cdcd's source connection, and the publication it streams.
-- Run as a superuser (or the tables' owner) in the source database:
--
--   psql -v ON_ERROR_STOP=1 -v password="'...'" -d app -f deploy/source-role.sql
--
-- Then in cdcd.yaml: source.postgres.url: postgres://cdcd:${SOURCE_PASSWORD}@db/app and
-- publication: cdcd (created here, so cdcd needs no CREATE privilege on the database).
-- The server needs wal_level = logical and a free replication slot (`cdcd check` tells).

-- Login and logical replication; no superuser, no CREATEDB, no CREATEROLE.
CREATE ROLE cdcd WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD :password;

-- Read the captured tables: for the initial snapshot and for catalog lookups of keys.
GRANT CONNECT ON DATABASE :"DBNAME" TO cdcd;  -- the database psql is connected to
GRANT USAGE ON SCHEMA public TO cdcd;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO cdcd;
-- Tables created later in the schema are readable too (limit to the tables you capture if you prefer).
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO cdcd;

-- The publication cdcd streams (cdcd creates it when missing, but that needs ownership of the
-- tables; creating it here keeps the role read-only). List tables instead of ALL TABLES to narrow it.
CREATE PUBLICATION cdcd FOR ALL TABLES;

-- Old images (NEW_AND_OLD_IMAGES, OLD_IMAGE) need full old rows from the tables that give them:
-- ALTER TABLE public.orders REPLICA IDENTITY FULL;
