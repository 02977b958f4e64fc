"""What the GIB, NGF and UGF readers share: a game as read, and its turn into a ``GameRecord``.

Each reader (``gib``, ``ngf``, ``ugf``) turns one file's decoded text into a
``ForeignGame`` or raises ``FormatError`` with the reason. ``build_tree`` makes
the SGF tree every other module knows (``GM[1] FF[4] CA[UTF-8]``, ``SZ``, game
information, handicap stones as ``AB``, one ``B``/``W`` node per move with its
``C`` comment; the root comment names the file read). ``formats`` (the one
place that recognises formats) decodes the file with the charset chosen as for
SGF, calls the reader, writes that tree and reads it back, so the record is
filled exactly as for an SGF file; its ``raw`` holds the original file's bytes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from gofix.coords import MAX_SIZE, MIN_SIZE, to_sgf
from gofix.errors import GofixError
from gofix.record import Node, encode_text

__all__ = ["FormatError", "ForeignGame", "build_tree", "tygem_handicap", "result_from_text", "to_int",
           "MAX_DIGITS"]

MAX_DIGITS = 9  # a number in a game file with more digits (leading zeros aside) is Unreadable


class FormatError(GofixError, ValueError):
    """The file cannot be read in its format; ``args[0]`` is the reason (quoting the input)."""


@dataclass
class ForeignGame:
    """One game as a GIB/NGF/UGF reader found it. Points are ``(col, row from the top)``, 0-based."""

    size: int = 19
    info: dict[str, str] = field(default_factory=dict)  # SGF root property -> text (PB, RE, KM, ...)
    handicap: int = 0  # HA when >= 2
    setup: list[tuple[int, int]] = field(default_factory=list)  # handicap stones (AB)
    moves: list[tuple[str, tuple[int, int] | None]] = field(default_factory=list)  # ('B'|'W', point or None)
    comments: dict[int, str] = field(default_factory=dict)  # move number (1-based; 0: the root) -> text
    warnings: list[str] = field(default_factory=list)


def show(text: str, limit: int = 40) -> str:
    """Input text quoted for a message: control characters escaped, cut at ``limit``."""
    cut = len(text) > limit
    return repr(text[:limit])[1:-1] + ("..." if cut else "")


_INT = re.compile(r"(-?)0*([0-9]+)")


def to_int(text: str, what: str) -> int | None:
    """``text`` as an int when it is a plain decimal number (ASCII digits, optional ``-``), else None.

    Raises FormatError quoting ``text`` (``what`` names the field) when it has
    more than MAX_DIGITS digits: no board, handicap, move count or komi needs
    them, and Python refuses to convert strings over 4,300 digits at all.
    ``'²'`` and other Unicode digits are not numbers here.
    """
    m = _INT.fullmatch(text.strip())
    if m is None:
        return None
    digits = m.group(2)
    if len(digits) > MAX_DIGITS:
        raise FormatError(f"{what} '{show(text.strip())}' is too large ({len(digits)} digits, "
                          f"at most {MAX_DIGITS})")
    return int(m.group(1) + digits)


def tygem_handicap(size: int, count: int) -> list[tuple[int, int]]:
    """Where Tygem and WBaduk put ``count`` handicap stones, ``(col, row from the top)``.

    Their order differs from the Japanese one: three stones take the upper-left
    star point, not the lower-right. Empty when the board or count has no
    fixed placement (count < 2, or > 9, or a board under 7x7).
    """
    if size < 7 or not 2 <= count <= 9:
        return []
    near = 3 if size >= 13 else 2
    far = size - 1 - near
    mid = (size - 1) // 2
    points = [(near, far), (far, near), (near, near), (far, far)]
    if size % 2 and size != 7:
        if count == 5:
            points.append((mid, mid))
        points += [(near, mid), (far, mid)]
        if count == 7:
            points.append((mid, mid))
        points += [(mid, near), (mid, far), (mid, mid)]
    return points[:count]


_WINNERS = (("B", ("black", "黒", "黑", "흑")), ("W", ("white", "白", "백")))
_RESIGN = ("resign", "中押", "中盘", "中盤", "불계")
_TIME = ("time", "時間", "时间", "시간")
_WIN = ("win", "won", "勝", "胜", "승")
_LOSE = ("lose", "lost", "負", "负", "패")
_SCORE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:目|집|子)?\s*(半)?")


def result_from_text(text: str) -> str | None:
    """An SGF result (``B+R``, ``W+T``, ``B+2.5``, ``W+``) from a free-text result, or None.

    Reads English, Japanese, Chinese and Korean wordings: one colour, a word
    for winning or losing, and resignation, time or a score before any ``>>``:
    the first number after "by" (``Black wins 1st game by 2.5`` is B+2.5), else
    after the colour. None when the text does not name exactly one colour and
    one outcome.
    """
    text = text.split(">>")[0].strip().lower()
    colours = [c for c, words in _WINNERS if any(w in text for w in words)]
    won, lost = any(w in text for w in _WIN), any(w in text for w in _LOSE)
    if len(colours) != 1 or won == lost:
        return None
    winner = colours[0] if won else ("W" if colours[0] == "B" else "B")
    if any(w in text for w in _RESIGN):
        return f"{winner}+R"
    if any(w in text for w in _TIME):
        return f"{winner}+T"
    by = re.search(r"\bby\b", text)
    start = by.end() if by else min(text.find(w) for c, words in _WINNERS for w in words if w in text)
    m = _SCORE.search(text, start)  # after the colour: '232手完、黒2目半勝ち' is B+2.5
    if m is None:
        return f"{winner}+"
    score = float(m.group(1)) + (0.5 if m.group(2) else 0)
    return f"{winner}+{score:g}"


def check_size(size: int, shown: str) -> int:
    """``size`` if gofix supports it, else FormatError quoting ``shown``."""
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise FormatError(f"board size '{show(shown)}' is not supported ({MIN_SIZE}..{MAX_SIZE})")
    return size


def on_board(point: tuple[int, int], size: int) -> bool:
    return 0 <= point[0] < size and 0 <= point[1] < size


def _sgf_value(point: tuple[int, int] | None, size: int) -> bytes:
    if point is None:
        return b""
    col, top = point
    return to_sgf((size - 1 - top, col), size).encode("ascii")


_ROOT_ORDER = ("GN", "EV", "PC", "DT", "PB", "BR", "PW", "WR", "RU", "KM", "RE", "CP", "GC")


def build_tree(game: ForeignGame, fmt: str, source: str) -> Node:
    """The SGF tree of ``game``; the root comment ends with the name of the file read."""
    size = game.size
    props: dict[str, list[bytes]] = {"GM": [b"1"], "FF": [b"4"], "CA": [b"UTF-8"], "SZ": [str(size).encode()]}
    for key in _ROOT_ORDER:
        value = game.info.get(key)
        if value:
            props[key] = [encode_text(value)]
    if game.handicap >= 2:
        props["HA"] = [str(game.handicap).encode()]
    if game.setup:
        props["AB"] = [_sgf_value(p, size) for p in game.setup]
    name = os.path.basename(source.split("!")[-1].replace("\\", "/")) or source
    note = f"gofix: read from the {fmt} file {name}"
    root_comment = game.comments.get(0)
    props["C"] = [encode_text(f"{root_comment}\n\n{note}" if root_comment else note)]
    root = tail = Node(props)
    for number, (colour, point) in enumerate(game.moves, start=1):
        node = Node({colour: [_sgf_value(point, size)]})
        comment = game.comments.get(number)
        if comment:
            node.props["C"] = [encode_text(comment)]
        tail.children.append(node)
        tail = node
    return root
