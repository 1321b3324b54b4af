"""Hypothesis strategies for what a client may send: odd strings and deeply nested JSON.

Hypothesis' own text never holds lone surrogates (UTF-8 cannot encode them) and seldom NUL, and
its recursive values stay shallow, so the inputs that broke the service (a lone surrogate echoed
back, JSON nested 20,000 deep) are drawn here on purpose.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Halves of UTF-16 pairs alone, NUL, a non-character, the last code point, a replacement char.
ODD_CHARACTERS = ("\ud800", "\udbff", "\udc00", "\udfff", "\x00", "\ufffe", "\U0010ffff", "\ufffd")

odd_text = st.lists(st.one_of(st.characters(), st.sampled_from(ODD_CHARACTERS)), max_size=40).map(
    "".join
)
"""Text that often holds lone surrogates and NUL among ordinary characters."""


def json_values(strings: st.SearchStrategy[str] = odd_text) -> st.SearchStrategy[Any]:
    """JSON-shaped values (a few levels deep) whose strings are drawn from `strings`."""
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | strings
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(strings, children, max_size=4)
        ),
        max_leaves=12,
    )


def as_json(value: Any) -> str:
    """JSON text, with lone surrogates written as `\\ud800` escapes, as a client's encoder may."""
    return json.dumps(value, ensure_ascii=True)


@st.composite
def deep_json(draw: st.DrawFn, *, max_bytes: int = 60_000) -> str:
    """JSON text nested up to tens of thousands deep (written out: encoders stop near 1,000)."""
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('[{"":', "}]")]))
    depth = draw(st.integers(min_value=1, max_value=max_bytes // (len(opener) + len(closer))))
    leaf = as_json(draw(st.none() | odd_text))
    return opener * depth + leaf + closer * depth


json_text = st.one_of(json_values().map(as_json), deep_json())
"""Any JSON text a client might send as one value: odd strings, or nesting deep or shallow."""
