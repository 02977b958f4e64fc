import random

import sgfmill.sgf

from gofix.record import Move, main_line
from gofix.repair.rewrite import ORIGINAL_NOTE, with_main_line, with_repairs
from gofix.formats.sgf_writer import dump_game
from gofix.formats.read import parse_collection
from gofix.rules.synth import random_game

HEAD = "(;FF[4]GM[1]SZ[19]CA[UTF-8]PB[Kitani]PW[Go Seigen]GC[Game 3]C[root comment]"


def _record(text: str):
    (rec,) = parse_collection(text.encode(), "t.sgf")
    return rec


def _game(moves, tail="", per_move=None):
    per_move = per_move or {}
    body = "".join(f";{m.colour.upper()}[{m.sgf}]{per_move.get(i, '')}" for i, m in enumerate(moves))
    return HEAD + body + tail + ")"


def _pts(moves):
    return [(m.colour, m.point) for m in moves]


def test_with_main_line_keeps_root_metadata_and_replaces_moves():
    moves = random_game(random.Random(1), 40)
    rec = _record(_game(moves, tail="(;B[aa])"))
    new = moves[:10] + moves[12:]
    out = with_main_line(rec, new)
    again = _record(dump_game(out).decode())
    assert _pts(again.moves) == _pts(new)
    assert again.root.props["PB"] == [b"Kitani"] and again.root.props["C"] == [b"root comment"]


def test_with_repairs_keeps_original_as_variation_and_marks_changes():
    moves = random_game(random.Random(2), 60)
    rec = _record(_game(moves, per_move={5: "C[joseki]BL[120]", 30: "C[a comment on 31]WL[55]", 40: "C[later]"}))
    fixed = list(moves)
    p = fixed[30].point
    fixed[30] = Move(fixed[30].colour, (p[0], (p[1] + 1) % 19), "")
    out = with_repairs(rec, fixed, {30: "gofix: W 31 moved (0.93)"}, summary="gofix: 1 move changed")
    data = dump_game(out)
    again = _record(data.decode())
    assert _pts(again.moves) == _pts(fixed)
    # the original line is the second child at the branch point, unchanged ...
    line = main_line(again.root)
    branch_parent = line[30]  # root + 30 moves: node of move 30 (index 29)
    assert len(branch_parent.children) == 2
    variation = branch_parent.children[1]
    orig_tail = []
    node = variation
    while node is not None:
        orig_tail.append(node)
        node = node.children[0] if node.children else None
    assert len(orig_tail) == len(moves) - 30
    # ... but for a comment naming it, after the comment it had
    assert variation.props["C"] == [b"a comment on 31\n\n" + ORIGINAL_NOTE.encode()]
    # the changed move is marked, the untouched ones keep their properties
    changed = line[31]
    assert "DO" in changed.props and b"0.93" in changed.props["C"][0]
    assert line[41].props["C"] == [b"later"] and "DO" not in line[41].props
    assert line[6].props["BL"] == [b"120"]
    assert again.root.props["GC"] == [b"Game 3\ngofix: 1 move changed"]
    assert again.root.props["PB"] == [b"Kitani"]
    # strictly valid FF[4] (the strict reader allows no recovery), UTF-8 declared
    (strict,) = parse_collection(data, "fixed.sgf", strict=True)
    assert isinstance(strict, type(again)) and _pts(strict.moves) == _pts(fixed)
    assert again.root.props["CA"] == [b"UTF-8"]
    # other Go software reads it: sgfmill's main line is the repaired one
    game = sgfmill.sgf.Sgf_game.from_bytes(data)
    seq = [n.get_move() for n in game.get_main_sequence()[1:]]
    assert seq == [(m.colour, m.point) for m in fixed]


def test_with_repairs_length_change_and_root_moves():
    moves = random_game(random.Random(3), 30)
    # first move in the root node; repair deletes it
    text = HEAD + f"B[{moves[0].sgf}]" + "".join(f";{m.colour.upper()}[{m.sgf}]" for m in moves[1:]) + ")"
    rec = _record(text)
    assert _pts(rec.moves) == _pts(moves)
    fixed = moves[1:]
    out = with_repairs(rec, fixed, {})
    again = _record(dump_game(out).decode())
    assert _pts(again.moves) == _pts(fixed)
    assert again.root.props["PB"] == [b"Kitani"]
    # the original (with its first move) is the second child of the root
    assert len(again.root.children) == 2
    assert again.root.children[1].props["B"] == [moves[0].sgf.encode()]
    assert again.root.children[1].props["C"] == [ORIGINAL_NOTE.encode()]  # named, not the repaired line
    assert ORIGINAL_NOTE.encode() not in b"".join(again.root.children[0].props.get("C", []))
    assert again.root.props["C"] == [b"root comment"]


def test_with_repairs_unchanged_returns_record():
    moves = random_game(random.Random(4), 20)
    rec = _record(_game(moves))
    assert with_repairs(rec, list(moves)) is rec
