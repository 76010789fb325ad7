"""Running manage.py (or a Celery worker) in a child process with an environment of the test's choosing."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Variables that would make a child inherit this run's services or settings.
PORTAL_VARIABLES = [
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "OM_VAR_DIR",
    "DJANGO_SETTINGS_MODULE",
]


def clean_env(tmp_path, **overrides):
    env = {key: value for key, value in os.environ.items() if key not in PORTAL_VARIABLES}
    env["OM_VAR_DIR"] = str(tmp_path / "var")
    env.update(overrides)
    return env


def manage(*args, env, timeout=120):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def real_services():
    """Skip unless the test runs on a real Redis and PostgreSQL (a worker process needs both)."""
    import pytest
    from django.db import connection

    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL (a real Redis); .ci/run sets it")
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL to a real PostgreSQL; .ci/run sets it")


def database_url():
    """The test database as a URL, for a child process."""
    from django.db import connection

    db = connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
