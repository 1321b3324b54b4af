"""The application: routes, middleware and the lifespan that owns every shared client."""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from app import health, share
from app.body_limit import BodySizeLimitMiddleware
from app.cache import CacheStore, CodeCache
from app.db import Database
from app.domain.clock import utcnow
from app.domain.webhooks import UrlPolicy
from app.errors import ErrorCode
from app.graphql.error_codes import GraphQLCode
from app.graphql.live import LiveGraphQLApp
from app.graphql.schema import build_schema
from app.graphql.view import GraphQLApp
from app.integrations import build_email_verifier, build_enricher
from app.integrations.webhooks import WebhookSender
from app.metrics import Metrics
from app.metrics_endpoint import scrape
from app.observability import RequestLogMiddleware
from app.periodic import PeriodicJob
from app.pubsub import PubSub, pubsub_for
from app.rate_limits import RateLimiter
from app.rest import rest_exception_handlers, rest_routes
from app.root_page import root_page
from app.runtime import Runtime
from app.security import PasswordHasher, SecretBox, TokenCodec
from app.services import Services
from app.services.accounts import Accounts
from app.services.codes import Codes
from app.services.delivery import DeliveryRules, DeliveryWorker
from app.services.enrichment import EnrichmentQueue
from app.services.events import EventLog
from app.services.leaderboard import Leaderboard, database_namespace
from app.services.live import ReferralFeed
from app.services.referrals import Referrals
from app.services.revocations import PRUNE_INTERVAL, RevocationList
from app.services.sessions import Sessions
from app.services.stats import Statistics
from app.services.visits import Visits
from app.services.webhooks import WebhookEndpoints
from app.settings import Settings, load_settings
from app.slash_redirects import redirect_slashes_relatively

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from starlette.types import Receive, Scope, Send

    from app.domain.clock import Clock

HTTP_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
# What browsers may send: Apollo Client names itself in the last two.
CORS_REQUEST_HEADERS = [
    "authorization",
    "content-type",
    "x-request-id",
    "apollographql-client-name",
    "apollographql-client-version",
]
# Hashed once at start-up: login verifies against it when the email is unknown.
TIMING_EQUALISER = "not a password, a timing equaliser"


@asynccontextmanager
async def open_runtime(settings: Settings, *, clock: Clock = utcnow) -> AsyncIterator[Runtime]:
    """Build the shared clients and the services once, and close them all on the way out.

    `clock` is the time of the referral program (when a referral joined, what "today" and
    "the last 7 days" are, how old a leaderboard is): tests move it."""
    metrics = Metrics.for_this_process(error_codes=[*ErrorCode, *GraphQLCode])
    database = Database.from_settings(settings)
    cache = CacheStore.from_url(settings.redis_url, timeout=settings.cache_timeout)
    http = httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False)
    hasher = PasswordHasher(threads=settings.hashing_threads)
    enricher = build_enricher(settings, http)
    enrichment = (
        EnrichmentQueue(enricher=enricher, database=database) if enricher is not None else None
    )
    limiter = RateLimiter.from_settings(settings, metrics=metrics)
    revocations = RevocationList()
    pruning = PeriodicJob(
        revocations.prune, database=database, interval=PRUNE_INTERVAL, name="revocation pruning"
    )
    policy = UrlPolicy.for_environment(
        production=settings.is_production, allow_private=settings.webhook_allow_private
    )
    box = SecretBox(key=settings.signing_key, purpose=b"webhook endpoint secret")
    webhooks = WebhookEndpoints(box=box, policy=policy)
    events = EventLog(fan_out=webhooks.schedule)
    sender = WebhookSender(policy=policy, timeout=settings.webhook_timeout)
    delivery = DeliveryWorker(
        database=database,
        sender=sender,
        box=box,
        rules=DeliveryRules(
            schedule=settings.webhook_retry_schedule,
            lease=settings.webhook_lease,
            disable_after=settings.webhook_disable_after,
        ),
        metrics=metrics,
    )
    events.subscribe(delivery.notice)
    pubsub = pubsub_for(settings.redis_url, prefix=settings.redis_channel_prefix)
    visits = Visits(
        store=cache,
        database=database,
        namespace=database_namespace(settings.database_url),
        clock=clock,
    )
    try:
        await visits.start()
        if enrichment is not None:
            await enrichment.start()
        await pruning.start()
        await delivery.start()
        await pubsub.start()
        yield await _wire(
            settings,
            database=database,
            cache=cache,
            limiter=limiter,
            metrics=metrics,
            hasher=hasher,
            http=http,
            enrichment=enrichment,
            revocations=revocations,
            events=events,
            webhooks=webhooks,
            clock=clock,
            pubsub=pubsub,
            visits=visits,
        )
    finally:
        await delivery.stop()
        await sender.close()
        await visits.stop()  # the visits still buffered are written before the database goes
        await pubsub.close()
        await pruning.stop()
        if enrichment is not None:
            await enrichment.stop()
        await limiter.close()
        await http.aclose()
        await cache.close()
        hasher.close()
        await database.dispose()
        metrics.close()


