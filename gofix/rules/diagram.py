"""Boards as text: the one drawer (``draw``), and small diagrams around a finding.

``draw`` renders a board, or a window of it, as lines of text: ``X`` black, ``O`` white, ``.``
empty, optionally with column letters above and row numbers beside. ``ascii_board`` (the whole
board, no coordinates), ``local_diagram`` (below) and ``versions.compare.region_diagrams`` are all
drawn by it.

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
STONES = {"b": "X", "w": "O", None: "."}


def pad(text: str, width: int) -> str:
    """A cell ``width`` characters wide: ``text`` alone for 1, else one space before it, the rest after."""
    return text if width == 1 else " " + text + " " * (width - 1 - len(text))


def draw(board, window: tuple[int, int, int, int] | None = None, *, width: int = 1, coordinates: bool = False,
         gap: int = 0, cell=None) -> list[str]:
    """Lines of ``board`` (anything with ``size`` and ``get(point)``: 'b', 'w' or None), top row first.

    ``window``: (first row, last row, first column, last column) to draw, the whole board without.
    Each point is a cell ``width`` characters wide (``pad``); ``cell(point, stone)`` may draw it
    otherwise (``stone`` the letter of what stands there). ``coordinates``: GTP column letters above
    and row numbers at the left (three characters, then ``gap`` spaces).
    """
    r_lo, r_hi, c_lo, c_hi = window if window is not None else (0, board.size - 1, 0, board.size - 1)
    label = 3 + gap
    lines = [" " * label + "".join(pad(_GTP_LETTERS[c], width) for c in range(c_lo, c_hi + 1))] if coordinates else []
    for r in range(r_hi, r_lo - 1, -1):
        cells = []
        for c in range(c_lo, c_hi + 1):
            stone = STONES[board.get((r, c))]
            cells.append(cell((r, c), stone) if cell is not None else pad(stone, width))
        lines.append((f"{r + 1:>3}" + " " * gap if coordinates else "") + "".join(cells))
    return lines


def ascii_board(board) -> str:
    """The whole board, rows top to bottom, ``X`` black, ``O`` white, ``.`` empty; no trailing newline."""
    return "\n".join(draw(board))


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

    def cell(p, mark):
        here = board.get(p)
        if p == point:  # an occupied point shows the stone already there
            return f"[{stone if here is None else mark}]"
        if len(pts) > 1 and p == pts[1]:
            return f"({other if here is None else mark})"
        return f" {mark} "

    return draw(board, (r_lo, r_hi, c_lo, c_hi), width=3, coordinates=True, gap=1, cell=cell)
