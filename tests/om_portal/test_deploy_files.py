"""The deployment files: docker-compose.yml, the Dockerfile, .env.example, .dockerignore.

No database and no Docker engine needed: compose's ``config`` only reads and interpolates the file.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"

SERVICES = {
    *("postgres", "redis", "migrate", "web", "worker", "worker-probes", "worker-render", "beat"),
    *("minio", "minio-bucket"),
}
OPTIONAL = {"minio": "minio", "minio-bucket": "minio"}  # service → the profile that starts it
APP_SERVICES = ("web", "worker", "worker-probes", "worker-render", "beat")
REQUIRED = {
    "SECRET_KEY": "x" * 50,
    "ALLOWED_HOSTS": "portal.example",
    "POSTGRES_PASSWORD": "p",
    "POSTGRES_APP_PASSWORD": "a",
    "AUDIT_KEY": "k" * 40,
}


def _compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    pytest.skip("docker-compose is not installed")


def run_compose_config(tmp_path, variables: dict[str, str], env_file: Path | None = None):
    """`docker-compose config` with exactly these variables: neither the checkout's .env (an
    operator's) nor the caller's environment leak in."""
    if env_file is None:
        env_file = tmp_path / "empty.env"
        env_file.write_text("")
    # The same file feeds the services' env_file (OM_ENV_FILE), as .env does in the checkout.
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "OM_ENV_FILE": str(env_file),
        **variables,
    }
    return subprocess.run(
        [*_compose_command(), "--env-file", str(env_file), "-f", str(COMPOSE_FILE), "config"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _instructions(dockerfile_text: str) -> list[str]:
    """The Dockerfile's instructions, continuation lines joined and comments dropped."""
    instructions, current = [], ""
    for line in dockerfile_text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        instructions.append(current + stripped)
        current = ""
    if current:
        instructions.append(current)
    return instructions


# --- docker-compose.yml -------------------------------------------------------------------------


def test_compose_config_is_valid_and_has_the_stack(tmp_path):
    result = run_compose_config(tmp_path, REQUIRED)
    assert result.returncode == 0, result.stderr

    config = yaml.safe_load(result.stdout)
    assert set(config["services"]) == SERVICES
    services = config["services"]
    # MinIO runs only when asked for (COMPOSE_PROFILES=minio); the rest always.
    assert {name: services[name].get("profiles", [None])[0] for name in OPTIONAL} == OPTIONAL
    assert not any(services[name].get("profiles") for name in SERVICES - set(OPTIONAL))

    for name in APP_SERVICES:
        environment = services[name]["environment"]
        assert environment["DEBUG"] == "false"
        # Issue 14: the portal is not the tables' owner, who could disable the audit triggers.
        assert environment["DATABASE_URL"] == "postgres://om_app:a@postgres:5432/om"
        assert environment["AUDIT_KEY"] == REQUIRED["AUDIT_KEY"]
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
        assert environment["SECRET_KEY"] == REQUIRED["SECRET_KEY"]
        assert environment["ALLOWED_HOSTS"] == "portal.example"
        assert environment["BEHIND_TLS_PROXY"] == "true"
        conditions = {dep: spec["condition"] for dep, spec in services[name]["depends_on"].items()}
        assert conditions == {
            "postgres": "service_healthy",
            "redis": "service_healthy",
            "migrate": "service_completed_successfully",
        }
        assert "migrate" not in " ".join(services[name]["command"])

    for name in ("postgres", "redis", "web"):
        assert services[name]["healthcheck"]["test"], name
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    # Migrations run once, as the owner, before the portal starts.
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["environment"]["DATABASE_URL"] == "postgres://om:p@postgres:5432/om"
    assert services["postgres"]["environment"]["POSTGRES_APP_PASSWORD"] == "a"
    assert "beat" in services["beat"]["command"]
    # Every kind of work has a worker (issue 17), and renders have one of their own.
    kinds = {}
    for name in ("worker", "worker-probes", "worker-render"):
        command = services[name]["command"]
        assert command[:3] == ["python", "manage.py", "worker"]
        kinds[name] = set(command[3].split(","))
    assert set().union(*kinds.values()) == {"default", "realtime", "probes", "render", "notify"}
    assert kinds["worker-render"] == {"render"}


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_compose_refuses_a_stack_without_a_required_variable(tmp_path, missing):
    variables = {name: value for name, value in REQUIRED.items() if name != missing}
    result = run_compose_config(tmp_path, variables)
    assert result.returncode != 0
    assert f"set {missing} in .env" in result.stdout + result.stderr


def test_the_env_example_starts_a_stack_only_once_filled_in(tmp_path):
    """The example holds no secret: copied unchanged, compose's guards stop it."""
    env_file = tmp_path / ".env"
    shutil.copy(ENV_EXAMPLE, env_file)
    assert run_compose_config(tmp_path, {}, env_file=env_file).returncode != 0

    filled = ENV_EXAMPLE.read_text()
    for name, value in REQUIRED.items():
        filled = re.sub(rf"^{name}=$", f"{name}={value}", filled, flags=re.MULTILINE)
    env_file.write_text(filled)
    result = run_compose_config(tmp_path, {}, env_file=env_file)
    assert result.returncode == 0, result.stderr


