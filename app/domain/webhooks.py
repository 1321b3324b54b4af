"""Webhooks: what an endpoint URL may be, which events it takes, and when to try again.

Pure rules; the outbound HTTP (with the same address rule checked again at connect time) is in
app.integrations.webhooks and the delivery worker in app.services.delivery.
"""

from __future__ import annotations

import base64
import ipaddress
import math
import secrets
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from app.domain.events import EVENT_TYPES
from app.errors import BadUserInput

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

MAX_URL_LENGTH = 2048
SECRET_PREFIX = "whsec_"  # noqa: S105 - the form of a secret, not one
SECRET_BYTES = 32
DEFAULT_RETRY_SCHEDULE = (5.0, 60.0, 300.0, 1800.0, 7200.0, 21600.0, 43200.0)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class DeliveryStatus(StrEnum):
    """Where a delivery stands: still to be made (or retried), made, or given up."""

    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class UrlPolicy:
    """Which endpoint URLs are acceptable: in production `https` only and public addresses only
    (unless WEBHOOK_ALLOW_PRIVATE); elsewhere `http` or `https` to anywhere."""

    https_only: bool
    public_only: bool

    @classmethod
    def for_environment(cls, *, production: bool, allow_private: bool) -> UrlPolicy:
        return cls(https_only=production, public_only=production and not allow_private)


@dataclass(frozen=True, slots=True)
class EndpointUrl:
    """A URL that passed the shape checks, with the parts a connection needs."""

    url: str
    host: str
    port: int


def check_url(url: str, policy: UrlPolicy) -> EndpointUrl:
    """The URL, if its shape is acceptable under `policy`; BAD_USER_INPUT otherwise.

    Addresses are checked too when the host is written as one; a name is resolved and checked
    by the caller (at creation and again at every connection).
    """
    text = url.strip()
    if len(text) > MAX_URL_LENGTH:
        raise BadUserInput(f"The URL is longer than {MAX_URL_LENGTH} characters.", field="url")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        port = parts.port
    except ValueError as exc:
        raise BadUserInput("The URL is not valid.", field="url") from exc
    allowed = ("https",) if policy.https_only else ("http", "https")
    if parts.scheme not in allowed:
        raise BadUserInput(f"The URL must be {' or '.join(allowed)}.", field="url")
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        raise BadUserInput("The URL needs a host, and no user, password or fragment.", field="url")
    if not text.isascii() or any(character.isspace() for character in text):
        raise BadUserInput("The URL must be ASCII without spaces (IDNA host names).", field="url")
    literal = address_of(host)
    if literal is not None and policy.public_only and not is_public(literal):
        raise BadUserInput("The URL points at a private address.", field="url")
    return EndpointUrl(url=text, host=host, port=port or (443 if parts.scheme == "https" else 80))


def address_of(host: str) -> Address | None:
    """The address a host names literally ("10.0.0.1", "::1"), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def is_public(address: Address) -> bool:
    """Whether an address is on the public internet: not loopback, private, link-local (the
    cloud metadata service at 169.254.169.254 included), shared, multicast or reserved."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_event_types(event_types: Sequence[str] | None) -> list[str] | None:
    """The event types an endpoint takes, deduplicated in order; None for every type."""
    if event_types is None:
        return None
    chosen = list(dict.fromkeys(event_types))
    if not chosen:
        raise BadUserInput(
            "List at least one event type, or null for every type.", field="event_types"
        )
    unknown = [name for name in chosen if name not in EVENT_TYPES]
    if unknown:
        known = ", ".join(sorted(EVENT_TYPES))
        raise BadUserInput(f"Unknown event type; the types are {known}.", field="event_types")
    return chosen


def takes(event_types: Iterable[str] | None, event_type: str) -> bool:
    """Whether an endpoint subscribed to `event_types` (None: every type) takes this event."""
    return event_types is None or event_type in event_types


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks form, `whsec_<base64 of 32 bytes>`."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def parse_schedule(text: str) -> tuple[float, ...]:
    """WEBHOOK_RETRY_SCHEDULE: seconds before each retry, comma-separated, each >= 0."""
    try:
        delays = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError("WEBHOOK_RETRY_SCHEDULE lists seconds, e.g. 5,60,300") from exc
    if not delays or any(not math.isfinite(delay) or delay < 0 for delay in delays):
        raise ValueError("WEBHOOK_RETRY_SCHEDULE lists seconds, e.g. 5,60,300")
    return delays


def retry_delay(
    schedule: Sequence[float], *, attempts: int, retry_after: float | None
) -> float | None:
    """Seconds until the next attempt after `attempts` failed ones; None when none is left.

    The schedule gives the wait; a receiver's `Retry-After` makes it longer, never beyond the
    schedule's longest wait (a receiver cannot park a delivery for a week, nor hurry it).
    """
    if attempts > len(schedule):
        return None
    delay = schedule[attempts - 1]
    if retry_after is not None:
        delay = max(delay, min(retry_after, max(schedule)))
    return delay


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds a `Retry-After` asks for (seconds or an HTTP date); None if unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - now).total_seconds())


_CURSOR_PREFIX = "delivery:"


def encode_delivery_cursor(delivery_id: int) -> str:
    text = f"{_CURSOR_PREFIX}{delivery_id}".encode()
    return base64.urlsafe_b64encode(text).decode().rstrip("=")


def decode_delivery_cursor(cursor: str | None) -> int | None:
    """The delivery id a cursor points after; BAD_USER_INPUT for anything we did not issue."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (ValueError, UnicodeError) as exc:
        raise BadUserInput("The cursor is not valid.", field="after") from exc
    position = text.removeprefix(_CURSOR_PREFIX)
    if not (text.startswith(_CURSOR_PREFIX) and position.isdigit() and len(position) <= 10):
        raise BadUserInput("The cursor is not valid.", field="after")
    return int(position)
