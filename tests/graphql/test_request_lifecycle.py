"""One session per GraphQL request, closed cleanly even when an error cuts the operation short."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.api import Api

# `referrals` fails at once; `me` is non-null, so the operation ends while `referralCode` and
# `referrer` may still be loading on the request's session.
CUT_SHORT = """
{ me { referralCode { createdAt } referrer { referralCode { code } }
       referrals(first: 3600, after: "127.0.0.1") { totalCount } } }
"""


async def test_an_error_beside_fields_still_loading_answers_normally(api: Api) -> None:
    _, token = await api.signed_up()
    for _ in range(5):
        body = await api.post_graphql(CUT_SHORT, token=token)
        assert body["data"] is None
        assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]
    me = await api.gql("{ me { id } }", token=token)
    assert me["me"]["id"]
