"""The container set-up keeps its promises; read from the files, since CI has no Docker engine."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_VARIABLE = re.compile(r"\$\{(?P<name>\w+):\?[^}]+\}")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def dockerfile_stages(text: str) -> list[list[Instruction]]:
    """The Dockerfile's instructions by stage, continuation lines joined, comments dropped."""
    stages: list[list[Instruction]] = []
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, arguments = line.partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append(Instruction(keyword.upper(), arguments.strip()))
    return stages


def arguments(stage: list[Instruction], keyword: str) -> list[str]:
    return [instruction.arguments for instruction in stage if instruction.keyword == keyword]


def environment(stage: list[Instruction]) -> dict[str, str]:
    pairs = (pair.split("=", 1) for env in arguments(stage, "ENV") for pair in shlex.split(env))
    return dict(pairs)


COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
BUILD, FINAL = dockerfile_stages(DOCKERFILE)


def test_compose_runs_postgres_redis_a_migration_and_the_app() -> None:
    assert set(SERVICES) == {"postgres", "redis", "migrate", "app"}


def test_postgres_is_version_16_keeps_its_data_in_a_named_volume_and_reports_health() -> None:
    postgres = SERVICES["postgres"]

    assert postgres["image"].startswith("postgres:16")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in COMPOSE["volumes"]


def test_redis_is_version_7_and_answers_ping_for_health() -> None:
    redis = SERVICES["redis"]

    assert redis["image"].startswith("redis:7")
    assert redis["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]


def test_migrate_is_a_one_off_run_of_the_app_image_once_postgres_is_healthy() -> None:
    migrate = SERVICES["migrate"]

    assert migrate["build"] == SERVICES["app"]["build"]
    assert migrate["command"] == ["python", "-m", "app", "migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate["restart"] == "no"


def test_app_starts_only_after_the_migration_succeeded_and_redis_is_healthy() -> None:
    depends_on = SERVICES["app"]["depends_on"]

    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["redis"]["condition"] == "service_healthy"


def test_app_serves_on_all_interfaces_with_two_workers_in_production() -> None:
    app = SERVICES["app"]

    assert app["command"] == ["python", "-m", "app", "serve", "--workers", "2"]
    assert app["environment"]["HOST"] == "0.0.0.0"  # noqa: S104 (inside its container)
    assert app["environment"]["APP_ENV"] == "production"
    assert "8000:8000" in app["ports"]


def test_app_health_check_asks_for_readiness_with_python_since_slim_has_no_curl() -> None:
    test = SERVICES["app"]["healthcheck"]["test"]

    assert test[:3] == ["CMD", "python", "-c"]
    assert "urllib.request" in test[3]
    assert "/health/ready" in test[3]


def test_app_and_migrate_reach_postgres_and_redis_by_service_name() -> None:
    for name in ("app", "migrate"):
        env = SERVICES[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379")


def test_compose_secrets_come_from_the_environment_and_are_required() -> None:
    assert SERVICES["app"]["environment"]["SECRET_KEY"] == "${SECRET_KEY:?set SECRET_KEY}"
    assert SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"] == (
        "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
    )
    password = REQUIRED_VARIABLE.search(SERVICES["app"]["environment"]["DATABASE_URL"])
    assert password is not None
    assert password["name"] == "POSTGRES_PASSWORD"


def test_image_builds_in_two_stages_on_python_slim() -> None:
    assert arguments(BUILD, "FROM") == ["python:3.11-slim AS build"]
    assert arguments(FINAL, "FROM") == ["python:3.11-slim"]


def test_final_stage_builds_nothing_and_takes_the_venv_from_the_build_stage() -> None:
    runs = " ".join(arguments(FINAL, "RUN"))

    for tool in ("pip ", "apt-get", "gcc", "build-essential"):
        assert tool not in runs
    assert "--from=build /opt/venv /opt/venv" in arguments(FINAL, "COPY")


def test_final_stage_has_the_migrations_where_the_editable_install_expects_them() -> None:
    copied = {instruction.split()[-2] for instruction in arguments(FINAL, "COPY")}

    assert {"app", "migrations", "alembic.ini"} <= copied
    assert arguments(FINAL, "WORKDIR") == arguments(BUILD, "WORKDIR")


def test_image_runs_as_an_unprivileged_numeric_user() -> None:
    [user] = arguments(FINAL, "USER")
    uid = user.split(":")[0]

    assert uid.isdigit()
    assert int(uid) != 0
    keywords = [instruction.keyword for instruction in FINAL]
    assert keywords.index("USER") < keywords.index("CMD")


def test_image_checks_readiness_exposes_8000_and_serves() -> None:
    [healthcheck] = arguments(FINAL, "HEALTHCHECK")

    assert "/health/ready" in healthcheck
    assert "urllib.request" in healthcheck
    assert arguments(FINAL, "EXPOSE") == ["8000"]
    assert [json.loads(cmd) for cmd in arguments(FINAL, "CMD")] == [
        ["python", "-m", "app", "serve"]
    ]


def test_image_defaults_to_production_and_bakes_in_no_secret() -> None:
    assert environment(FINAL)["APP_ENV"] == "production"
    assert "SECRET_KEY" not in DOCKERFILE
    assert "POSTGRES_PASSWORD" not in DOCKERFILE


def test_build_context_holds_only_what_the_image_copies() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]

    assert patterns[0] == "*"
    included = {pattern[1:].rstrip("/") for pattern in patterns if pattern.startswith("!")}
    assert included == {"pyproject.toml", "requirements.lock", "alembic.ini", "app", "migrations"}


def pip_installs(stage: list[Instruction]) -> list[tuple[int, list[str]]]:
    """Each `pip install` the stage runs: its position among the stage's instructions and words."""
    return [
        (position, words[words.index("install") + 1 :])
        for position, instruction in enumerate(stage)
        if instruction.keyword == "RUN"
        for words in [shlex.split(instruction.arguments)]
        if "pip" in words and "install" in words
    ]


def test_build_stage_installs_the_hashed_runtime_lock_then_the_project_resolving_nothing() -> None:
    [(lock_at, lock_install), (project_at, project_install)] = pip_installs(BUILD)

    assert lock_install == ["--require-hashes", "-r", "requirements.lock"]
    assert project_install == ["--no-deps", "--no-build-isolation", "-e", "."]
    assert lock_at < project_at
    assert "requirements-dev.lock" not in DOCKERFILE


def test_build_stage_installs_the_lock_before_it_copies_the_code_so_the_layer_is_reused() -> None:
    [(lock_at, _), _] = pip_installs(BUILD)
    copied_at = {
        instruction.arguments.split()[0]: position
        for position, instruction in enumerate(BUILD)
        if instruction.keyword == "COPY"
    }

    assert copied_at["requirements.lock"] < lock_at
    assert lock_at < copied_at["pyproject.toml"]
    assert lock_at < copied_at["app"]
