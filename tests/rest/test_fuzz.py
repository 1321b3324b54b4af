"""Schemathesis against both contracts, in process: no 5xx, every answer as documented.

Schemathesis' pytest integration does not run on pytest 9 yet, so each operation is a test of
its own that draws a bounded, reproducible set of cases from schemathesis' strategies.
FUZZ_EXAMPLES=500 digs deeper than the default, for a run by hand.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import graphql
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.contracts import graphql_sdl
from app.graphql.error_codes import GraphQLCode
from app.main import create_app
from app.rest.errors import STATUS_BY_CODE
from app.rest.table import OPERATIONS
from tests.api import Api
from tests.conftest import make_settings
from tests.rest.helpers import signed_up
from tests.strategies import as_json, json_text, odd_text

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx
    from schemathesis import Case
    from schemathesis.schemas import APIOperation
    from starlette.applications import Starlette

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
EXPECTED_GRAPHQL_CODES = (set(STATUS_BY_CODE) | set(GraphQLCode)) - {
    "INTERNAL_SERVER_ERROR",
    "SERVICE_UNAVAILABLE",
}
_sdl = graphql.build_schema(graphql_sdl())
GRAPHQL_FIELDS = [
    (root.name, name)
    for root in (_sdl.query_type, _sdl.mutation_type)
    if root is not None
    for name in root.fields
]


@pytest.fixture(scope="session")
def fuzzed_app(backend: dict[str, Any]) -> Starlette:
    """An app on the backend's database that schemathesis starts in its own event loop."""
    return create_app(make_settings(backend))


@pytest.fixture
async def fuzz_headers(app: Starlette) -> dict[str, str]:
    """A new user's headers, so that secured operations get past authentication.

    One per operation: a fuzzed logout revokes the token it was sent with.
    """
    async with Api.connect(app) as api:
        _, headers = await signed_up(api)
    return headers


def fuzz(
    operation: APIOperation,
    modes: list[GenerationMode],
    check_answer: Callable[[Case], None],
) -> None:
    """Send the operation a bounded, reproducible set of cases and check every answer."""
    strategy = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in modes))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: Case) -> None:
        check_answer(case)

    check()


