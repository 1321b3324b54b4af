"""What an operation asks of a connection's nodes, read before they are built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

if TYPE_CHECKING:
    from collections.abc import Iterable

    import strawberry
    from strawberry.types.nodes import Selection

# What a node answers from its id alone.
ID_ONLY = frozenset({"id", "__typename"})


def nodes_need_more_than_ids(info: strawberry.Info) -> bool:
    """True when `edges { node { ... } }` under this field asks for anything beyond the id."""
    for field in info.selected_fields:
        for edges in _fields(field.selections, "edges"):
            for node in _fields(edges.selections, "node"):
                if any(name not in ID_ONLY for name in _names(node.selections)):
                    return True
    return False


def _fields(selections: Iterable[Selection], name: str) -> Iterable[SelectedField]:
    for selection in _flattened(selections):
        if selection.name == name:
            yield selection


def _names(selections: Iterable[Selection]) -> Iterable[str]:
    return (selection.name for selection in _flattened(selections))


def _flattened(selections: Iterable[Selection]) -> Iterable[SelectedField]:
    """The fields of a selection set, fragments spread in place."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            yield from _flattened(selection.selections)
