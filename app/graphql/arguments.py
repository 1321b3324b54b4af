"""Arguments and inputs, each with its description (front ends read them in generated types)."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - Strawberry reads annotations at runtime
from typing import Annotated

import strawberry

PageSize = Annotated[int, strawberry.argument(description="How many to list: 1 to 100.")]
After = Annotated[
    str | None,
    strawberry.argument(
        description="List what comes after this cursor (a `cursor` or `endCursor` from the "
        "previous page); null to start at the beginning."
    ),
]


@strawberry.input(description="A new account.")
class RegisterInput:
    email: str = strawberry.field(
        description="A valid address of at most 254 characters, compared case-insensitively."
    )
    password: str = strawberry.field(description="8 to 128 characters.")
    referral_code: str | None = strawberry.field(
        default=None,
        description="Join as the referral of this active code's owner (any case); null: none.",
    )


@strawberry.input(description="Credentials to sign in with.")
class LoginInput:
    email: str = strawberry.field(description="The account's email address, in any case.")
    password: str = strawberry.field(description="The account's password.")


@strawberry.input(description="A new referral code.")
class CreateCodeInput:
    code: str | None = strawberry.field(
        default=None,
        description="4 to 24 letters and digits, any case; null: the server generates one of 10.",
    )
    expires_at: datetime = strawberry.field(
        description="In the future and at most 365 days ahead (CODE_MAX_TTL_DAYS)."
    )
    max_uses: int | None = strawberry.field(
        default=None,
        description="How many registrations the code admits, 1 to 1000000; null: unlimited.",
    )
