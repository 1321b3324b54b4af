"""Queries on referral codes. Codes are never deleted: they are retired, and kept forever."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, or_, select, update

from app.models import CodeVisitDaily, ReferralCode, User

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date, datetime

    from sqlalchemy import ColumnElement
    from sqlmodel.ext.asyncio.session import AsyncSession


def _current() -> ColumnElement[bool]:
    """The owner's current code: not retired (a partial unique index allows one per owner).

    Whether it is *active* also depends on the time: `app.domain.codes.Code.is_active` says.
    """
    return col(ReferralCode.retired_at).is_(None)


async def get_by_code(session: AsyncSession, *, code: str) -> ReferralCode | None:
    """The code with this (upper-cased) value, in whatever state, or None."""
    result = await session.exec(select(ReferralCode).where(ReferralCode.code == code))
    return result.first()


async def get_current_by_email(session: AsyncSession, *, email: str) -> ReferralCode | None:
    """The current code of the user with this email, or None."""
    result = await session.exec(
        select(ReferralCode)
        .join(User, col(User.id) == col(ReferralCode.owner_id))
        .where(User.email == email, _current())
    )
    return result.first()


async def get_current(
    session: AsyncSession, *, owner_id: int, for_update: bool = False
) -> ReferralCode | None:
    """The owner's current code, or None; `for_update` locks its row (PostgreSQL)."""
    statement = select(ReferralCode).where(col(ReferralCode.owner_id) == owner_id, _current())
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def list_current_by_owners(
    session: AsyncSession, *, owner_ids: Iterable[int]
) -> list[ReferralCode]:
    """The current codes of these owners (at most one each)."""
    ids = list(set(owner_ids))
    if not ids:
        return []
    result = await session.exec(
        select(ReferralCode).where(col(ReferralCode.owner_id).in_(ids), _current())
    )
    return list(result.all())


async def add(session: AsyncSession, *, code: ReferralCode) -> ReferralCode:
    """Insert the code (a taken value or a second current code raises on flush)."""
    session.add(code)
    await session.flush()
    return code


async def retire(
    session: AsyncSession, *, code_id: int, now: datetime, deleted: bool = False
) -> bool:
    """Make a current code no longer its owner's current one (deleted, or replaced after it
    expired); False when it was retired already (by a concurrent request)."""
    values: dict[str, datetime] = {"retired_at": now}
    if deleted:
        values["deleted_at"] = now
    result = await session.exec(
        update(ReferralCode).where(col(ReferralCode.id) == code_id, _current()).values(**values)
    )
    return result.rowcount == 1


async def use(
    session: AsyncSession, *, code_id: int, now: datetime
) -> tuple[int, int | None] | None:
    """Count one registration with the code if it is active now, within its limit: the
    `(uses, max_uses)` after it, or None when the code is deleted, expired or used up.

    One conditional UPDATE: on PostgreSQL concurrent registrations queue on the row's lock and
    each re-checks the condition against the row the previous one committed; SQLite runs one
    write transaction at a time. So no more than `max_uses` ever pass.
    """
    result = await session.exec(
        update(ReferralCode)
        .where(
            col(ReferralCode.id) == code_id,
            col(ReferralCode.deleted_at).is_(None),
            col(ReferralCode.expires_at) > now,
            or_(
                col(ReferralCode.max_uses).is_(None),
                col(ReferralCode.uses) < col(ReferralCode.max_uses),
            ),
        )
        .values(uses=col(ReferralCode.uses) + 1)
        .returning(col(ReferralCode.uses), col(ReferralCode.max_uses))
    )
    row = result.first()
    return None if row is None else (row[0], row[1])


async def get(session: AsyncSession, *, code_id: int) -> ReferralCode | None:
    """The code with this id, as committed now (not the session's copy of it), or None."""
    result = await session.exec(
        select(ReferralCode)
        .where(col(ReferralCode.id) == code_id)
        .execution_options(populate_existing=True)
    )
    return result.first()


async def owner_email(session: AsyncSession, *, owner_id: int) -> str | None:
    """The email of the code owner with this id (for forgetting what the cache holds)."""
    result = await session.exec(select(User.email).where(col(User.id) == owner_id))
    return result.first()


async def list_counts(
    session: AsyncSession, *, code_ids: Iterable[int]
) -> list[tuple[int, int, int]]:
    """`(id, uses, visits)` of these codes, as counted now."""
    ids = list(set(code_ids))
    if not ids:
        return []
    result = await session.exec(
        select(ReferralCode.id, ReferralCode.uses, ReferralCode.visits).where(
            col(ReferralCode.id).in_(ids)
        )
    )
    return [(row[0], row[1], row[2]) for row in result.all() if row[0] is not None]


async def add_visits(session: AsyncSession, *, counts: dict[tuple[int, date], int]) -> None:
    """Add visits counted per (code id, UTC day) to each code's total and its day's row.

    Rows are touched in id order, so that two instances flushing at once cannot deadlock.
    """
    totals: Counter[int] = Counter()
    for (code_id, _), visits in counts.items():
        totals[code_id] += visits
    table = ReferralCode.__table__  # type: ignore[attr-defined]
    connection = await session.connection()
    await connection.execute(
        sa.update(table)
        .where(table.c.id == sa.bindparam("code_id"))
        .values(visits=table.c.visits + sa.bindparam("added")),
        [{"code_id": code_id, "added": added} for code_id, added in sorted(totals.items())],
    )
    dialect = connection.dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    rows = [
        {"code_id": code_id, "day": day, "visits": visits}
        for (code_id, day), visits in sorted(counts.items())
    ]
    statement = insert(CodeVisitDaily).values(rows)
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["code_id", "day"],
            set_={"visits": col(CodeVisitDaily.visits) + statement.excluded.visits},
        )
    )
