"""gofix.versions.grouping: copies of one game found under symmetry and errors; different games kept apart."""

import os
import random

import numpy as np
import pytest

from gofix.versions.align import in_orientation

from gofix.coords import to_sgf, transform
from gofix.versions.grouping import (
    GroupConfig,
    Ref,
    agreement,
    best_symmetry,
    compact,
    group_compacts,
    group_games,
    group_path,
    perm_table,
    record_keys,
    same_game,
    tokens_of,
    window_hashes,
)
from gofix.record import GameRecord, Move, Node, Unreadable
from gofix.rules.synth import random_game

REAL_DEV = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "real-dev")


def _rec(moves, source, size=19, index=0):
    return GameRecord(source=source, index=index, size=size, root=Node({"SZ": [str(size).encode()]}), moves=list(moves))


def _turn(moves, sym, size=19):
    return in_orientation(moves, sym, size)


GAME = random_game(random.Random(1), 180)
OTHER = random_game(random.Random(2), 180)


def _groups(g):
    return [[g.refs[i].source for i in grp] for grp in g.groups]


def test_tokens_and_symmetry_tables():
    toks = tokens_of([Move("b", (3, 15), "pd"), Move("w", None, ""), Move("b", (19, 0), "as")], 19)
    assert toks.tolist() == [3 * 19 + 15, 1024 + 361, 362]
    table = perm_table(19)
    assert table[0].tolist()[:400] == list(range(400))
    for sym in range(8):  # a token keeps its colour; passes stay passes
        r, c = transform((3, 15), sym, 19)
        assert table[sym, 1024 + 3 * 19 + 15] == 1024 + r * 19 + c
        assert table[sym, 1024 + 361] == 1024 + 361


@pytest.mark.parametrize("sym", range(8))
def test_keys_are_the_same_under_every_symmetry(sym):
    cfg = GroupConfig()
    a = tokens_of(GAME, 19)
    b = tokens_of(_turn(GAME, sym), 19)
    assert np.array_equal(window_hashes(a, 19, 8), window_hashes(b, 19, 8))
    assert np.array_equal(record_keys(a, 19, cfg), record_keys(b, 19, cfg))
    assert best_symmetry(b, a, 19) == sym
    assert agreement(b, a, 19)[0] == len(GAME)


def test_keys_differ_by_board_size():
    small = random_game(random.Random(3), 60, size=13)
    cfg = GroupConfig()
    k13 = record_keys(tokens_of(small, 13), 13, cfg)
    k19 = record_keys(tokens_of(small, 19), 19, cfg)  # the same (row, col) sequence on a bigger board
    assert not set(k13.tolist()) & set(k19.tolist())


def test_rotated_mirrored_and_erroneous_copies_are_one_group():
    copies = [_rec(GAME, "a.sgf"), _rec(_turn(GAME, 5), "b.sgf"), _rec(_turn(GAME, 2), "c.sgf")]
    wrong = list(_turn(GAME, 3))
    wrong[5] = wrong[5]._replace(point=(0, 0), sgf="as")  # an error in the opening
    del wrong[90]  # a missing move
    copies.append(_rec(wrong, "d.sgf"))
    copies.append(_rec(_turn(GAME, 7)[:150], "e.sgf"))  # cut short
    copies.append(_rec(OTHER, "x.sgf"))
    g = group_games(copies)
    assert _groups(g) == [["a.sgf", "b.sgf", "c.sgf", "d.sgf", "e.sgf"]]
    assert [g.refs[i].source for i in g.singletons()] == ["x.sgf"]


def test_records_sharing_only_an_opening_are_not_grouped():
    opening = GAME[:40]
    other = opening + [m for m in OTHER[40:]]
    assert not same_game(tokens_of(GAME, 19), tokens_of(other, 19), 19, GroupConfig())
    # tiny config: every key is checked, none skipped as too common
    g = group_games([_rec(GAME, "a.sgf"), _rec(_turn(other, 4), "b.sgf")], GroupConfig(max_bucket=1000))
    assert g.groups == []
    assert g.stats.checked >= 1 and g.stats.rejected == g.stats.checked
    # nor a short record that is only the opening of a long game
    g = group_games([_rec(GAME, "a.sgf"), _rec(GAME[:40], "b.sgf")])
    assert g.groups == []


def test_a_group_of_one_and_too_short_records():
    g = group_games([_rec(GAME, "a.sgf"), _rec(GAME[:10], "b.sgf"), _rec(GAME[:10], "c.sgf")])
    assert g.groups == []
    assert g.stats.too_short == 2
    assert len(g.singletons()) == 3


def test_another_board_size_is_never_grouped():
    small = random_game(random.Random(4), 80, size=13)
    as19 = [Move(m.colour, m.point, to_sgf(m.point, 19) if m.point else "") for m in small]
    g = group_games([_rec(small, "a.sgf", size=13), _rec(as19, "b.sgf", size=19),
                     _rec(_turn(small, 6, 13), "c.sgf", size=13)])
    assert _groups(g) == [["a.sgf", "c.sgf"]]


