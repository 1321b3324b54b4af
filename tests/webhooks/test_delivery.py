"""Delivery: signed Standard Webhooks calls, at least once, retried on the schedule."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import col, select
from standardwebhooks import Webhook

from app.models import EventRecord
from tests.api import database
from tests.metrics import scrape
from tests.webhooks.conftest import (
    create_endpoint,
    deliveries_of,
    endpoint_view,
    spec_signature,
    superuser_token,
    until_settled,
)
from tests.webhooks.receiver import Reply

if TYPE_CHECKING:
    from tests.webhooks.conftest import HooksApp
    from tests.webhooks.receiver import Receiver

FAST = (0.05, 0.05, 0.05)


async def test_an_event_is_delivered_signed_in_the_standard_webhooks_format(
    hooks_app: HooksApp, receiver: Receiver
) -> None:
    async with hooks_app() as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, receiver.url(), ["user.registered"])
        user = await api.register()
        (call,) = await receiver.wait_for(1)
        (delivery,) = await until_settled(api, token, created["endpoint"]["id"], 1)
        async with database(api.app) as session:
            event = (
                await session.exec(
                    select(EventRecord).where(col(EventRecord.id) == call.headers["webhook-id"])
                )
            ).one()

    secret = created["secret"]
    # The package's verifier accepts the call, and so does the specification's HMAC.
    payload = Webhook(secret).verify(call.body, call.headers)
    assert spec_signature(secret, call.headers, call.body) in call.headers[
        "webhook-signature"
    ].split(" ")
    assert payload == {
        "type": "user.registered",
        "timestamp": event.occurred_at.isoformat(),
        "data": {
            "user": {"id": user["id"], "email": user["email"], "createdAt": user["createdAt"]}
        },
    }
    assert datetime.fromisoformat(payload["timestamp"]).utcoffset() is not None
    assert abs(int(call.headers["webhook-timestamp"]) - time.time()) < 30
    assert call.headers["content-type"] == "application/json"
    assert delivery["eventId"] == call.headers["webhook-id"] == event.id
    assert delivery["eventType"] == "user.registered"
    assert delivery["status"] == "SUCCEEDED"
    assert delivery["attempts"] == 1
    assert delivery["lastResponseStatus"] == 200
    assert delivery["lastAttemptAt"] is not None
    assert delivery["nextAttemptAt"] is None


async def test_a_tampered_call_does_not_verify(hooks_app: HooksApp, receiver: Receiver) -> None:
    async with hooks_app() as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, receiver.url())
        await api.register()
        (call, *_) = await receiver.wait_for(1)
    tampered = call.body.replace(b"user.registered", b"user.deleted")
    assert (
        spec_signature(created["secret"], call.headers, tampered)
        not in call.headers["webhook-signature"]
    )


async def test_a_slow_receiver_never_delays_the_request(
    hooks_app: HooksApp, receiver: Receiver
) -> None:
    receiver.script("/slow", Reply(delay=2.0))
    async with hooks_app() as api:
        token = await superuser_token(api)
        await create_endpoint(api, token, receiver.url("/slow"), ["user.registered"])
        started = time.monotonic()
        await api.register()
        took = time.monotonic() - started
        await receiver.wait_for(1, "/slow")
    assert took < 1.5  # registration hashes a password (~0.3 s), but never waits for the call


async def test_failed_attempts_are_retried_with_the_same_webhook_id(
    hooks_app: HooksApp, receiver: Receiver
) -> None:
    receiver.script("/flaky", Reply(500), Reply(502), Reply(200))
    async with hooks_app(webhook_retry_schedule=FAST) as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, receiver.url("/flaky"), ["user.registered"])
        before = await scrape(api.http)
        await api.register()
        calls = await receiver.wait_for(3, "/flaky")
        (delivery,) = await until_settled(api, token, created["endpoint"]["id"], 1)
        counted = (await scrape(api.http)).minus(before)
    assert counted.value("referrals_webhook_deliveries_total", outcome="retrying") == 2
    assert counted.value("referrals_webhook_deliveries_total", outcome="delivered") == 1
    assert counted.value("referrals_webhook_delivery_lag_seconds_count") == 3
    assert len({call.headers["webhook-id"] for call in calls}) == 1
    for call in calls:
        Webhook(created["secret"]).verify(call.body, call.headers)
    assert delivery["status"] == "SUCCEEDED"
    assert delivery["attempts"] == 3
    assert delivery["lastResponseStatus"] == 200


async def test_a_delivery_fails_after_the_schedule(hooks_app: HooksApp, receiver: Receiver) -> None:
    receiver.script("/down", Reply(500))
    async with hooks_app(webhook_retry_schedule=(0.05, 0.05)) as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, receiver.url("/down"), ["user.registered"])
        await api.register()
        (delivery,) = await until_settled(api, token, created["endpoint"]["id"], 1)
        calls = receiver.calls("/down")
        view = await endpoint_view(api, token, created["endpoint"]["id"])
    assert len(calls) == 3  # the first attempt and two retries
    assert delivery["status"] == "FAILED"
    assert delivery["attempts"] == 3
    assert delivery["lastResponseStatus"] == 500
    assert delivery["nextAttemptAt"] is None
    assert view["disabledAt"] is None  # one failed delivery does not disable an endpoint


async def test_retry_after_is_honoured_within_the_schedule(
    hooks_app: HooksApp, receiver: Receiver
) -> None:
    receiver.script(
        "/busy",
        Reply(503, {"retry-after": "1"}),
        Reply(429, {"retry-after": "3600"}),
        Reply(200),
    )
    async with hooks_app(webhook_retry_schedule=(0.05, 2.0)) as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, receiver.url("/busy"), ["user.registered"])
        await api.register()
        first, second, third = await receiver.wait_for(3, "/busy", within=15)
        (delivery,) = await until_settled(api, token, created["endpoint"]["id"], 1)
    # 1 s asked for instead of the schedule's 0.05; 3600 asked for, the schedule's longest (2).
    assert 0.9 <= second.at - first.at < 1.9
    assert 1.9 <= third.at - second.at < 3.5
    assert delivery["status"] == "SUCCEEDED"


async def test_an_attempt_that_takes_too_long_is_retried(
    hooks_app: HooksApp, receiver: Receiver
) -> None:
    receiver.script("/stuck", Reply(delay=3.0), Reply(200))
    async with hooks_app(webhook_retry_schedule=FAST, webhook_timeout=0.5) as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, receiver.url("/stuck"), ["user.registered"])
        await api.register()
        await receiver.wait_for(2, "/stuck")
        (delivery,) = await until_settled(api, token, created["endpoint"]["id"], 1)
    assert delivery["status"] == "SUCCEEDED"
    assert delivery["attempts"] == 2


async def test_redirects_are_not_followed(hooks_app: HooksApp, receiver: Receiver) -> None:
    receiver.script("/moved", Reply(302, {"location": receiver.url("/elsewhere")}))
    async with hooks_app(webhook_retry_schedule=(0.05,)) as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, receiver.url("/moved"), ["user.registered"])
        await api.register()
        (delivery,) = await until_settled(api, token, created["endpoint"]["id"], 1)
    assert receiver.calls("/elsewhere") == []
    assert delivery["status"] == "FAILED"
    assert delivery["lastResponseStatus"] == 302


async def test_an_endless_answer_is_not_read(hooks_app: HooksApp, receiver: Receiver) -> None:
    receiver.script("/endless", Reply(200, endless=True))
    async with hooks_app(webhook_timeout=5.0) as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, receiver.url("/endless"), ["user.registered"])
        started = time.monotonic()
        await api.register()
        (delivery,) = await until_settled(api, token, created["endpoint"]["id"], 1)
    assert delivery["status"] == "SUCCEEDED"
    assert time.monotonic() - started < 4  # long before the attempt's timeout


async def test_an_endpoint_receives_only_the_types_it_takes(
    hooks_app: HooksApp, receiver: Receiver
) -> None:
    async with hooks_app() as api:
        token = await superuser_token(api)
        codes = await create_endpoint(api, token, receiver.url("/codes"), ["code.created"])
        everything = await create_endpoint(api, token, receiver.url("/all"))
        _owner, owner_token = await api.signed_up()
        code = (await api.create_code(owner_token))["code"]
        await api.register(code=code)
        await until_settled(api, token, everything["endpoint"]["id"], 4)
        code_calls = await receiver.wait_for(1, "/codes")
        all_calls = await receiver.wait_for(4, "/all")
    assert [json.loads(call.body)["type"] for call in code_calls] == ["code.created"]
    assert json.loads(code_calls[0].body)["data"]["code"] == code
    assert sorted(json.loads(call.body)["type"] for call in all_calls) == [
        "code.created",
        "referral.joined",
        "user.registered",
        "user.registered",
    ]
    assert codes["endpoint"]["eventTypes"] == ["code.created"]


async def test_an_endpoint_that_keeps_failing_is_disabled_and_then_receives_nothing(
    hooks_app: HooksApp, receiver: Receiver
) -> None:
    receiver.script("/broken", Reply(500))
    async with hooks_app(webhook_retry_schedule=(0.05,), webhook_disable_after=2) as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, receiver.url("/broken"), ["user.registered"])
        endpoint_id = created["endpoint"]["id"]
        await api.register()
        await until_settled(api, token, endpoint_id, 1)
        assert (await endpoint_view(api, token, endpoint_id))["disabledAt"] is None
        await api.register()
        await until_settled(api, token, endpoint_id, 2)
        view = await endpoint_view(api, token, endpoint_id)
        receiver.script("/broken", Reply(200))
        calls_before = len(receiver.calls("/broken"))
        await api.register()
        await api.register()
        time.sleep(0.3)  # noqa: ASYNC251 - time for a (wrong) delivery to start
        deliveries = await deliveries_of(api, token, endpoint_id)
    assert view["disabledAt"] is not None
    assert len(receiver.calls("/broken")) == calls_before == 4
    assert [node["status"] for node in deliveries] == ["FAILED", "FAILED"]


async def test_a_deleted_endpoint_receives_nothing(hooks_app: HooksApp, receiver: Receiver) -> None:
    async with hooks_app() as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, receiver.url("/gone"))
        await api.gql(
            "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }",
            {"id": created["endpoint"]["id"]},
            token=token,
        )
        await api.register()
        await receiver.wait_for(0)
        time.sleep(0.3)  # noqa: ASYNC251
    assert receiver.calls("/gone") == []


async def test_pending_deliveries_are_made_after_a_restart(
    hooks_app: HooksApp, receiver: Receiver
) -> None:
    receiver.stop()
    async with hooks_app(webhook_retry_schedule=(1.0,)) as api:
        token = await superuser_token(api)
        created = await create_endpoint(api, token, receiver.url("/later"), ["user.registered"])
        endpoint_id = created["endpoint"]["id"]
        for _ in range(3):
            await api.register()
        deadline = time.monotonic() + 10
        while any(node["attempts"] == 0 for node in await deliveries_of(api, token, endpoint_id)):
            assert time.monotonic() < deadline
    # Stopped with three deliveries pending (refused once each); a new run makes them.
    receiver.start()
    async with hooks_app(webhook_retry_schedule=(1.0,)) as api:
        deliveries = await until_settled(api, token, endpoint_id, 3)
    assert [node["status"] for node in deliveries] == ["SUCCEEDED"] * 3
    assert [node["attempts"] for node in deliveries] == [2] * 3
    assert len({call.headers["webhook-id"] for call in receiver.calls("/later")}) == 3
