"""Command line: `python -m app serve | migrate | export-schema | superuser EMAIL [--revoke]`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.settings import Settings

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


def superuser(email: str, *, revoke: bool) -> None:
    """Make the existing account EMAIL a superuser (or no longer one, with `revoke`)."""
    import asyncio

    from sqlalchemy.exc import SQLAlchemyError

    from app.errors import NotFound

    try:
        asyncio.run(_set_superuser(_settings(), email=email, superuser=not revoke))
    except NotFound as error:
        print(f"error: {error.detail()}", file=sys.stderr)
        raise SystemExit(1) from None
    except SQLAlchemyError as error:
        print(
            f"error: the database cannot be used ({type(error).__name__}); is it reachable, "
            "and migrated (python -m app migrate)?",
            file=sys.stderr,
        )
        raise SystemExit(1) from None
    print(f"{email} is {'no longer ' if revoke else 'now '}a superuser")


async def _set_superuser(settings: Settings, *, email: str, superuser: bool) -> None:
    from app.db import Database
    from app.services.admin import Admin
    from app.uow import unit_of_work

    database = Database.from_settings(settings)
    try:
        async with unit_of_work(database, writes=True) as work:
            await Admin().set_superuser(work, email=email, superuser=superuser)
    finally:
        await database.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="referrals", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="apply migrations, then serve")
    serve_parser.add_argument("--workers", type=int, default=1, help="worker processes")
    commands.add_parser("migrate", help="apply pending migrations and exit")
    commands.add_parser("export-schema", help="write schema/schema.graphql and schema/openapi.json")
    superuser_parser = commands.add_parser(
        "superuser", help="make an existing account a superuser (--revoke: no longer one)"
    )
    superuser_parser.add_argument("email", help="the account's email address")
    superuser_parser.add_argument("--revoke", action="store_true", help="take the role away")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.workers)
    elif args.command == "migrate":
        migrate()
    elif args.command == "superuser":
        superuser(args.email, revoke=args.revoke)
    else:
        export_schema()


if __name__ == "__main__":
    main()
