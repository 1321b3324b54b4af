"""Files as a package publishes them on npm, fetched with npm itself (which checks the tarball
against the registry's digest) and kept for the session.

Without npm, or when npm can reach neither the registry nor its cache, the test skips, or fails
where REQUIRE_SERVERS=1.
"""

from __future__ import annotations

import subprocess
import tarfile
from typing import TYPE_CHECKING

from tests.faults.private_servers import require_binary
from tests.servers import skip_or_fail

if TYPE_CHECKING:
    from pathlib import Path

NPM_TIMEOUT = 120  # seconds for one `npm pack`


class NpmFiles:
    """Unpacked npm packages under `folder`, one sub-folder per name@version."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def read(self, package: str, path: str) -> bytes:
        """The bytes of `path` inside `package` (name@version) as npm publishes it."""
        return (self._unpacked(package) / path).read_bytes()

    def _unpacked(self, package: str) -> Path:
        target = self.folder / package.replace("/", "+")
        # npm tarballs hold one top folder, `package/`.
        if (target / "package").is_dir():
            return target / "package"
        npm = require_binary("npm", "npm")
        tarballs = self.folder / "tarballs"
        tarballs.mkdir(parents=True, exist_ok=True)
        packed = subprocess.run(
            [npm, "pack", package, "--prefer-offline", "--silent", "--pack-destination", tarballs],
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
            check=False,
        )
        if packed.returncode != 0:
            skip_or_fail(f"npm pack {package} failed: {packed.stderr.strip()[-300:]}")
        tarball = tarballs / packed.stdout.strip().splitlines()[-1]
        with tarfile.open(tarball) as archive:
            archive.extractall(target, filter="data")
        return target / "package"
