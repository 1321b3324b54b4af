"""How metrics name a GraphQL operation: by its type and root field, never by the client's words.

A client's operationName and aliases are free text, so a label made of them would let clients
create any number of series. The root fields of a validated document are the schema's own
names: `query codeByEmail`, `mutation login`; an operation selecting several distinct root
fields is `query <multiple>`, which keeps the count of names the schema's size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode
from graphql.utilities import get_operation_ast

if TYPE_CHECKING:
    from graphql import DocumentNode, SelectionSetNode
    from strawberry.types import ExecutionContext

UNKNOWN = "<unknown>"  # a request that never ran: unreadable, invalid, or refused
MULTIPLE = "<multiple>"
TYPENAME = "__typename"


def operation_label(document: DocumentNode, operation_name: str | None) -> str:
    """`<type> <root field>` of the operation that runs, for a document that passed validation."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return UNKNOWN
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    fields = _root_fields(operation.selection_set, fragments, seen=set())
    fields.discard(TYPENAME)
    if not fields:
        field = TYPENAME
    elif len(fields) == 1:
        (field,) = fields
    else:
        field = MULTIPLE
    return f"{operation.operation.value} {field}"


def _root_fields(
    selections: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    *,
    seen: set[str],
) -> set[str]:
    """The field names (not aliases) a selection set selects, through its fragments."""
    names: set[str] = set()
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names |= _root_fields(selection.selection_set, fragments, seen=seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                names |= _root_fields(fragment.selection_set, fragments, seen=seen)
    return names


class OperationLabels:
    """The label of each validated document and operation, remembered: Strawberry's parser
    cache hands back the same document for the same text, so a known operation costs one look-up.
    """

    def __init__(self, *, maxsize: int) -> None:
        self._maxsize = maxsize
        # By the document's identity; the entry holds the document, so the id is not reused.
        self._labels: dict[tuple[int, str | None], tuple[DocumentNode, str]] = {}

    def note(self, execution: ExecutionContext) -> None:
        """Note the label of a validated operation on its request (`request.state`), where the
        view finds it to count the request under (app.graphql.view)."""
        document = execution.graphql_document
        if document is None:
            return
        key = (id(document), execution.operation_name)
        known = self._labels.get(key)
        if known is not None and known[0] is document:
            label = known[1]
        else:
            label = operation_label(document, execution.operation_name)
            if len(self._labels) >= self._maxsize:
                self._labels.clear()
            self._labels[key] = (document, label)
        execution.context.request.state.graphql_operation = label
