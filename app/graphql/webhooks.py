"""The GraphQL types of webhook endpoints and their delivery log (contract section 7)."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - Strawberry reads annotations at runtime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.domain.events import EventType
from app.domain.webhooks import encode_delivery_cursor
from app.graphql.arguments import After  # noqa: TC001 - read by Strawberry
from app.graphql.context import Context  # noqa: TC001 - Strawberry resolves Info[Context]
from app.graphql.types import PageInfo

if TYPE_CHECKING:
    from app.models import WebhookDelivery as DeliveryRecord
    from app.models import WebhookEndpoint as EndpointRecord
    from app.services.webhooks import CreatedEndpoint


@strawberry.enum(description="Where a delivery stands.")
class DeliveryStatus(Enum):
    PENDING = strawberry.enum_value(
        "PENDING", description="Not delivered yet: the next attempt is at `nextAttemptAt`."
    )
    SUCCEEDED = strawberry.enum_value(
        "SUCCEEDED", description="The endpoint answered 2xx within 10 seconds."
    )
    FAILED = strawberry.enum_value(
        "FAILED",
        description="Given up: every retry of WEBHOOK_RETRY_SCHEDULE failed, or the endpoint "
        "was disabled or deleted first.",
    )


@strawberry.type(description="One event sent (or to be sent) to one endpoint.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="The delivery's id.")
    event_id: str = strawberry.field(
        description="The event's id: the `webhook-id` header, the same on every attempt."
    )
    event_type: str = strawberry.field(description='The event\'s type, e.g. "referral.joined".')
    status: DeliveryStatus = strawberry.field(description="Where the delivery stands.")
    attempts: int = strawberry.field(description="Attempts made so far.")
    last_response_status: int | None = strawberry.field(
        description="The HTTP status of the last attempt; null before one, or when it got no "
        "answer (refused, unreachable, timed out)."
    )
    last_attempt_at: datetime | None = strawberry.field(
        description="When the last attempt started; null before the first."
    )
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due; null once SUCCEEDED or FAILED."
    )

    @classmethod
    def of(cls, record: DeliveryRecord, event_type: str) -> WebhookDelivery:
        return cls(
            id=strawberry.ID(str(record.id)),
            event_id=record.event_id,
            event_type=event_type,
            status=DeliveryStatus(record.status),
            attempts=record.attempts,
            last_response_status=record.last_response_status,
            last_attempt_at=record.last_attempt_at,
            next_attempt_at=record.next_attempt_at,
        )


@strawberry.type(description="One delivery in a page, with its position.")
class WebhookDeliveryEdge:
    cursor: str = strawberry.field(description="This delivery's position, for `after`.")
    node: WebhookDelivery = strawberry.field(description="The delivery.")


@strawberry.type(description="A page of an endpoint's deliveries, newest first.")
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge] = strawberry.field(description="This page's deliveries.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and from where.")


@strawberry.type(description="A URL that receives events as signed Standard Webhooks calls.")
class WebhookEndpoint:
    id: strawberry.ID = strawberry.field(description="The endpoint's id.")
    url: str = strawberry.field(description="Where events are POSTed.")
    event_types: list[str] = strawberry.field(
        description="The event types the endpoint receives (every type when created with null)."
    )
    created_at: datetime = strawberry.field(description="When the endpoint was created.")
    disabled_at: datetime | None = strawberry.field(
        description="When the endpoint was disabled for failing again and again (it then "
        "receives nothing); null while it is enabled."
    )
    endpoint_id: strawberry.Private[int]

    @classmethod
    def of(cls, record: EndpointRecord) -> WebhookEndpoint:
        assert record.id is not None
        return cls(
            id=strawberry.ID(str(record.id)),
            url=record.url,
            event_types=list(record.event_types or [kind.value for kind in EventType]),
            created_at=record.created_at,
            disabled_at=record.disabled_at,
            endpoint_id=record.id,
        )

    @strawberry.field(description="The endpoint's deliveries, newest first.")
    async def deliveries(
        self,
        info: strawberry.Info[Context],
        first: Annotated[int, strawberry.argument(description="How many to list: 1 to 100.")] = 20,
        after: After = None,
    ) -> WebhookDeliveryConnection:
        scope = info.context.scope
        page = await scope.services.webhooks.deliveries(
            scope.uow, endpoint_id=self.endpoint_id, size=first, after=after
        )
        edges = [
            WebhookDeliveryEdge(
                cursor=encode_delivery_cursor(record.id or 0),
                node=WebhookDelivery.of(record, event_type),
            )
            for record, event_type in page.deliveries
        ]
        return WebhookDeliveryConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )


@strawberry.type(description="A new endpoint and its signing secret.")
class CreatedWebhookEndpoint:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint.")
    secret: str = strawberry.field(
        description="The signing secret, `whsec_<base64>`: shown this once, never again. "
        "Verify calls with any Standard Webhooks library."
    )

    @classmethod
    def of(cls, created: CreatedEndpoint) -> CreatedWebhookEndpoint:
        return cls(endpoint=WebhookEndpoint.of(created.endpoint), secret=created.secret)


@strawberry.input(description="A new webhook endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(
        description="http or https (https only in production, and not to loopback, private or "
        "link-local addresses unless WEBHOOK_ALLOW_PRIVATE); redirects are not followed."
    )
    event_types: list[str] | None = strawberry.field(
        default=None,
        description="The event types to receive (user.registered, referral.joined, "
        "code.created, code.deleted); null: every type.",
    )
