"""The ceiling: a bare Starlette JSON endpoint served exactly as `python -m app serve` serves.

`python -m bench.ceiling --workers N` listens on HOST:PORT with the service's own uvicorn
options, through `app.serving.run` when the service has it (so that both share any change to
how workers accept connections), else through the same `uvicorn.run` call as `app serve`.
"""

from __future__ import annotations

import argparse
import os

from starlette.applications import Starlette
from starlette.requests import Request  # noqa: TC002 - Starlette inspects nothing, but keep it runtime
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


app = Starlette(routes=[Route("/json", hello, methods=["GET"])])


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.ceiling", description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8001"))
    try:
        from app.serving import run  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        import uvicorn

        # The same options as app.__main__.serve.
        uvicorn.run(
            "bench.ceiling:app",
            host=host,
            port=port,
            workers=args.workers,
            proxy_headers=True,
            server_header=False,
            timeout_graceful_shutdown=20,
            log_config=None,
        )
    else:
        run("bench.ceiling:app", host=host, port=port, workers=args.workers)


if __name__ == "__main__":
    main()
