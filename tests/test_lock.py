"""The locks are what pyproject.toml asks for: `make install` and the image install nothing else.

The checks read files only (no network, no resolver): each edit below is made on copies in a
temporary folder, and the checker must name the disagreement it makes.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tools.lock import DEV_LOCK, RUNTIME_LOCK, disagreements, read_lock

ROOT = Path(__file__).resolve().parent.parent
DIGEST_CHANGED = [
    f"{RUNTIME_LOCK} was compiled from other pyproject.toml dependency lists",
    f"{DEV_LOCK} was compiled from other pyproject.toml dependency lists",
]


@pytest.fixture
def copies(tmp_path: Path) -> Path:
    for name in ("pyproject.toml", RUNTIME_LOCK, DEV_LOCK):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def edit(path: Path, pattern: str, replacement: str) -> None:
    """Replace pattern's one match in path (a pattern that no longer matches fails the test)."""
    text, count = re.subn(pattern, replacement, path.read_text(), count=1, flags=re.MULTILINE)
    assert count == 1, f"{pattern!r} not found in {path.name}"
    path.write_text(text)


def pinned_version(name: str) -> str:
    [pin] = read_lock((ROOT / DEV_LOCK).read_text()).pins[name]
    return pin.version


def test_the_locks_agree_with_pyproject() -> None:
    found = disagreements(ROOT)

    assert not found, "run `make lock`: " + "; ".join(found)


def test_the_copies_agree_before_they_are_edited(copies: Path) -> None:
    assert disagreements(copies) == []


def test_a_dependency_added_but_not_locked_is_reported(copies: Path) -> None:
    added = 'dependencies = [\n    "unlocked-library>=1.0",'
    edit(copies / "pyproject.toml", r"^dependencies = \[$", added)

    assert disagreements(copies) == [
        DIGEST_CHANGED[0],
        f"{RUNTIME_LOCK} has no unlocked-library, which pyproject.toml asks for",
        DIGEST_CHANGED[1],
        f"{DEV_LOCK} has no unlocked-library, which pyproject.toml asks for",
    ]


def test_a_dev_extra_added_but_not_locked_is_reported_for_the_dev_lock_only(copies: Path) -> None:
    edit(copies / "pyproject.toml", r"^dev = \[$", 'dev = [\n    "unlocked-dev-tool>=1.0",')

    assert disagreements(copies) == [
        DIGEST_CHANGED[0],
        DIGEST_CHANGED[1],
        f"{DEV_LOCK} has no unlocked-dev-tool, which pyproject.toml asks for",
    ]


def test_a_lower_bound_raised_past_the_pin_is_reported(copies: Path) -> None:
    version = pinned_version("starlette")
    edit(copies / "pyproject.toml", r'"starlette[^"]*"', f'"starlette>{version}"')

    refused = f"pins starlette=={version}, which pyproject.toml's 'starlette>{version}' refuses"
    assert disagreements(copies) == [
        DIGEST_CHANGED[0],
        f"{RUNTIME_LOCK} {refused}",
        DIGEST_CHANGED[1],
        f"{DEV_LOCK} {refused}",
    ]


@pytest.mark.parametrize(
    ("pattern", "replacement"),
    [
        pytest.param(r'"pyjwt[^"]*"', '"pyjwt>=1.0"', id="a-loosened-bound"),
        pytest.param(r'"pytest-timeout[^"]*"', '"pytest-timeout"', id="a-dev-bound-dropped"),
        pytest.param(r"^requires-python = .*$", 'requires-python = ">=3.12"', id="requires-python"),
        pytest.param(r'"setuptools[^"]*"', '"setuptools>=60"', id="the-build-backend"),
    ],
)
def test_any_edit_of_the_lists_is_reported_even_when_every_pin_still_fits(
    copies: Path, pattern: str, replacement: str
) -> None:
    edit(copies / "pyproject.toml", pattern, replacement)

    assert disagreements(copies) == DIGEST_CHANGED


def test_a_runtime_pin_that_differs_from_the_dev_lock_is_reported(copies: Path) -> None:
    version = pinned_version("starlette")
    edit(copies / RUNTIME_LOCK, rf"^starlette=={re.escape(version)} ", "starlette==1.0.0 ")

    assert disagreements(copies) == [
        f"{RUNTIME_LOCK} pins starlette at ['1.0.0'] but {DEV_LOCK} at ['{version}']: "
        "the image would run what the tests did not"
    ]


def test_an_entry_without_hashes_is_reported(copies: Path) -> None:
    version = pinned_version("aiocache")
    edit(copies / DEV_LOCK, r"^(aiocache==\S+) \\\n(    --hash=\S+ \\\n)*    --hash=\S+$", r"\1")

    assert disagreements(copies) == [f"{DEV_LOCK}: aiocache=={version} has no hash"]


def test_an_entry_pinned_by_a_range_is_reported(copies: Path) -> None:
    edit(copies / DEV_LOCK, r"^aiocache==\S+ ", "aiocache>=0.12 ")

    problems = disagreements(copies)

    assert f"{DEV_LOCK}: aiocache is not pinned with == ('aiocache>=0.12')" in problems
    assert f"{DEV_LOCK} has no aiocache, which pyproject.toml asks for" in problems


def test_a_lock_without_its_digest_is_reported(copies: Path) -> None:
    edit(copies / RUNTIME_LOCK, r"^# pyproject digest: .*\n", "")

    assert disagreements(copies) == [f"{RUNTIME_LOCK} records no pyproject digest"]


def test_a_missing_lock_is_reported(copies: Path) -> None:
    (copies / RUNTIME_LOCK).unlink()

    assert disagreements(copies) == [f"{RUNTIME_LOCK} is missing"]


def test_every_entry_of_both_locks_is_pinned_and_hashed() -> None:
    for name in (RUNTIME_LOCK, DEV_LOCK):
        lock = read_lock((ROOT / name).read_text())
        assert lock.malformed == []
        assert all(pin.hashes for pins in lock.pins.values() for pin in pins)


def test_the_image_lock_carries_no_dev_tool() -> None:
    runtime = read_lock((ROOT / RUNTIME_LOCK).read_text()).pins

    assert {"pytest", "mypy", "ruff", "uv", "hypothesis", "schemathesis"}.isdisjoint(runtime)
