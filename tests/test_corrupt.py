"""Seeded corruption tested by invariants: undo restores, structure holds, p=0 changes nothing."""

from __future__ import annotations

import json
import random
from collections import Counter
from functools import lru_cache

import pytest
from hypothesis import given, settings, strategies as st

from gofix.rules.board import Board
from gofix.coords import to_sgf
from gofix.train.corrupt import Channel, DEFAULT_WEIGHTS, KINDS, Truth, occupancy, undo_all
from gofix.edits import Edit, apply_edit
from gofix.record import Move, opponent

ALL_POINT_KINDS = ("near", "two_lines", "digit", "transpose", "mirror")


def random_game(seed: int, size: int = 19, n: int = 220, pass_every: int = 0) -> list[Move]:
    """Alternating colours (Black first), each move on a random empty point; passes optional."""
    return list(_random_game(seed, size, n, pass_every))


@lru_cache(maxsize=None)
def _random_game(seed: int, size: int, n: int, pass_every: int) -> tuple[Move, ...]:
    rng = random.Random(seed)
    board = Board(size, superko=False)
    moves = []
    for i in range(n):
        player = "bw"[i % 2]
        empty = [(r, c) for r in range(size) for c in range(size) if board.get((r, c)) is None]
        if not empty or (pass_every and i % pass_every == pass_every - 1):
            moves.append(Move(player, None, ""))
            continue
        point = rng.choice(empty)
        moves.append(Move(player, point, to_sgf(point, size)))
        board.play_unchecked(player, point)
    return tuple(moves)


def alternates(moves: list[Move]) -> bool:
    return all(a.colour != b.colour for a, b in zip(moves, moves[1:]))


def cheb(p, q) -> int:
    return max(abs(p[0] - q[0]), abs(p[1] - q[1]))


def diff_indices(a: list[Move], b: list[Move]) -> list[int]:
    assert len(a) == len(b)
    return [i for i, (x, y) in enumerate(zip(a, b)) if x != y]


