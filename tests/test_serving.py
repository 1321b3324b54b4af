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

if TYPE_CHECKING:
    from pathlib import Path as PathType


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
