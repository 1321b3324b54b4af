"""Command line: `python -m app serve | migrate | export-schema`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"


def _settings():  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from app.settings import load_settings

    try:
        return load_settings()
    except ValidationError as error:
        for problem in error.errors():
            where = ".".join(str(part) for part in problem["loc"]).upper() or "settings"
            print(f"configuration error: {where}: {problem['msg']}", file=sys.stderr)
        raise SystemExit(2) from None


def migrate() -> None:
    """Apply pending migrations to DATABASE_URL."""
    from app.migrate import upgrade_to_head

    upgrade_to_head(_settings().database_url)


def serve(workers: int) -> None:
    """Migrate, then serve on HOST:PORT."""
    from app.serving import run

    settings = _settings()
    settings.signing_key  # noqa: B018 - a development key is made once here, not by each worker
    migrate()
    os.environ["WEB_CONCURRENCY"] = str(workers)  # the workers share the cores (app.security)
    run("app.asgi:app", host=settings.host, port=settings.port, workers=workers)


def export_schema(directory: Path = SCHEMA_DIR) -> None:
    """Write schema.graphql and openapi.json as the code serves them."""
    from app.contracts import graphql_sdl, openapi_json

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "schema.graphql").write_text(graphql_sdl())
    (directory / "openapi.json").write_text(openapi_json())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="referrals", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="apply migrations, then serve")
    serve_parser.add_argument("--workers", type=int, default=1, help="worker processes")
    commands.add_parser("migrate", help="apply pending migrations and exit")
    commands.add_parser("export-schema", help="write schema/schema.graphql and schema/openapi.json")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.workers)
    elif args.command == "migrate":
        migrate()
    else:
        export_schema()


if __name__ == "__main__":
    main()
