"""Domain errors. Each names its contract code once; the GraphQL and REST edges translate it."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """Base of every error a client may see; `code` is the contract's `extensions.code`."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"
    message: ClassVar[str] = "Unexpected error."

    def __init__(self, message: str | None = None, **extensions: object) -> None:
        self.detail = message or self.message
        self.extensions = extensions
        super().__init__(self.detail)


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"
    message = "Authentication required."


class InvalidCredentials(Unauthenticated):
    message = "Incorrect email or password."


class InvalidToken(Unauthenticated):
    message = "The token is invalid, expired or revoked."


class Forbidden(DomainError):
    code = "FORBIDDEN"
    message = "You may not do this."


class InactiveAccount(Forbidden):
    message = "This account is inactive."


class BadUserInput(DomainError):
    code = "BAD_USER_INPUT"
    message = "The input is not valid."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        super().__init__(message, **({"field": field} if field else {}))


class NotFound(DomainError):
    code = "NOT_FOUND"
    message = "Not found."


class UserNotFound(NotFound):
    message = "No such user."


class NoActiveCode(NotFound):
    message = "You have no active referral code."


class Conflict(DomainError):
    code = "CONFLICT"
    message = "Conflict."


class EmailTaken(Conflict):
    message = "This email address is already registered."


class CodeTaken(Conflict):
    message = "This referral code is already taken."


class ActiveCodeExists(Conflict):
    message = "You already have an active referral code; delete it first."


class ReferralCodeInvalid(DomainError):
    code = "REFERRAL_CODE_INVALID"
    message = "This referral code does not exist."


class ReferralCodeExpired(DomainError):
    code = "REFERRAL_CODE_EXPIRED"
    message = "This referral code has expired."


class EmailRejected(DomainError):
    code = "EMAIL_REJECTED"
    message = "This email address cannot receive mail."


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    message = "Too many requests; try again later."

    def __init__(self, retry_after: int) -> None:
        super().__init__(retryAfter=retry_after)
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    code = "SERVICE_UNAVAILABLE"
    message = "The service is temporarily unavailable; try again shortly."
