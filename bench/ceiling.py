"""The ceiling: a bare Starlette JSON endpoint served exactly as `python -m app serve` serves.

`python -m bench.ceiling --workers N` listens on HOST:PORT through `app.serving.run`, with the
service's own uvicorn options, so that both share any change to how workers accept connections.
"""

from __future__ import annotations

import argparse
import os

from starlette.applications import Starlette
from starlette.requests import Request  # noqa: TC002 - Starlette inspects nothing, but keep it runtime
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.serving import run


async def hello(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


app = Starlette(routes=[Route("/json", hello, methods=["GET"])])


def serve(target: str, *, prog: str, description: str | None) -> None:
    """Serve the ASGI app at `target` on HOST:PORT with `--workers` processes, as `serve` does."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8001"))
    run(target, host=host, port=port, workers=args.workers)


def main() -> None:
    serve("bench.ceiling:app", prog="bench.ceiling", description=__doc__)


if __name__ == "__main__":
    main()
