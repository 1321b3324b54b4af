"""Referral codes: what a code looks like, when it is active, how far ahead it may expire."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.clock import as_utc
from app.errors import BadUserInput

MIN_CODE_LENGTH = 4
MAX_CODE_LENGTH = 24
CODE_PATTERN = re.compile(rf"[A-Z0-9]{{{MIN_CODE_LENGTH},{MAX_CODE_LENGTH}}}")
GENERATED_CODE_LENGTH = 10
# Letters and digits without look-alikes: no 0/O, no 1/I/L.
GENERATED_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MAX_USES_LIMIT = 1_000_000


@dataclass(frozen=True, slots=True)
class Code:
    """A referral code as services, the cache and both transports see it."""

    id: int
    code: str
    owner_id: int
    created_at: datetime
    expires_at: datetime
    deleted: bool = False
    max_uses: int | None = None  # None: unlimited
    uses: int = 0

    @property
    def used_up(self) -> bool:
        """Whether the code admitted all the registrations its limit allows."""
        return self.max_uses is not None and self.uses >= self.max_uses

    def is_active(self, now: datetime) -> bool:
        """The contract's "active": not deleted, not expired and not used up."""
        return not self.deleted and self.expires_at > now and not self.used_up


SHARE_PATH = "/r/"


def share_url(public_url: str, code: str) -> str:
    """The code's share link: the service's public origin, SHARE_PATH and the code."""
    return f"{public_url}{SHARE_PATH}{code}"


def normalize_code(code: str, *, field: str = "code") -> str:
    """A code upper-cased, if it is 4 to 24 ASCII letters and digits.

    Checked before upper-casing: "ß", the dotless i and the "ff" ligature upper-case to ASCII.
    """
    stripped = code.strip()
    if not CODE_PATTERN.fullmatch(stripped.upper()) or not stripped.isascii():
        raise BadUserInput("A referral code is 4 to 24 letters and digits.", field=field)
    return stripped.upper()


def check_max_uses(max_uses: int | None) -> int | None:
    """The usage limit, if it is 1 to 1,000,000 (None: unlimited)."""
    if max_uses is not None and not 1 <= max_uses <= MAX_USES_LIMIT:
        raise BadUserInput(
            f"`{{field}}` must be between 1 and {MAX_USES_LIMIT}, or null for unlimited.",
            field="max_uses",
        )
    return max_uses


def generate_code() -> str:
    """A random 10-character code that a person can read back without ambiguity."""
    return "".join(secrets.choice(GENERATED_CODE_ALPHABET) for _ in range(GENERATED_CODE_LENGTH))


def check_expiry(expires_at: datetime, *, now: datetime, max_days: int) -> datetime:
    """The expiry in UTC, if it is in the future and at most `max_days` ahead."""
    try:
        expiry = as_utc(expires_at)
    except OverflowError as exc:  # an offset pushed the moment past year 1 or 9999
        raise BadUserInput(
            f"The expiry must be in the future and at most {max_days} days ahead.",
            field="expires_at",
        ) from exc
    if expiry <= now:
        raise BadUserInput("The expiry must be in the future.", field="expires_at")
    if expiry > now + timedelta(days=max_days):
        raise BadUserInput(f"The expiry must be at most {max_days} days ahead.", field="expires_at")
    return expiry
