"""The SSRF guard: which URLs an endpoint may have, checked at creation and at every connection
(names resolved by us, the socket opened to the checked address)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from app.domain.events import user_registered
from app.domain.webhooks import UrlPolicy, check_url
from app.errors import BadUserInput
from app.integrations.webhooks import UnresolvableHost, WebhookSender
from app.models import User
from app.security import SecretBox
from app.services.webhooks import WebhookEndpoints
from app.uow import UnitOfWork

if TYPE_CHECKING:
    from app.domain.events import Event
    from tests.api import Api
    from tests.webhooks.conftest import HooksApp
    from tests.webhooks.receiver import Receiver

PRODUCTION = UrlPolicy.for_environment(production=True, allow_private=False)
PRODUCTION_PRIVATE_ALLOWED = UrlPolicy.for_environment(production=True, allow_private=True)
DEVELOPMENT = UrlPolicy.for_environment(production=False, allow_private=False)
PUBLIC_ADDRESS = "93.184.215.14"
REFUSED_HOSTS = [
    "127.0.0.1",
    "127.1.2.3",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # the cloud metadata service
    "100.64.0.1",
    "0.0.0.0",  # noqa: S104 - an address refused, not bound
    "[::1]",
    "[fd00:ec2::254]",
    "[fe80::1]",
    "[::ffff:127.0.0.1]",
    "224.0.0.1",
]


class Resolver:
    """DNS as a test wants it: names map to the addresses it sets, and can change."""

    def __init__(self, **names: list[str]) -> None:
        self.names = {name.replace("_", "."): addresses for name, addresses in names.items()}
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.names:
            raise UnresolvableHost(host)
        return self.names[host]


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_production_refuses_private_addresses(host: str) -> None:
    with pytest.raises(BadUserInput):
        check_url(f"https://{host}/in", PRODUCTION)
    assert check_url(f"https://{host}/in", PRODUCTION_PRIVATE_ALLOWED).url == f"https://{host}/in"
    assert check_url(f"http://{host}/in", DEVELOPMENT).url == f"http://{host}/in"


def test_production_takes_https_only() -> None:
    assert check_url(f"https://{PUBLIC_ADDRESS}/in", PRODUCTION).port == 443
    for policy in (PRODUCTION, PRODUCTION_PRIVATE_ALLOWED):
        with pytest.raises(BadUserInput):
            check_url(f"http://{PUBLIC_ADDRESS}/in", policy)
    assert check_url(f"http://{PUBLIC_ADDRESS}:8080/in", DEVELOPMENT).port == 8080
    with pytest.raises(BadUserInput):
        check_url("file:///etc/passwd", DEVELOPMENT)


def superuser() -> User:
    return User(id=1, email="admin@example.com", hashed_password="x", is_superuser=True)


def endpoints(resolver: Resolver) -> WebhookEndpoints:
    box = SecretBox(key="a test key of some length", purpose=b"test")
    return WebhookEndpoints(box=box, policy=PRODUCTION, resolver=resolver)


async def test_creation_resolves_a_name_and_refuses_a_private_answer(api: Api) -> None:
    resolver = Resolver(
        inside_example_com=["10.1.2.3"],
        mixed_example_com=[PUBLIC_ADDRESS, "127.0.0.1"],
    )
    service = endpoints(resolver)
    work = UnitOfWork(api.app.state.runtime.database, writes=True)
    for host in ("inside.example.com", "mixed.example.com", "nowhere.example.com"):
        with pytest.raises(BadUserInput):
            await service.create(
                work, viewer=superuser(), url=f"https://{host}/in", event_types=None
            )
    await work.close()
    assert resolver.asked == ["inside.example.com", "mixed.example.com", "nowhere.example.com"]


def event() -> Event:
    return user_registered(user_id=1, email="a@example.com", created_at=datetime.now(UTC))


async def test_a_name_that_turns_private_after_creation_is_refused_at_connect_time(
    hooks_app: HooksApp, receiver: Receiver
) -> None:
    resolver = Resolver(hooks_example_com=[PUBLIC_ADDRESS])
    service = endpoints(resolver)
    url = f"https://hooks.example.com:{receiver.port}/in"
    async with hooks_app() as api:
        work = UnitOfWork(api.app.state.runtime.database, writes=True)
        # Accepted at creation: the name resolves to a public address then.
        created = await service.create(work, viewer=superuser(), url=url, event_types=None)
        await work.close()
    # Later the same name answers with the loopback address, where the receiver listens.
    resolver.names["hooks.example.com"] = ["127.0.0.1"]
    sender = WebhookSender(policy=PRODUCTION, resolver=resolver)
    result = await sender.send(created.endpoint.url, secret=created.secret, event=event())
    await sender.close()
    assert result.status is None
    assert result.problem == "refused address"
    assert resolver.asked == ["hooks.example.com", "hooks.example.com"]
    assert receiver.calls() == []


async def test_the_connection_goes_to_the_address_that_was_checked(receiver: Receiver) -> None:
    resolver = Resolver(hooks_example_test=["127.0.0.1"])
    sender = WebhookSender(policy=DEVELOPMENT, resolver=resolver)
    url = f"http://hooks.example.test:{receiver.port}/in"
    result = await sender.send(url, secret="whsec_" + "A" * 44, event=event())
    await sender.close()
    (call,) = receiver.calls("/in")
    assert result.status == 200
    assert resolver.asked == ["hooks.example.test"]
    assert call.headers["host"] == f"hooks.example.test:{receiver.port}"
