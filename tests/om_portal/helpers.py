"""Running manage.py in a child process with an environment of the test's choosing."""

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
