"""Scalars as the contract documents them, for code generators and GraphiQL readers."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition

# Strawberry's own DateTime (ISO 8601 in and out), with what clients need to know about it.
DATE_TIME = dataclasses.replace(
    DateTimeDefinition,
    description=(
        "A moment as an ISO 8601 / RFC 3339 string, e.g. 2026-12-01T09:30:00+00:00. "
        "Always with an offset on output (UTC); input without an offset is taken as UTC."
    ),
    specified_by_url="https://scalars.graphql.org/andimarek/date-time",
)

# Strawberry's own Date, for the UTC days of statistics.
DATE = dataclasses.replace(
    DateDefinition,
    description='An ISO 8601 calendar date, e.g. "2026-12-01": a UTC day.',
    specified_by_url="https://scalars.graphql.org/andimarek/local-date",
)

SCALAR_OVERRIDES: dict[object, object] = {datetime: DATE_TIME, date: DATE}
