#!/bin/sh
# The portal's database role: om_app may read and write rows, and owns nothing, so it can neither
# disable nor drop the audit trail's triggers, nor TRUNCATE or ALTER a table. The tables belong
# to om (POSTGRES_USER), which runs the migrations. PostgreSQL's image runs this once, when it
# creates the database; on an existing volume run it by hand (it can be run again):
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/10-portal-role.sh
set -eu
: "${POSTGRES_APP_PASSWORD:?set POSTGRES_APP_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-om}" --dbname "${POSTGRES_DB:-om}" \
    -v app_password="$POSTGRES_APP_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE om_app LOGIN PASSWORD %L', :'app_password')
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'om_app') \gexec
SELECT format('ALTER ROLE om_app LOGIN PASSWORD %L', :'app_password') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO om_app', current_database()) \gexec
GRANT USAGE ON SCHEMA public TO om_app;
REVOKE CREATE ON SCHEMA public FROM om_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO om_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO om_app;
ALTER DEFAULT PRIVILEGES FOR ROLE CURRENT_USER IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO om_app;
ALTER DEFAULT PRIVILEGES FOR ROLE CURRENT_USER IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO om_app;
SQL
