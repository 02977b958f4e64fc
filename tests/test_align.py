"""gofix.versions.align: two records of one game -> the differing regions, classified."""

import csv
import glob
import os
import random
from collections import Counter

import pytest

from gofix.versions.align import DifferentGamesError, Region, align, in_orientation
from gofix.coords import to_sgf, transform
from gofix.record import Move
from gofix.rules.synth import random_game

SIZE = 19
GAME = random_game(random.Random(7), 160)  # legal, fight-like: a real-looking move list
REAL_DEV = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "real-dev")


def _move(colour, point):
    return Move(colour, point, to_sgf(point, SIZE) if point is not None else "")


def _fresh_point(moves, near, dist=1):
    """A point at Chebyshev distance ``dist`` from ``near`` not played anywhere in ``moves``."""
    used = {m.point for m in moves}
    r, c = near
    for dr in range(-dist, dist + 1):
        for dc in range(-dist, dist + 1):
            p = (r + dr, c + dc)
            if max(abs(dr), abs(dc)) == dist and 0 <= p[0] < SIZE and 0 <= p[1] < SIZE and p not in used:
                return p
    raise AssertionError("no fresh point")


def _recolour(moves):
    return [_move("w" if m.colour == "b" else "b", m.point) for m in moves]


def _one(a, b, **kw):
    al = align(a, b, SIZE, **kw)
    assert len(al.regions) == 1, al.regions
    return al.regions[0]


def test_identical_records_agree():
    al = align(GAME, list(GAME), SIZE)
    assert al.agree and al.symmetry == 0 and al.regions == []


def test_one_point_off_substitution_with_offset():
    a = list(GAME)
    b = list(GAME)
    p = _fresh_point(GAME, a[40].point)
    b[40] = _move(a[40].colour, p)
    r = _one(a, b)
    dx, dy = p[1] - a[40].point[1], a[40].point[0] - p[0]
    assert r == Region("substitution", (40, 41), (40, 41), (dx, dy), True)


def test_far_substitution_is_not_one_point_off():
    b = list(GAME)
    p = _fresh_point(GAME, GAME[70].point, dist=4)
    b[70] = _move(GAME[70].colour, p)
    r = _one(GAME, b)
    assert r.kind == "substitution" and not r.one_point_off and max(map(abs, r.offset)) == 4


@pytest.mark.parametrize("gap", [2, 4])
def test_swap_of_two_moves_of_one_colour(gap):
    b = list(GAME)
    b[50], b[50 + gap] = GAME[50 + gap], GAME[50]
    assert _one(GAME, b) == Region("swap", (50, 51 + gap), (50, 51 + gap))


def test_far_exchange_is_two_substitutions():
    b = list(GAME)
    b[30], b[44] = GAME[44], GAME[30]
    al = align(GAME, b, SIZE)
    assert [(r.kind, r.a) for r in al.regions] == [("substitution", (30, 31)), ("substitution", (44, 45))]


def test_two_pairs_reordered():
    b = GAME[:60] + GAME[62:64] + GAME[60:62] + GAME[64:]
    assert _one(GAME, b) == Region("reorder", (60, 64), (60, 64))


def test_moved_block():
    b = GAME[:80] + GAME[82:90] + GAME[80:82] + GAME[90:]
    assert _one(GAME, b) == Region("moved_block", (80, 90), (80, 90))


def test_replaced_block():
    b = list(GAME)
    for k in (100, 101, 102):
        b[k] = _move(GAME[k].colour, _fresh_point(GAME + b, GAME[k].point, dist=2))
    assert _one(GAME, b) == Region("replace_block", (100, 103), (100, 103))


def test_missing_moves_extra_in_a_and_extra_in_b():
    b = GAME[:90] + GAME[92:]
    assert _one(GAME, b) == Region("extra_in_A", (90, 92), (90, 90))
    assert _one(b, GAME) == Region("extra_in_B", (90, 90), (90, 92))


def test_missing_move_with_and_without_recolouring():
    kept = GAME[:90] + GAME[91:]  # the later colours kept: two moves of one colour in a row
    assert _one(GAME, kept) == Region("extra_in_A", (90, 91), (90, 90))
    flipped = GAME[:90] + _recolour(GAME[91:])  # the transcriber went on alternating
    assert _one(GAME, flipped) == Region("extra_in_A", (90, 91), (90, 90), recoloured=True)
    assert _one(flipped, GAME) == Region("extra_in_B", (90, 90), (90, 91), recoloured=True)


