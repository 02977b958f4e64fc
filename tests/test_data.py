"""Per-move inputs and labels of the tagger dataset: hand-made positions, every edit class, symmetries."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from gofix.train import data
from gofix.models import encoding
from gofix.coords import transform
from gofix.train.corrupt import KINDS, Channel
from gofix.record import Move
from gofix.rules.synth import random_game

W, K = 9, 5


def game(seed: int = 1, n: int = 120) -> list[Move]:
    return random_game(random.Random(seed), n)


def test_planes_of_a_hand_made_position():
    moves = [Move("b", (3, 3)), Move("w", (3, 4)), Move("b", (4, 4))]
    enc = encoding.encode_moves(moves, window=W, history=K)
    c = W // 2
    assert enc.planes.shape == (3, encoding.n_planes(K), W, W)
    assert enc.on_board.all()
    # move 1 (White at (3,4)): Black (3,3) is an opponent stone with 4 liberties, one column left
    assert enc.planes[1, 5, c, c - 1] == 1 and enc.planes[1, :5, c, c - 1].sum() == 0
    assert enc.planes[1, 7, c, c - 1] == -1  # the previous move, other colour
    assert enc.planes[1, 7 + K, c + 1, c] == -1  # the next move (4,4), other colour
    # move 2 (Black at (4,4)): its own stone (3,3) one row down and one left; White (3,4) has 3 liberties
    assert enc.planes[2, 2, c - 1, c - 1] == 1 and enc.planes[2, 5, c - 1, c] == 1
    assert enc.planes[2, 8, c - 1, c - 1] == 1  # two moves back, same colour
    # move 0 on the 4th line: three rows below are on the board, the fourth is off it
    assert enc.planes[0, 6, 0].all() and not enc.planes[0, 6, 1:, 1:].any()
    assert enc.planes[0, :6].sum() == 0  # empty board before the first move


def test_liberty_buckets_and_atari():
    moves = [Move("b", (0, 0)), Move("w", (0, 1)), Move("b", (5, 5)), Move("w", (1, 1))]
    enc = encoding.encode_moves(moves, window=W, history=K)
    c = W // 2
    # before move 3 (White (1,1)): Black (0,0) has 1 liberty, seen as an opponent stone
    assert enc.planes[3, 3, c - 1, c - 1] == 1
    assert enc.planes[3, 1, c - 1, c] == 1  # White's own (0,1) has 2 liberties


def test_pass_has_an_empty_window():
    moves = [Move("b", (3, 3)), Move("w", None), Move("b", (4, 4))]
    enc = encoding.encode_moves(moves, window=W, history=K)
    assert not enc.on_board[1] and not enc.planes[1].any()
    assert enc.features.shape == (3, encoding.N_INPUT_FEATURES)


REPLACE = ("near", "two_lines", "digit", "transpose", "mirror")
CASES = [
    ("near", "near"), ("two_lines", "two_lines"), ("digit", "digit"), ("transpose", "transpose"),
    ("mirror", "mirror"), ("swap2", "swap2"), ("pair_order", "pair_order"), ("block_move", "block"),
    ("extra_one", "extra"), ("extra_pair", "extra"), ("extra_one_recolour", "extra"),
    ("colour", "colour"),
]


@pytest.mark.parametrize("kind,edit", CASES)
def test_labels_for_each_edit_class(kind, edit):
    moves = game(3)
    rng = random.Random(0)
    for at in range(20, 80):
        res = KINDS[kind](moves, 19, rng, at)
        if res is not None:
            break
    noisy, truth = res
    wrong, ed, point = data.labels_for(noisy, [truth], W)
    assert sorted(np.flatnonzero(wrong)) == sorted(truth.positions)
    assert all(encoding.EDIT_CLASSES[ed[p]] == edit for p in truth.positions)
    assert (ed[wrong == 0] == 0).all()
    if kind in REPLACE:
        p = truth.positions[0]
        cell = point[p]
        correct = truth.undo.insert[0].point
        if cell < W * W:
            assert encoding.cell_point(noisy[p].point, int(cell), W) == correct
        else:
            d = max(abs(correct[0] - noisy[p].point[0]), abs(correct[1] - noisy[p].point[1]))
            assert d > W // 2
        assert (point[np.arange(len(point)) != p] == encoding.IGNORE).all()
    else:
        assert (point == encoding.IGNORE).all()


@pytest.mark.parametrize("kind", ["drop_one", "drop_pair", "drop_one_recolour"])
def test_labels_for_missing_moves(kind):
    noisy, truth = KINDS[kind](game(4), 19, random.Random(0), 50)
    wrong, ed, _ = data.labels_for(noisy, [truth], W)
    gap = truth.undo.start
    assert wrong[gap] == wrong[gap - 1] == 1 and wrong.sum() == 2
    assert encoding.EDIT_CLASSES[ed[gap]] == "missing_before"
    assert encoding.EDIT_CLASSES[ed[gap - 1]] == "missing_after"


def _window_perm(sym: int) -> np.ndarray:
    """perm[cell in sym frame] = cell in the plain frame."""
    perm = np.zeros(W * W, int)
    for cell in range(W * W):
        a = transform((cell // W, cell % W), sym, W)
        perm[a[0] * W + a[1]] = cell
    return perm


@pytest.mark.parametrize("sym", range(8))
def test_symmetry_keeps_labels_and_moves_the_planes(sym):
    g = data.Game(game(5, 150), [], [], 0, None, "train")
    ch = Channel(weights={"near": 1.0, "two_lines": 1.0, "swap2": 1.0}, errors_per_game=3)
    plain = data.make_example(g, ch, random.Random(9), window=W, history=K, sym=0)
    moved = data.make_example(g, ch, random.Random(9), window=W, history=K, sym=sym)
    assert plain["wrong"].sum() > 0
    np.testing.assert_array_equal(plain["wrong"], moved["wrong"])
    np.testing.assert_array_equal(plain["edit"], moved["edit"])
    perm = _window_perm(sym)
    for t in np.flatnonzero(plain["point"] != encoding.IGNORE):
        if plain["point"][t] < W * W:
            assert perm[moved["point"][t]] == plain["point"][t]
    P = encoding.n_planes(K)
    a = plain["planes"].reshape(len(perm) and -1, P, W * W)
    b = moved["planes"].reshape(-1, P, W * W)[:, :, np.argsort(perm)]
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(plain["features"], moved["features"])


def test_whole_board_codes_are_seen_by_the_mover_and_collated():
    moves = [Move("b", (3, 3)), Move("w", (3, 4)), Move("b", (4, 4)), Move("w", None)]
    assert encoding.encode_moves(moves).board is None  # only when asked for
    board = encoding.encode_moves(moves, board=True).board
    assert board.shape == (4, 361) and board.dtype == np.int8
    assert board[0, 3 * 19 + 3] == encoding.MOVE_CODE and np.count_nonzero(board[0]) == 1  # the move's own point
    assert board[1, 3 * 19 + 3] == 6 and np.count_nonzero(board[1]) == 2  # White sees an opponent stone, 4 libs
    assert board[2, 3 * 19 + 3] == 3 and board[2, 3 * 19 + 4] == 6  # Black: own (3 libs), opponent's (3 libs)
    assert board[2, 4 * 19 + 4] == encoding.MOVE_CODE
    assert board[3, 4 * 19 + 4] == 6 and board[3, 3 * 19 + 4] == 2  # a pass gets the board too; own stone, 2 libs
    assert not (board[3] == encoding.MOVE_CODE).any()
    cache = data.cache_from_games([game(s, 40 + 10 * s) for s in range(3)])
    exs = [data.make_example(cache.game(i), None, random.Random(0), window=W, history=K, board=True)
           for i in range(3)]
    inputs, _ = encoding.collate(exs)
    assert inputs["board"].shape == (40 + 50 + 60, 361)
    assert torch.equal(inputs["board"][40:90], torch.from_numpy(exs[1]["board"]))
    assert "board" not in encoding.collate([data.make_example(cache.game(0), None, random.Random(0), window=W,
                                                          history=K)])[0]


def test_collate_pads_and_masks():
    cache = data.cache_from_games([game(s, 40 + 10 * s) for s in range(4)])
    exs = [data.make_example(cache.game(i), None, random.Random(0), window=W, history=K) for i in range(4)]
    inputs, targets = encoding.collate(exs)
    assert inputs["mask"].shape == (4, 70) and int(inputs["mask"].sum()) == 40 + 50 + 60 + 70
    assert inputs["planes"].shape[0] == int(inputs["mask"].sum())
    assert (targets["wrong"][~inputs["mask"]] == encoding.IGNORE).all()
    assert (targets["wrong"][inputs["mask"]] == 0).all()


def test_stream_is_sharded_and_seeded(tmp_path):
    cache = data.cache_from_games([game(s, 40) for s in range(6)])
    path = tmp_path / "c.npz"
    data.save_cache(cache, path)
    loaded = data.GameCache.load(path)
    assert [m.point for m in loaded.game(2).moves] == [m.point for m in cache.game(2).moves]
    s0 = data.TaggingStream(loaded, range(6), rank=0, world=2, max_tokens=10_000, chunk=3)
    s1 = data.TaggingStream(loaded, range(6), rank=1, world=2, max_tokens=10_000, chunk=3)
    a, b = next(iter(s0)), next(iter(s1))
    assert len(a[0]["lengths"]) == len(b[0]["lengths"]) == 3  # 6 games, 2 ranks
    again = next(iter(data.TaggingStream(loaded, range(6), rank=0, world=2, max_tokens=10_000, chunk=3)))
    assert (again[1]["wrong"] == a[1]["wrong"]).all()


def test_build_cache_keeps_source_order_counts_each_source_and_compresses(tmp_path):
    import zipfile

    from gofix.coords import to_sgf

    def write(folder, seeds, n=50):
        folder.mkdir()
        for s in seeds:
            body = "".join(f";{m.colour.upper()}[{to_sgf(m.point, 19)}]" for m in game(s, n))
            (folder / f"g{s}.sgf").write_text(f"(;FF[4]GM[1]SZ[19]{body})")

    write(tmp_path / "first", range(3))
    write(tmp_path / "second", range(10, 15))
    (tmp_path / "second" / "short.sgf").write_text("(;FF[4]SZ[19];B[dd];W[pp])")  # too short: not kept
    out = tmp_path / "c.npz"
    counts = data.build_cache([tmp_path / "first", tmp_path / "second"], out)
    assert counts["kept"] == 8 and counts["short_or_illegal"] == 1
    assert counts["kept_per_source"] == {str(tmp_path / "first"): 3, str(tmp_path / "second"): 5}
    cache = data.GameCache.load(out)
    # the first source's games come first, in order: its validation games stay the first ones
    firsts = sorted(tuple(m.point for m in game(s, 50)) for s in range(3))
    assert sorted(tuple(m.point for m in cache.game(i).moves) for i in range(3)) == firsts
    with zipfile.ZipFile(out) as z:
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_DEFLATED}


def test_usable_filters_illegal_and_short():
    from gofix.record import GameRecord, Node

    good = GameRecord("x", 0, 19, Node(), moves=game(6, 40))
    assert data.usable(good)
    bad = GameRecord("x", 0, 19, Node(), moves=good.moves + [good.moves[0]._replace(colour="w")])
    assert not data.usable(bad)
    assert not data.usable(GameRecord("x", 0, 19, Node(), moves=good.moves[:20]))
    assert not data.usable(GameRecord("x", 0, 13, Node(), moves=[]))


def _slow_snapshots(moves, size=19):
    """Reference: every point's code recomputed with the public Board API."""
    from gofix.rules.board import Board

    board = Board(size, superko=False)
    out = []
    for m in moves:
        snap = np.zeros((size, size), np.int8)
        for r in range(size):
            for c in range(size):
                who = board.get((r, c))
                if who is not None:
                    snap[r, c] = min(board.liberties((r, c)), 3) + (0 if who == "b" else 3)
        out.append(snap)
        board.play_unchecked(m[0], m[1])
    return np.array(out)


@pytest.mark.parametrize("seed", [0, 1])
def test_incremental_snapshots_match_a_full_recount(seed):
    moves = game(seed, 160)
    noisy, _ = Channel(errors_per_game=4).corrupt(moves, 19, random.Random(seed))  # occupied moves too
    noisy = noisy + [Move("b", None), Move("w", (0, 0)), Move("b", (0, 1)), Move("w", (1, 0))]
    np.testing.assert_array_equal(encoding.snapshots(noisy), _slow_snapshots(noisy))


def test_suicide_recodes_the_board():
    # White fills its own last liberty at (0,0): the stone is removed
    moves = [Move("b", (0, 1)), Move("w", (5, 5)), Move("b", (1, 0)), Move("w", (0, 0)), Move("b", (9, 9))]
    np.testing.assert_array_equal(encoding.snapshots(moves), _slow_snapshots(moves))
