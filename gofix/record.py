"""The in-memory shape of one game record, shared by every other module.

SGF bytes -> ``GameRecord`` (this module's types, filled by ``sgf_io``) -> replay
under the rules (``board``) -> tokens and features (``tokens``) -> findings.

A move is ``Move(colour, point, sgf)``: colour ``'b'`` or ``'w'``; point
``(row, col)`` (row 0 at the bottom, see ``coords``) or ``None`` for a pass;
``sgf`` the coordinate exactly as written in the file (``""`` for ``B[]``).
A move whose coordinate lies off the board (``B[ss]`` on 18x18) keeps the
out-of-range ``(row, col)`` it spells, so the rules can classify it as
``offboard`` instead of the reader dropping it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from .coords import Point


class Move(NamedTuple):
    colour: str  # 'b' or 'w'
    point: Point | None  # None is a pass; may lie off the board (see module doc)
    sgf: str = ""  # the coordinate as written in the file


def opponent(colour: str) -> str:
    return "w" if colour == "b" else "b"


@dataclass
class Node:
    """One SGF node: properties in file order, and child nodes (first = main line).

    ``props`` maps the canonical (upper-case FF[4]) identifier to its list of
    raw values: the bytes between ``[`` and ``]`` exactly as in the file,
    escapes included. Nothing is decoded or dropped here, so writing a node
    back loses nothing.
    """

    props: dict[str, list[bytes]] = field(default_factory=dict)
    children: list["Node"] = field(default_factory=list)


@dataclass
class GameRecord:
    """One game read from a file, with everything needed to write it back.

    Identity: ``source`` is the file path, or ``archive!member`` inside an
    archive; ``index`` is the game's 0-based position in that file's
    collection. ``game_id`` joins them.
    """

    source: str
    index: int
    size: int
    root: Node
    moves: list[Move] = field(default_factory=list)  # main line, root node included
    setup_black: list[Point] = field(default_factory=list)  # AB in the root (after AE)
    setup_white: list[Point] = field(default_factory=list)  # AW in the root (after AE)
    handicap: int = 0  # HA, 0 when absent
    first_player: str | None = None  # PL in the root, 'b'/'w', or None
    encoding: str = "utf-8"  # charset the text properties were decoded with
    warnings: list[str] = field(default_factory=list)  # things read with recovery
    raw: bytes | None = None  # the game's bytes as found, for byte-exact rewriting

    @property
    def game_id(self) -> str:
        return f"{self.source}#{self.index}"

    def text(self, ident: str, default: str | None = None) -> str | None:
        """Decoded text of the first value of root property ``ident`` (or default)."""
        values = self.root.props.get(ident)
        if not values:
            return default
        return decode_text(values[0], self.encoding)


def decode_text(raw: bytes, encoding: str) -> str:
    """Decode an SGF text value: undo escapes and soft line breaks, then decode."""
    out = bytearray()
    i = 0
    n = len(raw)
    while i < n:
        b = raw[i]
        if b == 0x5C and i + 1 < n:  # backslash
            nxt = raw[i + 1]
            if nxt in (0x0A, 0x0D):  # soft line break: drop "\\\n", "\\\r\n"
                i += 2
                if nxt == 0x0D and i < n and raw[i] == 0x0A:
                    i += 1
                continue
            out.append(nxt)
            i += 2
            continue
        out.append(b)
        i += 1
    return out.decode(encoding, errors="replace")


def encode_text(text: str) -> bytes:
    """Encode a text value as UTF-8 with ``]`` and ``\\`` escaped (the inverse of decode_text)."""
    return text.replace("\\", "\\\\").replace("]", "\\]").encode("utf-8")
