"""Referral codes and referral lists over REST."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.errors import NotFound
from app.rest.models import MAX_LIMIT, CodeRead, CreatedCodeRead, ReferralsRead
from app.services import codes, referrals

if TYPE_CHECKING:
    from app.rest.models import CreateCodeBody, EmailPath, PageQuery, UserPath
    from app.rest.operation import Call


async def referrals_by_id(call: Call, *, path: UserPath, query: PageQuery) -> ReferralsRead:
    """The referrals of a user, oldest first, a page at a time."""
    page = await referrals.list_page(
        call.session,
        user_id=path.id,
        first=query.limit,
        after=query.after,
        max_first=MAX_LIMIT,
        size_field="limit",
    )
    return ReferralsRead.from_page(page)


async def code_by_email(call: Call, *, path: EmailPath) -> CodeRead:
    """The active referral code of the user with this email."""
    await call.count_attempt("code_by_email")
    code = await codes.active_by_email(call.db, call.runtime, email=path.email)
    if code is None:
        raise NotFound("There is no active referral code for this email address.")
    return CodeRead(code=code.code)


async def create_code(call: Call, *, body: CreateCodeBody) -> CreatedCodeRead:
    """Create your active referral code (signed-in only); omit `code` to get a generated one."""
    code = await codes.create(
        call.session,
        call.runtime,
        owner=await call.viewer(),
        expires_at=body.expiration,
        code=body.code,
    )
    return CreatedCodeRead.from_cached(code)


async def delete_code(call: Call) -> None:
    """Delete your active referral code (signed-in only)."""
    await codes.delete(call.session, call.runtime, owner=await call.viewer())