async def _wire(
    settings: Settings,
    *,
    database: Database,
    cache: CacheStore,
    limiter: RateLimiter,
    metrics: Metrics,
    hasher: PasswordHasher,
    http: httpx.AsyncClient,
    enrichment: EnrichmentQueue | None,
    revocations: RevocationList,
    events: EventLog,
    webhooks: WebhookEndpoints,
    clock: Clock,
    pubsub: PubSub,
    visits: Visits,
) -> Runtime:
    """The services, each given what it uses, and the runtime that holds them."""
    code_cache = CodeCache(cache, ttl=settings.code_cache_ttl, metrics=metrics)
    tokens = TokenCodec(
        key=settings.signing_key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=settings.access_token_ttl,
    )
    feed = ReferralFeed(pubsub)
    events.subscribe(feed.on_event)  # the referrers' subscriptions hear their new referrals
    codes = Codes(cache=code_cache, events=events, max_ttl_days=settings.code_max_ttl_days)
    accounts = Accounts(
        hasher=hasher,
        codes=codes,
        events=events,
        unknown_user_hash=await hasher.hash(TIMING_EQUALISER),
        email_checker=build_email_verifier(settings, http, cache),
        enrichment=enrichment,
        clock=clock,
    )
    sessions = Sessions(
        accounts=accounts,
        tokens=tokens,
        revocations=revocations,
        refresh_ttl=settings.refresh_token_ttl,
    )
    return Runtime(
        settings=settings,
        database=database,
        cache=cache,
        codes=code_cache,
        tokens=tokens,
        limiter=limiter,
        metrics=metrics,
        services=Services(
            accounts=accounts,
            sessions=sessions,
            codes=codes,
            referrals=Referrals(),
            stats=Statistics(clock=clock),
            leaderboard=Leaderboard(
                cache=cache,
                database=database,
                namespace=database_namespace(settings.database_url),
                clock=clock,
            ),
            events=events,
            webhooks=webhooks,
            feed=feed,
            visits=visits,
        ),
    )


class GraphQLEndpoint:
    """Serves /graphql through the view that the current lifespan built for its runtime."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope["app"].state.graphql(scope, receive, send)


class LiveGraphQLEndpoint:
    """Serves WebSocket connections to /graphql (subscriptions) likewise."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope["app"].state.live_graphql(scope, receive, send)


def create_app(settings: Settings | None = None, *, clock: Clock = utcnow) -> Starlette:
    """The ASGI application for these settings (read from the environment by default), on
    this clock (see `open_runtime`)."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_runtime(settings, clock=clock) as runtime:
            app.state.runtime = runtime
            app.state.graphql = GraphQLApp(schema, runtime)
            app.state.live_graphql = LiveGraphQLApp(schema, runtime)
            # What start-up built (modules, schema, mappers) lives as long as the process: out
            # of the collector's generations, a full collection pauses ~1 ms instead of ~50 ms.
            gc.freeze()
            yield

    schema = build_schema(settings)
    routes = [
        Route("/graphql", GraphQLEndpoint(), methods=["GET", "POST"]),
        WebSocketRoute("/graphql", LiveGraphQLEndpoint()),
        Route("/health/live", health.live, methods=["GET"]),
        Route("/health/ready", health.ready, methods=["GET"]),
        Route("/metrics", scrape, methods=["GET"]),
        Route("/", root_page, methods=["GET"]),
        Route(share.ROUTE, share.ShareRedirect(settings.landing_url), methods=["GET"]),
        *rest_routes(settings),
    ]
    middleware = [
        Middleware(RequestLogMiddleware),
        Middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_origin_regex=settings.cors_origin_pattern,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=["X-Request-ID"],
            allow_credentials=True,
        ),
        Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers=rest_exception_handlers(),
        lifespan=lifespan,
    )
    redirect_slashes_relatively(app.router)
    return app
