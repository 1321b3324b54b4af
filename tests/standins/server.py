"""Hunter and Clearbit stand-ins: a real HTTP server on a free loopback port, in a thread.

A thread keeps the stand-ins independent of the tests' event loop, so that one server serves
a whole session and a test that blocks its own loop cannot stall the providers it talks to.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from tests.standins.answers import Answer, clearbit_error, hunter_error, verification

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request

START_TIMEOUT = 5.0


@dataclass(frozen=True)
class Received:
    """One request as the stand-in saw it."""

    url: str
    email: str | None
    key: str | None
    query: dict[str, str]
    headers: dict[str, str]


class Endpoint:
    """One provider endpoint: what it answers per email, and what it received."""

    def __init__(self, *, default: Answer) -> None:
        self.default = default
        self._scripts: dict[str, deque[Answer]] = defaultdict(deque)
        self._received: list[Received] = []
        self._lock = threading.Lock()

    def script(self, email: str, *answers: Answer) -> None:
        """Answer the next requests for `email` with these, in order; the last one repeats."""
        with self._lock:
            self._scripts[email.lower()] = deque(answers)

    def received(self, email: str | None = None) -> list[Received]:
        """The requests received, all of them or those about one email."""
        with self._lock:
            return [r for r in self._received if email is None or r.email == email.lower()]

    def record(self, received: Received) -> None:
        """Remember a request, whatever it will be answered."""
        with self._lock:
            self._received.append(received)

    def next_answer(self, email: str | None) -> Answer:
        """The scripted answer for `email`, or the default when there is none."""
        with self._lock:
            answers = self._scripts.get(email or "")
            if not answers:
                return self.default
            return answers.popleft() if len(answers) > 1 else answers[0]


class HunterStandin:
    """Hunter's `/email-verifier` and `/combined/find` (key in X-API-KEY or `api_key`)."""

    def __init__(self, *, api_key: str) -> None:
        self.api_key = api_key
        self.base_url = ""
        self.verifier = Endpoint(default=verification("valid"))
        self.combined = Endpoint(default=hunter_error(404))

    def settings(self) -> dict[str, str]:
        """Settings overrides that point the service at this stand-in."""
        return {"hunter_api_key": self.api_key, "hunter_api_url": self.base_url}

    def key_of(self, request: Request) -> str | None:
        return request.headers.get("x-api-key") or request.query_params.get("api_key")

    def unauthorized(self) -> Answer:
        return hunter_error(401)

    def missing_email(self) -> Answer:
        return hunter_error(400)


class ClearbitStandin:
    """Clearbit's `/v2/combined/find` (key as a bearer token or the basic-auth user)."""

    def __init__(self, *, api_key: str) -> None:
        self.api_key = api_key
        self.base_url = ""
        self.combined = Endpoint(default=clearbit_error(404))

    def settings(self) -> dict[str, str]:
        """Settings overrides that point the service at this stand-in."""
        return {"clearbit_api_key": self.api_key, "clearbit_api_url": self.base_url}

    def key_of(self, request: Request) -> str | None:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            return credentials
        if scheme.lower() == "basic":
            return base64.b64decode(credentials).decode().partition(":")[0]
        return None

    def unauthorized(self) -> Answer:
        return clearbit_error(401)

    def missing_email(self) -> Answer:
        return clearbit_error(422)


def _handler(provider: HunterStandin | ClearbitStandin, endpoint: Endpoint) -> Callable[..., Any]:
    async def handle(request: Request) -> Response:
        email = request.query_params.get("email")
        key = provider.key_of(request)
        received = Received(
            url=str(request.url),
            email=email.lower() if email else None,
            key=key,
            query=dict(request.query_params),
            headers=dict(request.headers),
        )
        endpoint.record(received)
        answer = endpoint.next_answer(received.email)
        if key != provider.api_key:
            answer = provider.unauthorized()
        elif not received.email:
            answer = provider.missing_email()
        if answer.hang:
            # Hold the request open until the client goes away, as a stuck provider would.
            while (await request.receive())["type"] != "http.disconnect":
                pass
            return Response(status_code=499)
        await asyncio.sleep(answer.delay)
        body = answer.body_for(email or "")
        if body is None:
            return Response(status_code=answer.status, headers=dict(answer.headers))
        return JSONResponse(body, status_code=answer.status, headers=dict(answer.headers))

    return handle


class StandinServer:
    """Serves both stand-ins: Hunter under `/hunter/v2`, Clearbit under `/clearbit`."""

    def __init__(self, *, hunter_key: str, clearbit_key: str) -> None:
        self.hunter = HunterStandin(api_key=hunter_key)
        self.clearbit = ClearbitStandin(api_key=clearbit_key)
        app = Starlette(
            routes=[
                Mount(
                    "/hunter/v2",
                    routes=[
                        Route("/email-verifier", _handler(self.hunter, self.hunter.verifier)),
                        Route("/combined/find", _handler(self.hunter, self.hunter.combined)),
                    ],
                ),
                Mount(
                    "/clearbit",
                    routes=[
                        Route("/v2/combined/find", _handler(self.clearbit, self.clearbit.combined))
                    ],
                ),
            ]
        )
        config = uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Listen on a free port of 127.0.0.1 and return once the server accepts requests."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        self.hunter.base_url = f"http://127.0.0.1:{port}/hunter/v2"
        self.clearbit.base_url = f"http://127.0.0.1:{port}/clearbit"
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="standins", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the stand-in server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(START_TIMEOUT)
