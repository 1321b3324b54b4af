"""The names metrics give GraphQL operations: the schema's words, whatever the client wrote."""

from __future__ import annotations

import pytest
from graphql import parse

from app.graphql.operations import operation_label


@pytest.mark.parametrize(
    ("document", "operation_name", "label"),
    [
        ("{ codeByEmail(email: $e) { code } }", None, "query codeByEmail"),
        ("query Anything { renamed: me { id } }", None, "query me"),
        ("{ ... on Query { me { id } } }", None, "query me"),
        (
            "{ ...F } fragment F on Query { ...G } fragment G on Query { me { id } }",
            None,
            "query me",
        ),
        ("{ __typename }", None, "query __typename"),
        ("{ me { id } a: me { email } __typename }", None, "query me"),
        ("{ me { id } codeByEmail(email: $e) { code } }", None, "query <multiple>"),
        ("query A { me { id } } mutation B { logout }", "B", "mutation logout"),
        ("query A { me { id } } mutation B { logout }", "C", "<unknown>"),
    ],
)
def test_an_operation_is_named_by_its_type_and_root_field(
    document: str, operation_name: str | None, label: str
) -> None:
    assert operation_label(parse(document), operation_name) == label
