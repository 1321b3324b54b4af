"""Pydantic models of the REST shim: what each operation reads and answers, and error bodies.

Field constraints here only document the rules (from `app.domain`); the services enforce
them, so that REST and GraphQL answer the same input the same way.
"""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - pydantic reads annotations at runtime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from app.domain.accounts import MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from app.domain.codes import MAX_CODE_LENGTH, MIN_CODE_LENGTH
from app.domain.pages import MAX_ID_PAGE_SIZE, parse_id

if TYPE_CHECKING:
    from pydantic.json_schema import JsonDict

    from app.domain.codes import Code
    from app.domain.pages import ReferralPage
    from app.services.accounts import Registration
    from app.services.sessions import IssuedTokens

CODE_DOC: JsonDict = {
    "minLength": MIN_CODE_LENGTH,
    "maxLength": MAX_CODE_LENGTH,
    "pattern": f"^[A-Za-z0-9]{{{MIN_CODE_LENGTH},{MAX_CODE_LENGTH}}}$",
}
EMAIL_DOC: JsonDict = {"format": "email", "maxLength": MAX_EMAIL_LENGTH}
PASSWORD_DOC: JsonDict = {"minLength": MIN_PASSWORD_LENGTH, "maxLength": MAX_PASSWORD_LENGTH}
ALWAYS_NULL = "Always null; kept for the replaced service's clients."

Email = Annotated[str, Field(description="An email address.", json_schema_extra=EMAIL_DOC)]
Password = Annotated[
    str,
    Field(
        description=f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.",
        json_schema_extra=PASSWORD_DOC,
    ),
]
# parse_id raises BAD_USER_INPUT, which pydantic lets through (it is no ValueError): the rule's 422.
UserId = Annotated[
    int,
    BeforeValidator(parse_id),
    Field(description="A user id.", json_schema_extra={"minimum": 1}),
]


class Reply(BaseModel):
    """An answer: every key is always present, so the schema marks them all required."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


# Requests


class RegisterQuery(BaseModel):
    referral_code: str | None = Field(
        default=None, description="Join as the referral of this active code's owner."
    )


class RegisterBody(BaseModel):
    """A new account. Other keys (`is_active`, `is_superuser`, `is_verified`...) are ignored."""

    email: Email
    password: Password = Field(repr=False)


class LoginForm(BaseModel):
    """The OAuth2 password form; `scope`, `client_id` and `client_secret` are ignored."""

    username: Email = Field(description="The account's email address.")
    password: Password = Field(repr=False)
    grant_type: Literal["password"] | None = None


class TokenForm(BaseModel):
    """RFC 6749: `password` grant (section 4.3) or `refresh_token` grant (section 6)."""

    grant_type: Literal["password", "refresh_token"]
    username: Email | None = Field(default=None, description="With grant_type=password.")
    password: Password | None = Field(
        default=None, description="With grant_type=password.", repr=False
    )
    refresh_token: str | None = Field(default=None, description="With grant_type=refresh_token.")

    @model_validator(mode="after")
    def _grant_fields(self) -> TokenForm:
        if self.grant_type == "password" and (self.username is None or self.password is None):
            raise ValueError("grant_type=password needs `username` and `password`")
        if self.grant_type == "refresh_token" and self.refresh_token is None:
            raise ValueError("grant_type=refresh_token needs `refresh_token`")
        return self


class UserPath(BaseModel):
    id: UserId


class EmailPath(BaseModel):
    email: Email


class PageQuery(BaseModel):
    limit: int = Field(
        default=MAX_ID_PAGE_SIZE,
        description="Page size.",
        json_schema_extra={"minimum": 1, "maximum": MAX_ID_PAGE_SIZE},
    )
    after: str | None = Field(default=None, description="The `next` cursor of the previous page.")


class CreateCodeBody(BaseModel):
    code: str | None = Field(
        default=None,
        description=f"{MIN_CODE_LENGTH} to {MAX_CODE_LENGTH} letters and digits, any case; "
        "omitted: the server picks one.",
        json_schema_extra=CODE_DOC,
    )
    expiration: datetime = Field(
        description="In the future, at most CODE_MAX_TTL_DAYS (365) days ahead; UTC if naive."
    )


# Answers


class UserRead(Reply):
    id: int
    email: str
    is_active: bool
    is_superuser: bool
    is_verified: bool
    referrer_id: int | None = Field(description="Whose code the user joined with.")
    referral_code: None = Field(default=None, description=ALWAYS_NULL)
    referral_expiration: None = Field(default=None, description=ALWAYS_NULL)
    referrals: None = Field(default=None, description=ALWAYS_NULL)
    referrer: None = Field(default=None, description=ALWAYS_NULL)

    @classmethod
    def from_registration(cls, registration: Registration) -> UserRead:
        user = registration.user
        assert user.id is not None
        return cls(
            id=user.id,
            email=user.email,
            is_active=user.is_active,
            is_superuser=user.is_superuser,
            is_verified=user.is_verified,
            referrer_id=registration.referrer_id,
        )


class TokenRead(Reply):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth 2.0 token type
    expires_in: int = Field(description="Seconds the access token lives.")
    refresh_token: str = Field(description="Single use: trade it at this endpoint for new tokens.")

    @classmethod
    def from_issued(cls, issued: IssuedTokens) -> TokenRead:
        return cls(
            access_token=issued.access_token,
            expires_in=issued.expires_in,
            refresh_token=issued.refresh_token,
        )


class ReferralsRead(Reply):
    referrer: int
    referrals: list[int] = Field(description="Referral user ids, oldest first.")
    next: str | None = Field(description="Pass as `after` for the next page; null on the last.")

    @classmethod
    def from_page(cls, page: ReferralPage) -> ReferralsRead:
        return cls(referrer=page.referrer_id, referrals=page.referee_ids, next=page.next_cursor)


class CodeRead(Reply):
    code: str


class CreatedCodeRead(Reply):
    code: str
    expiration: datetime

    @classmethod
    def from_code(cls, code: Code) -> CreatedCodeRead:
        return cls(code=code.code, expiration=code.expires_at)


# Errors


class ErrorRead(Reply):
    detail: str


class ValidationIssue(BaseModel):
    type: str
    loc: list[str | int]
    msg: str
    input: Any = None
    ctx: dict[str, Any] | None = None


class ValidationErrorRead(Reply):
    detail: list[ValidationIssue] | str = Field(
        description="The request's problems, or a rule's message as a string."
    )
