"""Files, directories and archives -> ``GameRecord`` and back, without loss.

Reading is tolerant by default: real archives hold mail headers, FF[3] names,
unescaped brackets, wrong charsets and truncated files. Whatever is read with
recovery leaves a message in ``record.warnings``; whatever cannot be read
becomes an ``Unreadable`` that names the file, the game and the reason. With
``strict=True`` every deviation from the FF[4] grammar makes the game
``Unreadable`` instead (used to check what gofix itself writes).

Nothing here recurses: trees thousands of nodes deep are read and written with
explicit stacks.

Behaviour for the quirks of real files (tolerant mode):

====================================  ==========================================
text before/between/after games       ignored, warning (strict: error)
``;FF[4]...`` without ``(``           read as a game tree, warning
nodes after a game's final ``)``      appended to that game's main line, warning
missing final ``)``                   closed at end of data, warning
file ends inside a value              complete properties kept, the incomplete
                                      one dropped, warning "file truncated"
``C[he said ] hi]``                   a ``]`` not followed by ``[``, ``;``,
                                      ``(``, ``)``, a property or the end of
                                      data is text; stored escaped, warning
``AddBlack``, ``White``, ``b``        identifier = its upper-case letters, or
                                      the name upper-cased if it has none, warning
property repeated in a node           values merged in file order, warning
``B[]``, ``B[tt]`` (<= 19), ``B[ ]``  passes
``B[ss]`` on 18x18                    an off-board Move, for the rules to flag
move value not two letters            skipped (kept in the tree), warning
B and W in one node                   both read, in file order, warning
AB/AW/AE off the root, main line      kept in the tree, not applied, warning
SZ absent                             19
SZ not a number, > 25, ``19:13``      Unreadable quoting the value
HA not a number; PL not B/W           0 / None, warning
GM other than 1                       Unreadable ("not a Go game: GM[2]")
UTF-8 BOM                             stripped
UTF-16/32 (BOM or NUL pattern)        transcoded to UTF-8 first, warning (GIB,
                                      NGF, UGF alike)
binary data; no game tree             Unreadable
GIB, NGF, UGF/UGI content             read by ``gib``, ``ngf``, ``ugf`` into the
                                      same kind of record (see sniff_format)
charset                               see ``_choose_encoding``
====================================  ==========================================

Known limit: a Shift-JIS/Big5/GBK text byte 0x5C or 0x5D inside a two-byte
character is read as ``\\`` or ``]`` (the SGF grammar is byte-based).
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import os
import re
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from gofix.errors import SgfError
from gofix.komi import normalise_komi
from gofix.record import CONTROLS, GameRecord, Move, Node, encode_text, iter_nodes, main_line

__all__ = [
    "Unreadable",
    "iter_sources",
    "sniff_format",
    "text_encoding",
    "GAME_SUFFIXES",
    "iter_games",
    "parse_collection",
    "parse_items",
    "load_reason",
    "read_file",
    "read_game",
    "dump_tree",
    "dump_game",
    "dump_collection",
    "original_bytes",
    "atomic_write",
    "ARCHIVE_SUFFIXES",
    "MAX_FILE_BYTES",
    "MAX_MOVES",
    "MAX_NODES",
    "MAX_LINES",
]

MAX_FILE_BYTES = 64 << 20  # larger files and members are Unreadable, not loaded
MAX_MOVES = 10_000  # moves in one game's main line (real games: under 1,000); more: Unreadable
MAX_NODES = 50_000  # nodes in one game tree, variations included; past it the tree is not built further
MAX_LINES = 200_000  # lines of a GIB/NGF/UGF file (one game each); more: Unreadable, not parsed
GAME_SUFFIXES = (".sgf", ".gib", ".ngf", ".ugf", ".ugi")  # what directory and archive walks read
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Unreadable:
    """A file, archive or game that could not be read, and why."""

    source: str  # path, or archive!member
    index: int  # 0-based game number in the file (0 for a whole file)
    reason: str  # quotes the offending input

    @property
    def game_id(self) -> str:
        return f"{self.source}#{self.index}"


# ---------------------------------------------------------------- sources


def iter_sources(path: str | os.PathLike) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """Yield ``(source, load)`` for every SGF file under ``path``, in sorted order.

    ``path`` may be a file (read whatever its name), a directory (walked
    recursively; files ending in a GAME_SUFFIXES name, any case, and archives;
    symlinked files are read, symlinked directories are not followed) or a
    zip/tar archive (members with those endings, streamed one at a time). ``load()`` returns
    the bytes or raises OSError/archive errors; for a tar member it must be
    called before the iterator advances. A path, directory or archive that
    cannot be opened yields one pair whose ``load`` raises the error.
    """
    top = os.fsdecode(os.fspath(path))
    if os.path.isdir(top):
        yield from _walk(top)
    elif _archive_kind(top):
        yield from _archive_sources(top)
    else:
        yield top, functools.partial(_read_path, top)


def _archive_kind(name: str) -> str | None:
    low = name.lower()
    if low.endswith(".zip"):
        return "zip"
    if low.endswith(ARCHIVE_SUFFIXES):
        return "tar"
    return None


def _raiser(exc: BaseException) -> Callable[[], bytes]:
    def load() -> bytes:
        raise exc

    return load


def _read_path(path: str) -> bytes:
    size = os.stat(path).st_size
    if size > MAX_FILE_BYTES:
        raise OSError(f"file too large ({size} bytes, limit {MAX_FILE_BYTES})")
    with open(path, "rb") as f:
        return f.read()


def _sorted_entries(directory: str) -> list[os.DirEntry]:
    with os.scandir(directory) as it:
        return sorted(it, key=lambda e: e.name)


def _walk(top: str) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """Depth-first, entries sorted by name; symlinked directories are skipped."""
    try:
        stack = [iter(_sorted_entries(top))]
    except OSError as exc:
        yield top, _raiser(exc)
        return
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                stack.append(iter(_sorted_entries(entry.path)))
                continue
            if entry.is_symlink() and entry.is_dir():
                continue  # not followed: avoids loops
        except OSError as exc:
            yield entry.path, _raiser(exc)
            continue
        if entry.name.lower().endswith(GAME_SUFFIXES):
            yield entry.path, functools.partial(_read_path, entry.path)
        elif _archive_kind(entry.name):
            yield from _archive_sources(entry.path)


def _archive_sources(path: str) -> Iterator[tuple[str, Callable[[], bytes]]]:
    if _archive_kind(path) == "zip":
        yield from _zip_sources(path)
    else:
        yield from _tar_sources(path)


def _zip_sources(path: str) -> Iterator[tuple[str, Callable[[], bytes]]]:
    try:
        zf = zipfile.ZipFile(path)
    except Exception as exc:  # BadZipFile, OSError, ...: the archive is unreadable
        yield path, _raiser(exc)
        return
    with zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.lower().endswith(GAME_SUFFIXES):
                continue
            yield f"{path}!{info.filename}", functools.partial(_read_zip_member, zf, info)


def _read_zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_FILE_BYTES:
        raise OSError(f"member too large ({info.file_size} bytes, limit {MAX_FILE_BYTES})")
    return zf.read(info)


def _tar_sources(path: str) -> Iterator[tuple[str, Callable[[], bytes]]]:
    try:
        tf = tarfile.open(path, "r|*")  # streaming: one member at a time
    except Exception as exc:
        yield path, _raiser(exc)
        return
    with tf:
        while True:
            try:
                member = tf.next()
            except Exception as exc:  # corrupt or truncated stream
                yield path, _raiser(exc)
                return
            if member is None:
                return
            tf.members.clear()  # TarFile keeps every header otherwise
            if member.isfile() and member.name.lower().endswith(GAME_SUFFIXES):
                yield f"{path}!{member.name}", functools.partial(_read_tar_member, tf, member)


def _read_tar_member(tf: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    if member.size > MAX_FILE_BYTES:
        raise OSError(f"member too large ({member.size} bytes, limit {MAX_FILE_BYTES})")
    f = tf.extractfile(member)
    if f is None:
        raise OSError(f"member {member.name!r} has no data")
    return f.read()


def load_reason(exc: BaseException) -> str:
    """Why a file or archive member could not be loaded, for an ``Unreadable``."""
    return f"cannot read: {type(exc).__name__}: {exc}"


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


# ---------------------------------------------------------------- file-level bytes

_UTF8_BOM = b"\xef\xbb\xbf"
# Bytes that plain text does not contain (tab, newlines, ^Z and 0x20.. are allowed).
_CONTROL = bytes(b for b in range(256) if b < 0x20 and b not in (9, 10, 11, 12, 13, 26))
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL)


class _NotSgf(Exception):
    """Internal: the whole file is not SGF; args[0] is the reason."""


_GAME_START = re.compile(rb"\(\s*;")  # text with many control bytes is still SGF if it holds a game


def _prepare(data: bytes) -> tuple[bytes, str]:
    """Strip a BOM, transcode UTF-16/32, reject binary data.

    Returns ``(data, 'UTF-16' or 'UTF-32' when transcoded, else '')``; raises
    _NotSgf with the reason.
    """
    if data.startswith(_UTF8_BOM):
        data = data[3:]
    wide = _wide_codec(data)
    if wide:
        data = _transcode(data, wide)
        if data is None:
            raise _NotSgf(f"binary data, not SGF (looks like {_WIDE_NAME[wide]} but does not decode)")
    if not data.strip():
        raise _NotSgf(f"no SGF game tree found (the file is {'blank' if data else 'empty'})")
    head = data[:4096].rstrip(b"\0")  # zero padding after a game is junk, not binary
    control = len(head.translate(None, _NOT_CONTROL))  # bytes no text holds
    if b"\0" in head or (control * 50 > len(head) and not _GAME_START.search(data, 0, 1 << 16)):
        raise _NotSgf("binary data, not SGF")
    return data, _WIDE_NAME[wide] if wide else ""


_WIDE_NAME = {"utf-32": "UTF-32", "utf-32-le": "UTF-32", "utf-32-be": "UTF-32",
              "utf-16": "UTF-16", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16"}


def _transcode(data: bytes, codec: str) -> bytes | None:
    """``data`` decoded with ``codec`` and encoded as UTF-8, or None when it does not decode."""
    try:
        return data.decode(codec).encode("utf-8")
    except UnicodeDecodeError:
        return None


def _wide_codec(data: bytes) -> str | None:
    """``'utf-32…'`` or ``'utf-16…'`` when the bytes look like one (a BOM, or the NUL pattern
    that mostly-ASCII text has in it), else None."""
    if data.startswith((b"\xff\xfe\0\0", b"\0\0\xfe\xff")):
        return "utf-32"
    head = data[:4000]
    if len(head) >= 8 and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        zeros = [head[k::4].count(0) / len(head[k::4]) for k in range(4)]
        if min(zeros[1:]) > 0.9 and zeros[0] < 0.05:
            return "utf-32-le"
        if min(zeros[:3]) > 0.9 and zeros[3] < 0.05:
            return "utf-32-be"
    return _utf16_codec(data)


def _utf16_codec(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:2000]
    if len(head) < 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > 0.4 * len(head[1::2]) and even < 0.05 * len(head[0::2]):
        return "utf-16-le"
    if even > 0.4 * len(head[0::2]) and odd < 0.05 * len(head[1::2]):
        return "utf-16-be"
    return None


# ---------------------------------------------------------------- tokenizer

# After a value's ']': what may follow in SGF. A ']' followed by anything else
# is text (an unescaped bracket), which is how ``C[he said ] hi]`` is read.
_CONT = rb"\s*+(?:[\[;()]|[A-Za-z]++\s*+\[|\Z)"
_BODY = rb"[^\]\\]*+(?:(?:\\.|\](?!" + _CONT + rb"))[^\]\\]*+)*"
# groups: 1 ';' before the property, 2 identifier, 3 first value, 4 more values, 5 punctuation
_TOKENS = rb"(;)?\s*+([A-Za-z]+)\s*+\[(" + _BODY + rb")\]((?:\s*+\[" + _BODY + rb"\])*)|([;()])"
_TOKEN = re.compile(rb"\s*+(?:" + _TOKENS + rb")", re.S)
_VALUE_AT = re.compile(rb"\s*+\[(" + _BODY + rb")\]", re.S)
_PROP_START = re.compile(rb"\s*+;?\s*+([A-Za-z]+)\s*+\[", re.S)
_RESYNC = re.compile(rb"[;()]|[A-Za-z]+\s*\[")
_GAME_START = re.compile(rb"\((?=\s*(?:;|[A-Za-z]+\s*\[))|;(?=\s*[A-Za-z]+\s*\[)")
_BARE = re.compile(rb"\\.|\]", re.S)  # an escape pair, or a bare ']'
_KEYS: dict[bytes, str] = {}  # upper-case identifier bytes -> str (bounded cache)


class _Tree:
    """Internal: one game tree as read, before it becomes a GameRecord."""

    __slots__ = ("root", "start", "end", "warnings", "deviations", "idents", "truncated", "moves", "nodes")

    def __init__(self, start: int):
        self.root: Node | None = None
        self.start = start
        self.end = start
        self.warnings: list[str] = []  # shown on the record
        self.deviations: list[str] = []  # what strict mode rejects
        self.idents: set[bytes] = set()  # non-canonical identifiers already warned about
        self.truncated = False
        self.moves: list[Move] | None = None  # the main line's moves, when already read
        self.nodes = 0  # nodes read; past MAX_NODES they are not kept (memory stays flat)

    def warn(self, message: str) -> None:
        """Read with recovery: a warning, and a deviation from FF[4]."""
        self.warnings.append(message)
        self.deviations.append(message)

    def note(self, message: str) -> None:
        """Worth knowing, but valid FF[4]."""
        self.warnings.append(message)

    def deviate(self, message: str) -> None:
        """Not FF[4], but read as intended without a warning."""
        self.deviations.append(message)


def _show(raw: bytes, limit: int = 40) -> str:
    """Bytes as readable text for a message: control characters escaped, cut at ``limit``."""
    text = raw.decode("utf-8", errors="replace")
    cut = len(text) > limit
    text = repr(text[:limit])[1:-1]
    return text + "..." if cut else text


# _FAST: as _TOKEN, plus 1: a run of plain move nodes (;B[pd];W[dd]...) and 7: any other byte
_FAST = re.compile(rb"\s*+(?:((?:;[BW]\[(?:[a-zA-Z]{2})?\]\s*+)++)|" + _TOKENS + rb"|(.))", re.S)
_RUN_ITEM = re.compile(rb";([BW]\[[a-zA-Z]*)\]")  # b"B[pd" per node of a run
_VALUES = re.compile(rb"\[(" + _BODY + rb")\]", re.S)


def _fast_tree(data: bytes) -> _Tree | None:
    """The common case, quickly: exactly one well-formed game tree and nothing else.

    Returns None at the first thing that needs care or a message (junk,
    recovery, non-FF[4] names, a second game, an unusual SZ or move value,
    B and W or setup in one main-line node, ...); the caller then reads the
    data with _read_trees, which builds the same tree where both succeed.
    Also reads the main line's moves on the way (``tree.moves``). Makes no
    temporary object per node (they would cost garbage-collector time).
    """
    keys = _KEYS
    root = tail = table = None  # table: the board size's moves, once the root is complete
    props = None  # the current node's props; None right after '(' or ')'
    stack: list = []  # (tail, tail is on the main line) to return to at ')'
    moves: list[Move] = []
    on_main = tail_main = at_root = False  # the current node / tail is on the main line; is the root
    opened = closed = after_variation = False
    count = 0  # nodes
    for m in _FAST.finditer(data):
        run, semi, ident, value, more, punct, junk = m.groups()
        if closed or junk:
            return None
        if run or semi or punct == b";":
            if not stack or after_variation:
                return None
            if tail is not None and table is None:  # the root is complete
                table = _root_moves(root, moves)
                if table is None:
                    return None
        if run:  # ';B[pd];W[dd]...': a chain of one-move nodes
            if tail is None:
                return None
            count += run.count(b";")
            if count > MAX_NODES:  # _read_trees refuses it without building the nodes past the limit
                return None
            items = _RUN_ITEM.findall(run)
            nodes = [Node({"B" if s[0] == 0x42 else "W": [s[2:]]}) for s in items]
            on_main = tail_main and not tail.children
            tail.children.append(nodes[0])
            for parent, child in zip(nodes, nodes[1:]):
                parent.children.append(child)
            if on_main:
                moves += [table[s[2:]][s[0] != 0x42] for s in items]
            tail, tail_main, props, opened, at_root = nodes[-1], on_main, nodes[-1].props, False, False
            continue
        if semi or punct == b";":
            count += 1
            if count > MAX_NODES:
                return None
            node = Node()
            if tail is None:
                root, on_main, at_root = node, True, True
            else:
                on_main, at_root = tail_main and not tail.children, False
                tail.children.append(node)
            tail, tail_main, props, opened = node, on_main, node.props, False
        if ident:
            key = keys.get(ident)
            if key is None:
                if not ident.isupper():
                    return None
                key = _upper_key(ident)
            if props is None or key in props:
                return None
            values = [value, *_VALUES.findall(more)] if more else [value]
            if (b"]" in value or b"]" in more) and any(_has_bare(v) for v in values):
                return None
            props[key] = values
            if on_main and not at_root:
                if key == "B" or key == "W":
                    pair = table.get(value)
                    if pair is None or more or ("B" in props and "W" in props):
                        return None
                    moves.append(pair[key == "W"])
                elif key in _SETUP_KEYS:
                    return None
        elif punct == b"(":
            if not stack:
                if root is not None:
                    return None
                stack.append((None, False))
            elif tail is None:
                return None
            else:
                stack.append((tail, tail_main))
            props, opened, after_variation, on_main = None, True, False, False
        elif punct == b")":
            if not stack or opened:
                return None
            tail, tail_main = stack.pop()
            props, after_variation, closed, on_main = None, True, not stack, False
    if not closed or (table is None and _root_moves(root, moves) is None):
        return None
    tree = _Tree(len(data) - len(data.lstrip()))
    tree.root = root
    tree.end = len(data.rstrip())
    tree.moves = moves
    return tree


def _root_moves(root: Node, moves: list[Move]) -> dict[bytes, tuple[Move, Move]] | None:
    """For _fast_tree: the move table of a plain SZ, after adding the root's own moves.

    None when SZ or a root move needs _board_size's or _to_moves's care.
    """
    sz = root.props.get("SZ")
    if sz is None:
        size = 19
    elif len(sz) == 1 and len(sz[0]) <= 2 and sz[0].isdigit() and 2 <= int(sz[0]) <= 25:
        size = int(sz[0])
    else:
        return None
    table = _move_table(size)
    for key, values in root.props.items():
        if key == "B" or key == "W":
            pair = table.get(values[0])
            if pair is None or len(values) > 1:
                return None
            moves.append(pair[key == "W"])
    return table


def _has_bare(value: bytes) -> bool:
    """Whether ``value`` holds a ']' that is not escaped."""
    return any(m.group() == b"]" for m in _BARE.finditer(value))


def _read_trees(data: bytes) -> list[_Tree]:
    """Every game tree in ``data`` (tolerant), in file order; trees without nodes are dropped."""
    trees: list[_Tree] = []
    pending: list[str] = []  # junk warnings for the next tree
    pos, n = 0, len(data)
    while pos < n:
        m = _GAME_START.search(data, pos)
        stop = m.start() if m else n
        junk = data[pos:stop].strip()
        if junk:
            pending.append(f"text outside the game tree ignored: '{_show(junk)}'")
        if m is None:
            break
        reopen = data[stop] == 0x3B and bool(trees) and trees[-1].root is not None  # ";" after a game
        if reopen:
            tree, pos = trees[-1], stop
            tail = main_line(tree.root)[-1]
        else:
            tree, tail, pos = _Tree(stop), None, stop + (data[stop] == 0x28)
            trees.append(tree)
        for message in pending:
            tree.warn(message)
        pending = []
        if reopen:
            stray = _show(data[stop:], 20)
            tree.warn(f"nodes after the end of the game tree appended to its main line: '{stray}'")
        elif data[stop] == 0x3B:
            tree.warn("missing '(' before the game tree")
        pos = _read_tree(data, pos, tree, tail)
    if pending and trees:
        for message in pending:
            trees[-1].warn(message)
    return [t for t in trees if t.root is not None]


def _read_tree(data: bytes, pos: int, tree: _Tree, tail: Node | None) -> int:
    """Read one game tree from ``pos`` (just after its '(') until it closes.

    Fills ``tree`` and returns the position after the closing ')' (or the end
    of data). ``tail`` is the node the next ';' attaches to (None: the root).
    """
    match = _TOKEN.match
    keys = _KEYS
    stack: list[Node | None] = [tail]  # the node to return to at each ')'
    cur: Node | None = None  # the node receiving properties
    props: dict = {}
    after_variation = False
    just_opened = True
    n = len(data)
    while stack:
        m = match(data, pos)
        if m is None:
            pos = _skip_bad(data, pos, tree)
            if pos >= n:
                break
            continue
        semi, ident, value, more, punct = m.groups()
        pos = tree.end = m.end()
        if semi is not None or punct == b";" or (cur is None and ident is not None):
            if semi is None and punct is None:
                tree.warn(f"property {_show(ident)}[{_show(value)}] without ';' before it: node added")
            node = Node()
            tree.nodes += 1
            if tail is None:
                tree.root = node
            elif tree.nodes > MAX_NODES:  # skip to the end of this game: nothing more is built
                pos = tree.end = _skip_game(data, pos, len(stack))
                return pos
            else:
                if after_variation:
                    tree.warn("node after the variations of its parent read as one more variation")
                tail.children.append(node)
            tail = cur = node
            props = node.props
            after_variation = just_opened = False
        if ident is not None:
            key = keys.get(ident)
            if key is None:
                key = _ident_key(ident, tree)
            values = [value] if not more else _more_values(data, m.start(4), m.end(4), value)
            if b"]" in value or b"]" in more:
                values = _escape_bare(values, key, tree)
            old = props.get(key)
            if old is None:
                props[key] = values
            else:
                tree.warn(f"property {key} repeated in one node; values merged")
                old.extend(values)
        elif punct == b"(":
            if tail is None:
                tree.warn("'(' before the first node ignored")
                continue
            stack.append(tail)
            cur, after_variation, just_opened = None, False, True
        elif punct == b")":
            if just_opened:
                tree.warn("empty variation '()' ignored")
            tail = stack.pop()
            cur, after_variation, just_opened = None, True, False
    if stack and not tree.truncated:
        tree.warn(f"missing ')' at the end of the file ({len(stack)} unclosed)")
    return pos


_SKIP = re.compile(rb"(?:[^\[()]++|\[(?:[^\]\\]++|\\.)*+\]?)*+", re.S)  # up to the next '(' or ')' outside values


def _skip_game(data: bytes, pos: int, depth: int) -> int:
    """The position after the ``depth`` closing parentheses that end the game tree being read
    (or the end of data): one regex step per parenthesis, whatever the game holds."""
    n = len(data)
    while depth and pos < n:
        pos = _SKIP.match(data, pos).end()
        if pos >= n:
            break
        depth += 1 if data[pos] == 0x28 else -1
        pos += 1
    return pos


def _skip_bad(data: bytes, pos: int, tree: _Tree) -> int:
    """Handle what no token matches at ``pos``: end of data, a truncated value, or junk.

    Returns the position to go on from (``len(data)`` when nothing is left).
    """
    n = len(data)
    start = pos
    while start < n and data[start] in b" \t\n\r\f\v":
        start += 1
    if start >= n:
        return n
    m = _PROP_START.match(data, start)
    if m:  # a value with no ']' before the end of data
        tree.truncated = True
        tree.warn(
            f"file truncated: value {_show(m.group(1))}[{_show(data[m.end():], 20)} is not terminated; "
            "the incomplete property was dropped"
        )
        return n
    r = _RESYNC.search(data, start + 1)
    stop = r.start() if r else n
    tree.warn(f"text inside the game tree ignored: '{_show(data[start:stop])}'")
    return stop


def _upper_key(ident: bytes) -> str:
    """An upper-case identifier as str, remembered (up to 4096 of them)."""
    key = ident.decode("ascii")
    if len(_KEYS) < 4096:
        _KEYS[ident] = key
    return key


def _ident_key(ident: bytes, tree: _Tree) -> str:
    """Canonical identifier: FF[4] names as they are; others by their upper-case letters."""
    if ident.isupper():
        return _upper_key(ident)
    upper = bytes(c for c in ident if 0x41 <= c <= 0x5A)
    key = (upper or ident.upper()).decode("ascii")
    if ident not in tree.idents:
        tree.idents.add(ident)
        tree.warn(f"property identifier '{ident.decode('ascii')}' read as '{key}'")
    return key


def _more_values(data: bytes, start: int, end: int, first: bytes) -> list[bytes]:
    values = [first]
    pos = start
    while pos < end:
        m = _VALUE_AT.match(data, pos)
        if m is None:  # cannot happen: the same pattern matched this span
            break
        values.append(m.group(1))
        pos = m.end()
    return values


def _escape_bare(values: list[bytes], key: str, tree: _Tree) -> list[bytes]:
    """Escape every ']' that was read as text, with a warning for each value."""
    out = []
    for v in values:
        if _has_bare(v):
            tree.warn(f"unescaped ']' read as text in {key}[{_show(v)}]")
            v = _BARE.sub(lambda m: b"\\]" if m.group() == b"]" else m.group(), v)
        out.append(v)
    return out


# ---------------------------------------------------------------- records


class _Bad(Exception):
    """Internal: the game cannot be read; args[0] is the reason."""


def parse_collection(data: bytes, source: str, *, strict: bool = False) -> list[GameRecord | Unreadable]:
    """Every game tree in one file's bytes, in file order.

    Returns a ``GameRecord`` per readable game and an ``Unreadable`` per game
    that is not (or one for the whole file: empty, binary, no game tree).
    Never raises for bad data. ``source`` becomes each record's ``source``.
    GIB, NGF and UGF/UGI data (see sniff_format) is read by its own reader
    into the same kind of record (``strict`` refuses it: not SGF).
    """
    data = bytes(data)
    wide = _wide_codec(data)
    text = _transcode(data, wide) if wide else None  # UTF-16/32: recognise the format in the text
    fmt = sniff_format(data if text is None else text, source)
    if fmt != "sgf":
        return _parse_foreign(fmt, data, source, strict, None if text is None else (_WIDE_NAME[wide], text))
    try:
        data, transcoded = _prepare(bytes(data))
    except _NotSgf as exc:
        return [Unreadable(source, 0, exc.args[0])]
    fast = _fast_tree(data)
    trees = [fast] if fast is not None else _read_trees(data)
    if not trees:
        return [Unreadable(source, 0, "no SGF game tree found")]
    return [
        _make_record(tree, data, source, index, strict=strict, transcoded=transcoded)
        for index, tree in enumerate(trees)
    ]


# ---------------------------------------------------------------- other formats

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
    if head.startswith(_UTF8_BOM):
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
    """Read a GIB/NGF/UGF file with its reader (see formats_common): decode the text with the
    charset chosen as for SGF, build the SGF tree, read that back; ``raw`` is the file's bytes.
    ``wide``: ``('UTF-16' or 'UTF-32', the text as UTF-8)`` for a file in one of those."""
    from . import gib, ngf, ugf
    from .common import FormatError, build_tree

    reader = {"gib": gib, "ngf": ngf, "ugf": ugf}[fmt]
    if strict:
        return [Unreadable(source, 0, f"{reader.NAME} file, not SGF (strict mode reads SGF only)")]
    body = wide[1] if wide else data[3:] if data.startswith(_UTF8_BOM) else data
    if body.startswith(_UTF8_BOM):
        body = body[3:]
    lines = body.count(b"\n") + 1
    if lines > MAX_LINES:  # one game a file: no real one is this long; not parsed (memory stays flat)
        return [Unreadable(source, 0, f"{reader.NAME} file: {lines:,} lines, over gofix's limit of "
                                      f"{MAX_LINES:,} (MAX_LINES); a game has at most {MAX_MOVES:,} moves")]
    if b"\0" in body[:4096] or not body.strip():
        why = "binary data" if body.strip() else "the file is empty"
        return [Unreadable(source, 0, f"{reader.NAME} file: {why}")]
    pieces = (p for line in body.splitlines() if not line.isascii() for p in _MARKUP.split(line))
    declared = reader.declared_charset(body)
    wanted = _CHARSETS.get(re.sub(r"[^a-z0-9]", "", declared.lower())) if declared else None
    bad = utf8_misfits(body)  # UTF-8 but for a damaged character or two: UTF-8 (as for SGF)
    if bad is not None and not (wanted and _decodes(body, wanted)):
        encoding, notes = "utf-8", [_misfit_note(bad)]
    else:
        encoding, notes = text_encoding(b"\n".join(p.strip() for p in pieces if not p.isascii()), declared)
    try:
        game = reader.parse(body.decode(encoding, errors="replace"))
    except FormatError as exc:
        return [Unreadable(source, 0, f"{reader.NAME} file: {exc.args[0]}")]
    if len(game.moves) > MAX_MOVES:
        return [Unreadable(source, 0, f"{reader.NAME} file: game has {len(game.moves):,} moves, over gofix's limit "
                                      f"of {MAX_MOVES:,} per game (MAX_MOVES)")]
    notes = [f"{reader.NAME} text {note}" for note in notes]
    if wide:
        notes.insert(0, f"file is {wide[0]}; transcoded to UTF-8")
    items = parse_collection(dump_tree(build_tree(game, reader.NAME, source)), source)
    return [dataclasses.replace(item, raw=data, warnings=[*notes, *game.warnings, *item.warnings])
            if isinstance(item, GameRecord) else item for item in items]


def text_encoding(text: bytes, declared: str | None = None) -> tuple[str, list[str]]:
    """The charset of text from a file in another format, chosen as ``_choose_encoding`` does.

    ``declared`` is the charset the file names, if any. ASCII: ``declared`` or
    UTF-8; valid UTF-8: UTF-8; else ``declared`` if it decodes the text; else
    detected among GB18030, Shift-JIS, EUC-KR, Big5 and Latin-1. Returns
    ``(codec name, notes for the record's warnings)``.
    """
    wanted = _CHARSETS.get(re.sub(r"[^a-z0-9]", "", declared.lower())) if declared else None
    notes = [f"charset '{declared}' unknown; ignored"] if declared and wanted is None else []
    if text.isascii():
        return wanted or "utf-8", notes
    if _decodes(text, "utf-8"):
        return "utf-8", notes
    if wanted and _decodes(text, wanted):
        return wanted, notes
    detected = _detect(Node({"C": [text]}))
    if detected is None:
        return "latin-1", [*notes, "does not decode as any known charset; read as latin-1"]
    return detected, [*notes, f"is not UTF-8{' nor ' + declared if wanted else ''}; detected {detected}"]


def _make_record(
    tree: _Tree,
    data: bytes,
    source: str,
    index: int,
    *,
    strict: bool,
    transcoded: str,
) -> GameRecord | Unreadable:
    """Interpret a tree read from ``data``: size, charset, setup, moves, checks."""
    root = tree.root
    assert root is not None
    props = root.props
    raw = data[tree.start : tree.end]
    if transcoded:
        tree.warnings.insert(0, f"file is {transcoded}; transcoded to UTF-8")
        tree.deviations.insert(0, f"file is {transcoded}; transcoded to UTF-8")
    if tree.nodes > MAX_NODES:
        return Unreadable(source, index, f"game tree has more than {MAX_NODES:,} nodes, gofix's limit "
                                         "per game (MAX_NODES)")
    try:
        _check_game_type(props)
        size = _board_size(props, tree)
    except _Bad as exc:
        return Unreadable(source, index, exc.args[0])
    encoding = "utf-8" if transcoded else _choose_encoding(root, raw, tree, strict)
    setup_black, setup_white = _setup(props, size, tree)
    record = GameRecord(
        source=source,
        index=index,
        size=size,
        root=root,
        moves=tree.moves if tree.moves is not None else _to_moves(_main_line_props(root, tree), size, tree),
        setup_black=setup_black,
        setup_white=setup_white,
        handicap=_handicap(props, tree),
        first_player=_first_player(props, tree),
        encoding=encoding,
        warnings=tree.warnings,
        raw=raw,
    )
    if len(record.moves) > MAX_MOVES:
        return Unreadable(source, index, f"game has {len(record.moves):,} moves, over gofix's limit of "
                                         f"{MAX_MOVES:,} per game (MAX_MOVES)")
    if strict:
        _check_strict(root, size, tree)
        if tree.deviations:
            more = len(tree.deviations) - 1
            return Unreadable(source, index, tree.deviations[0] + (f" (and {more} more)" if more else ""))
    return record


def _first_value(props: dict, key: str) -> bytes | None:
    values = props.get(key)
    return values[0] if values else None


def _check_game_type(props: dict) -> None:
    gm = _first_value(props, "GM")
    if gm is not None and gm.strip() not in (b"1", b""):
        raise _Bad(f"not a Go game: GM[{_show(gm)}]")


def _board_size(props: dict, tree: _Tree) -> int:
    """SZ of the root: 19 when absent; raises _Bad quoting SZ when unusable."""
    raw = _first_value(props, "SZ")
    if raw is None:
        return 19
    text = raw.strip()
    shown = f"SZ[{_show(raw)}]"
    if b":" in text:
        cols, _, rows = text.partition(b":")
        if not (cols.strip().isdigit() and rows.strip().isdigit()):
            raise _Bad(f"board size {shown} is not a number")
        if len(cols.strip().lstrip(b"0")) > 9 or len(rows.strip().lstrip(b"0")) > 9:
            raise _Bad(f"board size {shown} is not supported (2..25)")
        if int(cols) != int(rows):
            raise _Bad(f"rectangular board {shown} is not supported")
        tree.warn(f"{shown} read as {int(cols)}")
        text = cols.strip()
    if not text.isdigit():
        raise _Bad(f"board size {shown} is not a number")
    if len(text.lstrip(b"0")) > 9:  # int() refuses strings over 4,300 digits
        raise _Bad(f"board size {shown} is not supported (2..25)")
    size = int(text)
    if not 2 <= size <= 25:
        raise _Bad(f"board size {shown} is not supported (2..25)")
    if text != raw:
        tree.deviate(f"{shown} has spaces")
    return size


def _handicap(props: dict, tree: _Tree) -> int:
    raw = _first_value(props, "HA")
    if raw is None:
        return 0
    text = raw.strip()
    if not text.isdigit():
        tree.warn(f"HA[{_show(raw)}] is not a number; handicap read as 0")
        return 0
    if len(text.lstrip(b"0")) > 9:  # int() refuses strings over 4,300 digits
        tree.warn(f"HA[{_show(raw)}] is too large; handicap read as 0")
        return 0
    return int(text)


def _first_player(props: dict, tree: _Tree) -> str | None:
    raw = _first_value(props, "PL")
    if raw is None:
        return None
    text = raw.strip().upper()
    if text in (b"B", b"W"):
        return text.decode().lower()
    if text in (b"BLACK", b"WHITE"):
        tree.warn(f"PL[{_show(raw)}] read as {text[:1].decode().lower()}")
        return text[:1].decode().lower()
    tree.warn(f"PL[{_show(raw)}] is not B or W; ignored")
    return None


def _points(key: str, values: list[bytes], size: int, tree: _Tree) -> list[tuple[int, int]]:
    """Expand a point list (``aa``, ``aa:cc``) on the board; bad values are warned about and dropped."""
    out = []
    for raw in values:
        text = raw.strip()
        first, colon, last = text.partition(b":")
        a, b = _letters_point(first, size), _letters_point(last if colon else first, size)
        if a is None or b is None:
            tree.warn(f"setup point {key}[{_show(raw)}] is not on the {size}x{size} board; ignored")
            continue
        for row in range(min(a[0], b[0]), max(a[0], b[0]) + 1):
            for col in range(min(a[1], b[1]), max(a[1], b[1]) + 1):
                out.append((row, col))
    return out


def _letters_point(text: bytes, size: int) -> tuple[int, int] | None:
    """Two SGF letters as an on-board point, else None."""
    if len(text) != 2:
        return None
    col, top = _LETTERS.find(chr(text[0])), _LETTERS.find(chr(text[1]))
    row = size - 1 - top
    if col < 0 or top < 0 or not (0 <= row < size and col < size):
        return None
    return row, col


def _setup(props: dict, size: int, tree: _Tree) -> tuple[list, list]:
    """Root AB and AW, each minus AE, in file order without duplicates."""
    if not ("AB" in props or "AW" in props):
        return [], []
    empty = set(_points("AE", props.get("AE", []), size, tree))
    black = [p for p in dict.fromkeys(_points("AB", props.get("AB", []), size, tree)) if p not in empty]
    white = [p for p in dict.fromkeys(_points("AW", props.get("AW", []), size, tree)) if p not in empty]
    return black, white


@functools.lru_cache(maxsize=None)
def _move_table(size: int) -> dict[bytes, tuple[Move, Move]]:
    """Every two-letter value (and the passes) -> (Black move, White move) for this size.

    Points off the board keep the (row, col) they spell.
    """
    table = {b"": (Move("b", None, ""), Move("w", None, ""))}
    for col, c in enumerate(_LETTERS):
        for top, t in enumerate(_LETTERS):
            point = (size - 1 - top, col)
            table[(c + t).encode()] = (Move("b", point, c + t), Move("w", point, c + t))
    if size <= 19:
        table[b"tt"] = (Move("b", None, "tt"), Move("w", None, "tt"))
    return table


_SETUP_KEYS = ("AB", "AW", "AE")


def _main_line_props(root: Node, tree: _Tree) -> list[tuple[str, list[bytes], int]]:
    """``(key, values, node number)`` of every B and W on the main line, in order.

    Warns about a node with both B and W, and notes setup off the root.
    """
    found = []
    node, number = root, 0
    while True:
        props = node.props
        if len(props) > 1 and number:
            _main_line_extras(props, number, len(found), tree)
        for key, values in props.items():
            if key == "B" or key == "W":
                found.append((key, values, number))
        if not node.children:
            return found
        node = node.children[0]
        number += 1


def _main_line_extras(props: dict, number: int, done: int, tree: _Tree) -> None:
    if "B" in props and "W" in props:
        tree.warn(f"node {number} has both B and W; both read, in file order")
    for key in _SETUP_KEYS:
        if key in props:
            where = f"node {number} of the main line (after move {done})"
            tree.note(f"setup {key} in {where} kept in the tree, not applied")


def _to_moves(found: list[tuple[str, list[bytes], int]], size: int, tree: _Tree) -> list[Move]:
    """Moves from main-line B/W values; values that are not points are skipped with a warning."""
    get = _move_table(size).get
    moves: list[Move] = []
    for key, values, number in found:
        side = 0 if key == "B" else 1
        if len(values) == 1:
            pair = get(values[0])
            if pair is not None:
                moves.append(pair[side])
                continue
        else:
            tree.warn(f"{key} with {len(values)} values in node {number}; each read as a move")
        for v in values:
            pair = get(v)
            if pair is None:
                pair = get(v.strip())
                if pair is None:
                    tree.warn(f"move {key}[{_show(v)}] (node {number}) is not an SGF point; skipped")
                    continue
                tree.deviate(f"move {key}[{_show(v)}] has spaces")
                pair = tuple(Move(m.colour, m.point, v.decode("latin-1")) for m in pair)
            moves.append(pair[side])
    return moves


# ---------------------------------------------------------------- charsets

_CHARSETS = {
    "utf8": "utf-8",
    "ascii": "ascii",
    "usascii": "ascii",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "cp936": "gb18030",
    "euccn": "gb18030",
    "sjis": "shift_jis",
    "shiftjis": "shift_jis",
    "mskanji": "shift_jis",
    "cp932": "cp932",
    "windows31j": "cp932",
    "eucjp": "euc_jp",
    "euckr": "euc_kr",
    "ksc5601": "euc_kr",
    "ksc56011987": "euc_kr",
    "ksx1001": "euc_kr",
    "cp949": "cp949",
    "uhc": "cp949",
    "big5": "big5",
    "big5hkscs": "big5hkscs",
    "cp950": "big5",
    "iso88591": "latin-1",
    "latin1": "latin-1",
    "l1": "latin-1",
    "iso885915": "iso8859-15",
    "cp1252": "cp1252",
    "windows1252": "cp1252",
}
_DETECT = ["gb18030", "shift_jis", "euc_kr", "big5", "latin_1"]
_DETECTED_NAME = {"latin_1": "latin-1"}


# One valid UTF-8 multi-byte sequence (group 1), or one byte >= 0x80 that is in none (group 2).
_UTF8_SEQ = re.compile(rb"([\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
                       rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
                       rb"|\xf4[\x80-\x8f][\x80-\xbf]{2})|([\x80-\xff])")
NEAR_UTF8 = 0.75  # text is UTF-8 with a few bad bytes when its UTF-8 sequences hold this share of its bytes >= 0x80
_MIN_UTF8_BYTES = 6  # ... and at least this many bytes (two CJK characters): one stray byte is no evidence


def utf8_misfits(raw: bytes) -> list[int] | None:
    """When ``raw`` is UTF-8 except a few bytes (a damaged character or two): the offsets of those bytes.

    None when ``raw`` is valid UTF-8, or when too few of its bytes >= 0x80 are
    in valid UTF-8 sequences (``NEAR_UTF8``) for it to be UTF-8 (text in
    Latin-1, GBK, Shift-JIS, ... has almost none). One pass, O(len(raw)).
    """
    good, bad = 0, []
    for m in _UTF8_SEQ.finditer(raw):
        if m.group(1) is not None:
            good += len(m.group(1))
        else:
            bad.append(m.start())
    if not bad or good < _MIN_UTF8_BYTES or good < NEAR_UTF8 * (good + len(bad)):
        return None
    return bad


def _misfit_note(bad: list[int], base: int = 0) -> str:
    shown = ", ".join(str(base + k) for k in bad[:5]) + (", ..." if len(bad) > 5 else "")
    what = "1 byte that is" if len(bad) == 1 else f"{len(bad)} bytes that are"
    return f"text is UTF-8 but for {what} not (at byte offset {shown}); read as U+FFFD"


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _choose_encoding(root: Node, raw: bytes, tree: _Tree, strict: bool) -> str:
    """The charset of the game's text, in this order.

    ASCII text: CA (if known) or UTF-8. Text that is valid UTF-8: UTF-8 (a
    warning when CA says otherwise). Else CA if the text decodes with it.
    Else UTF-8 when it fits all but a few bytes (``utf8_misfits``: those read
    as U+FFFD, a warning gives their offsets). Else detected among GB18030,
    Shift-JIS, EUC-KR, Big5 and Latin-1, with a warning. Strict mode: CA (or FF[4]'s default, Latin-1) must decode it.
    """
    ca_raw = _first_value(root.props, "CA")
    ca = ca_raw.decode("latin-1").strip() if ca_raw is not None else None
    declared = _CHARSETS.get(re.sub(r"[^a-z0-9]", "", ca.lower())) if ca else None
    if ca and declared is None:
        tree.warn(f"unknown charset CA[{_show(ca_raw)}] ignored")
    if strict:
        encoding = declared or "latin-1"
        if not _decodes(raw, encoding):
            tree.deviate(f"text does not decode as {encoding} (CA[{ca or ''}])")
        return encoding
    if raw.isascii():
        return declared or "utf-8"
    if _decodes(raw, "utf-8"):
        if declared and declared != "utf-8":
            tree.warn(f"CA[{ca}] is wrong: the text is UTF-8")
        return "utf-8"
    if declared and declared != "utf-8" and _decodes(raw, declared):
        return declared
    bad = utf8_misfits(raw)
    if bad is not None:  # one damaged character must not turn the whole record into Latin-1 mojibake
        tree.warn(_misfit_note(bad, tree.start) + (f" (CA[{ca}] does not decode it)" if declared else ""))
        return "utf-8"
    detected = _detect(root)
    if detected is None:
        tree.warn("text does not decode as any known charset; read as latin-1")
        return "latin-1"
    if ca:
        tree.warn(f"CA[{ca}] is wrong: the text does not decode with it; detected {detected}")
    else:
        tree.note(f"no CA and the text is not UTF-8; detected {detected}")
    return detected


def _detect(root: Node) -> str | None:
    """Best guess among the _DETECT charsets for the non-ASCII values of the tree."""
    from charset_normalizer import from_bytes  # imported only when needed

    payload = b"\n".join(
        v for node in iter_nodes(root) for values in node.props.values() for v in values if not v.isascii()
    )
    best = from_bytes(payload, cp_isolation=_DETECT).best()
    if best is None:
        return None
    return _DETECTED_NAME.get(best.encoding, best.encoding)


# ---------------------------------------------------------------- strict checks

_MOVE = {"B", "W"}
_POINT_LIST = {"AB", "AW", "AE", "TR", "SQ", "CR", "MA", "SL"}
_POINT_ELIST = {"DD", "VW", "TB", "TW"}
_NUMBER = {"SZ", "HA", "FF", "GM", "MN", "ST", "PM", "OB", "OW"}
_REAL = {"KM", "BL", "WL", "V"}  # not TM: free text in practice ("5h")
_DOUBLE = {"DM", "GB", "GW", "HO", "UC", "BM", "TE"}
_NONE = {"KO", "IT", "DO"}
_COMPOSED = {"LB", "AR", "LN"}
_ROOT_ONLY = {"SZ", "FF", "GM", "CA", "AP", "ST"}
_NUMBER_RE = re.compile(rb"[+-]?[0-9]+\Z")
_REAL_RE = re.compile(rb"[+-]?[0-9]+(?:\.[0-9]+)?\Z")


def _check_strict(root: Node, size: int, tree: _Tree) -> None:
    """Record a deviation for every value that breaks the FF[4] grammar of its property."""
    for node in iter_nodes(root):
        props = node.props
        if "B" in props and "W" in props:
            tree.deviate("a node has both B and W")
        if ("B" in props or "W" in props) and any(k in props for k in _SETUP_KEYS):
            tree.deviate("a node mixes a move and setup (AB/AW/AE)")
        for key, values in props.items():
            if node is not root and key in _ROOT_ONLY:
                tree.deviate(f"root property {key} outside the root node")
            problem = _value_problem(key, values, size)
            if problem:
                tree.deviate(f"{key}[{_show(b']['.join(values))}]: {problem}")


def _value_problem(key: str, values: list[bytes], size: int) -> str | None:
    """Why ``values`` are not valid for the known property ``key`` (None when valid or unknown)."""
    if key in _POINT_LIST or key in _POINT_ELIST:
        if values == [b""]:
            return None if key in _POINT_ELIST else "empty point list"
        bad = [v for v in values if not _is_point_or_rect(v, size)]
        return f"not a point on the {size}x{size} board" if bad else None
    if key in _COMPOSED:  # LB[pd:text], AR[aa:bb], LN[aa:bb]
        bad = [v for v in values if not _is_composed(v, size, point_second=key != "LB")]
        return "not point:" + ("text" if key == "LB" else "point") if bad else None
    if len(values) != 1:
        return f"{len(values)} values, one expected" if key in _KNOWN else None
    v = values[0]
    if key in _MOVE:
        ok = v == b"" or (v == b"tt" and size <= 19) or _letters_point(v, size) is not None
        return None if ok else f"not a move on the {size}x{size} board"
    if key in _NUMBER:
        return None if _NUMBER_RE.match(v) else "not a number"
    if key in _REAL:
        return None if _REAL_RE.match(v) else "not a real number"
    if key in _DOUBLE:
        return None if v in (b"1", b"2") else "not 1 or 2"
    if key == "PL":
        return None if v in (b"B", b"W") else "not B or W"
    if key in _NONE:
        return None if v == b"" else "must be empty"
    return None


_KNOWN = _MOVE | _NUMBER | _REAL | _DOUBLE | _NONE | {"PL"}


def _is_composed(v: bytes, size: int, *, point_second: bool) -> bool:
    first, colon, last = v.partition(b":")
    if not colon or _letters_point(first, size) is None:
        return False
    return not point_second or _letters_point(last, size) is not None


def _is_point_or_rect(v: bytes, size: int) -> bool:
    first, colon, last = v.partition(b":")
    a = _letters_point(first, size)
    return a is not None and (not colon or _letters_point(last, size) is not None)


# ---------------------------------------------------------------- writing

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


TEMP_PREFIX = ".gofix-"  # atomic_write's temp files: '.gofix-<name>.<8 random>.tmp'
_TEMP_NAME = re.compile(r"\.gofix-.*\.[a-z0-9_]{8}\.tmp\Z", re.S)


def is_gofix_temp(name: str) -> bool:
    """Whether a file name is one of ``atomic_write``'s temp files (what an interrupted run leaves)."""
    return _TEMP_NAME.match(name) is not None


def atomic_write(path: str | os.PathLike, data: bytes, *, fsync: bool = True) -> None:
    """Write ``data`` to ``path`` all at once: temp file in the same directory, fsync, rename.

    ``fsync=False`` skips the fsync (still atomic for readers and against a
    killed process; a batch writer then syncs once per chunk). The target
    keeps its permission bits (new files get 0o644). On any failure the temp
    file is removed, the target is untouched and the error (OSError) is raised.
    """
    target = os.fspath(path)
    directory = os.path.dirname(target) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=TEMP_PREFIX + os.path.basename(target) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        try:
            mode = os.stat(target).st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
