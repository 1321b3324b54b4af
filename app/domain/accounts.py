"""Accounts: what an email address and a password are, and what others may see of an account."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from app.errors import BadUserInput

MAX_EMAIL_LENGTH = 254
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


class EnrichmentStatus(StrEnum):
    """Where an account's profile enrichment stands; no status means enrichment is off for it."""

    PENDING = "pending"
    DONE = "done"
    NOT_FOUND = "not_found"
    FAILED = "failed"


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


def mask_email(email: str) -> str:
    """'jane@example.com' -> 'j***@example.com': enough to recognise, not to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"