def check_structure(kind: str, clean: list[Move], noisy: list[Move], truth: Truth, size: int) -> None:
    """The structural property each kind promises (clean alternates, Black first)."""
    n = len(clean)
    start = truth.undo.start
    if kind in ALL_POINT_KINDS:
        (i,) = diff_indices(clean, noisy)
        assert truth.positions == (i,)
        old, new = clean[i], noisy[i]
        assert new.colour == old.colour and new.sgf == to_sgf(new.point, size)
        assert occupancy(clean, size, i).get(new.point) is None  # empty when played
        (r, c), (r2, c2) = old.point, new.point
        if kind == "near":
            assert cheb(old.point, new.point) == 1
        elif kind == "two_lines":
            assert cheb(old.point, new.point) == 2
        elif kind == "digit":
            assert sorted((abs(r - r2), abs(c - c2))) == [0, 10]
        elif kind == "transpose":
            # rows counted from the top: (t, c) -> (c, t), i.e. the SGF letters swap
            assert (size - 1 - r2, c2) == (c, size - 1 - r)
            assert new.sgf == old.sgf[::-1]
        elif kind == "mirror":
            assert (r2, c2) in ((size - 1 - r, c), (r, size - 1 - c))
    elif kind == "colour":
        (i,) = diff_indices(clean, noisy)
        assert noisy[i] == clean[i]._replace(colour=opponent(clean[i].colour))
    elif kind == "swap2":
        assert Counter(noisy) == Counter(clean)
        i, j = truth.positions
        assert j == i + 2 and diff_indices(clean, noisy) == [i, i + 2]
        assert noisy[i] == clean[i + 2] and noisy[i + 2] == clean[i] and alternates(noisy)
    elif kind == "pair_order":
        i = truth.positions[0]
        assert truth.positions == (i, i + 1, i + 2, i + 3)
        assert noisy[i : i + 4] == clean[i + 2 : i + 4] + clean[i : i + 2] and alternates(noisy)
    elif kind == "block_move":
        assert Counter(noisy) == Counter(clean) and alternates(noisy)
        i, last = truth.positions[0], truth.positions[-1]
        d = last - i - 1
        assert d in range(4, 17, 2) and truth.positions == tuple(range(i, last + 1))
        span = clean[i : last + 1]
        assert noisy[i : last + 1] in (span[2:] + span[:2], span[d:] + span[:d])
        assert noisy[:i] == clean[:i] and noisy[last + 1 :] == clean[last + 1 :]
    elif kind.startswith("drop"):
        count = 2 if kind == "drop_pair" else 1
        assert len(noisy) == n - count
        assert truth.positions == (start - 1, start)
        recolour = kind == "drop_one_recolour"
        tail = clean[start + count :]
        if recolour:
            tail = [m._replace(colour=opponent(m.colour)) for m in tail]
        assert noisy == clean[:start] + tail
        if kind == "drop_one":
            assert not alternates(noisy) and noisy[start - 1].colour == noisy[start].colour
        else:
            assert alternates(noisy)
    elif kind.startswith("extra"):
        count = 2 if kind == "extra_pair" else 1
        assert len(noisy) == n + count
        assert truth.positions == tuple(range(start, start + count))
        tail = noisy[start + count :]
        if kind == "extra_one_recolour":
            tail = [m._replace(colour=opponent(m.colour)) for m in tail]
        assert noisy[:start] == clean[:start] and tail == clean[start:]
        added = noisy[start : start + count]
        for m in added:
            assert m.sgf == to_sgf(m.point, size)
        nearby = {m.point for m in clean[max(0, start - 6) : start + 5]}
        board = occupancy(clean, size, start)
        prev = clean[start - 1].point
        # a move written twice, or a plausible empty point near the previous move
        first = added[0].point
        assert first in nearby or (cheb(first, prev) <= 2 and board.get(first) is None)
        if kind == "extra_one":
            assert not alternates(noisy)
        else:
            assert alternates(noisy)
    else:  # pragma: no cover
        raise AssertionError(f"no structural check for {kind}")


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("size,n", [(19, 220), (9, 60)])
def test_every_kind_invariants(kind, size, n):
    applied = 0
    for seed in range(12):
        clean = random_game(seed, size, n)
        rng = random.Random(1000 + seed)
        result = KINDS[kind](clean, size, rng)
        if kind == "digit" and size < 11:
            assert result is None  # no two-digit numbers to slip
            continue
        assert result is not None, (kind, seed)
        noisy, truth = result
        assert truth.kind == kind
        assert noisy != clean
        assert all(0 <= p < len(noisy) for p in truth.positions)
        assert apply_edit(noisy, truth.undo) == clean
        assert undo_all(noisy, [truth]) == clean
        check_structure(kind, clean, noisy, truth, size)
        applied += 1
    assert applied > 0 or (kind == "digit" and size < 11)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_kind_at_is_respected_and_out_of_range_is_none(kind):
    clean = random_game(3)
    assert KINDS[kind](clean, 19, random.Random(0), at=len(clean)) is None
    assert KINDS[kind](clean, 19, random.Random(0), at=-1) is None
    at = 100
    result = KINDS[kind](clean, 19, random.Random(0), at=at)
    if result is not None:
        noisy, truth = result
        assert noisy[:at - 1] == clean[:at - 1]
        assert truth.span[0] >= at - 1


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_kind_is_deterministic(kind):
    clean = random_game(5)
    assert KINDS[kind](clean, 19, random.Random(9)) == KINDS[kind](clean, 19, random.Random(9))


def test_kinds_with_passes_and_short_games():
    clean = random_game(2, n=40, pass_every=3)
    for kind, fn in KINDS.items():
        result = fn(clean, 19, random.Random(1))
        if result is not None:
            noisy, truth = result
            assert apply_edit(noisy, truth.undo) == clean
    for kind, fn in KINDS.items():
        assert fn([], 19, random.Random(1)) is None
        assert fn(random_game(0, n=1), 19, random.Random(1)) is None or kind in ALL_POINT_KINDS + ("colour",)
    # passes are never moved or recoloured
    passes = [Move("bw"[i % 2], None, "") for i in range(10)]
    for kind in ALL_POINT_KINDS + ("colour",):
        assert KINDS[kind](passes, 19, random.Random(0)) is None


def test_new_point_must_be_empty():
    # 3x3: every point but the centre is full; 'near' the centre has nowhere to go
    size = 3
    ring = [(0, 0), (2, 2), (0, 2), (2, 0), (0, 1), (2, 1), (1, 0), (1, 2)]
    moves = [Move("bw"[i % 2], p, to_sgf(p, size)) for i, p in enumerate(ring)]
    board = occupancy(moves, size)
    assert all(board.get(m.point) == m.colour for m in moves)
    centre = Move("b", (1, 1), to_sgf((1, 1), size))
    assert KINDS["near"](moves + [centre], size, random.Random(0), at=8) is None


