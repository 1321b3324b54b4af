"""Accounts and sign-in over REST, as the replaced service's clients call them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response

from app.rest.models import TokenRead, UserRead

if TYPE_CHECKING:
    from app.rest.models import LoginForm, RegisterBody, RegisterQuery, TokenForm
    from app.settings import Settings
    from app.transport.scope import RequestScope

# RFC 6749 section 5.1: answers that carry tokens are never cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def register(scope: RequestScope, *, query: RegisterQuery, body: RegisterBody) -> UserRead:
    """Register; with `referral_code`, as the referral of that code's owner."""
    await scope.count_attempt("register")
    registration = await scope.services.accounts.register(
        scope.uow, email=body.email, password=body.password, referral_code=query.referral_code
    )
    return UserRead.from_registration(registration)


async def login(scope: RequestScope, *, body: LoginForm) -> Response:
    """Sign in: sets the auth cookie for as long as the access token lives."""
    await scope.count_attempt("login", account=body.username)
    grant = await scope.services.sessions.grant_access(
        scope.uow, email=body.username, password=body.password
    )
    response = Response(status_code=204, headers=NO_STORE)
    settings = scope.runtime.settings
    response.set_cookie(value=grant.access_token, max_age=grant.expires_in, **_cookie(settings))
    return response


async def logout(scope: RequestScope) -> Response:
    """Sign out: revokes the access token (bearer or cookie) and clears the cookie."""
    await scope.services.sessions.sign_out(scope.uow, access_token=scope.require_access_token())
    response = Response(status_code=204)
    response.delete_cookie(**_cookie(scope.runtime.settings))
    return response


async def token(scope: RequestScope, *, body: TokenForm) -> Response:
    """OAuth2 token endpoint: password grant (RFC 6749 4.3) or refresh (RFC 6749 6)."""
    sessions = scope.services.sessions
    if body.grant_type == "refresh_token":
        assert body.refresh_token is not None  # TokenForm checks each grant's fields
        await scope.count_attempt("refresh_token")
        issued = await sessions.refresh(scope.uow, refresh_token=body.refresh_token)
    else:
        assert body.username is not None
        assert body.password is not None
        await scope.count_attempt("login", account=body.username)
        issued = await sessions.sign_in(scope.uow, email=body.username, password=body.password)
    return JSONResponse(TokenRead.from_issued(issued).model_dump(mode="json"), headers=NO_STORE)


def _cookie(settings: Settings) -> dict[str, Any]:
    """Where the auth cookie lives: HttpOnly, SameSite=Lax, the whole site, Secure in production."""
    return {
        "key": settings.auth_cookie_name,
        "path": "/",
        "httponly": True,
        "samesite": "lax",
        "secure": settings.cookie_secure,
    }
