"""A backup holds every password hash, second-factor secret and signed document: nobody but its
owner reads it (issue 14, Medium 8), whatever the umask of the shell that ran it."""

import os
import stat

import pytest

from om_portal import backup

# A backup counts rows in a transaction of its own (REPEATABLE READ), outside any test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def open_umask():
    previous = os.umask(0o022)  # the usual default: files 0644, folders 0755
    yield
    os.umask(previous)


def test_a_backup_is_readable_by_its_owner_only(open_umask, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REPORT_SIGNING_DEV_DIR = tmp_path / "signing"
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "photo.jpg").write_bytes(b"\xff\xd8")
    folder = tmp_path / "backup"
    backup.backup(folder, include_signing_key=True)
    files = sorted(path.name for path in folder.iterdir() if path.is_file())
    assert "manifest.json" in files and "media.tar.gz" in files and len(files) == 3
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    # Issue 15: the signing certificates (and here the key) in a folder of their own, closed too.
    inner = list(folder.rglob("*"))
    assert folder / "signing" / "current-key.pem" in inner
    assert {path: stat.S_IMODE(path.stat().st_mode) for path in inner} == {
        path: 0o700 if path.is_dir() else 0o600 for path in inner
    }
    assert os.umask(0o022) == 0o022  # the process's umask is given back


def test_an_empty_folder_given_is_closed_too(open_umask, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REPORT_SIGNING_DEV_DIR = tmp_path / "signing"
    folder = tmp_path / "given"
    folder.mkdir(mode=0o755)
    backup.backup(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
