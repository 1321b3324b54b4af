"""The REST operations, declared once: routes and the OpenAPI document are both built from here."""

from __future__ import annotations

from app.rest import auth, referrals
from app.rest.models import (
    CodeRead,
    CreateCodeBody,
    CreatedCodeRead,
    EmailPath,
    LoginForm,
    PageQuery,
    ReferralsRead,
    RegisterBody,
    RegisterQuery,
    TokenForm,
    TokenRead,
    UserPath,
    UserRead,
)
from app.rest.operation import Operation

OPERATIONS = (
    Operation(
        "POST",
        "/auth/register/",
        auth.register,
        tag="auth",
        query=RegisterQuery,
        body=RegisterBody,
        response=UserRead,
        errors=(400, 409),
    ),
    Operation(
        "POST",
        "/auth/login",
        auth.login,
        tag="auth",
        status=204,
        body=LoginForm,
        body_format="form",
        errors=(401, 403),
        headers={"Set-Cookie": "The auth cookie: HttpOnly, SameSite=Lax, Path=/, Max-Age."},
    ),
    Operation(
        "POST",
        "/auth/logout",
        auth.logout,
        tag="auth",
        status=204,
        secured=True,
        errors=(401, 403),
        headers={"Set-Cookie": "Clears the auth cookie."},
    ),
    Operation(
        "POST",
        "/auth/token",
        auth.token,
        tag="auth",
        body=TokenForm,
        body_format="form",
        response=TokenRead,
        errors=(401, 403),
        headers={"Cache-Control": "`no-store`, as RFC 6749 asks of token answers."},
    ),
    Operation(
        "GET",
        "/referrals/by_id/{id}",
        referrals.referrals_by_id,
        tag="referrals",
        path_params=UserPath,
        query=PageQuery,
        response=ReferralsRead,
        errors=(404,),
    ),
    Operation(
        "GET",
        "/referrals/code_by_email/{email:path}",  # "/" is allowed in an email address
        referrals.code_by_email,
        tag="referrals",
        path_params=EmailPath,
        response=CodeRead,
        errors=(404,),
    ),
    Operation(
        "POST",
        "/referrals/create_code",
        referrals.create_code,
        tag="referrals",
        body=CreateCodeBody,
        response=CreatedCodeRead,
        secured=True,
        errors=(401, 403, 409),
    ),
    Operation(
        "DELETE",
        "/referrals/delete_code",
        referrals.delete_code,
        tag="referrals",
        secured=True,
        errors=(401, 403, 404),
    ),
)
