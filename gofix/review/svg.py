"""Whole boards as small SVG, for the HTML review report.

A board is drawn in *grid units*: the viewBox is ``0 0 cols+1 rows+1`` (widened by 0.3 on every side
for the coordinates) and the point
``(row, col)`` (row 0 at the bottom, as everywhere in gofix: ``coords``) sits at::

    x = col + 1        y = rows - row

so the top-left point of a 19x19 board (A19) is at (1, 1) and the bottom-right (T1) at (19, 19).
Column letters skip I and rows count from the bottom, as GTP and ``coords.to_gtp`` write them.

Stones are zero-length path segments with round caps (``M3 15h0``: seven bytes a stone), one path
for the black stones and two for the white ones (outline, then fill), so a full 19x19 board is a few
kilobytes; the grid, star points and coordinates of a size can be drawn once per page
(``grid_defs``: a background image) and shown under every board of that size (``shared_grid=True``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from gofix.rules.board import replay
from gofix.coords import Point, on_board
from gofix.record import Move

_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # GTP column letters: no I (as coords.to_gtp)

# marks a board can carry on a point
CHANGED = "changed"  # a stone the repair moved, added, recoloured or removed
ILLEGAL = "illegal"  # the point of a move the rules reject
LAST = "last"  # the move the board is shown after
_VIEW = -.3  # the viewBox starts here (and ends as far beyond cols + 1, rows + 1): room for the coordinates


@dataclass
class Position:
    """What one board shows: stones, move numbers and marks, by point ``(row, col)``."""

    cols: int
    rows: int
    stones: dict[Point, str] = field(default_factory=dict)  # 'b' / 'w'
    numbers: dict[Point, int] = field(default_factory=dict)  # move numbers written on stones (1-based)
    marks: dict[Point, str] = field(default_factory=dict)  # CHANGED, ILLEGAL or LAST


def xy(point: Point, rows: int) -> tuple[int, int]:
    """The grid-unit coordinates of ``point`` on a board ``rows`` high (see the module doc)."""
    row, col = point
    return col + 1, rows - row


def position(size: int, moves: Sequence[Move], upto: int, *, setup_black=(), setup_white=(),
             last: int = 10) -> Position:
    """The position after ``moves[:upto]`` under the rules (``board.replay``: captures made, a move
    the rules reject placed as the replay places it), with the numbers of the last ``last`` moves
    written on their stones where those stones still stand."""
    upto = max(0, min(upto, len(moves)))
    board = replay(size, moves[:upto], setup_black=setup_black, setup_white=setup_white, superko=False).board
    black, white = board.stones()
    pos = Position(size, size, {**{p: "b" for p in black}, **{p: "w" for p in white}})
    for k in range(max(0, upto - last), upto):
        colour, point = moves[k][0], moves[k][1]
        if point is not None and on_board(point, size) and pos.stones.get(point) == colour:
            pos.numbers[point] = k + 1
    return pos


def grid_id(cols: int, rows: int) -> str:
    return f"g{cols}x{rows}"


def _hoshi(n: int) -> list[int]:
    if n < 7:
        return []
    edge = 2 if n < 13 else 3
    out = [edge, n - 1 - edge]
    if n % 2 == 1 and n >= 9:
        out.insert(1, n // 2)
    return out


def grid(cols: int, rows: int) -> str:
    """The lines, star points and coordinates of an empty ``cols`` x ``rows`` board (SVG elements)."""
    lines = "".join(f"M1 {y}h{cols - 1}" for y in range(1, rows + 1))
    lines += "".join(f"M{x} 1v{rows - 1}" for x in range(1, cols + 1))
    stars = [(r, c) for r in _hoshi(rows) for c in _hoshi(cols)] if cols == rows or min(cols, rows) >= 7 else []
    dots = "".join("M{} {}h0".format(*xy(p, rows)) for p in stars)
    labels = []
    for c in range(cols):
        x = c + 1
        labels.append(f'<text x="{x}" y=".2">{_LETTERS[c]}</text><text x="{x}" y="{rows + 1.05}">{_LETTERS[c]}</text>')
    for r in range(rows):
        y = rows - r + .15
        labels.append(f'<text x=".05" y="{y}">{r + 1}</text><text x="{cols + .95}" y="{y}">{r + 1}</text>')
    # presentation attributes, not classes: the grid is also drawn as an image of its own (grid_defs)
    return (f'<rect class="wood" x=".5" y=".5" width="{cols}" height="{rows}" fill="#e3b96a"/>'
            f'<path class="grid" d="{lines}" stroke="#000" stroke-width=".04" fill="none"/>'
            + (f'<path class="star" d="{dots}" stroke="#000" stroke-width=".22" stroke-linecap="round"/>'
               if dots else "")
            + '<g class="coord" font-size=".42" text-anchor="middle" fill="#333" font-family="sans-serif">'
            + "".join(labels) + "</g>")


def grid_defs(sizes) -> str:
    """A ``<style>`` that paints the empty board of each ``(cols, rows)`` in ``sizes`` as the background
    of the boards drawn with ``shared_grid=True`` in the same page: one image per size that the browser
    decodes once, where a ``<use>`` per board would copy the grid's elements into every board."""
    from urllib.parse import quote

    rules = []
    for c, r in sorted(set(sizes)):
        image = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{_view(c, r)}">{grid(c, r)}</svg>')
        rules.append(f'svg.{grid_id(c, r)}{{background:url("data:image/svg+xml,{quote(image, safe=" =:/.,-")}") '
                     "0 0/100% 100% no-repeat}")
    return "<style>" + "".join(rules) + "</style>"


