"""Serving with several worker processes, each accepting on its own SO_REUSEPORT socket.

`uvicorn --workers N` binds one listening socket in the parent and shares it: every worker
waits on the same accept queue, and whichever wakes first takes the whole burst of new
connections. Under keep-alive a client's connections then stay on that worker (seen: 32 of 32
on one of two). With one socket per worker bound with SO_REUSEPORT, the kernel spreads new
connections over the workers by a hash of their addresses, and a worker that dies takes its
queue with it instead of leaving connections waiting in a queue nobody serves.

A scrape of /metrics reaches one worker, so several workers keep their metrics in files that
each of them reads (prometheus-client's multiprocess mode): `run` gives them a fresh private
folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess

from app.header_limit import HeadLimitedHttpToolsProtocol

if TYPE_CHECKING:
    from collections.abc import Iterator

# The options `serve` gives uvicorn. Its access log is off: the app writes its own
# (app.observability.RequestLogMiddleware), without the paths and query strings that carry emails.
# Its httptools protocol gets a limit on request heads (app.header_limit); WebSocket messages
# are not compressed.
SERVER_OPTIONS: dict[str, Any] = {
    "http": HeadLimitedHttpToolsProtocol,
    "proxy_headers": True,
    "server_header": False,
    "timeout_graceful_shutdown": 20,
    "log_config": None,
    "access_log": False,
    # Subscription messages are a few hundred bytes: compressing each one cost more CPU than it
    # saved (a burst of 1,000 deliveries took 640 ms instead of 445) and zlib state per socket.
    "ws_per_message_deflate": False,
}
# Read by prometheus-client when it is first imported: where every process keeps its values.
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def reuseport_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT") and sys.platform.startswith("linux")


def _bind_reuseport(host: str, port: int, backlog: int) -> socket.socket:
    """Called in each worker as it unpickles its socket: a listener of its own on host:port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError as error:
        sock.close()
        print(f"cannot listen on {host}:{port}: {error}", file=sys.stderr)
        sys.exit(STARTUP_FAILURE)  # the supervisor stops instead of restarting in a loop
    sock.set_inheritable(True)
    return sock


class PerWorkerListener:
    """Stands in for the shared socket uvicorn hands to each worker: it crosses the process
    boundary as a recipe, and becomes a new SO_REUSEPORT listener in the worker."""

    def __init__(self, host: str, port: int, backlog: int) -> None:
        self.address = (host, port, backlog)

    def __reduce__(self) -> tuple[Any, tuple[str, int, int]]:
        return (_bind_reuseport, self.address)


def _check_port_free(host: str, port: int) -> None:
    """Fail fast, as uvicorn does, when something already listens on host:port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            print(f"cannot listen on {host}:{port}: {error}", file=sys.stderr)
            raise SystemExit(STARTUP_FAILURE) from None


@contextmanager
def metrics_folder() -> Iterator[str]:
    """A fresh folder only this user can read, named in PROMETHEUS_MULTIPROC_DIR for the workers
    (whatever the variable said before: a folder holding an earlier run's files would add them
    to this run's counts), and removed when serving ends."""
    if "prometheus_client" in sys.modules:
        # It chose single-process values on import, and this process would not share its own.
        raise RuntimeError(f"{METRICS_DIR_VARIABLE} must be set before prometheus_client loads")
    folder = tempfile.mkdtemp(prefix="referrals-metrics-")
    os.environ[METRICS_DIR_VARIABLE] = folder
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(app: str, *, host: str, port: int, workers: int) -> None:
    """Serve the ASGI app at `app` ("module:attribute") with `workers` processes.

    One worker serves in this process and keeps its metrics in memory (uvicorn ends it by
    raising the signal it caught, so no folder could be removed on the way out); several share
    a metrics folder that this process, their supervisor, removes when they have stopped.
    """
    if workers <= 1:
        uvicorn.run(app, host=host, port=port, **SERVER_OPTIONS)
        return
    with metrics_folder():
        if not reuseport_supported():
            uvicorn.run(app, host=host, port=port, workers=workers, **SERVER_OPTIONS)
            return
        config = uvicorn.Config(app, host=host, port=port, workers=workers, **SERVER_OPTIONS)
        _check_port_free(host, port)
        listener = PerWorkerListener(host, port, config.backlog)
        Multiprocess(config, sockets=[listener]).run()  # type: ignore[list-item]
