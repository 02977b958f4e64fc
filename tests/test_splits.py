"""game_key is symmetry- and metadata-invariant; split_of is deterministic with the right shares."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from gofix.coords import to_sgf, transform
from gofix.record import Move
from gofix.train.splits import game_key, split_of


def random_moves(seed: int, size: int = 19, n: int = 80) -> list[Move]:
    rng = random.Random(seed)
    points = [(r, c) for r in range(size) for c in range(size)]
    rng.shuffle(points)
    moves = [Move("bw"[i % 2], p, to_sgf(p, size)) for i, p in enumerate(points[:n])]
    moves[n // 3] = Move(moves[n // 3].colour, None, "")  # a pass in the prefix
    return moves


def transformed(moves: list[Move], sym: int, size: int) -> list[Move]:
    out = []
    for m in moves:
        p = transform(m.point, sym, size)
        out.append(Move(m.colour, p, to_sgf(p, size)))
    return out


@pytest.mark.parametrize("size", [19, 13, 9])
def test_key_same_under_all_8_symmetries(size):
    moves = random_moves(1, size, 60 if size > 9 else 40)
    keys = {game_key(transformed(moves, sym, size), size) for sym in range(8)}
    assert len(keys) == 1
    # the transforms really are 8 different records
    assert len({tuple(transformed(moves, sym, size)) for sym in range(8)}) == 8


def test_key_ignores_metadata_and_sgf_spelling():
    moves = random_moves(2)
    respelt = [m._replace(sgf="tt") if m.point is None else m._replace(sgf=m.sgf.upper()) for m in moves]
    assert game_key(respelt, 19) == game_key(moves, 19)


def test_key_uses_only_the_prefix():
    moves = random_moves(3)
    later = moves[:60] + [Move("b", (3, 3), "dp")] + moves[61:]
    assert game_key(later, 19) == game_key(moves, 19)
    assert game_key(later, 19, prefix=80) != game_key(moves, 19, prefix=80)
    early = moves[:10] + [Move(moves[10].colour, (9, 9), "jj")] + moves[11:]
    assert game_key(early, 19) != game_key(moves, 19)


def test_key_depends_on_colour_size_and_passes():
    moves = random_moves(4, n=30)
    recoloured = [m._replace(colour="w" if m.colour == "b" else "b") for m in moves]
    assert game_key(recoloured, 19) != game_key(moves, 19)
    small = random_moves(4, size=9, n=30)
    assert game_key(small, 9) != game_key([m for m in small], 19)
    with_pass = moves[:5] + [Move("b", None, "")] + moves[5:]
    assert game_key(with_pass, 19) != game_key(moves, 19)


def test_different_games_differ():
    keys = {game_key(random_moves(seed), 19) for seed in range(200)}
    assert len(keys) == 200
    assert all(len(k) == 40 and int(k, 16) >= 0 for k in keys)


def test_short_and_empty_games():
    assert game_key([], 19) == game_key([], 19)
    assert game_key([], 19) != game_key([], 9)
    with pytest.raises(ValueError, match="prefix"):
        game_key(random_moves(1), 19, prefix=0)


def test_split_of_deterministic_and_fractions():
    rng = random.Random(0)
    keys = [f"{rng.getrandbits(160):040x}" for _ in range(10_000)]
    splits = [split_of(k) for k in keys]
    assert splits == [split_of(k) for k in keys]
    counts = Counter(splits)
    assert 8800 <= counts["train"] <= 9200
    assert 400 <= counts["val"] <= 600 and 400 <= counts["test"] <= 600
    other = [split_of(k, salt="another") for k in keys]
    assert other != splits
    even = Counter(split_of(k, fractions=(1 / 3, 1 / 3, 1 / 3)) for k in keys)
    assert all(3000 <= even[s] <= 3700 for s in ("train", "val", "test"))
    assert {split_of(k, fractions=(0.0, 0.0, 1.0)) for k in keys[:200]} == {"test"}


@pytest.mark.parametrize("fractions", [(0.9, 0.1), (0.9, 0.05, 0.1), (1.1, -0.05, -0.05)])
def test_split_of_rejects_bad_fractions(fractions):
    with pytest.raises(ValueError, match="fractions"):
        split_of("abc", fractions=fractions)


def test_all_copies_of_a_game_share_a_split():
    moves = random_moves(5)
    splits = {split_of(game_key(transformed(moves, sym, 19), 19)) for sym in range(8)}
    assert len(splits) == 1
