"""Validation is the dearest work a client can ask for before any resolver runs: a document is
validated once per process, whatever its spacing, and new ones cost their sender a budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.api import Api, unique_client

if TYPE_CHECKING:
    from starlette.applications import Starlette

FRAGMENTS = 105  # 951 tokens, near the size limit: 10 units of the budget each


def large_document(name: str, *, spacing: str = " ") -> str:
    """A valid document of about a thousand tokens, dear to validate (every spread overlaps)."""
    spreads = spacing.join(f"...F{n}" for n in range(FRAGMENTS))
    fragments = spacing.join(f"fragment F{n} on Query {{ __typename }}" for n in range(FRAGMENTS))
    return f"query {name} {{ {spreads} }} {fragments}"


async def codes_of(api: Api, query: str) -> list[str]:
    body = await api.post_graphql(query)
    return [error["extensions"]["code"] for error in body.get("errors") or []]


async def test_a_client_making_the_server_validate_new_documents_runs_out(
    limited_app: Starlette,
) -> None:
    async with Api.connect(limited_app, client=unique_client()) as api:
        answered = [await codes_of(api, large_document(f"Q{n}")) for n in range(20)]
        assert answered == [[]] * 20
        body = await api.post_graphql(large_document("OneTooMany"))
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= error["extensions"]["retryAfter"] <= 60


async def test_spacing_and_comments_do_not_make_a_document_new(limited_app: Starlette) -> None:
    async with Api.connect(limited_app, client=unique_client()) as api:
        assert await codes_of(api, large_document("Same")) == []
        variants = [
            large_document("Same", spacing=" " * (n % 7 + 1) + ("\n" if n % 2 else ""))
            + f"  # variant {n}"
            for n in range(60)
        ]
        for variant in variants:
            assert await codes_of(api, variant) == []


async def test_another_client_has_a_budget_of_its_own(limited_app: Starlette) -> None:
    async with Api.connect(limited_app, client=unique_client()) as spender:
        for n in range(21):
            await spender.post_graphql(large_document(f"Spent{n}"))
    async with Api.connect(limited_app, client=unique_client()) as other:
        assert await codes_of(other, large_document("Fresh")) == []
