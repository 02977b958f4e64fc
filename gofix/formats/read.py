"""Reading game records of any format: bytes or paths in, ``GameRecord`` or ``Unreadable`` out.

``sniff_format`` tells SGF from GIB, NGF and UGF by content (the name's suffix breaks ties);
SGF goes to ``formats.sgf``, the others to their readers and ``formats.common``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Iterable, Iterator

from gofix.errors import SgfError
from . import limits
from gofix.record import GameRecord, Unreadable
from .charsets import CHARSETS, decodes, misfit_note, text_encoding, utf8_misfits
from .sgf import read_sgf
from .sgf_grammar import UTF8_BOM, WIDE_NAMES, transcode, wide_codec
from .sgf_writer import dump_tree
from .sources import iter_sources, load_reason

def parse_items(data: bytes, source: str, *, strict: bool = False) -> list[GameRecord | Unreadable]:
    """``parse_collection``, except that it never raises: a bug becomes one ``Unreadable``."""
    try:
        return parse_collection(data, source, strict=strict)
    except Exception as exc:  # a bug must not stop a 100,000-game batch
        return [Unreadable(source, 0, f"internal error while reading: {type(exc).__name__}: {exc}")]


def iter_games(path: str | os.PathLike, *, strict: bool = False) -> Iterator[GameRecord | Unreadable]:
    """Yield every game under ``path`` (file, directory or archive; see iter_sources).

    Yields a ``GameRecord`` per readable game and an ``Unreadable`` per game,
    file or archive that cannot be read; never raises for bad input and never
    stops a batch. Memory stays flat: one file is held at a time.
    """
    for source, load in iter_sources(path):
        try:
            data = load()
        except Exception as exc:
            yield Unreadable(source, 0, load_reason(exc))
            continue
        yield from parse_items(data, source, strict=strict)


def read_file(path: str | os.PathLike, *, strict: bool = False) -> list[GameRecord | Unreadable]:
    """Every game under ``path`` as a list (see iter_games)."""
    return list(iter_games(path, strict=strict))


def read_game(path_or_bytes: str | os.PathLike | bytes, *, strict: bool = False) -> GameRecord:
    """The first game of a file (or of SGF bytes).

    Raises SgfError (with ``source``) if it cannot be read or there is none.
    """
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        items: Iterable = parse_collection(bytes(path_or_bytes), "<bytes>", strict=strict)
        source = "<bytes>"
    else:
        source = os.fsdecode(os.fspath(path_or_bytes))
        items = iter_games(path_or_bytes, strict=strict)
    for item in items:
        if isinstance(item, Unreadable):
            raise SgfError(item.reason, source=item.source)
        return item
    raise SgfError("no SGF game found", source=source)


_SGF_FIRST = re.compile(rb"\s*\(")
_SGF_TREE = re.compile(rb"\(\s*;")
_GIB_SIGN = re.compile(rb"\A\s*\\HS\s|\\\[GAME(?:BLACK|WHITE)NAME=")
_UGF_SIGN = re.compile(rb"\A\s*\[Header\]\s")
_NGF_SIGN = re.compile(rb"^(?:PM[A-Z]{2}[BW][A-Z]{4}|GI.*)\r?$", re.M)
_NGF_MOVE = re.compile(rb"^PM[A-Z]{2}[BW][A-Z]{4}\r?$", re.M)
_BY_SUFFIX = {".gib": "gib", ".ngf": "ngf", ".ugf": "ugf", ".ugi": "ugf"}


def sniff_format(data: bytes, name: str = "") -> str:
    """The format of one file's bytes: ``'sgf'``, ``'gib'``, ``'ngf'`` or ``'ugf'`` (UGF and UGI).

    From the content: data that starts with ``(`` is SGF; ``\\HS`` or a
    ``\\[GAMEBLACKNAME=`` line is GIB; a ``[Header]`` first line is UGF; lines
    like ``PMABBREER`` (and no ``(;``) are NGF; else a ``(;`` anywhere in the
    head (after a mail header, a junk line) is SGF. Content that looks like none of
    them goes by ``name``'s extension (``.gib``, ``.ngf``, ``.ugf``, ``.ugi``),
    else is SGF.
    """
    head = bytes(data[:8192])
    if head.startswith(UTF8_BOM):
        head = head[3:]
    if _SGF_FIRST.match(head):
        return "sgf"
    if _GIB_SIGN.search(head):
        return "gib"
    if _UGF_SIGN.match(head) or (b"[Header]" in head and b"[Data]" in data):
        return "ugf"
    if b"(;" not in head and _NGF_MOVE.search(data, 0, 1 << 16) and _NGF_SIGN.search(head):
        return "ngf"
    if _SGF_TREE.search(head):  # a junk line before '(;' in a file named .gib: still SGF
        return "sgf"
    low = name.lower()
    return next((fmt for suffix, fmt in _BY_SUFFIX.items() if low.endswith(suffix)), "sgf")


_MARKUP = re.compile(rb"[\\\[\]=,:]+")  # GIB's \[KEY=...\], commas: they mislead charset detection


def _parse_foreign(fmt: str, data: bytes, source: str, strict: bool,
                   wide: tuple[str, bytes] | None = None) -> list[GameRecord | Unreadable]:
    """Read a GIB/NGF/UGF file with its reader (see common): decode the text with the
    charset chosen as for SGF, build the SGF tree, read that back; ``raw`` is the file's bytes.
    ``wide``: ``('UTF-16' or 'UTF-32', the text as UTF-8)`` for a file in one of those."""
    from . import gib, ngf, ugf
    from .common import FormatError, build_tree

    reader = {"gib": gib, "ngf": ngf, "ugf": ugf}[fmt]
    if strict:
        return [Unreadable(source, 0, f"{reader.NAME} file, not SGF (strict mode reads SGF only)")]
    body = wide[1] if wide else data[3:] if data.startswith(UTF8_BOM) else data
    if body.startswith(UTF8_BOM):
        body = body[3:]
    lines = body.count(b"\n") + 1
    if lines > limits.MAX_LINES:  # one game a file: no real one is this long; not parsed (memory stays flat)
        return [Unreadable(source, 0, f"{reader.NAME} file: {lines:,} lines, over gofix's limit of "
                                      f"{limits.MAX_LINES:,} (MAX_LINES); a game has at most {limits.MAX_MOVES:,} moves")]
    if b"\0" in body[:4096] or not body.strip():
        why = "binary data" if body.strip() else "the file is empty"
        return [Unreadable(source, 0, f"{reader.NAME} file: {why}")]
    pieces = (p for line in body.splitlines() if not line.isascii() for p in _MARKUP.split(line))
    declared = reader.declared_charset(body)
    wanted = CHARSETS.get(re.sub(r"[^a-z0-9]", "", declared.lower())) if declared else None
    bad = utf8_misfits(body)  # UTF-8 but for a damaged character or two: UTF-8 (as for SGF)
    if bad is not None and not (wanted and decodes(body, wanted)):
        encoding, notes = "utf-8", [misfit_note(bad)]
    else:
        encoding, notes = text_encoding(b"\n".join(p.strip() for p in pieces if not p.isascii()), declared)
    try:
        game = reader.parse(body.decode(encoding, errors="replace"))
    except FormatError as exc:
        return [Unreadable(source, 0, f"{reader.NAME} file: {exc.args[0]}")]
    if len(game.moves) > limits.MAX_MOVES:
        return [Unreadable(source, 0, f"{reader.NAME} file: game has {len(game.moves):,} moves, over gofix's limit "
                                      f"of {limits.MAX_MOVES:,} per game (MAX_MOVES)")]
    notes = [f"{reader.NAME} text {note}" for note in notes]
    if wide:
        notes.insert(0, f"file is {wide[0]}; transcoded to UTF-8")
    items = parse_collection(dump_tree(build_tree(game, reader.NAME, source)), source)
    return [dataclasses.replace(item, raw=data, warnings=[*notes, *game.warnings, *item.warnings])
            if isinstance(item, GameRecord) else item for item in items]


def parse_collection(data: bytes, source: str, *, strict: bool = False) -> list[GameRecord | Unreadable]:
    """Every game tree in one file's bytes, in file order.

    Returns a ``GameRecord`` per readable game and an ``Unreadable`` per game
    that is not (or one for the whole file: empty, binary, no game tree).
    Never raises for bad data. ``source`` becomes each record's ``source``.
    GIB, NGF and UGF/UGI data (see sniff_format) is read by its own reader
    into the same kind of record (``strict`` refuses it: not SGF).
    """
    data = bytes(data)
    wide = wide_codec(data)
    text = transcode(data, wide) if wide else None  # UTF-16/32: recognise the format in the text
    fmt = sniff_format(data if text is None else text, source)
    if fmt != "sgf":
        return _parse_foreign(fmt, data, source, strict, None if text is None else (WIDE_NAMES[wide], text))
    return read_sgf(data, source, strict=strict)
