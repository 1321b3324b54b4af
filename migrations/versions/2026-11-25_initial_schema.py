"""Initial schema: accounts, referral codes, referrals, refresh tokens and profiles.

Revision ID: initial
Create Date: 2026-11-25 07:00:18.253463
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "initial"
down_revision: str | tuple[str, ...] | None = None
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("hashed_password", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_superuser", sa.Boolean(), nullable=False),
        sa.Column("is_verified", sa.Boolean(), nullable=False),
        sa.Column("referral_count", sa.Integer(), nullable=False),
        sa.Column("email_check", sa.String(length=32), nullable=True),
        sa.Column("enrichment_status", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("email", name=op.f("uq_account_email")),
    )
    op.create_index(
        op.f("ix_account_enrichment_status"), "account", ["enrichment_status"], unique=False
    )
    op.create_table(
        "profile",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=255), nullable=True),
        sa.Column("given_name", sa.String(length=255), nullable=True),
        sa.Column("family_name", sa.String(length=255), nullable=True),
        sa.Column("location", sa.String(length=255), nullable=True),
        sa.Column("company", sa.String(length=255), nullable=True),
        sa.Column("company_domain", sa.String(length=255), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("avatar_url", sa.String(length=1024), nullable=True),
        sa.Column("enriched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["account.id"], name=op.f("fk_profile_user_id_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_profile")),
    )
    op.create_table(
        "referral_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["account.id"],
            name=op.f("fk_referral_code_owner_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_code")),
        sa.UniqueConstraint("code", name=op.f("uq_referral_code_code")),
    )
    op.create_index(op.f("ix_referral_code_owner_id"), "referral_code", ["owner_id"], unique=False)
    # One current (unretired) code per owner, enforced by the database against concurrent creates.
    op.create_index(
        "uq_referral_code_current_owner",
        "referral_code",
        ["owner_id"],
        unique=True,
        sqlite_where=sa.text("retired_at IS NULL"),
        postgresql_where=sa.text("retired_at IS NULL"),
    )
    op.create_table(
        "refresh_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["account.id"],
            name=op.f("fk_refresh_token_user_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_token_token_hash")),
    )
    op.create_index(
        op.f("ix_refresh_token_family_id"), "refresh_token", ["family_id"], unique=False
    )
    op.create_index(op.f("ix_refresh_token_user_id"), "refresh_token", ["user_id"], unique=False)
    op.create_table(
        "referral",
        sa.Column("referee_id", sa.Integer(), nullable=False),
        sa.Column("referrer_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["code_id"], ["referral_code.id"], name=op.f("fk_referral_code_id_referral_code")
        ),
        sa.ForeignKeyConstraint(
            ["referee_id"],
            ["account.id"],
            name=op.f("fk_referral_referee_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["referrer_id"],
            ["account.id"],
            name=op.f("fk_referral_referrer_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("referee_id", name=op.f("pk_referral")),
    )
    op.create_index(
        "ix_referral_referrer_referee", "referral", ["referrer_id", "referee_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_referral_referrer_referee", table_name="referral")
    op.drop_table("referral")
    op.drop_index(op.f("ix_refresh_token_user_id"), table_name="refresh_token")
    op.drop_index(op.f("ix_refresh_token_family_id"), table_name="refresh_token")
    op.drop_table("refresh_token")
    op.drop_index("uq_referral_code_current_owner", table_name="referral_code")
    op.drop_index(op.f("ix_referral_code_owner_id"), table_name="referral_code")
    op.drop_table("referral_code")
    op.drop_table("profile")
    op.drop_index(op.f("ix_account_enrichment_status"), table_name="account")
    op.drop_table("account")