def test_unreadable_items_are_counted_not_grouped():
    g = group_games([Unreadable("bad.sgf", 0, "cannot read"), _rec(GAME, "a.sgf"), _rec(GAME, "b.sgf")])
    assert g.unreadable == [("bad.sgf", 0, "cannot read")]
    assert g.stats.unreadable == 1 and g.stats.records == 2
    assert _groups(g) == [["a.sgf", "b.sgf"]]


def test_common_keys_are_skipped_without_quadratic_work():
    # 100 different games sharing a 30-move opening: the opening's keys are too common
    opening = GAME[:30]
    records = [_rec(opening + random_game(random.Random(100 + k), 150)[30:], f"g{k:03d}.sgf") for k in range(100)]
    g = group_games(records, GroupConfig(max_bucket=20))
    assert g.groups == []
    assert g.stats.big_buckets >= 1
    assert g.stats.checked < 100
    # with no cap the reps limit still bounds the work: each bucket gives up after max_reps games
    g = group_games(records, GroupConfig(max_bucket=10_000, max_reps=3))
    assert g.groups == []
    assert g.stats.given_up_buckets >= 1 and g.stats.checked <= 4 * 100 * 4


def test_many_exact_copies_are_one_group_whatever_the_cap():
    records = [_rec(_turn(GAME, k % 8), f"c{k:03d}.sgf") for k in range(80)]
    for cfg in (GroupConfig(max_bucket=10), GroupConfig()):  # every key over the cap, or none
        g = group_games(records, cfg)
        assert len(g.groups) == 1 and len(g.groups[0]) == 80
        assert g.stats.checked == 79  # linear: each copy checked once against the first


def test_compact_keeps_the_source_and_moves():
    c = compact(_rec(GAME, "arch.zip!x/y.sgf", index=2), GroupConfig())
    assert c.ref == Ref("arch.zip!x/y.sgf", 2, 19, len(GAME))
    assert np.frombuffer(c.tokens, dtype=np.uint16).tolist() == tokens_of(GAME, 19).tolist()
    assert group_compacts([c]).refs[0].game_id == "arch.zip!x/y.sgf#2"


def test_group_path_reads_archives_and_keeps_sources(tmp_path):
    import zipfile

    def sgf(moves):
        return "(;FF[4]GM[1]SZ[19]%s)" % "".join(f";{m.colour.upper()}[{m.sgf}]" for m in moves)

    (tmp_path / "a.sgf").write_text(sgf(GAME) + sgf(OTHER))
    (tmp_path / "bad.sgf").write_bytes(b"\x00\x01\xff not sgf" * 5)
    with zipfile.ZipFile(tmp_path / "z.zip", "w") as z:
        z.writestr("in/b.sgf", sgf(_turn(GAME, 1)))
        z.writestr("in/c.sgf", sgf(_turn(OTHER, 4)))
    for jobs in (1, 2):
        g = group_path(tmp_path, jobs=jobs)
        ids = [[g.refs[i].game_id for i in grp] for grp in g.groups]
        assert ids == [[f"{tmp_path}/a.sgf#0", f"{tmp_path}/z.zip!in/b.sgf#0"],
                       [f"{tmp_path}/a.sgf#1", f"{tmp_path}/z.zip!in/c.sgf#0"]]
        assert [u[0] for u in g.unreadable] == [f"{tmp_path}/bad.sgf"]


def test_real_pairs_are_grouped():
    if not os.path.isdir(REAL_DEV):
        pytest.skip("../shared/real-dev not present")
    g = group_path(REAL_DEV)
    folders = {os.path.basename(os.path.dirname(r.source)) for r in g.refs}
    grouped = {os.path.basename(os.path.dirname(g.refs[i].source)) for grp in g.groups for i in grp}
    assert grouped == folders  # every real pair, whatever its errors, is found
    for grp in g.groups:  # and each group is one game: every folder's A and B together
        fs = {os.path.basename(os.path.dirname(g.refs[i].source)) for i in grp}
        assert len(grp) == 2 * len(fs)


def test_records_dated_other_years_need_more_agreement():
    def dated(moves, source, dt):
        r = _rec(moves, source)
        r.root.props["DT"] = [dt.encode()]
        return r

    similar = GAME[:150] + OTHER[150:]  # the same game for 150 moves of 180, then another
    assert same_game(tokens_of(GAME, 19), tokens_of(similar, 19), 19, GroupConfig())
    g = group_games([dated(GAME, "a.sgf", "1688-01-14"), dated(similar, "b.sgf", "1689-01-03")])
    assert g.groups == [] and [r.year for r in g.refs] == [1688, 1689]
    g = group_games([dated(GAME, "a.sgf", "1688-01-14"), dated(similar, "b.sgf", "1688-02-01,02")])
    assert len(g.groups) == 1  # the same year
    near = list(GAME)
    near[50] = near[50]._replace(point=(0, 0), sgf="as")  # one move differs: a wrong date, not another game
    g = group_games([dated(GAME, "a.sgf", "1841-05-25"), dated(_turn(near, 2), "b.sgf", "1850-05-16")])
    assert len(g.groups) == 1
