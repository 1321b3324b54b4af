"""Limits on the size and shape of GraphQL documents, enforced before any resolver runs.

Tokens, depth and aliases use Strawberry's own extensions (GraphQL Armor's defaults: 1000, 10,
15); the cost limit is ours, since Strawberry has none. Strawberry's depth and alias rules walk
fragment spreads without memoising them, so a few hundred tokens of fragments that each spread the
next one twice make them work for minutes. The cost walk below memoises fragments and counts
every spread, so its cost grows with that expansion while its own work stays linear: a document
over budget is validated by the cost rule alone, and the other rules never see it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    ValidationRule,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from app.domain.pages import MAX_PAGE_SIZE

if TYPE_CHECKING:
    from collections.abc import Callable

    from graphql import (
        ASTValidationRule,
        DocumentNode,
        GraphQLNamedType,
        GraphQLSchema,
        SelectionSetNode,
        ValidationContext,
    )

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 1000
MAX_COST = 5000
PAGE_ARGUMENT = "first"


class DocumentCost:
    """What executing each operation of a document may cost.

    Every selection costs 1 (a fragment spread too, so that work cannot hide in fragments);
    a field with a `first` argument multiplies the cost of its own selections by that number
    (its literal value, its schema default when absent, or MAX_PAGE_SIZE for a variable,
    whatever the variable holds).
    """

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            node.name.value: node
            for node in document.definitions
            if isinstance(node, FragmentDefinitionNode)
        }
        self._fragment_costs: dict[str, int] = {}
        self._visiting: set[str] = set()

    def of_operation(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        return self._selections(operation.selection_set, root)

    def _selections(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            total += 1
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                scope = self.schema.get_type(condition.name.value) if condition else parent
                total += self._selections(selection.selection_set, scope)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value)
        return total

    def _field(self, node: FieldNode, parent: Any) -> int:
        if node.selection_set is None:
            return 0
        field = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            field = parent.fields.get(node.name.value)
        child: GraphQLNamedType | None = get_named_type(field.type) if field else None
        return self._page_size(node, field) * self._selections(node.selection_set, child)

    def _page_size(self, node: FieldNode, field: Any) -> int:
        if field is None or PAGE_ARGUMENT not in field.args:
            return 1
        for argument in node.arguments or ():
            if argument.name.value != PAGE_ARGUMENT:
                continue
            if isinstance(argument.value, IntValueNode):
                return max(1, int(argument.value.value))
            if isinstance(argument.value, VariableNode):
                return MAX_PAGE_SIZE
            return 1
        default = field.args[PAGE_ARGUMENT].default_value
        return max(1, default) if isinstance(default, int) else MAX_PAGE_SIZE

    def _fragment(self, name: str) -> int:
        if name in self._fragment_costs:
            return self._fragment_costs[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self._visiting:
            return 0  # unknown fragments and cycles are errors of their own rules
        self._visiting.add(name)
        scope = self.schema.get_type(fragment.type_condition.name.value)
        cost = self._selections(fragment.selection_set, scope)
        self._visiting.discard(name)
        self._fragment_costs[name] = cost
        return cost


def most_expensive_operation(schema: GraphQLSchema, document: DocumentNode) -> int:
    """The cost of the document's dearest operation (only one of them runs per request)."""
    cost = DocumentCost(schema, document)
    return max(
        (
            cost.of_operation(node)
            for node in document.definitions
            if isinstance(node, OperationDefinitionNode)
        ),
        default=0,
    )


class MaxCostRule(ValidationRule):
    """Reports each operation whose cost is above MAX_COST."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.cost = DocumentCost(context.schema, context.document)

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        cost = self.cost.of_operation(node)
        if cost > MAX_COST:
            self.report_error(
                GraphQLError(
                    f"The query costs {cost}, more than the limit of {MAX_COST}.", nodes=[node]
                )
            )


def query_limits(*, introspection: bool) -> list[Callable[[], SchemaExtension]]:
    """The extensions that enforce the limits, as per-request factories.

    The rule classes are built once (Strawberry's limiters would build new ones on every
    request). The cost is checked by app.graphql.documents before the other rules run.
    """
    rules: list[type[ASTValidationRule]] = [
        *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    ]
    if not introspection:
        rules.extend(DisableIntrospection().validation_rules)
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(rules),
    ]
