"""Domain errors. Each names its contract code once; the GraphQL and REST edges translate it.

Errors speak the domain's words: a field is named as the services name it (`referral_code`,
`expires_at`, `page_size`), and each edge says it in its own (`referralCode`, `expiration`,
`first` or `limit`). A message may hold `{field}` where the edge's name for the field goes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class ErrorCode(StrEnum):
    """The contract's error codes (`extensions.code` over GraphQL)."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    REFERRAL_CODE_INVALID = "REFERRAL_CODE_INVALID"
    REFERRAL_CODE_EXPIRED = "REFERRAL_CODE_EXPIRED"
    REFERRAL_CODE_EXHAUSTED = "REFERRAL_CODE_EXHAUSTED"
    EMAIL_REJECTED = "EMAIL_REJECTED"
    RATE_LIMITED = "RATE_LIMITED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class DomainError(Exception):
    """Base of every error a client may see."""

    code: ClassVar[ErrorCode] = ErrorCode.INTERNAL_SERVER_ERROR
    message: ClassVar[str] = "Unexpected error."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.template = message or self.message
        self.field = field
        super().__init__(self.template)

    def detail(self, field_name: str | None = None) -> str:
        """The message for people, with the field named as the edge calls it."""
        if self.field is None:
            return self.template
        return self.template.replace("{field}", field_name or self.field)


class Unauthenticated(DomainError):
    code = ErrorCode.UNAUTHENTICATED
    message = "Authentication required."


class InvalidCredentials(Unauthenticated):
    message = "Incorrect email or password."


class TokenProblem(StrEnum):
    """What is wrong with a token a client presented, so that it refreshes only an expired one."""

    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"
    INVALID = "INVALID"


class InvalidToken(Unauthenticated):
    message = "The token is invalid, expired or revoked."

    def __init__(self, problem: TokenProblem = TokenProblem.INVALID) -> None:
        super().__init__()
        self.problem = problem


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN
    message = "You may not do this."


class InactiveAccount(Forbidden):
    message = "This account is inactive."


class BadUserInput(DomainError):
    code = ErrorCode.BAD_USER_INPUT
    message = "The input is not valid."


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND
    message = "Not found."


class UserNotFound(NotFound):
    message = "No such user."


class NoActiveCode(NotFound):
    message = "You have no active referral code."


class Conflict(DomainError):
    code = ErrorCode.CONFLICT
    message = "Conflict."


class EmailTaken(Conflict):
    message = "This email address is already registered."


class CodeTaken(Conflict):
    message = "This referral code is already taken."


class ActiveCodeExists(Conflict):
    message = "You already have an active referral code; delete it first."


class ReferralCodeInvalid(DomainError):
    code = ErrorCode.REFERRAL_CODE_INVALID
    message = "This referral code does not exist."


class ReferralCodeExpired(DomainError):
    code = ErrorCode.REFERRAL_CODE_EXPIRED
    message = "This referral code has expired."


class ReferralCodeExhausted(DomainError):
    code = ErrorCode.REFERRAL_CODE_EXHAUSTED
    message = "This referral code has been used as many times as it allows."


class EmailRejected(DomainError):
    code = ErrorCode.EMAIL_REJECTED
    message = "This email address cannot receive mail."


class RateLimited(DomainError):
    code = ErrorCode.RATE_LIMITED
    message = "Too many requests; try again later."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    code = ErrorCode.SERVICE_UNAVAILABLE
    message = "The service is temporarily unavailable; try again shortly."