def _view(cols: int, rows: int) -> str:
    return f"{_VIEW:g} {_VIEW:g} {cols + 1 - 2 * _VIEW:g} {rows + 1 - 2 * _VIEW:g}"


STYLE = """
svg.board{background:none;font-family:sans-serif}
svg.board .b{stroke:#111;stroke-width:.92;stroke-linecap:round;fill:none}
svg.board .wo{stroke:#111;stroke-width:.92;stroke-linecap:round;fill:none}
svg.board .w{stroke:#fafafa;stroke-width:.84;stroke-linecap:round;fill:none}
svg.board text.n{font-size:.42px;text-anchor:middle;dominant-baseline:central}
svg.board text.nb{fill:#fff}
svg.board text.nw{fill:#000}
svg.board .changed{fill:none;stroke:#d0021b;stroke-width:.12}
svg.board .illegal{stroke:#d0021b;stroke-width:.14;stroke-linecap:round}
svg.board .last{fill:none;stroke:#1769d6;stroke-width:.1}
"""


def board_svg(pos: Position, *, title: str = "", shared_grid: bool = False, width: int | None = None) -> str:
    """An ``<svg class="board">`` of ``pos`` (see the module doc for its coordinates).

    With ``shared_grid`` the grid is the background ``grid_defs`` gives its class (the page must hold
    that style); else it is drawn inline, and the style (``STYLE``) too, so the SVG stands alone.
    """
    cols, rows = pos.cols, pos.rows
    kind = f"board {grid_id(cols, rows)}" if shared_grid else "board"
    parts = [f'<svg class="{kind}" xmlns="http://www.w3.org/2000/svg" viewBox="{_view(cols, rows)}"'
             + (f' width="{width}"' if width else "") + ">"]
    if title:
        parts.append(f"<title>{_esc(title)}</title>")
    if not shared_grid:
        parts.append(f"<style>{STYLE}</style>" + grid(cols, rows))
    for colour in ("b", "w"):
        d = "".join("M{} {}h0".format(*xy(p, rows)) for p, c in sorted(pos.stones.items()) if c == colour)
        if d:
            parts.append(f'<path class="b" d="{d}"/>' if colour == "b" else
                         f'<path class="wo" d="{d}"/><path class="w" d="{d}"/>')
    for p, n in sorted(pos.numbers.items()):
        x, y = xy(p, rows)
        parts.append(f'<text class="n n{pos.stones.get(p, "w")}" x="{x}" y="{y}">{n}</text>')
    for p, mark in sorted(pos.marks.items()):
        x, y = xy(p, rows)
        if mark == ILLEGAL:
            parts.append(f'<path class="illegal" d="M{x - .35} {y - .35}l.7 .7m0 -.7l-.7 .7"/>')
        else:
            parts.append(f'<rect class="{mark}" x="{x - .5}" y="{y - .5}" width="1" height="1"/>')
    parts.append("</svg>")
    return "".join(parts)


def stone_points(svg: str) -> dict[str, list[tuple[float, float]]]:
    """The grid coordinates of the black and white stones drawn in an SVG of ``board_svg`` (for tests
    and tools that read a report back)."""
    import re

    out: dict[str, list[tuple[float, float]]] = {"b": [], "w": []}
    for cls, d in re.findall(r'<path class="(b|w)" d="([^"]*)"', svg):
        out[cls] = [(float(x), float(y)) for x, y in re.findall(r"M([-\d.]+) ([-\d.]+)h0", d)]
    return out


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")

