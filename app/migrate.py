# TEMPORARY, not committed: replaced by the migrations branch.
import asyncio

from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import app.models  # noqa


def upgrade_to_head(url: str) -> None:
    async def go():
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
        await engine.dispose()

    asyncio.run(go())