def test_colour_flip_undone_soon_is_one_replaced_block():
    b = GAME[:60] + _recolour(GAME[61:66]) + GAME[67:]  # moves 61 and 67 missing, colours flipped between
    assert _one(GAME, b) == Region("replace_block", (60, 67), (60, 65))


def test_recolour_of_the_same_points():
    b = GAME[:50] + _recolour(GAME[50:53]) + GAME[53:]
    assert _one(GAME, b) == Region("recolour", (50, 53), (50, 53))


def test_truncated_tail_either_way():
    assert _one(GAME, GAME[:120]) == Region("truncated_tail", (120, 160), (120, 120))
    assert _one(GAME[:120], GAME) == Region("truncated_tail", (120, 120), (120, 160))


def _inverse(sym):
    return next(s for s in range(8) if transform(transform((1, 2), sym, SIZE), s, SIZE) == (1, 2))


@pytest.mark.parametrize("sym", range(8))
def test_every_symmetry(sym):
    a = list(GAME)
    b = list(GAME)
    p = _fresh_point(GAME, a[40].point)
    b[40] = _move(a[40].colour, p)
    b = b[:100] + b[102:]
    al = align(a, in_orientation(b, sym, SIZE), SIZE)
    assert al.symmetry == _inverse(sym)
    assert in_orientation(in_orientation(b, sym, SIZE), al.symmetry, SIZE) == b
    dx, dy = p[1] - a[40].point[1], a[40].point[0] - p[0]
    assert al.regions == [Region("substitution", (40, 41), (40, 41), (dx, dy), True),
                          Region("extra_in_A", (100, 102), (100, 100))]


def test_handicap_as_setup_against_handicap_as_moves():
    stones = [(15, 3), (3, 15), (3, 3), (15, 15)]
    game = random_game(random.Random(3), 120)
    rest = [_move("w" if k % 2 == 0 else "b", m.point) for k, m in enumerate(game) if m.point not in stones][:100]
    as_moves = [_move("b", p) for p in stones] + rest
    al = align(rest, as_moves, SIZE, setup_a=stones)
    assert al.agree and al.b_index(0) == 4 and al.b_index(10) == 14
    al = align(as_moves, rest, SIZE, setup_b=stones)
    assert al.agree
    other_order = [_move("b", p) for p in reversed(stones)] + rest  # both as moves, another order
    assert align(as_moves, other_order, SIZE).agree
    # a difference after the handicap is numbered in each record's own moves
    changed = list(rest)
    changed[20] = _move(rest[20].colour, _fresh_point(game, rest[20].point))
    al = align(as_moves, changed, SIZE, setup_b=stones)
    assert [(r.kind, r.a, r.b) for r in al.regions] == [("substitution", (24, 25), (20, 21))]


def test_records_sharing_only_an_opening_are_not_the_same_game():
    other = GAME[:20] + random_game(random.Random(99), 160)[20:]
    with pytest.raises(DifferentGamesError, match=r"not the same game: the records share \d+ of 160 moves"):
        align(GAME, other, SIZE)
    assert len(align(GAME, other, SIZE, min_shared=0.0).regions) >= 1  # asked for anyway: the regions


def test_b_index_maps_between_regions():
    b = GAME[:30] + GAME[32:]
    al = align(GAME, b, SIZE)
    assert al.b_index(10) == 10 and al.b_index(30) == 30 and al.b_index(32) == 30 and al.b_index(100) == 98


def test_passes_and_empty_records():
    a = GAME[:40] + [_move("b", None)] + GAME[40:]
    assert _one(a, GAME) == Region("extra_in_A", (40, 41), (40, 40))  # the same colours after it
    assert _one([], GAME[:10]) == Region("truncated_tail", (0, 0), (0, 10))
    assert align([], [], SIZE).agree


