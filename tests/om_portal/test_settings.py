"""Settings come from the environment; production (DEBUG off) fails closed."""

import pytest

from tests.om_portal.helpers import clean_env, manage

SHOW = (
    "shell",
    "-c",
    "from django.conf import settings as s; "
    "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.DEBUG, "
    "s.LANGUAGE_CODE, s.TIME_ZONE, s.USE_TZ)",
)
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3Jd8-production-like-secret-of-sufficient-length-and-variety-0192",
    "ALLOWED_HOSTS": "portal.example.gov.cn",
    "DATABASE_URL": "postgres://om@127.0.0.1:5432/om",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "AUDIT_KEY": "Qm7-audit-chain-key-of-sufficient-length-0193",
    # What the operator must set (issue 14): check --deploy warns without it (om_portal.W012).
    "API_TOKEN_LIFETIME_HOURS": "12",
    # The public https address the links in messages start with (om_portal.W020, W021).
    "SITE_URL": "https://portal.example.gov.cn",
}


def test_nothing_set_means_sqlite_embedded_broker_debug_and_chinese(tmp_path):
    result = manage(*SHOW, env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "True",
        "zh-hans",
        "Asia/Shanghai",
        "True",
    ]
    # The generated development secret is kept for the next start (web and worker share it).
    assert len((tmp_path / "var" / "dev-secret-key").read_text()) >= 50


def test_database_and_redis_urls_are_used_when_set(tmp_path):
    env = clean_env(
        tmp_path, DATABASE_URL="postgres://om@db.invalid:5432/om", REDIS_URL="redis://r.invalid:6379/1"
    )
    result = manage(*SHOW, env=env)
    assert result.returncode == 0, result.stderr
    engine, broker = result.stdout.splitlines()[-1].split()[:2]
    assert engine == "django.db.backends.postgresql"
    assert broker == "redis://r.invalid:6379/1"


@pytest.mark.parametrize(
    "missing, message",
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "django-insecure-" + "x" * 60}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short-secret"}, "SECRET_KEY must be set"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must name"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS must name"),
    ],
)
def test_production_refuses_to_start_without_a_real_secret_and_hosts(tmp_path, missing, message):
    result = manage("check", env=clean_env(tmp_path, **{**PRODUCTION, **missing}))
    assert result.returncode != 0
    assert message in result.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "DEBUG", env=clean_env(tmp_path, **PRODUCTION))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_warns_without_an_audit_key(tmp_path):
    """Issue 14: the audit chain's key is kept outside the database; the operator must set it."""
    for key, warning in (("", "om_portal.W001"), ("short", "om_portal.W002")):
        env = clean_env(tmp_path, **{**PRODUCTION, "AUDIT_KEY": key})
        result = manage("check", "--deploy", "--fail-level", "ERROR", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert warning in result.stdout + result.stderr
