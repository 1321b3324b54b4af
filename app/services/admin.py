"""Administration from the command line: who is a superuser."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain.accounts import normalize_email
from app.errors import BadUserInput, UserNotFound
from app.repositories import users as user_repo

if TYPE_CHECKING:
    from app.uow import UnitOfWork


class Admin:
    """Changes only an operator makes (`python -m app superuser`), never a request."""

    async def set_superuser(self, uow: UnitOfWork, *, email: str, superuser: bool) -> None:
        """Make the account with this email a superuser, or not; NOT_FOUND when there is none
        (a malformed address names no account either)."""
        try:
            normalized = normalize_email(email)
        except BadUserInput as error:
            raise UserNotFound(f"There is no account with the email {email!r}.") from error
        async with uow.write() as transaction:
            if not await user_repo.set_superuser(
                transaction.session, email=normalized, superuser=superuser
            ):
                raise UserNotFound(f"There is no account with the email {email!r}.")
