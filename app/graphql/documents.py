"""Known documents cost nothing to validate again; unknown ones cost their sender.

Validating a document is the dearest thing a client can make the server do before any resolver
runs (a 1,000-token document can take 100 ms). So each document is validated once per process:
its result is kept under its exact text (a repeat skips parsing too) and under its shape (the
document printed without white space or comments, so that a variant in spacing is known too).
A document of unknown shape is charged to its client, in units of its tokens, against a
per-client budget (app.rate_limits "validate_document"): over it, RATE_LIMITED.

The cost limit goes first (its walk is linear whatever fragments do, see app.graphql.limits):
a document over it is reported by the cost rule alone, and the other rules never see it.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graphql import GraphQLError, OperationDefinitionNode, print_ast, validate
from strawberry.extensions import SchemaExtension

from app.graphql.limits import MAX_COST, MaxCostRule, most_expensive_operation
from app.graphql.strawberry_internals import graphql_core_schema, provided_operation_name

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    from graphql import DocumentNode
    from strawberry.types import ExecutionContext

TOKENS_PER_UNIT = 100  # what one unit of the validation budget buys
CACHED_TOKENS = 200_000  # the documents kept, in tokens: a few hundred of the largest allowed


@dataclass(frozen=True, slots=True)
class Known:
    """A validated document: the document itself and what validation said of it."""

    document: DocumentNode
    errors: list[GraphQLError]
    tokens: int


class KnownDocuments:
    """A bounded cache of validated documents, by exact text and by shape."""

    def __init__(self, *, max_tokens: int = CACHED_TOKENS) -> None:
        self.max_tokens = max_tokens
        self._entries: OrderedDict[str, Known] = OrderedDict()
        self._tokens = 0

    def get(self, key: str) -> Known | None:
        known = self._entries.get(key)
        if known is not None:
            self._entries.move_to_end(key)
        return known

    def put(self, key: str, known: Known) -> None:
        if key in self._entries:
            return
        self._entries[key] = known
        self._tokens += known.tokens
        while self._tokens > self.max_tokens and len(self._entries) > 1:
            _, dropped = self._entries.popitem(last=False)
            self._tokens -= dropped.tokens


def text_key(query: str) -> str:
    return "text:" + hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()


def shape_key(document: DocumentNode) -> str:
    return "shape:" + hashlib.sha256(print_ast(document).encode()).hexdigest()


def token_count(document: DocumentNode) -> int:
    """The lexical tokens the document was parsed from."""
    if document.loc is None:
        return 1
    count, token = 1, document.loc.start_token
    while token is not document.loc.end_token and token.next is not None:
        token, count = token.next, count + 1
    return count


def _unnamed_choice(context: ExecutionContext, document: DocumentNode) -> list[GraphQLError]:
    """GraphQL's rule that a request names the operation to run when there are several."""
    operations = [
        node for node in document.definitions if isinstance(node, OperationDefinitionNode)
    ]
    if len(operations) > 1 and provided_operation_name(context) is None:
        message = "Must provide operation name if query contains multiple operations."
        return [GraphQLError(message)]
    return []


def document_cache(known: KnownDocuments) -> Callable[[], SchemaExtension]:
    """The schema extension over one process's known documents (a factory, one per operation)."""
    return lambda: DocumentCache(known)


class DocumentCache(SchemaExtension):
    """Parses and validates each document once; charges its client for unknown shapes."""

    def __init__(self, known: KnownDocuments) -> None:
        super().__init__()
        self.known = known
        self.hit: Known | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            self.hit = self.known.get(text_key(context.query))
            if self.hit is not None:
                context.graphql_document = self.hit.document
        yield

    async def on_validate(self) -> AsyncIterator[None]:  # type: ignore[override]
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            known = self.hit or await self._validated(document)
            context.pre_execution_errors = known.errors or _unnamed_choice(context, document)
            if context.query is not None:
                self.known.put(text_key(context.query), known)
        yield

    async def _validated(self, document: DocumentNode) -> Known:
        key = shape_key(document)
        known = self.known.get(key)
        if known is not None:
            return Known(document=document, errors=known.errors, tokens=known.tokens)
        tokens = token_count(document)
        scope = self.execution_context.context.scope
        await scope.count_attempt("validate_document", cost=math.ceil(tokens / TOKENS_PER_UNIT))
        schema = graphql_core_schema(self.execution_context.schema)
        rules = self.execution_context.validation_rules
        if most_expensive_operation(schema, document) > MAX_COST:
            rules = (MaxCostRule,)
        known = Known(document=document, errors=validate(schema, document, rules), tokens=tokens)
        self.known.put(key, known)
        return known
