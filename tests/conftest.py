"""Fixtures shared by every test: two pairs of parties, their contracts, and users by role.

Organisation A (a bureau and its vendor) holds contract A; organisation B holds contract B. A
member of A is the "owner" of contract A and an "outsider" to contract B.
"""

import itertools

import pytest
from django.contrib.auth import get_user_model

from contracts.models import Contract, Membership, Organization, Role

PASSWORD = "Test-pass-2026!"
_serial = itertools.count(1)


@pytest.fixture
def client_org_a(db):
    return Organization.objects.create(name="甲市公安局", kind=Organization.Kind.CLIENT)


@pytest.fixture
def vendor_org_a(db):
    return Organization.objects.create(name="甲科技有限公司", kind=Organization.Kind.VENDOR)


@pytest.fixture
def client_org_b(db):
    return Organization.objects.create(name="乙市公安局", kind=Organization.Kind.CLIENT)


@pytest.fixture
def vendor_org_b(db):
    return Organization.objects.create(name="乙科技有限公司", kind=Organization.Kind.VENDOR)


@pytest.fixture
def contract_a(client_org_a, vendor_org_a):
    return Contract.objects.create(
        code="A-2026-OM", title="甲市运维服务", client=client_org_a, vendor=vendor_org_a, status="active"
    )


@pytest.fixture
def contract_b(client_org_b, vendor_org_b):
    return Contract.objects.create(
        code="B-2026-OM", title="乙市运维服务", client=client_org_b, vendor=vendor_org_b, status="active"
    )


@pytest.fixture
def make_user(db):
    """make_user(role, organization) → a user with that one membership; password PASSWORD."""

    def make(role=None, organization=None, **fields):
        user = get_user_model().objects.create_user(
            username=fields.pop("username", f"user{next(_serial)}"), password=PASSWORD, **fields
        )
        if role:
            Membership.objects.create(user=user, organization=organization, role=role)
        return user

    return make


@pytest.fixture
def client_staff_a(make_user, client_org_a):
    return make_user(Role.CLIENT_STAFF, client_org_a)


@pytest.fixture
def vendor_engineer_a(make_user, vendor_org_a):
    return make_user(Role.VENDOR_ENGINEER, vendor_org_a)


@pytest.fixture
def vendor_manager_a(make_user, vendor_org_a):
    return make_user(Role.VENDOR_MANAGER, vendor_org_a)


@pytest.fixture
def client_manager_a(make_user, client_org_a):
    return make_user(Role.CLIENT_MANAGER, client_org_a)


@pytest.fixture
def outsider(make_user, client_org_b):
    """A client manager of organisation B: nothing of contract A is theirs."""
    return make_user(Role.CLIENT_MANAGER, client_org_b)


@pytest.fixture
def administrator(make_user, client_org_a):
    return make_user(Role.ADMINISTRATOR, client_org_a)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests create and log in many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def second_factor_off(settings):
    # Client managers and administrators must give a TOTP code after their password; tests log
    # in with force_login or the bare login form, so the second factor is off unless a test
    # (tests/om_portal/test_auth_otp.py) turns it on. e2e tests share this process's settings.
    settings.OTP_REQUIRED_ROLES = []


def _flush_past_the_audit_guard():
    """The audit trail refuses TRUNCATE (om_portal migration 0005), and the test runner empties
    every table with it after a transactional test: its flush runs in replica mode, where user
    triggers do not fire (the tests connect as a superuser; the portal's role could not). The
    flushed database is a new one: its audit head is put back as migration 0003 makes it (a
    missing head is otherwise an emptied trail, om_portal.audit._head)."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    flush = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        replica = (
            ["SET LOCAL session_replication_role = replica"] if self.connection.vendor == "postgresql" else []
        )
        flush(self, [*replica, *sql_list])
        from om_portal import audit
        from om_portal.models import AuditChain

        AuditChain.objects.using(self.connection.alias).get_or_create(
            pk=1, defaults={"head_mac": audit.head_mac(AuditChain(pk=1))}
        )

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush


_flush_past_the_audit_guard()


def _share_the_audit_key():
    """Children of the suite (manage.py, workers, gunicorn) get their own var folder, hence
    another development audit key: hand them this run's, as web, worker and beat share one."""
    import os

    from django.conf import settings

    os.environ.setdefault("AUDIT_KEY", settings.AUDIT_KEY)


_share_the_audit_key()


def _own_queue_and_cache_keys_per_xdist_worker():
    """Under pytest-xdist (make test) several processes run the suite at once, on one Redis.
    pytest-django gives each its own test database (test_<name>_gw0, ...); here each also gets
    its own Celery queue, so that a worker process one test starts never takes another's tasks
    (children inherit it through the environment), and its own cache key prefix, so that one
    process's login throttling or sweep markers are not another's. Settings are read before
    this module (pytest-django sets Django up first); Celery reads its own lazily, later.
    Without xdist (``-p no:xdist`` or ``-n 0``) nothing changes."""
    import os

    from django.conf import settings

    from om_portal import queues
    from om_portal.celery import app

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-{worker}"
    settings.CELERY_TASK_DEFAULT_QUEUE = os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
    # The queues of each kind of work are named after it (om_portal.queues): renamed with it.
    for name, value in queues.settings_for(queue, settings.RENDER_TIME_LIMIT_SECONDS).items():
        setattr(settings, name, value)
    assert not app.configured, "Celery read its settings before the queue was made this worker's own"
    settings.CACHES = {
        # The queue's name: the worker's, and under .ci/run the run's own (om-ci-<pid>-gw0), so a
        # run never reads the login counters an earlier run left in the same Redis.
        alias: {**cache, "KEY_PREFIX": f"{cache.get('KEY_PREFIX', '')}{queue}"}
        for alias, cache in settings.CACHES.items()
    }
    # Files named by date or made once (the day's audit anchor, the development signing
    # certificate and key) would be written by two processes at once: each its own folder.
    # Children are given an OM_VAR_DIR of their test's own anyway.
    own = settings.VAR_DIR / "xdist" / worker
    for name, default in [
        ("MEDIA_ROOT", "media"),
        ("AUDIT_ANCHOR_DIR", "audit-anchors"),
        ("REPORT_SIGNING_DEV_DIR", "signing"),
    ]:
        if name not in os.environ:
            setattr(settings, name, own / default)


_own_queue_and_cache_keys_per_xdist_worker()
