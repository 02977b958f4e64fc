"""The only place that converts between coordinate systems.

Board size is always a parameter, never a global. A *point* is ``(row, col)``
with row 0 at the bottom (as in sgfmill and GTP); a pass is ``None``.

==============  ===========  =======================================================
system          example      meaning (19x19)
==============  ===========  =======================================================
point           (15, 15)     (row, col); row 0 is the bottom line, col 0 the left
flat            300          row * size + col; pass is ``size * size``
sgf             "pd"         column letter then row letter counted from the TOP;
                             "" is a pass, and "tt" too on boards up to 19x19
gtp             "Q16"        column letter (no I) then row number from the bottom;
                             "pass" for a pass
==============  ===========  =======================================================

Every ``from_*`` has a matching ``to_*`` and they round-trip (tested).
Boards from 2x2 up to 25x25 are supported (GTP letters run out at 25).
"""

from __future__ import annotations

from .errors import CoordinateError

Point = tuple[int, int]

MIN_SIZE = 2
MAX_SIZE = 25
_SGF_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_GTP_LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # no I


def check_size(size: int) -> int:
    """Return ``size`` or raise CoordinateError if it is not in 2..25."""
    if not isinstance(size, int) or not MIN_SIZE <= size <= MAX_SIZE:
        raise CoordinateError(f"board size {size!r} is not supported (2..{MAX_SIZE})")
    return size


def on_board(point: Point, size: int) -> bool:
    row, col = point
    return 0 <= row < size and 0 <= col < size


def from_sgf(s: str, size: int) -> Point | None:
    """Convert an SGF point value ('pd') to a point; '' (or 'tt' on <=19) is a pass.

    Surrounding whitespace is ignored. Raises CoordinateError for anything
    else, including points off the board.
    """
    t = s.strip()
    if t == "" or (t == "tt" and size <= 19):
        return None
    if len(t) != 2:
        raise CoordinateError(f"SGF point {s!r} is not two letters")
    col = _SGF_LETTERS.find(t[0])
    top = _SGF_LETTERS.find(t[1])
    if col < 0 or top < 0:
        raise CoordinateError(f"SGF point {s!r} has a character that is not a letter")
    row = size - 1 - top
    if not (0 <= col < size and 0 <= row < size):
        raise CoordinateError(f"SGF point {s!r} is off the {size}x{size} board")
    return row, col


def to_sgf(point: Point | None, size: int) -> str:
    """Convert a point to its SGF value; a pass becomes '' (FF[4])."""
    if point is None:
        return ""
    row, col = point
    if not on_board(point, size):
        raise CoordinateError(f"point {point!r} is off the {size}x{size} board")
    return _SGF_LETTERS[col] + _SGF_LETTERS[size - 1 - row]


def from_gtp(s: str, size: int) -> Point | None:
    """Convert a GTP vertex ('Q16', 'pass') to a point."""
    t = s.strip().upper()
    if t == "PASS":
        return None
    if len(t) < 2 or t[0] not in _GTP_LETTERS or not t[1:].isdigit():
        raise CoordinateError(f"GTP vertex {s!r} is not a letter and a number")
    col = _GTP_LETTERS.index(t[0])
    row = int(t[1:]) - 1
    if not (0 <= col < size and 0 <= row < size):
        raise CoordinateError(f"GTP vertex {s!r} is off the {size}x{size} board")
    return row, col


def to_gtp(point: Point | None, size: int) -> str:
    """Convert a point to a GTP vertex ('Q16'); a pass becomes 'pass'."""
    if point is None:
        return "pass"
    row, col = point
    if not on_board(point, size):
        raise CoordinateError(f"point {point!r} is off the {size}x{size} board")
    return f"{_GTP_LETTERS[col]}{row + 1}"


def to_flat(point: Point | None, size: int) -> int:
    """Flat index row*size+col; a pass is size*size."""
    if point is None:
        return size * size
    row, col = point
    if not on_board(point, size):
        raise CoordinateError(f"point {point!r} is off the {size}x{size} board")
    return row * size + col


def from_flat(index: int, size: int) -> Point | None:
    """Inverse of to_flat."""
    if index == size * size:
        return None
    if not 0 <= index < size * size:
        raise CoordinateError(f"flat index {index!r} is off the {size}x{size} board")
    return divmod(index, size)


# The 8 symmetries of the square, as functions of (row, col) on a size x size board.
def transform(point: Point | None, sym: int, size: int) -> Point | None:
    """Apply symmetry ``sym`` (0..7; 0 is the identity) to a point; passes stay passes."""
    if point is None:
        return None
    r, c = point
    m = size - 1
    if sym & 4:
        r, c = c, r
    if sym & 1:
        r = m - r
    if sym & 2:
        c = m - c
    return r, c
