"""New game trees from a record and a new main line of moves.

``with_main_line`` is what ``gofix corrupt`` writes: the root's metadata kept,
the main line replaced by the given moves, one move per node. Variations and
per-move properties (comments, time left) belong to the old main line and are
not carried over.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from .coords import to_sgf
from .record import GameRecord, Move, Node

# Properties that belong to a move (and so to the old main line), not to the game.
MOVE_PROPS = frozenset({"B", "W", "KO", "MN", "BL", "WL", "OB", "OW", "BM", "DO", "IT", "TE"})


def move_value(move: Move, size: int) -> bytes:
    """The SGF value of a move: its original text when it still names the point, else to_sgf."""
    if move.point is None:
        return b""
    try:
        return to_sgf(move.point, size).encode("ascii")
    except ValueError:  # off the board: keep what was written
        return move.sgf.encode("ascii", errors="replace")


def move_node(move: Move, size: int) -> Node:
    return Node({move.colour.upper(): [move_value(move, size)]}, [])


def with_main_line(record: GameRecord, moves: Sequence[Move]) -> GameRecord:
    """A copy of ``record`` whose tree is its root metadata plus ``moves`` as a plain line."""
    root = Node({k: list(v) for k, v in record.root.props.items() if k not in MOVE_PROPS}, [])
    tail = root
    for m in moves:
        node = move_node(m, record.size)
        tail.children.append(node)
        tail = node
    return replace(record, root=root, moves=list(moves), raw=None, warnings=list(record.warnings))
