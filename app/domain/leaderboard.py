"""The leaderboard: periods, rankings (the top referrers of a period at one moment), their
pages and cursors.

A ranking lists at most `DEPTH` users, most referrals first, ties by user id ascending; a
user's rank is their 1-based position in it. A cursor is a keyset position, (referrals, user
id) of the last user seen, so a page after it stays right when the ranking is recomputed
between two pages: nobody is listed twice, and only a real change moves anyone.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import orjson

from app.domain.pages import MAX_ID
from app.errors import BadUserInput

DEPTH = 1000  # the top of a period that the leaderboard lists
MAX_LAG_SECONDS = 60.0  # a ranking is served at most this long after it was computed
_CURSOR_PREFIX = "leaderboard:"


class Period(StrEnum):
    """What a ranking counts: all referrals, or those of a rolling window."""

    ALL_TIME = "ALL_TIME"
    LAST_30_DAYS = "LAST_30_DAYS"
    LAST_7_DAYS = "LAST_7_DAYS"

    @property
    def days(self) -> int | None:
        """The rolling window's length in days (x 24 hours); None for all time."""
        return {Period.LAST_30_DAYS: 30, Period.LAST_7_DAYS: 7}.get(self)


@dataclass(frozen=True, slots=True)
class Standing:
    """One user's place in a ranking."""

    rank: int
    user_id: int
    referrals: int

    @property
    def cursor(self) -> str:
        return encode_cursor(self.referrals, self.user_id)


@dataclass(frozen=True, slots=True)
class LeaderboardPage:
    standings: list[Standing]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        return self.standings[-1].cursor if self.standings else None


@dataclass(frozen=True, slots=True)
class Ranking:
    """The top of a period as computed at `computed_at`: (user id, referrals), in order."""

    computed_at: datetime
    entries: tuple[tuple[int, int], ...]

    def age(self, now: datetime) -> float:
        """Seconds since it was computed."""
        return (now - self.computed_at).total_seconds()

    def page(self, *, size: int, after: tuple[int, int] | None) -> LeaderboardPage:
        """Up to `size` standings after the keyset position `after` (from `decode_cursor`)."""
        start = 0
        if after is not None:
            referrals, user_id = after
            keys = [(-count, entry_id) for entry_id, count in self.entries]
            start = bisect_right(keys, (-referrals, user_id))
        chosen = self.entries[start : start + size]
        standings = [
            Standing(rank=start + offset + 1, user_id=user_id, referrals=referrals)
            for offset, (user_id, referrals) in enumerate(chosen)
        ]
        return LeaderboardPage(standings, has_next_page=start + size < len(self.entries))

    def dumps(self) -> str:
        """As the cache store keeps it."""
        data = {"at": self.computed_at.timestamp(), "entries": self.entries}
        return orjson.dumps(data).decode()

    @classmethod
    def loads(cls, text: str) -> Ranking | None:
        """A ranking from the cache store; None for anything that is not one."""
        try:
            data = orjson.loads(text)
            computed_at = datetime.fromtimestamp(float(data["at"]), UTC)
            entries = tuple((int(user_id), int(count)) for user_id, count in data["entries"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, OverflowError):
            return None
        return cls(computed_at=computed_at, entries=entries)


def encode_cursor(referrals: int, user_id: int) -> str:
    text = f"{_CURSOR_PREFIX}{referrals}:{user_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, int] | None:
    """(referrals, user id) a cursor points after; BAD_USER_INPUT for anything we did not
    issue."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise BadUserInput("The cursor is not valid.", field="after") from exc
    referrals, _, user_id = text.removeprefix(_CURSOR_PREFIX).partition(":")
    issued = text.startswith(_CURSOR_PREFIX) and _is_count(referrals) and _is_count(user_id)
    if not issued or int(user_id) < 1:
        raise BadUserInput("The cursor is not valid.", field="after")
    return int(referrals), int(user_id)


def _is_count(text: str) -> bool:
    """ASCII digits of a value an INTEGER column can hold."""
    digits = text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID))
    return digits and int(text) <= MAX_ID
