"""The GraphQL-over-HTTP conformance audit of the `graphql-http` npm package (its
`serverAudits`), run by Node against a real `python -m app serve` on each backend.

graphql-http is installed at a pinned version into a folder of the test session (npm checks the
tarball against the registry's digest; nothing lands in the repository). Without node or npm,
or when npm can reach neither the registry nor its cache, the tests skip, or fail where
REQUIRE_SERVERS=1 (CI installs both: .ci/run).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.faults.private_servers import require_binary
from tests.instances import serving
from tests.servers import skip_or_fail

if TYPE_CHECKING:
    from collections.abc import Mapping

# graphql-http's entry point loads `graphql` (its peer dependency) too, so both are pinned.
PACKAGES = {"graphql-http": "1.23.1", "graphql": "16.15.0"}
AUDIT_COUNT = 61  # the audits graphql-http 1.23.1's serverAudits returns
AUDIT_SCRIPT = Path(__file__).with_name("graphql_http_audit.cjs")
NPM_TIMEOUT = 180.0  # seconds for `npm install`
AUDIT_TIMEOUT = 120.0  # seconds for the whole audit

# In production introspection is off (contract section 4, on purpose), so the audits whose query
# asks for `__type(name: $name)` get the validation error that any introspection query gets there;
# every other audit, the statuses and media types of request errors included, still passes.
INTROSPECTION_AUDITS = {"2EA1": "warn", "28B9": "error", "D6D5": "notice", "6A70": "notice"}


async def run(
    *command: str, env: Mapping[str, str], cwd: Path | None = None
) -> tuple[int, str, str]:
    """Run a program to its end: its exit status, stdout and stderr. Killed when the caller stops
    waiting (its `asyncio.timeout`)."""
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await process.communicate()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def plain_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    return env | extra


@pytest.fixture(scope="session")
async def graphql_http(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A node_modules folder holding the pinned graphql-http."""
    npm = require_binary("npm", "npm")
    folder = tmp_path_factory.mktemp("graphql-http")
    manifest = {"private": True, "dependencies": PACKAGES}
    (folder / "package.json").write_text(json.dumps(manifest))
    async with asyncio.timeout(NPM_TIMEOUT):
        status, _, stderr = await run(
            *(npm, "install", "--prefer-offline", "--ignore-scripts", "--no-package-lock"),
            *("--no-audit", "--no-fund", "--loglevel=error"),
            cwd=folder,
            env=plain_env(),
        )
    if status != 0:
        skip_or_fail(f"npm install {PACKAGES} failed: {stderr.strip()[-300:]}")
    return folder / "node_modules"


async def audit(node_modules: Path, url: str) -> list[dict[str, Any]]:
    """Every audit's result for the GraphQL endpoint at `url`."""
    node = require_binary("Node.js", "node", "nodejs")
    async with asyncio.timeout(AUDIT_TIMEOUT):
        status, stdout, stderr = await run(
            node, str(AUDIT_SCRIPT), url, env=plain_env(NODE_PATH=str(node_modules))
        )
    assert status == 0, f"the audit stopped: {stderr.strip()[-2000:]}"
    results = [json.loads(line) for line in stdout.splitlines()]
    assert len(results) == AUDIT_COUNT, [result["id"] for result in results]
    return results


def failures(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The results that are not "ok", by audit id."""
    return {result["id"]: result for result in results if result["status"] != "ok"}


def backend_settings(backend: dict[str, Any], **settings: str) -> dict[str, Any]:
    """The instance settings for this backend's database and cache."""
    chosen: dict[str, Any] = {"database_url": backend["database_url"], **settings}
    if backend["redis_url"]:
        chosen["redis_url"] = backend["redis_url"]
    return chosen


async def test_every_audit_passes(
    backend: dict[str, Any], graphql_http: Path, tmp_path: Path
) -> None:
    async with serving(tmp_path, **backend_settings(backend)) as instance:
        results = await audit(graphql_http, f"{instance.base_url}/graphql")
    failed = failures(results)
    assert not failed, json.dumps(list(failed.values()), indent=2, ensure_ascii=False)


async def test_in_production_only_the_audits_that_introspect_fail(
    backend: dict[str, Any], graphql_http: Path, tmp_path: Path
) -> None:
    settings = backend_settings(backend, app_env="production")
    async with serving(tmp_path, **settings) as instance:
        results = await audit(graphql_http, f"{instance.base_url}/graphql")
    failed = failures(results)
    statuses = {audit_id: result["status"] for audit_id, result in failed.items()}
    assert statuses == INTROSPECTION_AUDITS
    for result in failed.values():
        body = json.loads(result["answer"]["body"])
        assert "data" not in body or body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "introspection" in body["errors"][0]["message"]