def test_occupancy_sees_captures():
    size = 5
    seq = [("b", (0, 1)), ("w", (0, 0)), ("b", (1, 0))]  # black captures the corner stone
    moves = [Move(c, p, to_sgf(p, size)) for c, p in seq]
    assert occupancy(moves, size).get((0, 0)) is None
    assert occupancy(moves, size, 2).get((0, 0)) == "w"
    # the captured point is free again, so 'near' of (1, 1) may use it
    after = moves + [Move("w", (1, 1), to_sgf((1, 1), size))]
    targets = {KINDS["near"](after, size, random.Random(s), at=3)[0][3].point for s in range(40)}
    assert (0, 0) in targets and (0, 1) not in targets and (1, 0) not in targets


# ---------------------------------------------------------------- channel


def test_weight_zero_never_produced_and_single_kind():
    games = [random_game(s) for s in range(6)]
    weights = dict(DEFAULT_WEIGHTS, near=0.0, swap2=0.0)
    channel = Channel(weights=weights, errors_per_game=3)
    seen = Counter()
    for s, game in enumerate(games):
        _, truths = channel.corrupt(game, 19, random.Random(s))
        seen.update(t.kind for t in truths)
    assert seen and "near" not in seen and "swap2" not in seen
    for kind in ("block_move", "extra_pair", "drop_one_recolour"):
        only = Channel(weights={kind: 1.0}, errors_per_game=2)
        _, truths = only.corrupt(games[0], 19, random.Random(4))
        assert [t.kind for t in truths] == [kind, kind]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_single_kind_channel_counts_exact(kind):
    channel = Channel(weights={kind: 1.0}, errors_per_game=3)
    for seed in range(8):
        game = random_game(seed, 19, 200)
        noisy, truths = channel.corrupt(game, 19, random.Random(seed))
        assert [t.kind for t in truths] == [kind] * 3
        assert undo_all(noisy, truths) == game


def test_nothing_changes_when_clean():
    game = random_game(1)
    for channel in (Channel(errors_per_game=0), Channel(errors_per_game=3, clean_share=1.0)):
        for seed in range(5):
            assert channel.corrupt(game, 19, random.Random(seed)) == (game, [])


def test_clean_share_roughly_respected():
    game = random_game(1, n=80)
    channel = Channel(errors_per_game=1, clean_share=0.3)
    clean = sum(not channel.corrupt(game, 19, random.Random(s))[1] for s in range(300))
    assert 60 <= clean <= 120


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 4), small=st.booleans())
def test_channel_counts_positions_undo(seed, k, small):
    size, n = (9, 90) if small else (19, 200)
    game = random_game(seed % 1000, size, n)
    channel = Channel(errors_per_game=k, min_gap=6)
    noisy, truths = channel.corrupt(game, size, random.Random(seed))
    assert len(truths) == k  # long enough: k + (k-1)*25 <= 79 < n
    assert noisy != game
    assert undo_all(noisy, truths) == game
    assert undo_all(noisy, list(reversed(truths))) == game  # order of the list does not matter
    spans = [t.span for t in truths]
    assert spans == sorted(spans)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert start - end >= channel.min_gap
    for t in truths:
        assert all(0 <= p < len(noisy) for p in t.positions)
        assert 0 <= t.undo.start <= len(noisy)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_undo_all_with_every_kind_mixed(k):
    uniform = Channel(weights={kind: 1.0 for kind in KINDS}, errors_per_game=k)
    seen = set()
    for seed in range(30):
        game = random_game(seed % 7, 19, 180)
        noisy, truths = uniform.corrupt(game, 19, random.Random(seed))
        assert len(truths) == k
        assert undo_all(noisy, truths) == game
        seen.update(t.kind for t in truths)
    if k == 4:
        assert seen == set(KINDS)


def test_positions_hold_in_final_sequence_for_point_kinds():
    game = random_game(7)
    channel = Channel(weights={"near": 1.0, "colour": 1.0, "drop_one_recolour": 1.0}, errors_per_game=4)
    for seed in range(10):
        noisy, truths = channel.corrupt(game, 19, random.Random(seed))
        for t in truths:
            if t.kind in ("near", "colour"):
                (i,) = t.positions
                # undoing just this error in the final record fixes exactly that move
                assert apply_edit(noisy, t.undo)[i] != noisy[i]


def test_same_seed_same_output_and_seed_matters():
    game = random_game(11)
    channel = Channel(errors_per_game=3)
    a = channel.corrupt(game, 19, random.Random(42))
    assert a == channel.corrupt(game, 19, random.Random(42))
    assert any(channel.corrupt(game, 19, random.Random(s)) != a for s in range(43, 48))