def answers_as_documented(headers: dict[str, str]) -> Callable[[Case], None]:
    """Schemathesis' checks, but for accepting all schema-valid data: rules reject some of it."""

    def check(case: Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    return check


def answers_with_contract_errors(headers: dict[str, str]) -> Callable[[Case], None]:
    """A GraphQL answer: 200, data for the field or errors with an expected contract code.

    Schemathesis counts every resolver error as a server error; here a rule's error (such as
    BAD_USER_INPUT or UNAUTHENTICATED) is a good answer, and only a masked one is not.
    """

    def check(case: Case) -> None:
        response = case.call(headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert isinstance(body, dict)
        assert set(body) <= {"data", "errors"}, body
        for error in body.get("errors") or []:
            assert error.get("extensions", {}).get("code") in EXPECTED_GRAPHQL_CODES, error
        if not body.get("errors"):
            assert isinstance(body["data"], dict)
            assert set(body["data"]) == {case.operation.label.partition(".")[2]}, body

    return check


@pytest.mark.parametrize(
    ("method", "path"), [(operation.method, operation.template) for operation in OPERATIONS]
)
def test_rest_answers_as_its_openapi_document_says(
    fuzzed_app: Starlette, fuzz_headers: dict[str, str], method: str, path: str
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    fuzz(schema[path][method], list(GenerationMode), answers_as_documented(fuzz_headers))


@pytest.mark.parametrize(("root", "field"), GRAPHQL_FIELDS)
def test_graphql_answers_as_its_schema_says(
    fuzzed_app: Starlette, fuzz_headers: dict[str, str], root: str, field: str
) -> None:
    schema = schemathesis.graphql.from_asgi("/graphql", fuzzed_app)
    fuzz(schema[root][field], [GenerationMode.POSITIVE], answers_with_contract_errors(fuzz_headers))


# Malformed input that schemathesis does not draw: lone surrogates, NUL, JSON nested deep.

GRAPHQL_DOCUMENTS = {
    "register": "mutation O($input: RegisterInput!) { register(input: $input) { id } }",
    "login": "mutation O($input: LoginInput!) { login(input: $input) { accessToken } }",
    "refreshToken": "mutation O($token: String!) { refreshToken(refreshToken: $token) "
    "{ expiresIn } }",
    "logout": "mutation O($token: String) { logout(refreshToken: $token) }",
    "createCode": "mutation O($input: CreateCodeInput!) { createCode(input: $input) { code } }",
    "codeByEmail": "query O($email: String!) { codeByEmail(email: $email) { code } }",
    "referralsById": "query O($id: ID!, $after: String) { referralsById(id: $id, after: $after) "
    "{ totalCount } }",
}
ACCOUNT = st.fixed_dictionaries({"email": odd_text, "password": odd_text})
GRAPHQL_VARIABLES: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "register": st.fixed_dictionaries({"input": ACCOUNT}, optional={"referralCode": odd_text}),
    "login": st.fixed_dictionaries({"input": ACCOUNT}),
    "refreshToken": st.fixed_dictionaries({"token": odd_text}),
    "logout": st.fixed_dictionaries({"token": odd_text}),
    "createCode": st.fixed_dictionaries(
        {"input": st.fixed_dictionaries({"expiresAt": odd_text}, optional={"code": odd_text})}
    ),
    "codeByEmail": st.fixed_dictionaries({"email": odd_text}),
    "referralsById": st.fixed_dictionaries({"id": odd_text}, optional={"after": odd_text}),
}


@st.composite
def malformed_graphql_bodies(draw: st.DrawFn, field: str) -> bytes:
    """A request for `field` whose variables, operation name or extensions are malformed."""
    names = re.findall(r"\$(\w+):", GRAPHQL_DOCUMENTS[field])
    variables = draw(
        GRAPHQL_VARIABLES[field].map(as_json)
        | st.fixed_dictionaries(dict.fromkeys(names, json_text)).map(
            lambda texts: "{" + ",".join(f"{as_json(k)}:{v}" for k, v in texts.items()) + "}"
        )
        | json_text
    )
    operation_name = draw(st.just('"O"') | odd_text.map(as_json))
    extensions = draw(st.just("null") | json_text)
    return (
        f'{{"query":{as_json(GRAPHQL_DOCUMENTS[field])},"variables":{variables},'
        f'"operationName":{operation_name},"extensions":{extensions}}}'
    ).encode()


def answered_as_json_without_a_server_error(response: httpx.Response) -> Any:
    """The answer's JSON body, once its status and type show the client's error, not ours."""
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json", response.text
    return response.json()


MALFORMED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("field", sorted(GRAPHQL_DOCUMENTS))
@MALFORMED
@given(data=st.data())
async def test_graphql_answers_malformed_variables_with_contract_errors(
    api: Api, fuzz_headers: dict[str, str], field: str, data: st.DataObject
) -> None:
    headers = {"Content-Type": "application/json"}
    if field != "logout":  # it would revoke the token that the other operations need
        headers |= fuzz_headers
    body = data.draw(malformed_graphql_bodies(field))
    response = await api.http.post("/graphql", content=body, headers=headers)
    answer = answered_as_json_without_a_server_error(response)
    if response.status_code == 413:
        return  # larger than the body limit, refused before it is read
    assert set(answer) <= {"data", "errors"}, answer
    for error in answer.get("errors") or []:
        assert error["extensions"]["code"] in EXPECTED_GRAPHQL_CODES, error


def percent_encoded(text: str) -> str:
    """The UTF-8 of `text`, lone surrogates included (as invalid bytes), percent-encoded."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def multipart(fields: dict[str, str], charset: str) -> tuple[bytes, str]:
    """A multipart form in `charset`, which may write lone surrogates (unicode_escape does)."""
    codec = "utf-8" if charset == "utf-8" else charset
    parts = b"".join(
        b'--fuzz\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        % (name.encode(), value.encode(codec, "surrogatepass" if codec == "utf-8" else "strict"))
        for name, value in fields.items()
    )
    return parts + b"--fuzz--\r\n", f"multipart/form-data; boundary=fuzz; charset={charset}"


@st.composite
def malformed_rest_requests(draw: st.DrawFn, operation: str) -> dict[str, Any]:
    """Arguments for httpx's `request` that send `operation` malformed strings or JSON."""
    path = operation.partition(" ")[2]
    if path in ("/auth/register/", "/referrals/create_code"):
        fields = {"email": odd_text, "password": odd_text, "code": odd_text, "expiration": odd_text}
        body = draw(st.fixed_dictionaries({}, optional=fields).map(as_json) | json_text)
        query = draw(st.none() | odd_text)
        url = path if query is None else f"{path}?referral_code={percent_encoded(query)}"
        return {"url": url, "content": body, "headers": {"Content-Type": "application/json"}}
    if path in ("/auth/login", "/auth/token"):
        grant = st.sampled_from(["password", "refresh_token"]) | odd_text
        form = draw(
            st.fixed_dictionaries(
                {"grant_type": grant},
                optional={"username": odd_text, "password": odd_text, "refresh_token": odd_text},
            )
        )
        charset = draw(st.sampled_from(["urlencoded", "utf-8", "unicode_escape"]))
        if charset == "urlencoded":
            content = "&".join(f"{name}={percent_encoded(value)}" for name, value in form.items())
            content_type = "application/x-www-form-urlencoded"
            return {"url": path, "content": content, "headers": {"Content-Type": content_type}}
        content, content_type = multipart(form, charset)
        return {"url": path, "content": content, "headers": {"Content-Type": content_type}}
    segment, after, limit = draw(odd_text), draw(odd_text), draw(odd_text)
    template = re.sub(r"{\w+}", percent_encoded(segment), path)
    return {"url": f"{template}?after={percent_encoded(after)}&limit={percent_encoded(limit)}"}


@pytest.mark.parametrize("operation", sorted({operation.name for operation in OPERATIONS}))
@MALFORMED
@given(data=st.data())
async def test_rest_answers_malformed_strings_and_json_with_client_errors(
    api: Api, fuzz_headers: dict[str, str], operation: str, data: st.DataObject
) -> None:
    arguments = data.draw(malformed_rest_requests(operation))
    signed_in = {} if operation == "POST /auth/logout" else fuzz_headers
    arguments["headers"] = signed_in | arguments.get("headers", {})
    response = await api.http.request(operation.partition(" ")[0], **arguments)
    if response.status_code == 204:
        return  # a sign-in or sign-out that worked: no body
    answer = answered_as_json_without_a_server_error(response)
    if response.status_code >= 400:
        assert set(answer) == {"detail"}, answer
