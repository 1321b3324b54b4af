"""User.referralStats: totals, exact rolling windows and UTC-day series, on a clock the tests
move; visible to the user themself and superusers only."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from sqlmodel import col, select, update

from app.models import CodeVisitDaily, ReferralCode, User
from tests.api import DELETE_CODE, Api, database
from tests.clocks import MovableClock, app_on_clock, at

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

STATS = """
query MyStats($days: Int!) {
  me {
    referralStats {
      totalReferrals referralsLast7Days referralsLast30Days visitsLast30Days
      daily(days: $days) { date referrals visits }
    }
  }
}"""
WINDOWS = """
query MyWindows {
  me { referralStats { totalReferrals referralsLast7Days referralsLast30Days } }
}"""
DEFAULT_DAILY = "query MyDaily { me { referralStats { daily { date } } } }"
THEIR_STATS = """
query TheirStats($id: ID!) {
  referralsById(id: $id, first: 10) {
    edges { node { id referrer { id referralStats { totalReferrals } } } }
  }
}"""


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(at("2026-11-20T23:59:59"))


@pytest.fixture
async def api(backend: dict[str, Any], tmp_path: Path, clock: MovableClock) -> AsyncIterator[Api]:
    async with app_on_clock(backend, tmp_path, clock) as app, Api.connect(app) as client:
        yield client


async def referrer(api: Api) -> tuple[dict[str, Any], str, str]:
    """A user with a code: (user, token, code)."""
    user, token = await api.signed_up()
    code = await api.create_code(token)
    return user, token, code["code"]


async def stats(api: Api, token: str, days: int = 30) -> dict[str, Any]:
    return (await api.gql(STATS, {"days": days}, token=token))["me"]["referralStats"]


async def test_a_referral_counts_on_the_utc_day_it_joined(api: Api, clock: MovableClock) -> None:
    _, token, code = await referrer(api)
    clock.set(at("2026-11-20T23:59:59.999"))
    await api.register(code=code)
    clock.set(at("2026-11-21T00:00:00"))
    await api.register(code=code)
    await api.register(code=code)
    clock.set(at("2026-11-21T12:00:00"))

    found = await stats(api, token, days=3)

    assert found["daily"] == [
        {"date": "2026-11-19", "referrals": 0, "visits": 0},
        {"date": "2026-11-20", "referrals": 1, "visits": 0},
        {"date": "2026-11-21", "referrals": 2, "visits": 0},
    ]
    assert found["totalReferrals"] == 3
    assert (found["referralsLast7Days"], found["referralsLast30Days"]) == (3, 3)


async def test_the_series_ends_today_even_on_a_later_day_without_referrals(
    api: Api, clock: MovableClock
) -> None:
    _, token, code = await referrer(api)
    clock.set(at("2026-11-20T10:00:00"))
    await api.register(code=code)
    clock.set(at("2026-11-23T00:00:01"))

    daily = (await stats(api, token, days=5))["daily"]

    assert [(day["date"], day["referrals"]) for day in daily] == [
        ("2026-11-19", 0),
        ("2026-11-20", 1),
        ("2026-11-21", 0),
        ("2026-11-22", 0),
        ("2026-11-23", 0),
    ]


async def test_rolling_windows_are_exact_to_the_moment_inside_their_first_day(
    api: Api, clock: MovableClock
) -> None:
    _, token, code = await referrer(api)
    for joined in ("2026-11-10T12:00:00", "2026-11-10T18:00:00", "2026-11-11T06:00:00"):
        clock.set(at(joined))
        await api.register(code=code)

    async def last_7_days_at(moment: str) -> tuple[int, int, int]:
        clock.set(at(moment))
        found = (await api.gql(WINDOWS, token=token))["me"]["referralStats"]
        return found["referralsLast7Days"], found["referralsLast30Days"], found["totalReferrals"]

    assert await last_7_days_at("2026-11-17T11:59:59") == (3, 3, 3)
    # Exactly 7 x 24 hours after the first referral: it no longer counts.
    assert await last_7_days_at("2026-11-17T12:00:00") == (2, 3, 3)
    assert await last_7_days_at("2026-11-17T18:00:01") == (1, 3, 3)
    assert await last_7_days_at("2026-11-18T05:59:59") == (1, 3, 3)
    assert await last_7_days_at("2026-11-18T06:00:00") == (0, 3, 3)
    assert await last_7_days_at("2026-12-10T12:00:01") == (0, 2, 3)
    assert await last_7_days_at("2026-12-10T18:00:00") == (0, 1, 3)
    assert await last_7_days_at("2026-12-11T06:00:00") == (0, 0, 3)


async def test_a_user_without_referrals_has_zeros_for_every_day(
    api: Api, clock: MovableClock
) -> None:
    _, token = await api.signed_up()

    found = await stats(api, token, days=30)

    assert (found["totalReferrals"], found["referralsLast7Days"]) == (0, 0)
    assert (found["referralsLast30Days"], found["visitsLast30Days"]) == (0, 0)
    assert len(found["daily"]) == 30
    assert found["daily"][-1] == {"date": "2026-11-20", "referrals": 0, "visits": 0}
    assert found["daily"][0]["date"] == "2026-10-22"
    assert all(day["referrals"] == day["visits"] == 0 for day in found["daily"])


async def test_daily_lists_30_days_by_default_and_1_to_365_on_request(api: Api) -> None:
    _, token = await api.signed_up()

    default = (await api.gql(DEFAULT_DAILY, token=token))["me"]["referralStats"]["daily"]
    one = (await stats(api, token, days=1))["daily"]
    year = (await stats(api, token, days=365))["daily"]

    assert len(default) == 30
    assert [day["date"] for day in one] == ["2026-11-20"]
    assert len(year) == 365
    assert (year[0]["date"], year[-1]["date"]) == ("2025-11-21", "2026-11-20")
    assert [day["date"] for day in year] == sorted(day["date"] for day in year)


@pytest.mark.parametrize("days", [0, -1, 366, 100_000])
async def test_daily_refuses_a_number_of_days_out_of_range(api: Api, days: int) -> None:
    _, token = await api.signed_up()
    body = await api.post_graphql(STATS, {"days": days}, token=token)
    assert [error["extensions"]["code"] for error in body["errors"]] == ["BAD_USER_INPUT"]
    assert "between 1 and 365" in body["errors"][0]["message"]


async def test_parallel_registrations_with_one_code_are_all_counted(api: Api) -> None:
    _, token, code = await referrer(api)

    await asyncio.gather(*(api.register(code=code) for _ in range(8)))

    found = await stats(api, token, days=1)
    assert found["totalReferrals"] == found["referralsLast7Days"] == 8
    assert found["daily"][0]["referrals"] == 8


async def test_only_the_user_themself_and_superusers_see_the_statistics(api: Api) -> None:
    owner, owner_token, code = await referrer(api)
    referee = await api.register(code=code)
    referee_token = (await api.login(referee["email"]))["accessToken"]
    admin, admin_token = await api.signed_up()
    async with database(api.app) as session:
        await session.exec(
            update(User).where(col(User.id) == int(admin["id"])).values(is_superuser=True)
        )
        await session.commit()

    async def seen_by(token: str | None) -> Any:
        data = await api.gql(THEIR_STATS, {"id": owner["id"]}, token=token)
        return data["referralsById"]["edges"][0]["node"]["referrer"]["referralStats"]

    assert await seen_by(None) is None
    assert await seen_by(referee_token) is None
    assert await seen_by(owner_token) == {"totalReferrals": 1}
    assert await seen_by(admin_token) == {"totalReferrals": 1}


async def add_visits(api: Api, code: str, visits: dict[str, int]) -> None:
    """Visits counted for the code on these UTC days, as the share links' flush writes them."""
    async with database(api.app) as session:
        code_id = (
            await session.exec(select(ReferralCode.id).where(col(ReferralCode.code) == code))
        ).one()
        for day, count in visits.items():
            session.add(CodeVisitDaily(code_id=code_id, day=date.fromisoformat(day), visits=count))
        await session.commit()


