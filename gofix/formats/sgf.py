"""SGF game trees -> ``GameRecord``, without loss (the trees: ``sgf_grammar``; writing back: ``sgf_writer``).

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
charset                               see ``choose_encoding``
====================================  ==========================================

Known limit: a Shift-JIS/Big5/GBK text byte 0x5C or 0x5D inside a two-byte
character is read as ``\\`` or ``]`` (the SGF grammar is byte-based).
"""

from __future__ import annotations


from . import limits
from gofix.record import GameRecord, Move, Node, Unreadable
from .charsets import choose_encoding
from .sgf_grammar import (
    NotSgf,
    SETUP_KEYS,
    Tree,
    fast_tree,
    first_value,
    letters_point,
    move_table,
    prepare,
    read_trees,
    show_value,
)
from .sgf_strict import check_strict


def read_sgf(data: bytes, source: str, *, strict: bool = False) -> list[GameRecord | Unreadable]:
    """Every game tree in SGF bytes, in file order (``read.parse_collection`` once it knows the data is SGF)."""
    try:
        data, transcoded = prepare(bytes(data))
    except NotSgf as exc:
        return [Unreadable(source, 0, exc.args[0])]
    fast = fast_tree(data)
    trees = [fast] if fast is not None else read_trees(data)
    if not trees:
        return [Unreadable(source, 0, "no SGF game tree found")]
    return [
        _make_record(tree, data, source, index, strict=strict, transcoded=transcoded)
        for index, tree in enumerate(trees)
    ]


class _Bad(Exception):
    """Internal: the game cannot be read; args[0] is the reason."""


def _make_record(
    tree: Tree,
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
    if tree.nodes > limits.MAX_NODES:
        return Unreadable(source, index, f"game tree has more than {limits.MAX_NODES:,} nodes, gofix's limit "
                                         "per game (MAX_NODES)")
    try:
        _check_game_type(props)
        size = _board_size(props, tree)
    except _Bad as exc:
        return Unreadable(source, index, exc.args[0])
    encoding = "utf-8" if transcoded else choose_encoding(root, raw, tree, strict)
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
    if len(record.moves) > limits.MAX_MOVES:
        return Unreadable(source, index, f"game has {len(record.moves):,} moves, over gofix's limit of "
                                         f"{limits.MAX_MOVES:,} per game (MAX_MOVES)")
    if strict:
        check_strict(root, size, tree)
        if tree.deviations:
            more = len(tree.deviations) - 1
            return Unreadable(source, index, tree.deviations[0] + (f" (and {more} more)" if more else ""))
    return record


def _check_game_type(props: dict) -> None:
    gm = first_value(props, "GM")
    if gm is not None and gm.strip() not in (b"1", b""):
        raise _Bad(f"not a Go game: GM[{show_value(gm)}]")


def _board_size(props: dict, tree: Tree) -> int:
    """SZ of the root: 19 when absent; raises _Bad quoting SZ when unusable."""
    raw = first_value(props, "SZ")
    if raw is None:
        return 19
    text = raw.strip()
    shown = f"SZ[{show_value(raw)}]"
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


def _handicap(props: dict, tree: Tree) -> int:
    raw = first_value(props, "HA")
    if raw is None:
        return 0
    text = raw.strip()
    if not text.isdigit():
        tree.warn(f"HA[{show_value(raw)}] is not a number; handicap read as 0")
        return 0
    if len(text.lstrip(b"0")) > 9:  # int() refuses strings over 4,300 digits
        tree.warn(f"HA[{show_value(raw)}] is too large; handicap read as 0")
        return 0
    return int(text)


def _first_player(props: dict, tree: Tree) -> str | None:
    raw = first_value(props, "PL")
    if raw is None:
        return None
    text = raw.strip().upper()
    if text in (b"B", b"W"):
        return text.decode().lower()
    if text in (b"BLACK", b"WHITE"):
        tree.warn(f"PL[{show_value(raw)}] read as {text[:1].decode().lower()}")
        return text[:1].decode().lower()
    tree.warn(f"PL[{show_value(raw)}] is not B or W; ignored")
    return None


def _points(key: str, values: list[bytes], size: int, tree: Tree) -> list[tuple[int, int]]:
    """Expand a point list (``aa``, ``aa:cc``) on the board; bad values are warned about and dropped."""
    out = []
    for raw in values:
        text = raw.strip()
        first, colon, last = text.partition(b":")
        a, b = letters_point(first, size), letters_point(last if colon else first, size)
        if a is None or b is None:
            tree.warn(f"setup point {key}[{show_value(raw)}] is not on the {size}x{size} board; ignored")
            continue
        for row in range(min(a[0], b[0]), max(a[0], b[0]) + 1):
            for col in range(min(a[1], b[1]), max(a[1], b[1]) + 1):
                out.append((row, col))
    return out


def _setup(props: dict, size: int, tree: Tree) -> tuple[list, list]:
    """Root AB and AW, each minus AE, in file order without duplicates."""
    if not ("AB" in props or "AW" in props):
        return [], []
    empty = set(_points("AE", props.get("AE", []), size, tree))
    black = [p for p in dict.fromkeys(_points("AB", props.get("AB", []), size, tree)) if p not in empty]
    white = [p for p in dict.fromkeys(_points("AW", props.get("AW", []), size, tree)) if p not in empty]
    return black, white


def _main_line_props(root: Node, tree: Tree) -> list[tuple[str, list[bytes], int]]:
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


def _main_line_extras(props: dict, number: int, done: int, tree: Tree) -> None:
    if "B" in props and "W" in props:
        tree.warn(f"node {number} has both B and W; both read, in file order")
    for key in SETUP_KEYS:
        if key in props:
            where = f"node {number} of the main line (after move {done})"
            tree.note(f"setup {key} in {where} kept in the tree, not applied")


def _to_moves(found: list[tuple[str, list[bytes], int]], size: int, tree: Tree) -> list[Move]:
    """Moves from main-line B/W values; values that are not points are skipped with a warning."""
    get = move_table(size).get
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
                    tree.warn(f"move {key}[{show_value(v)}] (node {number}) is not an SGF point; skipped")
                    continue
                tree.deviate(f"move {key}[{show_value(v)}] has spaces")
                pair = tuple(Move(m.colour, m.point, v.decode("latin-1")) for m in pair)
            moves.append(pair[side])
    return moves