def test_env_example_names_every_variable_compose_reads():
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", COMPOSE_FILE.read_text()))
    example = ENV_EXAMPLE.read_text()
    named = set(re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", example, flags=re.MULTILINE))
    assert used <= named, f"not in .env.example: {sorted(used - named)}"


def test_the_portals_role_may_only_read_and_write_rows():
    script = (ROOT / "deploy" / "postgres" / "10-portal-role.sh").read_text()
    grants = [line.strip() for line in script.splitlines() if line.strip().startswith("GRANT")]
    assert grants and all("om_app" in g for g in grants)
    tables = " ".join(g for g in grants if "TABLES" in g)
    assert "SELECT, INSERT, UPDATE, DELETE ON" in tables
    assert not any(word in " ".join(grants) for word in ("TRUNCATE", "ALL PRIVILEGES", "CREATE ON", "OWNER"))
    assert "REVOKE CREATE ON SCHEMA public FROM om_app" in script


# --- Every setting the README names reaches the stack -------------------------------------------

README = ROOT / "README.md"
SETTINGS_PY = ROOT / "om_portal" / "settings.py"
# Set by docker-compose.yml itself: a value in .env must not change them.
FIXED_BY_STACK = {
    "DEBUG",
    "DATABASE_URL",
    "REDIS_URL",
    "MEDIA_ROOT",
    "REPORT_SIGNING_DEV_DIR",
    "AUDIT_ANCHOR_DIR",
}
# Read by compose (interpolation) or by gunicorn, not by the portal's settings.
STACK_ONLY = {"POSTGRES_PASSWORD", "POSTGRES_APP_PASSWORD", "WEB_PORT", "WEB_CONCURRENCY", "PORTAL_SUBNET"}


def readme_settings() -> set[str]:
    """The names in the first column of the README's "Settings" table."""
    text = README.read_text()
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, flags=re.MULTILINE))


def test_the_readme_lists_every_setting_the_portal_reads():
    read = set(re.findall(r"env(?:\.[a-z_]+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", SETTINGS_PY.read_text()))
    listed = readme_settings()
    assert len(read) > 30
    assert read <= listed, f"read by settings.py, not in the README: {sorted(read - listed)}"
    assert listed - STACK_ONLY <= read, f"in the README, read nowhere: {sorted(listed - STACK_ONLY - read)}"


def test_env_example_lists_every_setting_the_readme_names():
    named = set(re.findall(r"^#?\s*([A-Z_][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))
    listed = readme_settings()
    assert listed <= named, f"in the README, not in .env.example: {sorted(listed - named)}"


def test_compose_passes_every_readme_setting_from_env_to_the_services(tmp_path):
    """Each setting written in .env reaches web, worker and beat, but those the stack fixes."""
    listed = readme_settings()
    values = {name: f"from-env-{name.lower()}" for name in listed - FIXED_BY_STACK - STACK_ONLY}
    values.update(SECRET_KEY=REQUIRED["SECRET_KEY"], ALLOWED_HOSTS=REQUIRED["ALLOWED_HOSTS"])
    env_file = tmp_path / ".env"
    lines = [f"{name}={value}" for name, value in values.items()]
    lines += [f"{name}={REQUIRED[name]}" for name in ("POSTGRES_PASSWORD", "POSTGRES_APP_PASSWORD")]
    lines += [f"{name}=from-env" for name in FIXED_BY_STACK]
    env_file.write_text("\n".join(lines) + "\n")
    result = run_compose_config(tmp_path, {}, env_file=env_file)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        missing = {key for key, value in values.items() if environment.get(key) != value}
        assert not missing, f"{name} does not get {sorted(missing)} from .env"
        assert all(environment[key] != "from-env" for key in FIXED_BY_STACK)
        assert environment["DEBUG"] == "false"


# --- Dockerfile ---------------------------------------------------------------------------------


def test_dockerfile_installs_the_weasyprint_runtime_and_chinese_fonts():
    apt_lines = [i for i in _instructions(DOCKERFILE.read_text()) if "apt-get install" in i]
    assert apt_lines, "no apt-get install in the Dockerfile"
    packages = set(" ".join(apt_lines).split())
    assert {"fonts-noto-cjk", "libharfbuzz-subset0", "libpango-1.0-0", "libpangoft2-1.0-0"} <= packages
    assert "--no-install-recommends" in packages
    assert any("rm -rf /var/lib/apt/lists" in i for i in apt_lines)


def test_dockerfile_runs_as_a_user_and_collects_static_files():
    instructions = _instructions(DOCKERFILE.read_text())
    users = [i.split()[1] for i in instructions if i.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    assert any("collectstatic --noinput" in i for i in instructions if i.startswith("RUN "))
    assert not any("HEALTHCHECK" in i for i in instructions), "health checks belong in compose"


def test_dockerfile_copies_only_files_that_exist():
    for instruction in _instructions(DOCKERFILE.read_text()):
        if instruction.startswith("COPY ") and "--from" not in instruction:
            *sources, _destination = instruction.split()[1:]
            for source in sources:
                if not source.startswith("--"):
                    assert (ROOT / source).exists(), f"the build would fail: {source} is missing"


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}
    assert {".venv", "var", "staticfiles", ".git", "tests/artifacts", ".env"} <= ignored
    assert not {"pyproject.toml", "README.md"} & ignored


def test_minio_gets_the_portals_s3_credentials(tmp_path):
    """One pair of keys in .env: the portal's S3 client and MinIO's root user, and the bucket."""
    keys = {
        "S3_ACCESS_KEY_ID": "om-media-key",
        "S3_SECRET_ACCESS_KEY": "om-media-secret",
        "S3_BUCKET": "files",
    }
    result = run_compose_config(tmp_path, {**REQUIRED, **keys})
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert services["minio"]["environment"]["MINIO_ROOT_USER"] == "om-media-key"
    assert services["minio"]["environment"]["MINIO_ROOT_PASSWORD"] == "om-media-secret"
    assert services["minio-bucket"]["environment"]["S3_BUCKET"] == "files"
