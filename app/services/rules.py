"""Input rules of the contract: email, password, referral code, expiry."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from app.errors import BadUserInput
from app.models import as_utc

MAX_EMAIL_LENGTH = 254
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MIN_CODE_LENGTH = 4
MAX_CODE_LENGTH = 24
CODE_PATTERN = re.compile(rf"[A-Z0-9]{{{MIN_CODE_LENGTH},{MAX_CODE_LENGTH}}}")
GENERATED_CODE_LENGTH = 10
# Letters and digits without look-alikes: no 0/O, no 1/I/L.
GENERATED_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@lru_cache(maxsize=4096)
def normalize_email(email: str) -> str:
    """A syntactically valid address, lower-cased whole; BAD_USER_INPUT otherwise.

    Cached: lookups ask for the same few addresses over and over, and the full syntax check
    costs more than the rest of a cached lookup. Errors are not cached.
    """
    candidate = email.strip()
    if not candidate or len(candidate) > MAX_EMAIL_LENGTH:
        raise BadUserInput("Enter a valid email address of at most 254 characters.", field="email")
    try:
        validated = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError as exc:
        raise BadUserInput(f"Invalid email address: {exc}", field="email") from exc
    normalized = validated.normalized.lower()
    if len(normalized) > MAX_EMAIL_LENGTH:
        raise BadUserInput("Enter a valid email address of at most 254 characters.", field="email")
    return normalized


def check_password(password: str) -> str:
    """The password itself, if its length is within the contract's bounds."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise BadUserInput(
            f"The password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.",
            field="password",
        )
    return password


def normalize_code(code: str, *, field: str = "code") -> str:
    """A code upper-cased, if it is 4 to 24 ASCII letters and digits.

    Checked before upper-casing: "ß", the dotless i and the "ff" ligature upper-case to ASCII.
    """
    stripped = code.strip()
    if not CODE_PATTERN.fullmatch(stripped.upper()) or not stripped.isascii():
        raise BadUserInput("A referral code is 4 to 24 letters and digits.", field=field)
    return stripped.upper()


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
            field="expiresAt",
        ) from exc
    if expiry <= now:
        raise BadUserInput("The expiry must be in the future.", field="expiresAt")
    if expiry > now + timedelta(days=max_days):
        raise BadUserInput(f"The expiry must be at most {max_days} days ahead.", field="expiresAt")
    return expiry
