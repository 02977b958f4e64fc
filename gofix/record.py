"""The in-memory shape of one game record, shared by every other module.

SGF bytes -> ``GameRecord`` (this module's types, filled by ``formats``) -> replay
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
from typing import Iterator, NamedTuple

from .coords import Point


class Move(NamedTuple):
    colour: str  # 'b' or 'w'
    point: Point | None  # None is a pass; may lie off the board (see module doc)
    sgf: str = ""  # the coordinate as written in the file


def opponent(colour: str) -> str:
    return "w" if colour == "b" else "b"


def recolour(moves) -> list[Move]:
    """``moves`` with every colour exchanged (points and spelling kept)."""
    return [Move(opponent(m.colour), m.point, m.sgf) for m in moves]


@dataclass(eq=False, repr=False, slots=True)
class Node:
    """One SGF node: properties in file order, and child nodes (first = main line).

    ``props`` maps the canonical (upper-case FF[4]) identifier to its list of
    raw values: the bytes between ``[`` and ``]`` exactly as in the file,
    escapes included (only a ``]`` that the reader recovered as text is kept
    escaped, ``\\]``). Nothing is decoded or dropped here, so writing a node
    back loses nothing.

    Trees can be thousands of nodes deep, so nothing here recurses: ``==``
    compares whole subtrees (props as dicts, children in order) with an
    explicit stack, ``repr`` shows this node only, and ``copy.deepcopy`` and
    ``pickle`` go through a flat pre-order list. Slots: readers create
    millions of nodes, and a slotted one is made twice as fast.
    """

    props: dict[str, list[bytes]] = field(default_factory=dict)
    children: list["Node"] = field(default_factory=list)

    __hash__ = None  # mutable, compared by value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Node):
            return NotImplemented
        stack = [(self, other)]
        while stack:
            a, b = stack.pop()
            if a is b:
                continue
            if a.props != b.props or len(a.children) != len(b.children):
                return False
            stack.extend(zip(a.children, b.children))
        return True

    def __repr__(self) -> str:
        props = "".join(
            f"{k}[{_short(v[0])}]" + ("[...]" if len(v) > 1 else "") for k, v in self.props.items()
        )
        return f"Node(;{props}, {len(self.children)} children)"

    def __deepcopy__(self, memo: dict) -> "Node":
        return _from_flat(_to_flat(self))

    def __reduce__(self):
        return (_from_flat, (_to_flat(self),))


def _short(value: bytes, limit: int = 20) -> str:
    text = value.decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _to_flat(root: Node) -> list[tuple[dict[str, list[bytes]], int]]:
    """The subtree as a pre-order list of (props copy, number of children)."""
    return [({k: list(v) for k, v in n.props.items()}, len(n.children)) for n in iter_nodes(root)]


def _from_flat(flat: list[tuple[dict[str, list[bytes]], int]]) -> Node:
    """Rebuild a tree from ``_to_flat`` output (iteratively)."""
    root = Node(flat[0][0])
    pending = [(root, flat[0][1])]  # nodes still waiting for children
    for props, nchildren in flat[1:]:
        while pending[-1][1] == len(pending[-1][0].children):
            pending.pop()
        node = Node(props)
        pending[-1][0].children.append(node)
        pending.append((node, nchildren))
    return root


def iter_nodes(root: Node) -> Iterator[Node]:
    """Every node of the tree under ``root`` in pre-order (file order), iteratively."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def main_line(root: Node) -> list[Node]:
    """``root`` and its chain of first children: the nodes of the main line."""
    nodes = [root]
    while nodes[-1].children:
        nodes.append(nodes[-1].children[0])
    return nodes


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


# C0 controls but tab and newlines, DEL and the C1 controls (what Latin-1 mojibake is full of)
CONTROLS = {c: "\ufffd" for c in [*range(0x20), *range(0x7F, 0xA0)] if c not in (0x09, 0x0A, 0x0D)}


def encode_text(text: str) -> bytes:
    """Encode a text value as UTF-8 with ``]`` and ``\\`` escaped (the inverse of decode_text).

    Control characters (C0 but tab and newlines, DEL, C1) become U+FFFD: gofix
    never writes them into a record.
    """
    return text.translate(CONTROLS).replace("\\", "\\\\").replace("]", "\\]").encode("utf-8")


@dataclass
class RecordView:
    """A record-like view of a move list: the fields a detector or the rules read from a
    ``GameRecord`` (``detect.ModelDetector.analyse``, ``board.replay_record``), without a tree."""

    size: int
    moves: list
    setup_black: list
    setup_white: list
    handicap: int = 0
    first_player: str | None = None


@dataclass(frozen=True)
class Unreadable:
    """A file, archive or game that could not be read, and why."""

    source: str  # path, or archive!member
    index: int  # 0-based game number in the file (0 for a whole file)
    reason: str  # quotes the offending input

    @property
    def game_id(self) -> str:
        return f"{self.source}#{self.index}"
