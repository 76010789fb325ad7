"""Backup and restore: the database and the media files (signed PDFs, photos), with a manifest
that a restore checks itself against.

A backup is a folder: ``database.dump`` (pg_dump's custom format) or ``database.sqlite3``,
``media.tar.gz`` (every stored file, read through the storage API: the local disk or the S3
store alike), and ``manifest.json`` holding each table's row count, the audit chain's head
(also as an HMAC'd anchor, om_portal.audit_anchor) and the SHA-256 of every signed PDF.
``restore`` loads the folder into an EMPTY database and media folder, then compares: the same
row counts, an intact audit chain ending at the same head, and the same signed PDFs byte for
byte. Row counts are taken in one snapshot transaction, and pg_dump takes its own consistent
snapshot; a portal writing during the backup can make them differ by the rows written in
between, which restore reports (stop the beat and the web for a backup that must match exactly).
"""

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

MANIFEST = "manifest.json"
MEDIA_ARCHIVE = "media.tar.gz"


class BackupError(Exception):
    pass


# --- What is checked ------------------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    counts = {}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for model in apps.get_models():
            if model._meta.managed and not model._meta.proxy:
                counts[model._meta.db_table] = model._default_manager.using(connection.alias).count()
    return dict(sorted(counts.items()))


def signed_documents() -> dict[str, str]:
    """Each signed PDF's stored name → the SHA-256 recorded for it: the rows of every model that
    keeps a ``pdf`` file beside its ``sha256`` (signed reports, acceptance packages)."""
    from django.db.models import FileField, Q

    documents = {}
    for model in apps.get_models():
        fields = {f.name: f for f in model._meta.get_fields()}
        if not (isinstance(fields.get("pdf"), FileField) and "sha256" in fields):
            continue
        for name, digest in model.objects.exclude(Q(sha256="") | Q(pdf="")).values_list("pdf", "sha256"):
            documents[name] = digest
    return dict(sorted(documents.items()))


def _audit_head() -> dict:
    from om_portal.models import AuditChain

    head = AuditChain.objects.filter(pk=1).first()
    return {"last_id": head.last_id, "last_hash": head.last_hash} if head else {}


def _sha256(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stored_files(path: str = ""):
    """Every file in the default storage (MEDIA_ROOT or the S3 bucket), by its stored name."""
    try:
        folders, files = default_storage.listdir(path)
    except FileNotFoundError:  # a local media folder not made yet
        return
    for name in files:
        yield f"{path}/{name}" if path else name
    for folder in folders:
        yield from stored_files(f"{path}/{folder}" if path else folder)


# --- Backup --------------------------------------------------------------------------------------


def _pg_env() -> dict:
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432)}
    env["PGUSER"] = db["USER"] or "postgres"
    env["PGDATABASE"] = db["NAME"]
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603  (our own arguments)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:2000]}")


def _file_parts():
    """The app configs that add files of their own to a backup (reports: the signing
    certificates), by duck typing, since this lowest app imports none of them."""
    return [config for config in apps.get_app_configs() if hasattr(config, "backup_files")]


