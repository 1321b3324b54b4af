"""Schema migrations from code: Alembic's `upgrade head` for `migrate`, `serve` and the tests.

The migrations are not packaged in the wheel: `alembic.ini` and `migrations/` sit beside `app/`
in the checkout, and the Docker image keeps that layout (the project is installed editable there
too), so they are found from this file's location whatever the working directory.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"
# The PostgreSQL advisory lock that env.py holds for the whole migration transaction.
MIGRATION_LOCK_KEY = 0x7265_6665_7272_616C  # "referral" in ASCII


def alembic_config(database_url: str) -> Config:
    """The project's Alembic config aimed at `database_url`, leaving the caller's logging alone."""
    if not ALEMBIC_INI.is_file():
        raise FileNotFoundError(
            f"{ALEMBIC_INI} is missing: migrations ship with the source tree, not the wheel"
        )
    config = Config(ALEMBIC_INI, attributes={"configure_logger": False})
    # The ini parser would read `%` (as in a URL-encoded password) as interpolation.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str) -> None:
    """Apply every pending migration to `database_url`; a no-op when the schema is current.

    Alembic's env.py drives the async engine with `asyncio.run`, so call this where no event
    loop is running (the command line, before the server starts). Async code, tests included,
    calls `await asyncio.to_thread(upgrade_to_head, url)`. Alembic's context is module-global,
    so run one upgrade at a time per process; separate processes (replicas) on PostgreSQL take
    turns on an advisory lock.
    """
    command.upgrade(alembic_config(database_url), "head")