def test_global_random_not_used():
    game = random_game(11)
    random.seed(1)
    before = random.random()
    random.seed(1)
    Channel(errors_per_game=3).corrupt(game, 19, random.Random(0))
    assert random.random() == before


def test_short_game_gets_fewer_errors():
    channel = Channel(errors_per_game=4, min_gap=6)
    noisy, truths = channel.corrupt(random_game(0, n=12), 19, random.Random(0))
    assert 1 <= len(truths) < 4
    assert undo_all(noisy, truths) == random_game(0, n=12)
    assert channel.corrupt([], 19, random.Random(0)) == ([], [])


def test_default_kind_mix_roughly_follows_weights():
    games = [random_game(s) for s in range(4)]
    channel = Channel(errors_per_game=4)
    seen = Counter()
    for s in range(100):
        _, truths = channel.corrupt(games[s % 4], 19, random.Random(s))
        seen.update(t.kind for t in truths)
    total = sum(seen.values())
    assert total == 400
    assert 0.30 < seen["near"] / total < 0.50
    assert 0.08 < seen["swap2"] / total < 0.22


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"weights": {"nearby": 1.0}}, "unknown error kind"),
        ({"weights": {"near": -1.0}}, ">= 0"),
        ({"weights": {"near": 0.0}}, "weight 0"),
        ({"errors_per_game": -1}, "errors_per_game"),
        ({"clean_share": 1.5}, "clean_share"),
        ({"min_gap": -2}, "min_gap"),
    ],
)
def test_channel_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Channel(**kwargs)


# ---------------------------------------------------------------- edits and serialisation


def test_apply_edit_splice_and_recolour():
    moves = [Move("bw"[i % 2], (0, i), to_sgf((0, i), 19)) for i in range(5)]
    extra = Move("w", (5, 5), to_sgf((5, 5), 19))
    out = apply_edit(moves, Edit(1, 2, (extra,)))
    assert out == [moves[0], extra, moves[3], moves[4]]
    out = apply_edit(moves, Edit(2, 0, (extra,), recolour=True))
    assert out[:3] == [moves[0], moves[1], extra]
    assert [m.colour for m in out[3:]] == ["w", "b", "w"]
    with pytest.raises(ValueError, match="does not fit"):
        apply_edit(moves, Edit(4, 3))


def test_to_dict_round_trip():
    game = random_game(2)
    noisy, truths = Channel(errors_per_game=4).corrupt(game, 19, random.Random(3))
    data = json.loads(json.dumps([t.to_dict() for t in truths]))
    back = [Truth.from_dict(d) for d in data]
    assert back == truths
    assert undo_all(noisy, back) == game
    pass_edit = Edit(0, 1, (Move("b", None, ""),), True)
    assert Edit.from_dict(json.loads(json.dumps(pass_edit.to_dict()))) == pass_edit
    with pytest.raises(ValueError, match="colour"):
        Edit.from_dict({"start": 0, "delete": 0, "insert": [["x", None, ""]]})



def test_real_mix_puts_errors_late_and_orders_more_often():
    from gofix.train.corrupt import mix_channel, undo_all

    games = [random_game(s) for s in range(4)]
    late, plain = mix_channel("real", errors_per_game=1), mix_channel("default", errors_per_game=1)
    pos = {"real": [], "default": []}
    kinds = {"real": Counter(), "default": Counter()}
    for s in range(300):
        g = games[s % 4]
        for name, ch in (("real", late), ("default", plain)):
            noisy, truths = ch.corrupt(g, 19, random.Random(s))
            assert undo_all(noisy, truths) == list(g)  # the invariant holds for the biased anchors too
            for t in truths:
                pos[name].append(t.span[0] / len(noisy))
                kinds[name][t.kind] += 1
    last_third = {k: sum(p >= 2 / 3 for p in v) / len(v) for k, v in pos.items()}
    assert last_third["real"] > 0.45 and last_third["default"] < 0.42
    order = ("swap2", "pair_order", "block_move")
    share = {k: sum(kinds[k][o] for o in order) / sum(kinds[k].values()) for k in kinds}
    assert share["real"] > share["default"] + 0.1


def test_default_mix_channel_is_the_default_channel():
    from gofix.train.corrupt import mix_channel

    g = random_game(1)
    assert mix_channel("default", errors_per_game=2).corrupt(g, 19, random.Random(3)) == \
        Channel(errors_per_game=2).corrupt(g, 19, random.Random(3))
    with pytest.raises(ValueError, match="unknown error mix 'realistic'"):
        mix_channel("realistic")
    with pytest.raises(ValueError, match="late_bias"):
        Channel(late_bias=-1.0)
