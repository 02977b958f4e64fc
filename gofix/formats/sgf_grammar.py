"""The SGF grammar, with nothing Go-specific: bytes -> game trees of nodes and raw property values.

File-level bytes first (BOMs, UTF-16/32 transcoding, control bytes), then the tokenizer: a fast
path for the common shape (runs of ``;B[xx]`` nodes) and a tolerant reader that recovers from
what real files hold (see ``formats.sgf``'s table). Nothing here recurses.
"""

from __future__ import annotations

import re

from . import limits
from gofix.record import Move, Node, main_line
import functools

# ---------------------------------------------------------------- file-level bytes

UTF8_BOM = b"\xef\xbb\xbf"
# Bytes that plain text does not contain (tab, newlines, ^Z and 0x20.. are allowed).
_CONTROL = bytes(b for b in range(256) if b < 0x20 and b not in (9, 10, 11, 12, 13, 26))
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL)


class NotSgf(Exception):
    """Internal: the whole file is not SGF; args[0] is the reason."""




def prepare(data: bytes) -> tuple[bytes, str]:
    """Strip a BOM, transcode UTF-16/32, reject binary data.

    Returns ``(data, 'UTF-16' or 'UTF-32' when transcoded, else '')``; raises
    NotSgf with the reason.
    """
    if data.startswith(UTF8_BOM):
        data = data[3:]
    wide = wide_codec(data)
    if wide:
        data = transcode(data, wide)
        if data is None:
            raise NotSgf(f"binary data, not SGF (looks like {WIDE_NAMES[wide]} but does not decode)")
    if not data.strip():
        raise NotSgf(f"no SGF game tree found (the file is {'blank' if data else 'empty'})")
    head = data[:4096].rstrip(b"\0")  # zero padding after a game is junk, not binary
    control = len(head.translate(None, _NOT_CONTROL))  # bytes no text holds
    if b"\0" in head or (control * 50 > len(head) and not _GAME_START.search(data, 0, 1 << 16)):
        raise NotSgf("binary data, not SGF")
    return data, WIDE_NAMES[wide] if wide else ""


WIDE_NAMES = {"utf-32": "UTF-32", "utf-32-le": "UTF-32", "utf-32-be": "UTF-32",
              "utf-16": "UTF-16", "utf-16-le": "UTF-16", "utf-16-be": "UTF-16"}


def transcode(data: bytes, codec: str) -> bytes | None:
    """``data`` decoded with ``codec`` and encoded as UTF-8, or None when it does not decode."""
    try:
        return data.decode(codec).encode("utf-8")
    except UnicodeDecodeError:
        return None


def wide_codec(data: bytes) -> str | None:
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


class Tree:
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


def show_value(raw: bytes, limit: int = 40) -> str:
    """Bytes as readable text for a message: control characters escaped, cut at ``limit``."""
    text = raw.decode("utf-8", errors="replace")
    cut = len(text) > limit
    text = repr(text[:limit])[1:-1]
    return text + "..." if cut else text


# _FAST: as _TOKEN, plus 1: a run of plain move nodes (;B[pd];W[dd]...) and 7: any other byte
_FAST = re.compile(rb"\s*+(?:((?:;[BW]\[(?:[a-zA-Z]{2})?\]\s*+)++)|" + _TOKENS + rb"|(.))", re.S)
_RUN_ITEM = re.compile(rb";([BW]\[[a-zA-Z]*)\]")  # b"B[pd" per node of a run
_VALUES = re.compile(rb"\[(" + _BODY + rb")\]", re.S)


