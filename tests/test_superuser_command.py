"""`python -m app superuser EMAIL [--revoke]`, run as an operator runs it."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TYPE_CHECKING, Any

from app.models import User
from tests.api import database
from tests.instances import ROOT

if TYPE_CHECKING:
    from tests.api import Api


async def command(backend: dict[str, Any], *args: str) -> tuple[int, str, str]:
    """Run the command against the backend's database: exit status, stdout, stderr."""
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    env |= {"PYTHONPATH": ROOT, "DATABASE_URL": backend["database_url"]}
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "app", "superuser", *args),
        env=env,
        cwd=backend["data_dir"],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def is_superuser(api: Api, user_id: str) -> bool:
    async with database(api.app) as session:
        user = await session.get(User, int(user_id))
        assert user is not None
        await session.refresh(user)
        return user.is_superuser


async def test_superuser_promotes_and_revoke_demotes(api: Api, backend: dict[str, Any]) -> None:
    user = await api.register()
    status, out, _ = await command(backend, user["email"].upper())
    assert status == 0
    assert user["email"].upper() in out
    assert await is_superuser(api, user["id"])
    status, _, _ = await command(backend, user["email"], "--revoke")
    assert status == 0
    assert not await is_superuser(api, user["id"])


async def test_superuser_of_an_unknown_email_exits_1_with_a_message(
    backend: dict[str, Any],
) -> None:
    status, out, err = await command(backend, "nobody-at-all@example.com")
    assert status == 1
    assert out == ""
    assert "no account with the email 'nobody-at-all@example.com'" in err
    assert "Traceback" not in err
