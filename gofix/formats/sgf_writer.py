"""Writing SGF: game trees and records back to bytes, escaped, as UTF-8 or in their own charset."""

from __future__ import annotations

import re
from typing import Callable, Iterable

from gofix.errors import SgfError
from gofix.komi import normalise_komi
from gofix.record import CONTROLS, GameRecord, Node, Unreadable, encode_text
import codecs

_LINE = 72  # start a new line before a node once the line is this long
_IDENT_RE = re.compile(r"[A-Z]+\Z")
_FIX = re.compile(rb"\\.|\\|\]", re.S)  # escape pair (kept), lone '\' at the end, bare ']'


def _escape(value: bytes) -> bytes:
    """A stored value made safe to write: bare ']' and a lone final '\\' escaped."""
    if b"]" not in value and b"\\" not in value:
        return value
    return _FIX.sub(_escape_one, value)


def _escape_one(m: re.Match) -> bytes:
    found = m.group()
    if found == b"]":
        return b"\\]"
    return b"\\\\" if found == b"\\" else found


def _node_bytes(props: dict[str, list[bytes]], recode: Callable[[bytes], bytes] | None) -> bytes:
    """One node as ';KEY[value]...'. With ``recode`` (gofix output): non-ASCII values
    go through it and move values lose surrounding spaces (``B[  ]`` -> ``B[]``)."""
    parts = [b";"]
    for key, values in props.items():
        if not values:
            continue  # an empty list writes nothing
        if not _IDENT_RE.match(key):
            raise SgfError(f"property identifier {key!r} is not FF[4] (upper-case letters)")
        parts.append(key.encode("ascii"))
        for v in values:
            if recode is not None:
                if not v.isascii():
                    v = recode(v)
                if key == "B" or key == "W":
                    v = v.strip()
            parts += (b"[", _escape(v), b"]")
    return b"".join(parts)


def _write(root: Node, root_props: dict[str, list[bytes]], recode: Callable[[bytes], bytes] | None) -> bytes:
    """Serialise the tree iteratively: the root on its own line, then the nodes
    wrapped at about _LINE columns; each variation on a new line in '(...)'."""
    out = [b"(", _node_bytes(root_props, recode), b"\n" if root.children else b""]
    column = 0
    stack: list[tuple[Node, bool] | None] = []  # (node, opens a variation), or None for ')'
    _push_children(stack, root)
    while stack:
        item = stack.pop()
        if item is None:
            out.append(b")")
            column += 1
            continue
        node, opens = item
        if opens:
            out.append(b"\n(")
            column = 1
        elif column >= _LINE:
            out.append(b"\n")
            column = 0
        text = _node_bytes(node.props, recode)
        out.append(text)
        newline = text.rfind(b"\n")
        column = len(text) - newline - 1 if newline >= 0 else column + len(text)
        _push_children(stack, node)
    out.append(b")\n")
    return b"".join(out)


def _push_children(stack: list, node: Node) -> None:
    children = node.children
    if len(children) == 1:
        stack.append((children[0], False))
    else:
        for child in reversed(children):
            stack += (None, (child, True))


def dump_tree(root: Node) -> bytes:
    """The tree as SGF bytes, values written as stored (no charset change).

    Bare ``]`` are escaped. Raises SgfError for an identifier that is not
    upper-case letters.
    """
    return _write(root, root.props, None)


def dump_game(record: GameRecord, *, utf8: bool = True) -> bytes:
    """One game as SGF bytes.

    ``utf8=True`` (gofix's output): every non-ASCII value is re-encoded from
    ``record.encoding`` to UTF-8 (undecodable bytes and control characters
    become U+FFFD), the root
    gets ``FF[4]`` and ``CA[UTF-8]``, ``KM`` is written in points (Fox's
    ``KM[750]`` as ``KM[7.5]``, said in the root comment; see komi), and B/W values lose surrounding
    whitespace (``B[  ]`` is written ``B[]``, which other programs accept).
    ``utf8=False``: the tree exactly as stored. For the original bytes of an
    unchanged record see original_bytes.
    Raises SgfError as dump_tree does.
    """
    root = record.root
    if not utf8:
        return _write(root, root.props, None)
    props = _utf8_root_props(root.props)
    try:
        encoding = codecs.lookup(record.encoding).name
    except LookupError:
        raise SgfError(f"unknown encoding {record.encoding!r}", source=record.game_id) from None
    _komi_in_points(props)

    def recode(v: bytes) -> bytes:  # control characters (C1 in Latin-1 mojibake) are never written
        return v.decode(encoding, errors="replace").translate(CONTROLS).encode("utf-8")

    return _write(root, props, recode)


def _komi_in_points(props: dict[str, list[bytes]]) -> None:
    """KM in points when a server wrote it in its own way (Fox's ``KM[750]``, see komi), said in the root C."""
    km = props.get("KM")
    if not km or not km[0].isascii():
        return
    komi, note = normalise_komi(km[0].decode("ascii"))
    if komi is None or note is None:
        return
    props["KM"] = [f"{komi:g}".encode("ascii")]
    note_bytes = encode_text(f"gofix: {note}")
    props["C"] = [props["C"][0] + b"\n\n" + note_bytes, *props["C"][1:]] if props.get("C") else [note_bytes]


def _utf8_root_props(old: dict[str, list[bytes]]) -> dict[str, list[bytes]]:
    """Root properties with FF[4] and CA[UTF-8] (CA just after FF), the rest in order."""
    new: dict[str, list[bytes]] = {}
    if "FF" not in old:
        new["FF"] = [b"4"]
        new["CA"] = [b"UTF-8"]
    for key, values in old.items():
        if key == "FF":
            new["FF"] = [b"4"]
            new["CA"] = [b"UTF-8"]
        elif key != "CA":
            new[key] = values
    return new


def dump_collection(records: Iterable[GameRecord], *, utf8: bool = True) -> bytes:
    """Several games as one SGF collection (see dump_game).

    Raises SgfError for an ``Unreadable`` among them.
    """
    parts = []
    for record in records:
        if isinstance(record, Unreadable):
            raise SgfError(f"cannot write an unreadable game ({record.reason})", source=record.game_id)
        parts.append(dump_game(record, utf8=utf8))
    return b"".join(parts)


def original_bytes(record: GameRecord) -> bytes:
    """The game's bytes exactly as read (for an unchanged record): ``record.raw``.

    Not always SGF: for a record read from a GIB, NGF or UGF file these are that
    file's bytes; write ``dump_game(record)`` where SGF is needed. (No command
    uses it; the batch writers copy a file's own bytes, and only for SGF input.)
    Raises SgfError if the record was not read from bytes (``raw`` is None).
    """
    if record.raw is None:
        raise SgfError("record has no original bytes", source=record.game_id)
    return record.raw


