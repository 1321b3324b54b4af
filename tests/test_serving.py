"""Serving with several workers, each on its own SO_REUSEPORT listener (app.serving).

app.serving hands uvicorn's process supervisor a stand-in for its shared socket; these tests
fail loudly when a uvicorn release changes what that relies on.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from uvicorn.supervisors.multiprocess import Multiprocess

from app.serving import reuseport_supported
from tests.instances import serving
from tests.metrics import Scrape

if TYPE_CHECKING:
    from pathlib import Path as PathType

    import httpx


def test_uvicorn_supervisor_still_takes_the_sockets_it_hands_its_workers() -> None:
    parameters = list(inspect.signature(Multiprocess.__init__).parameters)
    assert parameters == ["self", "config", "sockets"]


def listeners_on(port: int) -> int:
    """How many sockets listen on 127.0.0.1:port (from /proc/net/tcp)."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    local = f"0100007F:{port:04X}"
    return sum(1 for row in rows if row.split()[1] == local and row.split()[3] == "0A")


@pytest.mark.skipif(not reuseport_supported(), reason="SO_REUSEPORT listeners are Linux only")
async def test_each_worker_listens_on_a_socket_of_its_own(tmp_path: PathType) -> None:
    async with serving(tmp_path, workers=2) as instance:
        assert listeners_on(instance.port) == 2
        async with instance.client() as client:
            for _ in range(10):
                response = await client.get("/health/live", headers={"Connection": "close"})
                assert response.status_code == 200


LOOKUP = "GET /referrals/code_by_email/{email}"


async def lookups_counted(client: httpx.AsyncClient) -> float:
    """What one scrape, on a new connection (so any worker may answer it), counts of LOOKUP."""
    response = await client.get("/metrics", headers={"Connection": "close"})
    assert response.status_code == 200
    return Scrape(response.text).requests("rest", LOOKUP, "client_error")


@pytest.mark.skipif(not reuseport_supported(), reason="SO_REUSEPORT listeners are Linux only")
async def test_one_scrape_counts_the_requests_of_every_worker(tmp_path: PathType) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    lookups = 40
    async with serving(tmp_path, workers=2, TMPDIR=str(temporary)) as instance:
        async with instance.client() as client:
            for number in range(lookups):
                # A new connection each time: the kernel spreads them over the two listeners,
                # so both workers serve some (all on one: a chance of 2 in 2**40).
                response = await client.get(
                    f"/referrals/code_by_email/nobody-{number}@example.com",
                    headers={"Connection": "close"},
                )
                assert response.status_code == 404
            # Each scrape lands on either worker, and each must see what both served.
            assert [await lookups_counted(client) for _ in range(10)] == [lookups] * 10
        (folder,) = list(temporary.iterdir())  # the workers' metrics, this user's alone
        assert folder.name.startswith("referrals-metrics-")
        assert folder.stat().st_mode & 0o777 == 0o700
    assert list(temporary.iterdir()) == []  # removed when the server stopped


async def test_a_single_worker_counts_its_requests(tmp_path: PathType) -> None:
    async with serving(tmp_path, workers=1) as instance, instance.client() as client:
        response = await client.get("/referrals/code_by_email/nobody@example.com")
        assert response.status_code == 404
        assert await lookups_counted(client) == 1
