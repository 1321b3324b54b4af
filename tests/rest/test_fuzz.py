"""Schemathesis against both contracts, in process: no 5xx, every answer as documented.

Schemathesis' pytest integration does not run on pytest 9 yet, so each operation is a test of
its own that draws a bounded, reproducible set of cases from schemathesis' strategies.
FUZZ_EXAMPLES=500 digs deeper than the default, for a run by hand.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from collections.abc import Callable

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
