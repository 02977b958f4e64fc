"""Small board diagrams around a finding, so a person can judge it at a glance.

``local_diagram`` renders the position just before move ``i`` in a window
around the move, as plain text lines (the CLI colours them)::

       O  P  Q  R  S
    6  .  .  .  .  .
    5  .  X  .  .  .
    4  .  O [X] .  .      [X] the move as recorded
    3  .  .  .  .  .      (X) where gofix thinks it was
    2  .  .  .  .  .

``X`` black, ``O`` white, ``.`` empty; the moved stone is drawn in brackets
at the recorded point and in parentheses at the proposed one.
"""

from __future__ import annotations

from typing import Sequence

from .board import replay
from gofix.coords import Point, on_board
from gofix.record import Move

_GTP_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"


def local_diagram(size: int, moves: Sequence[Move], i: int, proposed: Point | None = None, *,
                  radius: int = 3, setup_black=(), setup_white=(), proposed_colour: str | None = None) -> list[str]:
    """Lines of a diagram of the position before ``moves[i]``, centred on it (see the module doc).

    Returns [] for a pass or a move off the board. ``proposed`` (if any) is
    marked too and the window widened to show both points; its stone has
    ``proposed_colour`` ('b'/'w': a missing move) or else the colour of ``moves[i]``.
    """
    colour, point = moves[i][0], moves[i][1]
    if point is None or not on_board(point, size):
        return []
    rep = replay(size, moves[:i], setup_black=setup_black, setup_white=setup_white, superko=False)
    board = rep.board
    pts = [point] + ([proposed] if proposed is not None and on_board(proposed, size) else [])
    r_lo = max(0, min(p[0] for p in pts) - radius)
    r_hi = min(size - 1, max(p[0] for p in pts) + radius)
    c_lo = max(0, min(p[1] for p in pts) - radius)
    c_hi = min(size - 1, max(p[1] for p in pts) + radius)
    stone = "X" if colour == "b" else "O"
    other = stone if proposed_colour is None else ("X" if proposed_colour == "b" else "O")
    lines = ["    " + "".join(f" {_GTP_LETTERS[c]} " for c in range(c_lo, c_hi + 1))]
    for r in range(r_hi, r_lo - 1, -1):
        cells = []
        for c in range(c_lo, c_hi + 1):
            here = board.get((r, c))
            mark = {"b": "X", "w": "O", None: "."}[here]
            if (r, c) == point:  # an occupied point shows the stone already there
                cells.append(f"[{stone if here is None else mark}]")
            elif len(pts) > 1 and (r, c) == pts[1]:
                cells.append(f"({other if here is None else mark})")
            else:
                cells.append(f" {mark} ")
        lines.append(f"{r + 1:>3} " + "".join(cells))
    return lines
