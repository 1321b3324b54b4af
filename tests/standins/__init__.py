"""Local stand-ins for Hunter and Clearbit that speak their documented formats.

Fixtures (`standin_server`, `hunter`, `clearbit`) live in `tests.standins.plugin`. Script an
endpoint per email with the answers below, then read back what it received:

    hunter.verifier.script(email, still_running(), verification("valid"))
    ...
    assert [r.key for r in hunter.verifier.received(email)] == [hunter.api_key] * 2
"""

from tests.standins.answers import (
    Answer,
    clearbit_error,
    hang,
    hunter_error,
    person,
    slow,
    still_running,
    verification,
)
from tests.standins.server import ClearbitStandin, HunterStandin, Received, StandinServer

__all__ = [
    "Answer",
    "ClearbitStandin",
    "HunterStandin",
    "Received",
    "StandinServer",
    "clearbit_error",
    "hang",
    "hunter_error",
    "person",
    "slow",
    "still_running",
    "verification",
]
