"""The leaderboard: order, ties, ranks across pages, periods, privacy, bounds and its lag, on
a database of its own per test and a clock the tests move."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.api import Api
from tests.clocks import MovableClock, app_on_clock, at

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

LEADERBOARD = """
query Leaderboard($period: LeaderboardPeriod!, $first: Int!, $after: String) {
  leaderboard(period: $period, first: $first, after: $after) {
    edges { cursor rank referrals node { id email } }
    pageInfo { hasNextPage endCursor }
  }
}"""
DEFAULTS = "query TopTen { leaderboard { edges { rank node { id } } } }"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(at("2026-11-20T12:00:00"))


@pytest.fixture
async def api(backend: dict[str, Any], tmp_path: Path, clock: MovableClock) -> AsyncIterator[Api]:
    async with app_on_clock(backend, tmp_path, clock) as app, Api.connect(app) as client:
        yield client


async def referrer(api: Api) -> tuple[dict[str, Any], str, str]:
    """A user with a code: (user, token, code)."""
    user, token = await api.signed_up()
    code = await api.create_code(token)
    return user, token, code["code"]


async def board(
    api: Api,
    period: str = "ALL_TIME",
    *,
    first: int = 100,
    after: str | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    variables = {"period": period, "first": first, "after": after}
    return (await api.gql(LEADERBOARD, variables, token=token))["leaderboard"]


def places(page: dict[str, Any]) -> list[tuple[int, str, int]]:
    return [(edge["rank"], edge["node"]["id"], edge["referrals"]) for edge in page["edges"]]


async def test_most_referrals_first_ties_by_id_ranked_across_pages(
    api: Api, clock: MovableClock
) -> None:
    users = []
    for count in (1, 3, 2, 3, 1):
        user, _, code = await referrer(api)
        for _ in range(count):
            await api.register(code=code)
        users.append(user["id"])
    one, three_first, two, three_second, one_again = users

    seen: list[tuple[int, str, int]] = []
    after = None
    for expected_next in (True, True, False):
        page = await board(api, first=2, after=after)
        assert page["pageInfo"]["hasNextPage"] is expected_next
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        seen += places(page)
        after = page["pageInfo"]["endCursor"]

    assert seen == [
        (1, three_first, 3),
        (2, three_second, 3),
        (3, two, 2),
        (4, one, 1),
        (5, one_again, 1),
    ]


async def test_users_without_referrals_in_the_period_are_not_listed(
    api: Api, clock: MovableClock
) -> None:
    old, _, old_code = await referrer(api)
    recent, _, recent_code = await referrer(api)
    await api.signed_up()  # no referral ever
    clock.set(at("2026-10-01T08:00:00"))
    await api.register(code=old_code)
    await api.register(code=old_code)
    clock.set(at("2026-11-13T12:00:01"))  # 7 x 24 hours before the board's moment, and a second
    await api.register(code=recent_code)
    clock.set(at("2026-11-20T12:00:00"))

    assert places(await board(api, "ALL_TIME")) == [(1, old["id"], 2), (2, recent["id"], 1)]
    assert places(await board(api, "LAST_30_DAYS")) == [(1, recent["id"], 1)]
    assert places(await board(api, "LAST_7_DAYS")) == [(1, recent["id"], 1)]
    clock.advance(seconds=61)  # the recent referral has left the last 7 days
    assert places(await board(api, "LAST_7_DAYS")) == []
    assert places(await board(api, "LAST_30_DAYS")) == [(1, recent["id"], 1)]


async def test_periods_rank_by_referrals_in_the_period_not_in_all(
    api: Api, clock: MovableClock
) -> None:
    veteran, _, veteran_code = await referrer(api)
    newcomer, _, newcomer_code = await referrer(api)
    clock.set(at("2026-09-01T00:00:00"))
    for _ in range(3):
        await api.register(code=veteran_code)
    clock.set(at("2026-11-19T23:59:59"))
    await api.register(code=veteran_code)
    clock.set(at("2026-11-20T00:00:00"))
    await api.register(code=newcomer_code)
    await api.register(code=newcomer_code)
    clock.set(at("2026-11-20T12:00:00"))

    assert places(await board(api, "ALL_TIME")) == [(1, veteran["id"], 4), (2, newcomer["id"], 2)]
    expected = [(1, newcomer["id"], 2), (2, veteran["id"], 1)]
    assert places(await board(api, "LAST_7_DAYS")) == expected
    assert places(await board(api, "LAST_30_DAYS")) == expected


async def test_emails_are_masked_but_for_the_viewer_themself(api: Api) -> None:
    owner, token, code = await referrer(api)
    await api.register(code=code)
    local, domain = owner["email"].split("@")

    anonymous = (await board(api))["edges"][0]["node"]["email"]
    themself = (await board(api, token=token))["edges"][0]["node"]["email"]

    assert anonymous != owner["email"]
    assert anonymous.startswith(local[0])
    assert anonymous.endswith(f"@{domain}")
    assert "***" in anonymous
    assert themself == owner["email"]


async def test_new_referrals_show_within_60_seconds(api: Api, clock: MovableClock) -> None:
    first, _, first_code = await referrer(api)
    second, _, second_code = await referrer(api)
    await api.register(code=first_code)
    assert places(await board(api)) == [(1, first["id"], 1)]

    await api.register(code=second_code)
    await api.register(code=second_code)
    clock.advance(seconds=30)
    assert places(await board(api)) == [(1, first["id"], 1)]  # served as computed 30 s ago
    clock.advance(seconds=30)
    assert places(await board(api)) == [(1, second["id"], 2), (2, first["id"], 1)]


async def test_defaults_list_the_top_ten_of_all_time(api: Api) -> None:
    for _ in range(11):
        _, _, code = await referrer(api)
        await api.register(code=code)
    edges = (await api.gql(DEFAULTS))["leaderboard"]["edges"]
    assert [edge["rank"] for edge in edges] == list(range(1, 11))


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_first_out_of_range_is_bad_user_input(api: Api, first: int) -> None:
    variables = {"period": "ALL_TIME", "first": first, "after": None}
    assert await api.error_code(LEADERBOARD, variables) == "BAD_USER_INPUT"


async def test_first_may_be_100(api: Api) -> None:
    assert (await board(api, first=100))["edges"] == []


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "",
        b64("referral:5"),
        b64("leaderboard:5"),
        b64("leaderboard:-1:5"),
        b64("leaderboard:5:0"),
        b64("leaderboard:5:99999999999"),
        b64("leaderboard:٣:5"),
    ],
)
async def test_a_cursor_we_did_not_issue_is_bad_user_input(api: Api, cursor: str) -> None:
    variables = {"period": "LAST_7_DAYS", "first": 5, "after": cursor}
    assert await api.error_code(LEADERBOARD, variables) == "BAD_USER_INPUT"


async def test_a_cursor_still_points_after_its_place_once_the_ranking_is_recomputed(
    api: Api, clock: MovableClock
) -> None:
    codes = {}
    for name, count in (("leader", 3), ("second", 2), ("riser", 1)):
        user, _, code = await referrer(api)
        codes[name] = (user["id"], code)
        for _ in range(count):
            await api.register(code=code)
    first_page = await board(api, first=1)
    assert places(first_page) == [(1, codes["leader"][0], 3)]

    await api.register(code=codes["riser"][1])
    await api.register(code=codes["riser"][1])
    clock.advance(seconds=61)
    rest = await board(api, first=10, after=first_page["pageInfo"]["endCursor"])

    assert places(rest) == [(2, codes["riser"][0], 3), (3, codes["second"][0], 2)]
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": rest["edges"][-1]["cursor"]}


def readme_operations() -> list[str]:
    """The GraphQL blocks of the README's statistics and leaderboard section."""
    readme = Path(__file__).resolve().parents[2] / "README.md"
    section = readme.read_text().split("## Statistics and the leaderboard", 1)[1]
    section = section.split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```graphql\n")[1:]]


async def test_the_readme_examples_run_as_they_are(api: Api, clock: MovableClock) -> None:
    stats_query, leaderboard_query = readme_operations()
    owner, token, code = await referrer(api)
    await api.register(code=code)

    mine = (await api.gql(stats_query, token=token))["me"]["referralStats"]
    top = (await api.gql(leaderboard_query, {"after": None}))["leaderboard"]

    assert (mine["totalReferrals"], mine["referralsLast7Days"], len(mine["daily"])) == (1, 1, 14)
    assert [(edge["rank"], edge["node"]["id"]) for edge in top["edges"]] == [(1, owner["id"])]