async def test_visits_of_every_code_of_the_user_are_summed_by_utc_day(
    api: Api, clock: MovableClock
) -> None:
    _, token, old_code = await referrer(api)
    await api.gql(DELETE_CODE, token=token)
    new_code = (await api.create_code(token))["code"]
    _, _, someone_elses = await referrer(api)
    await add_visits(api, old_code, {"2026-10-21": 100, "2026-10-22": 1, "2026-11-19": 2})
    await add_visits(api, new_code, {"2026-11-19": 3, "2026-11-20": 4})
    await add_visits(api, someone_elses, {"2026-11-20": 50})

    found = await stats(api, token, days=3)

    # The 30 UTC days ending today (2026-10-22 to 2026-11-20), as daily(days: 30) lists them.
    assert found["visitsLast30Days"] == 1 + 2 + 3 + 4
    assert [(day["date"], day["visits"]) for day in found["daily"]] == [
        ("2026-11-18", 0),
        ("2026-11-19", 5),
        ("2026-11-20", 4),
    ]
    month = await stats(api, token, days=30)
    assert sum(day["visits"] for day in month["daily"]) == month["visitsLast30Days"]


async def test_share_link_visits_count_on_the_utc_day_they_were_counted(
    api: Api, clock: MovableClock
) -> None:
    _, token, code = await referrer(api)
    assert (await api.http.get(f"/r/{code}")).status_code == 302  # 2026-11-20 23:59:59
    clock.set(at("2026-11-21T00:00:01"))
    async with Api.connect(api.app, client="127.0.0.2") as elsewhere:
        assert (await elsewhere.http.get(f"/r/{code.lower()}")).status_code == 302

    expected = [("2026-11-20", 1), ("2026-11-21", 1)]
    found: dict[str, Any] = {}
    for _ in range(50):  # visits are flushed within a second
        found = await stats(api, token, days=2)
        if [(day["date"], day["visits"]) for day in found["daily"]] == expected:
            break
        await asyncio.sleep(0.1)
    assert [(day["date"], day["visits"]) for day in found["daily"]] == expected
    assert found["visitsLast30Days"] == 2
