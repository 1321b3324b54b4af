"""Referral statistics: a daily rollup of each user's referrals, and the indexes that rank
referrers and count a rolling window's partial first day.

Revision ID: referral_daily
Revises: events
Create Date: 2026-12-01 12:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "referral_daily"
down_revision: str | tuple[str, ...] | None = "events"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "referral_daily",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("referrals", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["account.id"],
            name=op.f("fk_referral_daily_user_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "day", name=op.f("pk_referral_daily")),
    )
    # The leaderboard's periods read every referrer's days in a range.
    op.create_index("ix_referral_daily_day", "referral_daily", ["day"], unique=False)
    # A rolling window's first day is partial: its referrals are counted by their time.
    op.create_index(
        "ix_referral_referrer_created", "referral", ["referrer_id", "created_at"], unique=False
    )
    op.create_index(
        "ix_referral_created_referrer", "referral", ["created_at", "referrer_id"], unique=False
    )
    # The all-time leaderboard: the referrers alone, by count.
    op.create_index(
        "ix_account_referral_rank",
        "account",
        ["referral_count", "id"],
        unique=False,
        sqlite_where=sa.text("referral_count > 0"),
        postgresql_where=sa.text("referral_count > 0"),
    )
    _count_existing_referrals()


def _count_existing_referrals() -> None:
    """The rollup of the referrals made before it existed, each on its UTC day."""
    referral = sa.table("referral", sa.column("referrer_id"), sa.column("created_at"))
    daily = sa.table(
        "referral_daily", sa.column("user_id"), sa.column("day"), sa.column("referrals")
    )
    if op.get_bind().dialect.name == "postgresql":
        day = sa.cast(sa.func.timezone("UTC", referral.c.created_at), sa.Date)
    else:  # SQLite keeps UTC timestamps as text, the day first
        day = sa.func.date(referral.c.created_at)
    counts = sa.select(referral.c.referrer_id, day, sa.func.count()).group_by(
        referral.c.referrer_id, day
    )
    op.execute(daily.insert().from_select(["user_id", "day", "referrals"], counts))


def downgrade() -> None:
    op.drop_index("ix_account_referral_rank", table_name="account")
    op.drop_index("ix_referral_created_referrer", table_name="referral")
    op.drop_index("ix_referral_referrer_created", table_name="referral")
    op.drop_index("ix_referral_daily_day", table_name="referral_daily")
    op.drop_table("referral_daily")
