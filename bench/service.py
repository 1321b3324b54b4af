"""Starting the service and the ceiling app as child processes, and seeding through the API."""

from __future__ import annotations

import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from bench.procs import free_port, wait_until, worker_pids

if TYPE_CHECKING:
    import subprocess

    from bench.procs import Children

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT = 90.0
PASSWORD = "bench password 1"  # noqa: S105 - the password of throwaway bench accounts


def service_environment(*, database_url: str, redis_url: str | None, port: int) -> dict[str, str]:
    """The process environment for a server: the caller's, minus every service setting, plus ours.

    Settings are dropped first so that nothing from the caller's shell (an API key that would send
    registrations to a real provider, a rate limit) leaks into the measurement.
    """
    from app.settings import Settings

    names = {name.upper() for name in Settings.model_fields}
    environment = {key: value for key, value in os.environ.items() if key.upper() not in names}
    environment |= {
        "DATABASE_URL": database_url,
        "RATE_LIMITS": "off",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SECRET_KEY": secrets.token_urlsafe(48),
        # Scenarios that sign in (statistics) keep their token for the whole run.
        "ACCESS_TOKEN_TTL": str(24 * 3600),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    if redis_url:
        environment["REDIS_URL"] = redis_url
    return environment


@dataclass
class Server:
    """A running server: its process, port and worker pids."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    workers: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def migrate(children: Children, environment: dict[str, str], workdir: Path) -> None:
    """`python -m app migrate` against the run's database, bounded in time."""
    process = children.start(
        [sys.executable, "-m", "app", "migrate"],
        env=environment,
        cwd=workdir,
        log=workdir / "migrate.log",
    )
    try:
        code = process.wait(timeout=START_TIMEOUT)
    finally:
        children.stop(process)
    if code != 0:
        raise RuntimeError(f"migrate failed:\n{_tail(workdir / 'migrate.log')}")


def start_server(
    children: Children,
    *,
    name: str,
    argv: list[str],
    environment: dict[str, str],
    workdir: Path,
    probe_path: str,
    workers: int,
) -> Server:
    """Start a server on its own free port and wait until every worker answers."""
    port = free_port()
    environment = {**environment, "PORT": str(port)}
    log = workdir / f"{name}.log"
    process = children.start(argv, env=environment, cwd=workdir, log=log)
    server = Server(name=name, process=process, port=port, log=log)

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{_tail(log)}")
        try:
            answered = httpx.get(server.url + probe_path, timeout=2).status_code < 500
        except httpx.HTTPError:
            return False
        return answered and (workers == 1 or len(worker_pids(process.pid)) >= workers)

    if not wait_until(ready, timeout=START_TIMEOUT, interval=0.2):
        raise RuntimeError(f"{name} did not start in {START_TIMEOUT:.0f} s:\n{_tail(log)}")
    # Every worker runs its lifespan; give the slower one a moment after the first answers.
    time.sleep(1.0)
    server.workers = worker_pids(process.pid)
    return server


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


REGISTER = "mutation R($input: RegisterInput!) { register(input: $input) { id email } }"
LOGIN = "mutation L($input: LoginInput!) { login(input: $input) { accessToken user { id } } }"
CREATE_CODE = "mutation C($input: CreateCodeInput!) { createCode(input: $input) { code } }"
CODE_BY_EMAIL = "query Code($email: String!) { codeByEmail(email: $email) { code expiresAt } }"
REFERRALS_BY_ID = (
    "query Referrals($id: ID!) { referralsById(id: $id, first: 50) { totalCount"
    " edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"
)
REFERRAL_STATS = (
    "query Stats { me { referralStats { totalReferrals referralsLast7Days referralsLast30Days"
    " visitsLast30Days daily(days: 30) { date referrals visits } } } }"
)
LEADERBOARD = (
    "query Leaderboard($period: LeaderboardPeriod!) { leaderboard(period: $period, first: 10)"
    " { edges { cursor rank referrals node { id email } } pageInfo { hasNextPage endCursor } } }"
)
REFERRALS_BY_ID_FULL = (
    "query Referrals($id: ID!) { referralsById(id: $id, first: 50) { totalCount"
    " edges { cursor node { id email createdAt } } pageInfo { hasNextPage endCursor } } }"
)


def graphql(
    client: httpx.Client, query: str, variables: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body = answer.json()
    if answer.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL seed call failed: {answer.status_code} {body}")
    return dict(body["data"])


@dataclass(frozen=True, slots=True)
class Owner:
    """A user seeded through the API: signs in, and owns the code that lookups ask for."""

    id: int
    email: str
    password: str
    code: str


def seed_owner(base_url: str, *, run_id: str) -> Owner:
    """Register, sign in and create a code, all through GraphQL, as a client would."""
    email = f"owner-{run_id}@bench.example.com"
    with httpx.Client(base_url=base_url, timeout=30) as client:
        user = graphql(client, REGISTER, {"input": {"email": email, "password": PASSWORD}})
        login = graphql(client, LOGIN, {"input": {"email": email, "password": PASSWORD}})
        token = login["login"]["accessToken"]
        expires = (datetime.now(UTC) + timedelta(days=300)).isoformat()
        created = graphql(client, CREATE_CODE, {"input": {"expiresAt": expires}}, token)
        code = created["createCode"]["code"]
        found = graphql(client, CODE_BY_EMAIL, {"email": email})
        if (found["codeByEmail"] or {}).get("code") != code:
            raise RuntimeError(f"codeByEmail does not find the seeded code: {found}")
    return Owner(id=int(user["register"]["id"]), email=email, password=PASSWORD, code=code)


def sign_in(base_url: str, *, email: str, password: str = PASSWORD) -> str:
    """An access token for a seeded account."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        login = graphql(client, LOGIN, {"input": {"email": email, "password": password}})
    return str(login["login"]["accessToken"])