def test_real_dev_pairs_align_as_labelled():
    """Every real pair: first region where pairs.tsv says; most kinds as labelled (see the script)."""
    tsv = os.path.join(REAL_DEV, "pairs.tsv")
    if not os.path.exists(tsv):
        pytest.skip("../shared/real-dev not present")
    from gofix.formats.read import read_game

    rows = list(csv.DictReader(open(tsv, encoding="utf-8"), delimiter="\t"))
    kinds_ok = 0
    for row in rows:
        folder = os.path.join(REAL_DEV, row["pair_id"])
        ra = read_game(glob.glob(os.path.join(folder, "A__*"))[0])
        rb = read_game(glob.glob(os.path.join(folder, "B__*"))[0])
        al = align(ra.moves, rb.moves, ra.size, setup_a=ra.setup_black, setup_b=rb.setup_black)
        assert al.regions and al.regions[0].a[0] + 1 == int(row["first_diff_move"]), row["pair_id"]
        kinds_ok += Counter(r.kind for r in al.regions) == Counter(row["region_kinds"].split(","))
    assert kinds_ok >= len(rows) - 2


# ---------------------------------------------------------------- long repetitive records: bounded (issue 21.8)


def _repetitive(n):
    return [_move("bw"[k % 2], (18, 0) if k % 2 == 0 else (17, 1)) for k in range(n)]  # ;B[aa];W[bb] ...


def test_long_repetitive_record_aligns_in_bounded_time():
    import time

    a = _repetitive(10_000)
    start = time.monotonic()
    assert align(a, list(a), SIZE).agree  # difflib took ~20 s on this
    b = a[:100] + a[101:5000] + [_move(a[5000].colour, (9, 9))] + a[5001:]
    b.insert(9000, _move("b", (3, 3)))
    al = align(a, b, SIZE)
    assert time.monotonic() - start < 8
    assert [(r.kind, r.a, r.b) for r in al.regions] == [
        ("extra_in_A", (100, 101), (100, 100)), ("substitution", (5000, 5001), (4999, 5000)),
        ("extra_in_B", (9001, 9001), (9000, 9001))]


def test_bounded_diff_gives_up_into_one_block_and_stays_fast():
    import time

    a = _repetitive(6_000)
    b = [_move("bw"[k % 2], (18, 0) if k % 3 else (17, 1)) for k in range(6_000)]  # differs all along
    start = time.monotonic()
    try:
        al = align(a, b, SIZE)
    except DifferentGamesError:
        al = None
    assert time.monotonic() - start < 10
    if al is not None:
        for r in al.regions:
            assert 0 <= r.a[0] <= r.a[1] <= len(a) and 0 <= r.b[0] <= r.b[1] <= len(b)


def test_normal_records_keep_difflibs_alignment():
    import difflib

    from gofix.versions import align as align_mod

    b = GAME[:30] + GAME[31:90] + [GAME[95]] + GAME[90:95] + GAME[96:]
    pa, pb = [m.point for m in GAME], [m.point for m in b]
    assert align_mod._opcodes(pa, pb) == difflib.SequenceMatcher(None, pa, pb, autojunk=False).get_opcodes()


@pytest.mark.parametrize("seed", range(40))
def test_bounded_diff_is_a_shortest_edit_script(seed):
    from gofix.versions.align import _bounded_opcodes

    rng = random.Random(seed)
    a = [rng.randrange(3) for _ in range(rng.randrange(0, 30))]
    b = list(a)
    for _ in range(rng.randrange(0, 6)):
        k = rng.randrange(len(b) + 1)
        b[k:k + rng.randrange(2)] = [rng.randrange(3)] * rng.randrange(2)
    ops = _bounded_opcodes(a, b, 400)
    i = j = 0
    for tag, i1, i2, j1, j2 in ops:  # the opcodes tile both lists, equal means equal
        assert (i1, j1) == (i, j) and (tag != "equal" or a[i1:i2] == b[j1:j2])
        i, j = i2, j2
    assert (i, j) == (len(a), len(b))
    lcs = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for x in range(len(a) - 1, -1, -1):
        for y in range(len(b) - 1, -1, -1):
            lcs[x][y] = lcs[x + 1][y + 1] + 1 if a[x] == b[y] else max(lcs[x + 1][y], lcs[x][y + 1])
    assert sum(i2 - i1 for tag, i1, i2, *_ in ops if tag == "equal") == lcs[0][0]
