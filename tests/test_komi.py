"""Komi as servers write it -> points (gofix.komi), and where gofix compares or writes komi."""

import random

import pytest

from gofix.archive import reconcile as rc
from gofix.versions import reconcile as group
from gofix import formats as sgf_io
from gofix.komi import normalise_komi
from gofix.record import GameRecord, Node
from gofix.rules.synth import random_game


@pytest.mark.parametrize("written, points, note", [
    ("7.5", 7.5, None), ("6.50", 6.5, None), ("7.500000", 7.5, None), ("0", 0.0, None), ("-5.5", -5.5, None),
    (7.5, 7.5, None), (b"5.5", 5.5, None),
    ("750", 7.5, "komi x100, as Fox writes it"), ("650", 6.5, "x100"), ("450", 4.5, "x100"), (750, 7.5, "x100"),
    ("375", 7.5, "in stones"),  # Fox, Chinese rules: 3.75 stones x100
    ("3.75", 7.5, "in stones, as Chinese counting gives it"), ("2.75", 5.5, "in stones"),
    ("7,5", 7.5, "decimal comma"),
])
def test_normalise_komi(written, points, note):
    komi, said = normalise_komi(written)
    assert komi == points
    if note is None:
        assert said is None
    else:
        assert note in said and f"read as {points:g} points" in said


@pytest.mark.parametrize("written", ["", "abc", "inf", "nan", "1e5", "9" * 5000, "100000", float("inf"), None])
def test_what_is_no_komi_says_so_and_never_raises(written):
    komi, said = normalise_komi(written)
    assert komi is None and said and ("not a number" in said or "not a komi" in said)


def _rec(moves, source, **props):
    root = Node({k: [v.encode()] for k, v in {"SZ": "19", **props}.items()})
    return GameRecord(source=source, index=0, size=19, root=root, moves=list(moves))


def test_fox_komi_x100_is_no_conflict_with_the_same_komi_in_points():
    game = random_game(random.Random(3), 40)
    records = [_rec(game, "x/fox.sgf", KM="750"), _rec(game, "x/other.sgf", KM="7.5")]
    out, line, _ = group.reconcile_group(records, None, src="x")
    assert line["metadata_conflicts"] == {}  # was {'KM': [['750', ...], ['7.5', ...]]}
    written = sgf_io.dump_game(out)
    assert b"KM[7.5]" in written and b"KM[750]" not in written
    [again] = sgf_io.parse_items(written, "o.sgf")
    assert "KM[750] read as 7.5 points (komi x100, as Fox writes it)" in again.text("C")
    records = [_rec(game, "x/fox.sgf", KM="650"), _rec(game, "x/other.sgf", KM="7.5")]
    _, line, _ = group.reconcile_group(records, None, src="x")
    assert set(line["metadata_conflicts"]) == {"KM"}  # a real difference still is one


def test_converted_record_says_komi_in_points_with_a_note():
    [g] = sgf_io.parse_items(b"(;GM[1]FF[4]SZ[19]KM[375]RU[Chinese]C[kept];B[pd];W[dd])", "fox.sgf")
    out = sgf_io.dump_game(g)
    [again] = sgf_io.parse_items(out, "o.sgf")
    assert again.text("KM") == "7.5" and again.text("C").startswith("kept\n\ngofix: KM[375] read as 7.5 points")
    assert sgf_io.dump_game(again) == out  # said once: writing it again adds nothing
    [plain] = sgf_io.parse_items(b"(;GM[1]FF[4]SZ[19]KM[6.5];B[pd])", "p.sgf")
    assert b"KM[6.5]" in sgf_io.dump_game(plain) and b"C[" not in sgf_io.dump_game(plain)
    assert g.root.props["KM"] == [b"375"]  # the record read is not changed
