"""Opaque keyset cursors for referral lists: the position is the last referee's id."""

from __future__ import annotations

import base64
import binascii

from app.errors import BadUserInput
from app.models import MAX_ID

_PREFIX = "referral:"


def encode_cursor(referee_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{referee_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The referee id a cursor points after; BAD_USER_INPUT for anything we did not issue."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise BadUserInput("The cursor is not valid.", field="after") from exc
    position = text.removeprefix(_PREFIX)
    issued = (
        text.startswith(_PREFIX)
        and position.isdigit()
        and len(position) <= len(str(MAX_ID))
        and int(position) <= MAX_ID
    )
    if not issued:
        raise BadUserInput("The cursor is not valid.", field="after")
    return int(position)


def check_page_size(size: int, *, maximum: int, field: str = "first") -> int:
    if not 1 <= size <= maximum:
        raise BadUserInput(f"`{field}` must be between 1 and {maximum}.", field=field)
    return size
