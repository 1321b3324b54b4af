"""Webhook endpoints: superusers add and remove them; every event is scheduled for each live
endpoint that takes its type, in the transaction that records the event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.domain.clock import utcnow
from app.domain.pages import MAX_PAGE_SIZE, check_page_size
from app.domain.webhooks import (
    address_of,
    check_event_types,
    check_url,
    decode_delivery_cursor,
    encode_delivery_cursor,
    new_secret,
)
from app.errors import BadUserInput, Forbidden, NotFound
from app.integrations.webhooks import ForbiddenAddress, UnresolvableHost, checked_addresses, resolve
from app.models import WebhookDelivery, WebhookEndpoint
from app.repositories import webhooks as webhook_repo

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.domain.clock import Clock
    from app.domain.events import Event
    from app.domain.webhooks import UrlPolicy
    from app.integrations.webhooks import Resolver
    from app.models import User
    from app.security import SecretBox
    from app.uow import UnitOfWork


class NotSuperuser(Forbidden):
    message = "Only superusers manage webhook endpoints."


class EndpointNotFound(NotFound):
    message = "No such webhook endpoint."


@dataclass(frozen=True, slots=True)
class CreatedEndpoint:
    """A new endpoint and its signing secret, which is shown this once."""

    endpoint: WebhookEndpoint
    secret: str


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    """A page of an endpoint's deliveries, newest first, with their events' types."""

    deliveries: list[tuple[WebhookDelivery, str]]
    has_next_page: bool

    @property
    def end_cursor(self) -> str | None:
        if not self.deliveries:
            return None
        last = self.deliveries[-1][0].id
        assert last is not None
        return encode_delivery_cursor(last)


class WebhookEndpoints:
    """The rules of endpoints: superusers only, acceptable URLs only, secrets sealed at rest."""

    def __init__(
        self,
        *,
        box: SecretBox,
        policy: UrlPolicy,
        resolver: Resolver = resolve,
        clock: Clock = utcnow,
    ) -> None:
        self._box = box
        self._policy = policy
        self._resolver = resolver
        self._clock = clock

    async def create(
        self, uow: UnitOfWork, *, viewer: User, url: str, event_types: Sequence[str] | None
    ) -> CreatedEndpoint:
        """A new endpoint; BAD_USER_INPUT for a URL or an event type that is not acceptable."""
        _require_superuser(viewer)
        checked = check_url(url, self._policy)
        types = check_event_types(event_types)
        if self._policy.public_only and address_of(checked.host) is None:
            await self._check_resolution(checked.host, checked.port)
        secret = new_secret()
        endpoint = WebhookEndpoint(
            url=checked.url,
            event_types=types,
            secret_sealed=self._box.seal(secret),
            created_at=self._clock(),
        )
        async with uow.write() as transaction:
            await webhook_repo.add_endpoint(transaction.session, endpoint=endpoint)
        return CreatedEndpoint(endpoint=endpoint, secret=secret)

    async def delete(self, uow: UnitOfWork, *, viewer: User, endpoint_id: int) -> None:
        """Delete the endpoint; its pending deliveries are given up. NOT_FOUND if none."""
        _require_superuser(viewer)
        async with uow.write() as transaction:
            deleted = await webhook_repo.delete_endpoint(
                transaction.session, endpoint_id=endpoint_id, now=self._clock()
            )
        if not deleted:
            raise EndpointNotFound

    async def endpoints(self, uow: UnitOfWork, *, viewer: User) -> list[WebhookEndpoint]:
        """Every endpoint not deleted, oldest first."""
        _require_superuser(viewer)
        async with uow.read() as session:
            return await webhook_repo.list_endpoints(session)

    async def deliveries(
        self, uow: UnitOfWork, *, endpoint_id: int, size: int, after: str | None
    ) -> DeliveryPage:
        """A page of the endpoint's deliveries, newest first (the viewer already saw it)."""
        size = check_page_size(size, maximum=MAX_PAGE_SIZE)
        before_id = decode_delivery_cursor(after)
        async with uow.read() as session:
            fetched = await webhook_repo.page_deliveries(
                session, endpoint_id=endpoint_id, size=size, before_id=before_id
            )
        return DeliveryPage(deliveries=fetched[:size], has_next_page=len(fetched) > size)

    def secret_of(self, endpoint_sealed: str) -> str:
        """An endpoint's signing secret, opened for an attempt."""
        return self._box.open(endpoint_sealed)

    async def schedule(self, session: AsyncSession, event: Event) -> None:
        """Schedule `event` for every live endpoint that takes it, in the caller's transaction."""
        await webhook_repo.schedule(session, event=event, now=self._clock())

    async def _check_resolution(self, host: str, port: int) -> None:
        try:
            await checked_addresses(host, port, policy=self._policy, resolver=self._resolver)
        except ForbiddenAddress as exc:
            raise BadUserInput(
                "The URL's host resolves to a private address.", field="url"
            ) from exc
        except UnresolvableHost as exc:
            raise BadUserInput("The URL's host does not resolve.", field="url") from exc


def _require_superuser(viewer: User) -> None:
    if not viewer.is_superuser:
        raise NotSuperuser
