from tests.api import Api


async def test_register_login_me(api: Api) -> None:
    user, token = await api.signed_up()
    me = await api.gql("{ me { id email referralCode { code } } }", token=token)
    assert me["me"]["id"] == user["id"]
    code = await api.create_code(token, code="hello123")
    assert code["code"] == "HELLO123"
    found = await api.code_by_email(user["email"].upper())
    assert found is not None and found["code"] == "HELLO123"
    friend = await api.register(code="hello123")
    page = await api.gql(
        "query R($id: ID!) { referralsById(id: $id) { totalCount edges { cursor node { id email referrer { id } } } pageInfo { hasNextPage endCursor } } }",
        {"id": user["id"]},
    )
    print(page)
    assert page["referralsById"]["totalCount"] == 1
    assert page["referralsById"]["edges"][0]["node"]["id"] == friend["id"]
