"""Referral codes and referral lists over REST."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.errors import NotFound
from app.rest.models import CodeRead, CreatedCodeRead, ReferralsRead

if TYPE_CHECKING:
    from app.rest.models import CreateCodeBody, EmailPath, PageQuery, UserPath
    from app.transport.scope import RequestScope


async def referrals_by_id(
    scope: RequestScope, *, path: UserPath, query: PageQuery
) -> ReferralsRead:
    """The referrals of a user, oldest first, a page at a time."""
    page = await scope.services.referrals.id_page(
        scope.uow, user_id=path.id, size=query.limit, after=query.after
    )
    return ReferralsRead.from_page(page)


async def code_by_email(scope: RequestScope, *, path: EmailPath) -> CodeRead:
    """The active referral code of the user with this email."""
    await scope.count_attempt("code_by_email")
    code = await scope.services.codes.active_by_email(scope.uow, email=path.email)
    if code is None:
        raise NotFound("There is no active referral code for this email address.")
    return CodeRead(code=code.code)


async def create_code(scope: RequestScope, *, body: CreateCodeBody) -> CreatedCodeRead:
    """Create your active referral code (signed-in only); omit `code` to get a generated one."""
    code = await scope.services.codes.create(
        scope.uow, owner=await scope.require_viewer(), expires_at=body.expiration, code=body.code
    )
    return CreatedCodeRead.from_code(code)


async def delete_code(scope: RequestScope) -> None:
    """Delete your active referral code (signed-in only)."""
    await scope.services.codes.delete(scope.uow, owner=await scope.require_viewer())
