"""New game trees from a record and a new main line of moves.

``with_main_line`` is what ``gofix corrupt`` writes: the root's metadata kept,
the main line replaced by the given moves, one move per node. Variations and
per-move properties (comments, time left) belong to the old main line and are
not carried over.

``with_repairs`` is what ``gofix fix`` writes: the repaired moves as the main
line, the original main line kept as a variation (its first node says so, in
``C[]``: ``ORIGINAL_NOTE``), changed moves marked.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from gofix.coords import to_sgf
from gofix.record import GameRecord, Move, Node, encode_text, main_line

# Properties that belong to a move (and so to the old main line), not to the game.
MOVE_PROPS = frozenset({"B", "W", "KO", "MN", "BL", "WL", "OB", "OW", "BM", "DO", "IT", "TE"})

# The comment on the first node of the original main line, kept as a variation by ``with_repairs``:
# which branch is which, for people reading the file in Sabaki or KaTrain.
ORIGINAL_NOTE = "gofix: the original record as read (the main line is the repaired one)"


def move_value(move: Move, size: int) -> bytes:
    """The SGF value of a move: its original text when it still names the point, else to_sgf."""
    if move.point is None:
        return b""
    try:
        return to_sgf(move.point, size).encode("ascii")
    except ValueError:  # off the board: keep what was written
        return move.sgf.encode("ascii", errors="replace")


def move_node(move: Move, size: int) -> Node:
    return Node({move.colour.upper(): [move_value(move, size)]}, [])


def with_main_line(record: GameRecord, moves: Sequence[Move]) -> GameRecord:
    """A copy of ``record`` whose tree is its root metadata plus ``moves`` as a plain line."""
    root = Node({k: list(v) for k, v in record.root.props.items() if k not in MOVE_PROPS}, [])
    tail = root
    for m in moves:
        node = move_node(m, record.size)
        tail.children.append(node)
        tail = node
    return replace(record, root=root, moves=list(moves), raw=None, warnings=list(record.warnings))


def move_nodes(root: Node) -> list[Node]:
    """The main-line node holding each move of the main line (a node may hold two)."""
    out = []
    for node in main_line(root):
        for key in node.props:
            if key in ("B", "W"):
                out.extend([node] * len(node.props[key][:1]))
    return out


def _add_comment(props: dict, text: str) -> None:
    """Append ``text`` to the node's ``C[]`` (after a blank line), or make it the comment."""
    note = encode_text(text)
    props["C"] = [props["C"][0] + b"\n\n" + note] if props.get("C") else [note]


def with_repairs(record: GameRecord, moves: Sequence[Move], notes: dict[int, str] | None = None,
                 summary: str | None = None) -> GameRecord:
    """A copy of ``record`` whose main line is ``moves``, the original kept as a variation.

    The tree is shared up to the first move that differs. There the repaired
    continuation becomes the first child (main line) and the original
    continuation stays as the next child, unchanged but for ``ORIGINAL_NOTE``
    appended to its first node's comment (not when the repair only appends
    moves after the end of the line, nor when it only removes moves from the
    end: then there is no second child). In the repaired line a
    move that also stands in the original continuation (same point, matched
    in order) keeps its node's other properties (comments, time left); a
    changed move gets ``DO[]`` and ``C[]`` with ``notes[index]`` (index into
    ``moves``). ``summary`` is appended to the root's ``GC[]``. Everything
    else in the file is kept. Returns ``record`` itself when nothing changed.
    Text values are written in the record's encoding (``formats.dump_game``
    recodes to UTF-8 on output); notes are ASCII-safe UTF-8 and are recoded
    the same way, so prefer ASCII in notes for non-UTF-8 records.
    """
    import copy
    from difflib import SequenceMatcher

    notes = notes or {}
    old = record.moves
    k = 0
    while k < min(len(old), len(moves)) and old[k][:2] == moves[k][:2]:
        k += 1
    if k == len(old) == len(moves):
        return record
    root = copy.deepcopy(record.root)
    line = main_line(root)
    holders = move_nodes(root)
    if k < len(holders):
        branch = holders[k]
        k = holders.index(branch)  # first move of that node
    else:  # only moves appended after the end of the line
        branch = None
    if branch is root:  # the first moves sit in the root node: split them off
        moved = Node({key: v for key, v in root.props.items() if key in MOVE_PROPS}, root.children)
        root.props = {key: v for key, v in root.props.items() if key not in MOVE_PROPS}
        root.children = [moved]
        parent, branch = root, moved
        line = main_line(root)
    elif branch is None:
        parent = line[-1]
    else:
        parent = line[line.index(branch) - 1]

    # the original continuation: nodes from `branch` on, with their move indices
    old_tail = old[k:]
    old_nodes = holders[k:]
    matcher = SequenceMatcher(None, [m[1] for m in old_tail], [m[1] for m in moves[k:]], autojunk=False)
    source_of = {}
    for a, b, size in matcher.get_matching_blocks():
        for d in range(size):
            source_of[k + b + d] = old_nodes[a + d]
    head = tail = None
    for j in range(k, len(moves)):
        m = moves[j]
        src = source_of.get(j)
        if src is not None and sum(key in ("B", "W") for key in src.props) == 1:
            props = {key: list(v) for key, v in src.props.items() if key not in ("B", "W")}
        else:
            props = {}
        props[m.colour.upper()] = [move_value(m, record.size)]
        if src is None or j in notes:
            props["DO"] = [b""]
            _add_comment(props, notes.get(j, "gofix: changed"))
        node = Node(props, [])
        if head is None:
            head = node
        else:
            tail.children.append(node)
        tail = node
    if head is not None:
        parent.children.insert(0, head)
        if branch is not None:  # after the repaired line copied its nodes' properties: the note is the original's
            _add_comment(branch.props, ORIGINAL_NOTE)
    if summary:
        gc = root.props.get("GC")
        root.props["GC"] = [gc[0] + b"\n" + encode_text(summary)] if gc else [encode_text(summary)]
    return replace(record, root=root, moves=list(moves), raw=None, warnings=list(record.warnings))
