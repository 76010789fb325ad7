"""The compose stack's restore, drilled with its two database roles (docs/operations.md, "Restore").

In the stack the tables belong to `om`, which only the migrate service uses, and web, worker and
beat connect as `om_app`, which may read and write rows and nothing more
(deploy/postgres/10-portal-role.sh). A backup is taken by web (as om_app), restored by the migrate
service (as the owner) into a database that has only been initialised, and then the migrate
service's start-up `migrate` must find nothing to do, om_app must read and write, and om_app must
still be unable to switch off the audit trail's triggers.
"""

import json
import os
import subprocess
import uuid

import pytest
from django.db import connection

from om_portal.models import AuditEntry
from tests.om_portal.helpers import ROOT, clean_env, database_url, manage
from tests.om_portal.test_backup import signed_portal  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL roles")

APP_PASSWORD = "drill-app-password"


def _psql(sql, *, db="postgres", user="postgres"):
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", user, "-d", db, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
        capture_output=True,
        text=True,
    )


def _init_roles(db: str, owner: str):
    """What PostgreSQL's image runs once at a new volume: the portal's role and its grants."""
    env = {
        **os.environ,
        "PGHOST": "127.0.0.1",
        "POSTGRES_USER": owner,
        "POSTGRES_DB": db,
        "POSTGRES_APP_PASSWORD": APP_PASSWORD,
    }
    script = ROOT / "deploy" / "postgres" / "10-portal-role.sh"
    done = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _url(user: str, db: str) -> str:
    host_port = database_url().split("@", 1)[1].rsplit("/", 1)[0]
    return f"postgres://{user}:{APP_PASSWORD}@{host_port}/{db}"


def test_a_backup_restores_into_the_compose_stack(signed_portal, tmp_path, settings):  # noqa: F811
    # The source installation, as the stack has it: web reads every table as om_app.
    source_db = connection.settings_dict["NAME"]
    _init_roles(source_db, connection.settings_dict["USER"] or "postgres")
    backup = tmp_path / "backup"
    web = clean_env(tmp_path, DATABASE_URL=_url("om_app", source_db), MEDIA_ROOT=str(settings.MEDIA_ROOT))
    done = manage("backup", str(backup), env=web)
    assert done.returncode == 0, done.stderr
    rows = json.loads((backup / "manifest.json").read_text())["rows"]
    assert rows["om_portal_auditentry"] == AuditEntry.objects.count() > 0

    # A new stack: the owner's database, initialised by the image's script and nothing else. The
    # image makes POSTGRES_USER (om) a superuser that owns the database.
    tag = uuid.uuid4().hex[:8]
    owner, target_db = f"om_drill_{tag}", f"om_drill_{tag}"
    assert _psql(f"CREATE ROLE {owner} SUPERUSER LOGIN PASSWORD '{APP_PASSWORD}'").returncode == 0
    try:
        assert _psql(f"CREATE DATABASE {target_db} OWNER {owner}").returncode == 0
        _init_roles(target_db, owner)
        media = str(tmp_path / "restored-media")
        migrate_service = clean_env(tmp_path, DATABASE_URL=_url(owner, target_db), MEDIA_ROOT=media)
        web = clean_env(tmp_path, DATABASE_URL=_url("om_app", target_db), MEDIA_ROOT=media)

        # Restoring as om_app cannot work (it may not create tables) and leaves the database empty.
        done = manage("restore", str(backup), env=web)
        assert done.returncode != 0
        tables = _psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", db=target_db)
        assert tables.stdout.strip() == "0"

        # `docker compose run --rm --no-deps migrate python manage.py restore /backup`
        done = manage("restore", str(backup), env=migrate_service)
        assert done.returncode == 0, done.stderr + done.stdout
        assert "match the backup" in done.stdout
        # `docker compose up -d`: the migrate service runs first and has nothing left to do.
        done = manage("migrate", "--noinput", env=migrate_service)
        assert done.returncode == 0, done.stderr
        assert "No migrations to apply" in done.stdout

        # web, as om_app: the restored rows are readable and writable, the chain intact...
        done = manage("verify_audit", env=web)
        assert done.returncode == 0 and "intact" in done.stdout, done.stderr
        done = manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            "get_user_model().objects.create_user('after_restore', password='Restore-Drill-2026'); "
            "print('written')",
            env=web,
        )
        assert done.returncode == 0 and "written" in done.stdout, done.stderr
        # ...and the tables are the owner's, so om_app cannot switch the audit trail's triggers off.
        refused = _psql("ALTER TABLE om_portal_auditentry DISABLE TRIGGER ALL", db=target_db, user="om_app")
        assert refused.returncode != 0 and "must be owner" in refused.stderr
        tables = _psql("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'", db=target_db)
        assert tables.stdout.split() == [owner]
    finally:
        connection.close()
        _psql(f"DROP DATABASE IF EXISTS {target_db} WITH (FORCE)")
        _psql(f"DROP ROLE IF EXISTS {owner}")
