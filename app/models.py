"""Tables. Invariants that concurrency could break are constraints here, not checks in code."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.domain.clock import as_utc, utcnow

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, also on SQLite (which drops offsets)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


def _timestamp(*, nullable: bool = False) -> Any:
    """A UTC timestamp column: set to now on insert, or empty until something happens."""
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class User(SQLModel, table=True):
    """An account. `email` is stored lower-cased; `referral_count` keeps totalCount cheap.

    `ix_account_referral_rank` holds the referrers alone, in the order of the all-time
    leaderboard: its top is a short index range read however many accounts there are.
    """

    __tablename__ = "account"
    __table_args__ = (
        sa.Index(
            "ix_account_referral_rank",
            "referral_count",
            "id",
            sqlite_where=sa.text("referral_count > 0"),
            postgresql_where=sa.text("referral_count > 0"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    hashed_password: str = Field(max_length=255)
    is_active: bool = True
    is_superuser: bool = False
    is_verified: bool = False
    referral_count: int = 0
    email_check: str | None = Field(default=None, max_length=32)
    enrichment_status: str | None = Field(default=None, max_length=16, index=True)
    created_at: datetime = _timestamp()


class ReferralCode(SQLModel, table=True):
    """A code, kept forever so that it is never reissued.

    `retired_at` is set when a code stops being its owner's current code (deleted, or replaced
    after it expired); a partial unique index allows one unretired code per owner.
    """

    __tablename__ = "referral_code"
    __table_args__ = (
        sa.Index(
            "uq_referral_code_current_owner",
            "owner_id",
            unique=True,
            sqlite_where=sa.text("retired_at IS NULL"),
            postgresql_where=sa.text("retired_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=24, unique=True)
    owner_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    created_at: datetime = _timestamp()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    deleted_at: datetime | None = _timestamp(nullable=True)
    retired_at: datetime | None = _timestamp(nullable=True)
    # Registrations admitted at most (None: unlimited), and made so far; a conditional UPDATE
    # in the registration's transaction keeps `uses <= max_uses` (app.repositories.codes).
    max_uses: int | None = Field(default=None, nullable=True)
    uses: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Visits of the share link counted, flushed in batches (app.services.visits).
    visits: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class CodeVisitDaily(SQLModel, table=True):
    """Visits of a code's share link counted on one UTC day (statistics sum them)."""

    __tablename__ = "code_visit_daily"

    code_id: int = Field(foreign_key="referral_code.id", primary_key=True, ondelete="CASCADE")
    day: date = Field(primary_key=True)
    visits: int = 0


class Referral(SQLModel, table=True):
    """Who brought whom, through which code. The referee's id orders the referrer's list.

    The two indexes on `created_at` count the referrals of a rolling window's first, partial
    UTC day (one referrer's, or everyone's for the leaderboard); whole days come from
    ReferralDaily.
    """

    __tablename__ = "referral"
    __table_args__ = (
        sa.Index("ix_referral_referrer_referee", "referrer_id", "referee_id"),
        sa.Index("ix_referral_referrer_created", "referrer_id", "created_at"),
        sa.Index("ix_referral_created_referrer", "created_at", "referrer_id"),
    )

    referee_id: int = Field(foreign_key="account.id", primary_key=True, ondelete="CASCADE")
    referrer_id: int = Field(foreign_key="account.id", ondelete="CASCADE")
    code_id: int = Field(foreign_key="referral_code.id")
    created_at: datetime = _timestamp()


class ReferralDaily(SQLModel, table=True):
    """How many referrals a user got on one UTC day: written in the registration's
    transaction, so that statistics read a few rows whatever a user's referral count."""

    __tablename__ = "referral_daily"
    __table_args__ = (sa.Index("ix_referral_daily_day", "day"),)

    user_id: int = Field(foreign_key="account.id", primary_key=True, ondelete="CASCADE")
    day: date = Field(primary_key=True)
    referrals: int = 0


class RefreshToken(SQLModel, table=True):
    """An opaque refresh token, stored as its SHA-256; `family_id` ties a rotation chain."""

    __tablename__ = "refresh_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    family_id: str = Field(max_length=36, index=True)
    user_id: int = Field(foreign_key="account.id", index=True, ondelete="CASCADE")
    created_at: datetime = _timestamp()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = _timestamp(nullable=True)
    revoked_at: datetime | None = _timestamp(nullable=True)


class RevokedToken(SQLModel, table=True):
    """An access token logged out before its expiry: refused until `expires_at`, then pruned.

    The durable record of a logout, read by every instance (app.services.revocations).
    """

    __tablename__ = "revoked_token"

    token_id: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class Profile(SQLModel, table=True):
    """Enrichment data for a user, filled in after registration."""

    __tablename__ = "profile"

    user_id: int = Field(foreign_key="account.id", primary_key=True, ondelete="CASCADE")
    full_name: str | None = Field(default=None, max_length=255)
    given_name: str | None = Field(default=None, max_length=255)
    family_name: str | None = Field(default=None, max_length=255)
    location: str | None = Field(default=None, max_length=255)
    company: str | None = Field(default=None, max_length=255)
    company_domain: str | None = Field(default=None, max_length=255)
    title: str | None = Field(default=None, max_length=255)
    avatar_url: str | None = Field(default=None, max_length=1024)
    enriched_at: datetime | None = _timestamp(nullable=True)


class EventRecord(SQLModel, table=True):
    """The outbox: an event written in the transaction of its change (app.domain.events).

    `seq` orders events as they were recorded; `id` is the event's public, stable id.
    """

    __tablename__ = "event"

    seq: int | None = Field(default=None, primary_key=True)
    id: str = Field(max_length=40, unique=True)
    type: str = Field(max_length=32)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    data: dict[str, Any] = Field(sa_type=sa.JSON)


class WebhookEndpoint(SQLModel, table=True):
    """A URL that receives events, kept after deletion (`deleted_at`) for its deliveries' sake.

    `secret_sealed` is the signing secret encrypted (app.security.SecretBox), never in clear;
    `event_types` null takes every type; `failures_in_a_row` counts deliveries that ended
    FAILED since the last one that succeeded, and disables the endpoint past a limit.
    """

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2048)
    event_types: list[str] | None = Field(default=None, sa_type=sa.JSON, nullable=True)
    secret_sealed: str = Field(max_length=255)
    created_at: datetime = _timestamp()
    disabled_at: datetime | None = _timestamp(nullable=True)
    deleted_at: datetime | None = _timestamp(nullable=True)
    failures_in_a_row: int = 0


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: written with the event, then attempted until it succeeds
    or the retry schedule runs out.

    A worker claims a due row by pushing `lease_until` ahead and counting the attempt in the
    same statement; `attempts` then fences its result (a worker whose lease ran out and whose
    row was claimed again writes nothing).
    """

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_delivery_endpoint_event"),
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_endpoint_newest", "endpoint_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id")
    event_id: str = Field(foreign_key="event.id", max_length=40)
    status: str = Field(max_length=16)
    attempts: int = 0
    last_response_status: int | None = None
    last_attempt_at: datetime | None = _timestamp(nullable=True)
    next_attempt_at: datetime | None = _timestamp(nullable=True)
    lease_until: datetime | None = _timestamp(nullable=True)
    created_at: datetime = _timestamp()
