"""Outbound webhook calls: signed in the Standard Webhooks format, sent through a connection
that goes only where the URL policy allows.

The address rule (app.domain.webhooks.is_public) is checked when an endpoint is created and
again here, on every new connection: the host name is resolved by us, every address it
resolves to is checked, and the socket is opened to a checked address (TLS still verifies the
name). A name that resolved to a public address at creation and to a private one later is
refused then. Redirects are not followed, proxies from the environment are not used, and no
more than a few KiB of an answer is read.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpcore
import httpx
from standardwebhooks import Webhook

from app.domain.webhooks import address_of, is_public

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

    from app.domain.events import Event
    from app.domain.webhooks import UrlPolicy

    Resolver = Callable[[str, int], Awaitable[list[str]]]

logger = logging.getLogger(__name__)

ATTEMPT_TIMEOUT = 10.0
MAX_ANSWER_BYTES = 4096
MAX_CONNECTIONS = 16  # as many as the delivery worker has attempts in flight
USER_AGENT = "referral-service-webhooks/1"


class ForbiddenAddress(httpcore.ConnectError):
    """The endpoint's host resolves to an address the policy refuses."""


class UnresolvableHost(httpcore.ConnectError):
    """The endpoint's host does not resolve."""


async def resolve(host: str, port: int) -> list[str]:
    """The addresses a host name resolves to (itself, when it is an address)."""
    if address_of(host) is not None:
        return [host.strip("[]")]
    loop = asyncio.get_running_loop()
    try:
        answers = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnresolvableHost(f"{host} does not resolve") from exc
    return list(dict.fromkeys(str(answer[4][0]) for answer in answers))


async def checked_addresses(
    host: str, port: int, *, policy: UrlPolicy, resolver: Resolver
) -> list[str]:
    """The addresses to connect to for `host`; ForbiddenAddress if the policy refuses any of
    them (a name that answers with one public and one private address is refused whole)."""
    addresses = await resolver(host, port)
    if not addresses:
        raise UnresolvableHost(f"{host} does not resolve")
    if policy.public_only:
        for text in addresses:
            address = address_of(text)
            if address is None or not is_public(address):
                raise ForbiddenAddress(f"{host} resolves to a refused address")
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the policy allows."""

    def __init__(self, *, policy: UrlPolicy, resolver: Resolver) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await checked_addresses(
            host, port, policy=self._policy, resolver=self._resolver
        )
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("webhooks do not go to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a GuardedBackend (httpx builds its pool with the default one)."""

    def __init__(self, *, policy: UrlPolicy, resolver: Resolver) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=MAX_CONNECTIONS,
            max_keepalive_connections=MAX_CONNECTIONS,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(policy=policy, resolver=resolver),
        )


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """How an attempt ended: `status` is None when no answer came (refused, timed out)."""

    status: int | None
    retry_after: str | None = None
    problem: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def body_of(event: Event) -> bytes:
    """The JSON body of an event's calls, the same on every attempt."""
    payload = {"type": event.type, "timestamp": event.occurred_at.isoformat(), "data": event.data}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(*, secret: str, event_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt, signed by the standardwebhooks package."""
    moment = at.astimezone(UTC).replace(microsecond=0)
    signature = Webhook(secret).sign(msg_id=event_id, timestamp=moment, data=body.decode())
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }


class WebhookSender:
    """Makes one signed attempt at a time, within ATTEMPT_TIMEOUT, through a guarded client."""

    def __init__(
        self,
        *,
        policy: UrlPolicy,
        resolver: Resolver = resolve,
        timeout: float = ATTEMPT_TIMEOUT,
    ) -> None:
        self._timeout = timeout
        self._client = httpx.AsyncClient(
            transport=GuardedTransport(policy=policy, resolver=resolver),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"user-agent": USER_AGENT},
        )

    async def send(self, url: str, *, secret: str, event: Event) -> AttemptResult:
        """POST the event to `url`; never raises, whatever the receiver does."""
        body = body_of(event)
        headers = signed_headers(secret=secret, event_id=event.id, body=body, at=datetime.now(UTC))
        headers["content-type"] = "application/json"
        started = time.monotonic()
        try:
            async with asyncio.timeout(self._timeout):
                return await self._post(url, body, headers)
        except TimeoutError:
            return AttemptResult(status=None, problem="timed out")
        except httpx.HTTPError as error:
            # httpx wraps what the network backend raised: the cause tells a refusal apart.
            if isinstance(error.__cause__, ForbiddenAddress):
                return AttemptResult(status=None, problem="refused address")
            return AttemptResult(status=None, problem=type(error).__name__)
        finally:
            logger.debug("webhook attempt took %.3f s", time.monotonic() - started)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> AttemptResult:
        request = self._client.build_request("POST", url, content=body, headers=headers)
        response = await self._client.send(request, stream=True)
        try:
            # Read a small answer whole, so that its connection is kept; drop a larger one.
            read = 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                if read > MAX_ANSWER_BYTES:
                    break
        finally:
            await response.aclose()
        return AttemptResult(
            status=response.status_code, retry_after=response.headers.get("retry-after")
        )

    async def close(self) -> None:
        await self._client.aclose()
