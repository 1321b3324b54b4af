"""Profiles: what enrichment learns about a person, in one list of fields."""

from __future__ import annotations

from dataclasses import dataclass, fields

# The widths of the profile columns; longer text is cut, a longer URL is dropped.
TEXT_LIMIT = 255
URL_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class ProfileData:
    """What a provider knows about a person; the profile table and type carry these fields."""

    full_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    location: str | None = None
    company: str | None = None
    company_domain: str | None = None
    title: str | None = None
    avatar_url: str | None = None


PROFILE_FIELDS = tuple(field.name for field in fields(ProfileData))