def backup(folder: Path, *, include_signing_key: bool = False) -> dict:
    """The backup holds every password hash and document: its folder is 0700 and its files 0600
    whatever the umask (pg_dump and tarfile create files by it). The signing key goes in only
    when the operator asks (``include_signing_key``)."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: a backup goes into a new folder.")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    umask = os.umask(0o077)
    try:
        manifest = _write_backup(folder, include_signing_key)
    finally:
        os.umask(umask)
    for path in folder.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)
    return manifest


def _write_backup(folder: Path, include_signing_key: bool = False) -> dict:
    from om_portal import audit_anchor

    # Before the row counts: a part may record a row (the current certificate in the trust store).
    parts = {
        config.label: config.backup_files(folder, include_key=include_signing_key) for config in _file_parts()
    }
    manifest = {
        "parts": parts,
        "made_at": timezone.now().isoformat(),
        "database": connection.vendor,
        "rows": row_counts(),
        "audit_head": _audit_head(),
        # The same head, HMAC'd: verify_audit --anchor manifest.json checks a later trail holds it.
        "audit_anchor": audit_anchor.make(),
        "signed_documents": signed_documents(),
    }
    if connection.vendor == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={folder / 'database.dump'}"], _pg_env())
    elif connection.vendor == "sqlite":
        # The online backup API copies a consistent database even while the portal writes.
        import sqlite3

        connection.ensure_connection()
        with sqlite3.connect(folder / "database.sqlite3") as target:
            connection.connection.backup(target)
    else:
        raise BackupError(f"no backup for {connection.vendor}")
    archive_media(folder / MEDIA_ARCHIVE)
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


# --- Restore -------------------------------------------------------------------------------------


def _database_is_empty() -> bool:
    return not connection.introspection.table_names()


def restore(folder: Path) -> list[str]:
    """Load a backup into this (empty) database and media folder; returns what does not match."""
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    if manifest["database"] != connection.vendor:
        raise BackupError(f"the backup is of {manifest['database']}, this database is {connection.vendor}")
    if not _database_is_empty():
        raise BackupError("the target database is not empty: restore into a new database.")
    if next(stored_files(), None) is not None:
        raise BackupError(f"the media storage ({_where()}) is not empty: restore into a new one.")
    _media_members(folder / MEDIA_ARCHIVE)  # a forged archive is refused before anything is written
    if connection.vendor == "postgresql":
        _run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={connection.settings_dict['NAME']}",
              str(folder / "database.dump")], _pg_env())  # fmt: skip
    else:
        connection.close()
        shutil.copyfile(folder / "database.sqlite3", connection.settings_dict["NAME"])
    _restore_media(folder / MEDIA_ARCHIVE)
    problems = []
    for config in _file_parts():
        if config.label in manifest.get("parts", {}):
            problems += config.restore_files(folder, manifest["parts"][config.label])
    return check(manifest) + problems


def archive_media(archive_path: Path) -> None:
    """Every stored file into a tar.gz under media/, read through the storage API."""
    with tarfile.open(archive_path, "w:gz") as archive:
        for name in sorted(stored_files()):
            info = tarfile.TarInfo(f"media/{name}")
            info.size = default_storage.size(name)
            info.mtime = int(default_storage.get_modified_time(name).timestamp())
            with default_storage.open(name, "rb") as fh:
                archive.addfile(info, fh)


def _where() -> str:
    bucket = getattr(settings, "S3_BUCKET", "")
    return f"bucket {bucket}" if bucket else str(settings.MEDIA_ROOT)


def _media_members(archive_path: Path) -> list[tuple[tarfile.TarInfo, str]]:
    """The archive's files with their stored names. A member that is not a plain file under
    media/, or whose name climbs out of it, is a forged archive: refused."""
    found = []
    with tarfile.open(archive_path, "r:gz") as archive:
        for member in archive.getmembers():
            if member.isdir():
                continue
            name = member.name.removeprefix("media/")
            if not member.isfile() or name == member.name or name.startswith("/") or ".." in name.split("/"):
                raise BackupError(f"{MEDIA_ARCHIVE}: refused the member {member.name!r}")
            found.append((member, name))
    return found


def _restore_media(archive_path: Path) -> None:
    """Each archived file back under its own name, through the storage API."""
    members = _media_members(archive_path)
    with tarfile.open(archive_path, "r:gz") as archive:
        for member, name in members:
            file = File(archive.extractfile(member.name), name=name.rsplit("/", 1)[-1])
            saved = default_storage.save(name, file)
            if saved != name:
                raise BackupError(f"{name}: stored as {saved}; the media storage was not empty")


def check(manifest: dict) -> list[str]:
    from om_portal import audit, audit_anchor

    problems = []
    counts = row_counts()
    for table, expected in manifest["rows"].items():
        if counts.get(table) != expected:
            problems.append(f"{table}: {counts.get(table)} rows, the backup had {expected}")
    _, chain = audit.verify()
    problems += [f"audit trail: {p}" for p in chain]
    if _audit_head() != manifest["audit_head"]:
        problems.append("audit trail: its head differs from the backup's")
    if "audit_anchor" in manifest:
        problems += [f"audit trail: {p}" for p in audit_anchor.check(manifest["audit_anchor"])]
    for name, digest in manifest["signed_documents"].items():
        if not default_storage.exists(name):
            problems.append(f"{name}: missing")
        elif _sha256(name) != digest:
            problems.append(f"{name}: its SHA-256 differs from the one on record")
    return problems


def describe(manifest: dict) -> str:
    rows = sum(manifest["rows"].values())
    made = dt.datetime.fromisoformat(manifest["made_at"])
    return (
        f"{rows} rows in {len(manifest['rows'])} tables, {len(manifest['signed_documents'])} signed PDFs, "
        f"{len(manifest.get('parts', {}).get('reports', {}).get('certificates', []))} signing certificates, "
        f"made {timezone.localtime(made):%Y-%m-%d %H:%M:%S}"
    )
