"""Private Redis and PostgreSQL servers on free loopback ports, to stop and start mid-test.

Missing binaries skip the fault tests, or fail them with REQUIRE_SERVERS=1. PostgreSQL refuses
to run as root, so as root the cluster belongs to the `postgres` user and runs through runuser.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.servers import skip_or_fail

START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def require_binary(name: str, *candidates: str) -> str:
    """The first of these programs that exists; skip, or fail when REQUIRE_SERVERS=1."""
    found = next(filter(None, map(shutil.which, candidates)), None)
    if found is None:
        skip_or_fail(f"{name} is not installed (looked for {', '.join(candidates)})")
    return found


def wait_for_port(port: int, *, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")
        time.sleep(0.05)


class PrivateRedis:
    """A Redis that keeps nothing on disk: a restart comes back empty, as a lost node would."""

    def __init__(self) -> None:
        self.binary = require_binary("redis-server", "redis-server")
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        options = f"--port {self.port} --bind 127.0.0.1 --appendonly no --daemonize no"
        self.process = subprocess.Popen(
            [self.binary, *options.split(), "--save", ""],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def pause(self) -> None:
        """Freeze the server: connections hang instead of failing, as on a partition."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Thaw a frozen server; nothing to do when it is not running (a teardown after stop)."""
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)


class PrivatePostgres:
    """A PostgreSQL cluster in a temporary folder, with trust authentication on loopback."""

    def __init__(self) -> None:
        # Debian keeps the server programs of each major version off PATH: newest first.
        installed = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
        self.initdb = require_binary("PostgreSQL", "initdb", *installed)
        self.pg_ctl = str(Path(self.initdb).with_name("pg_ctl"))
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="referrals-pg-"))
        self.data = self.folder / "data"
        self.running = False
        self.paused = False
        self.owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self.owner is not None:
            require_binary("runuser", "runuser")
            os.chown(self.folder, self.owner.pw_uid, self.owner.pw_gid)

    @property
    def server_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.owner is not None else []
        subprocess.run(
            [*prefix, *command], check=True, capture_output=True, timeout=START_TIMEOUT + 10
        )

    def create(self) -> None:
        options = "-U postgres --auth=trust --no-sync -E UTF8"
        self._run(self.initdb, "-D", str(self.data), *options.split())

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
            "-c max_connections=60"
        )
        log = str(self.folder / "server.log")
        self._run(self.pg_ctl, "-D", str(self.data), "-o", options, "-l", log, "-w", "start")
        self.running = True

    def ensure_running(self) -> None:
        if self.paused:
            self.resume()
        if not self.running:
            self.start()

    def stop(self) -> None:
        """Stop as a crash would: no shutdown checkpoint, recovery from the WAL on start."""
        self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.running = False

    def _pids(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                    children.append(int(stat.parent.name))
        return [postmaster, *children]

    def pause(self) -> None:
        """Freeze every process of the cluster: queries hang instead of failing."""
        for pid in self._pids():
            os.kill(pid, signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        for pid in self._pids():
            os.kill(pid, signal.SIGCONT)
        self.paused = False

    def remove(self) -> None:
        if self.paused:
            self.resume()
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)