def fast_tree(data: bytes) -> Tree | None:
    """The common case, quickly: exactly one well-formed game tree and nothing else.

    Returns None at the first thing that needs care or a message (junk,
    recovery, non-FF[4] names, a second game, an unusual SZ or move value,
    B and W or setup in one main-line node, ...); the caller then reads the
    data with read_trees, which builds the same tree where both succeed.
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
            if count > limits.MAX_NODES:  # read_trees refuses it without building the nodes past the limit
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
            if count > limits.MAX_NODES:
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
                elif key in SETUP_KEYS:
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
    tree = Tree(len(data) - len(data.lstrip()))
    tree.root = root
    tree.end = len(data.rstrip())
    tree.moves = moves
    return tree


def _root_moves(root: Node, moves: list[Move]) -> dict[bytes, tuple[Move, Move]] | None:
    """For fast_tree: the move table of a plain SZ, after adding the root's own moves.

    None when SZ or a root move needs _board_size's or _to_moves's care.
    """
    sz = root.props.get("SZ")
    if sz is None:
        size = 19
    elif len(sz) == 1 and len(sz[0]) <= 2 and sz[0].isdigit() and 2 <= int(sz[0]) <= 25:
        size = int(sz[0])
    else:
        return None
    table = move_table(size)
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


def read_trees(data: bytes) -> list[Tree]:
    """Every game tree in ``data`` (tolerant), in file order; trees without nodes are dropped."""
    trees: list[Tree] = []
    pending: list[str] = []  # junk warnings for the next tree
    pos, n = 0, len(data)
    while pos < n:
        m = _GAME_START.search(data, pos)
        stop = m.start() if m else n
        junk = data[pos:stop].strip()
        if junk:
            pending.append(f"text outside the game tree ignored: '{show_value(junk)}'")
        if m is None:
            break
        reopen = data[stop] == 0x3B and bool(trees) and trees[-1].root is not None  # ";" after a game
        if reopen:
            tree, pos = trees[-1], stop
            tail = main_line(tree.root)[-1]
        else:
            tree, tail, pos = Tree(stop), None, stop + (data[stop] == 0x28)
            trees.append(tree)
        for message in pending:
            tree.warn(message)
        pending = []
        if reopen:
            stray = show_value(data[stop:], 20)
            tree.warn(f"nodes after the end of the game tree appended to its main line: '{stray}'")
        elif data[stop] == 0x3B:
            tree.warn("missing '(' before the game tree")
        pos = _read_tree(data, pos, tree, tail)
    if pending and trees:
        for message in pending:
            trees[-1].warn(message)
    return [t for t in trees if t.root is not None]


def _read_tree(data: bytes, pos: int, tree: Tree, tail: Node | None) -> int:
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
                tree.warn(f"property {show_value(ident)}[{show_value(value)}] without ';' before it: node added")
            node = Node()
            tree.nodes += 1
            if tail is None:
                tree.root = node
            elif tree.nodes > limits.MAX_NODES:  # skip to the end of this game: nothing more is built
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


def _skip_bad(data: bytes, pos: int, tree: Tree) -> int:
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
            f"file truncated: value {show_value(m.group(1))}[{show_value(data[m.end():], 20)} is not terminated; "
            "the incomplete property was dropped"
        )
        return n
    r = _RESYNC.search(data, start + 1)
    stop = r.start() if r else n
    tree.warn(f"text inside the game tree ignored: '{show_value(data[start:stop])}'")
    return stop


def _upper_key(ident: bytes) -> str:
    """An upper-case identifier as str, remembered (up to 4096 of them)."""
    key = ident.decode("ascii")
    if len(_KEYS) < 4096:
        _KEYS[ident] = key
    return key


def _ident_key(ident: bytes, tree: Tree) -> str:
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


def _escape_bare(values: list[bytes], key: str, tree: Tree) -> list[bytes]:
    """Escape every ']' that was read as text, with a warning for each value."""
    out = []
    for v in values:
        if _has_bare(v):
            tree.warn(f"unescaped ']' read as text in {key}[{show_value(v)}]")
            v = _BARE.sub(lambda m: b"\\]" if m.group() == b"]" else m.group(), v)
        out.append(v)
    return out


LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def first_value(props: dict, key: str) -> bytes | None:
    values = props.get(key)
    return values[0] if values else None


def letters_point(text: bytes, size: int) -> tuple[int, int] | None:
    """Two SGF letters as an on-board point, else None."""
    if len(text) != 2:
        return None
    col, top = LETTERS.find(chr(text[0])), LETTERS.find(chr(text[1]))
    row = size - 1 - top
    if col < 0 or top < 0 or not (0 <= row < size and col < size):
        return None
    return row, col


@functools.lru_cache(maxsize=None)
def move_table(size: int) -> dict[bytes, tuple[Move, Move]]:
    """Every two-letter value (and the passes) -> (Black move, White move) for this size.

    Points off the board keep the (row, col) they spell.
    """
    table = {b"": (Move("b", None, ""), Move("w", None, ""))}
    for col, c in enumerate(LETTERS):
        for top, t in enumerate(LETTERS):
            point = (size - 1 - top, col)
            table[(c + t).encode()] = (Move("b", point, c + t), Move("w", point, c + t))
    if size <= 19:
        table[b"tt"] = (Move("b", None, "tt"), Move("w", None, "tt"))
    return table


SETUP_KEYS = ("AB", "AW", "AE")
