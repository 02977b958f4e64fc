"""The batched tensor replay (tensor_board) and the device pipeline (tensor_data) against the CPU path.

Reference: ``board.replay`` (classes, captures, liberties, final position) and
``encoding.snapshots`` (window codes) per game; ``data.TaggingStream`` batches
for the whole pipeline. Games: random play with illegal moves, passes and
wrong colours mixed in (every move class occurs), corrupted clean games, a
hand-built superko, setup stones.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from gofix.train import data
from gofix.models import encoding
from gofix.rules.board import MOVE_CLASSES, Board, replay
from gofix.train.cache import GameCache, cache_from_games
from gofix.record import Move
from gofix.rules.synth import random_game
from gofix.train.tensor_board import PASS, SIZE, replay_batch
from gofix.train.tensor_data import TensorTaggingStream, chunk_batches, encode_chunk, merge_chunks, prepare_chunk
from gofix.train.loop import TrainConfig, train

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pro-games.tar.gz"
CACHE = Path(__file__).resolve().parents[1] / "cache" / "pro19.npz"


def messy_game(rng: random.Random, n: int, region: int = 7) -> list[Move]:
    """Random play crowded into a ``region`` x ``region`` corner (captures, kos, suicides come fast),
    with some passes, turn errors and anything-goes points (occupied, suicide) mixed in."""
    board = Board(SIZE, superko=False)
    moves, colour = [], "b"
    for _ in range(n):
        u = rng.random()
        if u < 0.03:
            point = None
        elif u < 0.15:
            point = (rng.randrange(region), rng.randrange(region))  # anything: occupied, suicide, ko, ...
        elif u < 0.25:
            point = (rng.randrange(SIZE), rng.randrange(SIZE))
        else:
            cand = [(rng.randrange(region), rng.randrange(region)) for _ in range(20)]
            legal = [p for p in cand if board.is_legal(colour, p)]
            point = legal[0] if legal else None
        if board.ko_point is not None and rng.random() < 0.5:
            point = board.ko_point  # an immediate retake (class 'ko', played)
        if rng.random() < 0.03:
            colour = "w" if colour == "b" else "b"  # a turn error
        moves.append(Move(colour, point, ""))
        board.play_unchecked(colour, point)
        colour = "w" if colour == "b" else "b"
    return moves


def superko_game() -> list[Move]:
    """A ko taken, a pass (clearing the ko), the retake: it repeats a position -> 'superko'."""
    seq = [("b", (2, 4)), ("w", (2, 3)), ("b", (4, 4)), ("w", (4, 3)), ("b", (3, 5)), ("w", (3, 2)),
           ("b", None), ("w", (3, 4)), ("b", (3, 3)), ("w", None), ("w", (3, 4)), ("b", (10, 10))]
    return [Move(c, p, "") for c, p in seq]


def as_tensors(games):
    T = max(len(g) for g in games)
    mv = torch.full((len(games), T), PASS, dtype=torch.int64)
    co = torch.zeros(len(games), T, dtype=torch.int64)
    for i, g in enumerate(games):
        mv[i, : len(g)] = torch.tensor([PASS if m[1] is None else m[1][0] * SIZE + m[1][1] for m in g])
        co[i, : len(g)] = torch.tensor([0 if m[0] == "b" else 1 for m in g])
    return mv, co, [len(g) for g in games]


def windows_of(moves, setup_black=(), setup_white=(), window: int = 9) -> np.ndarray:
    """``encoding.snapshots`` codes cut around each move (the reference for ``replay_batch(window=...)``)."""
    snap = encoding.snapshots(moves, setup_black, setup_white)
    r = window // 2
    pad = np.full((len(moves), SIZE + 2 * r, SIZE + 2 * r), 7, np.int8)
    pad[:, r : r + SIZE, r : r + SIZE] = snap
    out = np.zeros((len(moves), window * window), np.int8)
    for t, m in enumerate(moves):
        if m[1] is not None:
            out[t] = pad[t, m[1][0] : m[1][0] + window, m[1][1] : m[1][1] + window].reshape(-1)
    return out


def check_against_board(games, setups=None, handicaps=None, firsts=None):
    mv, co, lengths = as_tensors(games)
    setups = setups or [((), ())] * len(games)
    setup = torch.zeros(len(games), SIZE * SIZE, dtype=torch.int8)
    for i, (sb, sw) in enumerate(setups):
        for colour, pts in ((1, sb), (2, sw)):
            for p in pts:
                setup[i, p[0] * SIZE + p[1]] = colour
    hc = torch.tensor(handicaps or [0] * len(games))
    fp = torch.tensor([{"b": 0, "w": 1}.get(f, -1) for f in (firsts or [None] * len(games))])
    out = replay_batch(mv, co, lengths, setup=setup, first_player=fp, handicap=hc, window=9, full_board=True)
    seen = set()
    for i, g in enumerate(games):
        n = len(g)
        ref = replay(SIZE, g, setup_black=setups[i][0], setup_white=setups[i][1], handicap=int(hc[i]),
                     first_player=(firsts or [None] * len(games))[i])
        classes = [MOVE_CLASSES[k] for k in out.classes[i, :n].tolist()]
        assert classes == ref.classes, i
        assert out.captures[i, :n].tolist() == ref.captures, i
        assert out.liberties[i, :n].tolist() == ref.liberties, i
        assert (out.classes[i, n:] == -1).all()
        final = np.zeros((SIZE, SIZE), np.int8)
        black, white = ref.board.stones()
        for colour, pts in ((1, black), (2, white)):
            for p in pts:
                final[p] = colour
        assert np.array_equal(out.board[i].numpy(), final), i
        assert np.array_equal(out.windows[i, :n].numpy(), windows_of(g, *setups[i])), i
        snap = encoding.snapshots(g, *setups[i]).reshape(n, SIZE * SIZE)
        assert np.array_equal(out.boards[i, :n].numpy(), snap), i  # the whole board, passes included
        seen.update(classes)
    return seen


def test_random_messy_games_match_board_replay():
    rng = random.Random(7)
    games = [messy_game(rng, rng.randrange(20, 260)) for _ in range(60)]
    seen = check_against_board(games)
    assert {"ok", "occupied", "suicide", "ko", "turn"} <= seen


def test_corrupted_legal_games_match_board_replay():
    rng = random.Random(3)
    channels = data.default_channels(max_errors=4, clean_share=0.0)
    games = [rng.choice(channels).corrupt(random_game(rng, rng.randrange(60, 220)), SIZE, rng)[0]
             for _ in range(200)]
    seen = check_against_board(games)
    assert "occupied" in seen and "turn" in seen


def test_superko_setup_handicap_and_first_player():
    rng = random.Random(11)
    games = [superko_game(), messy_game(rng, 120), messy_game(rng, 90), random_game(rng, 50)]
    setups = [((), ()), ([(3, 3), (15, 15), (3, 15)], [(4, 3)]), ((), ()), ((), ())]
    seen = check_against_board(games, setups=setups, handicaps=[0, 0, 3, 0], firsts=[None, "w", "b", "w"])
    assert "superko" in seen


def test_empty_and_bad_input():
    out = replay_batch(torch.zeros(0, 0, dtype=torch.int64), torch.zeros(0, 0, dtype=torch.int64), [])
    assert out.classes.shape == (0, 0)
    with pytest.raises(ValueError, match="not a flat 19x19 point"):
        replay_batch(torch.tensor([[400]]), torch.tensor([[0]]), [1])


def setup_cache(rng: random.Random) -> GameCache:
    """A tiny cache with plain games, and handicap games with setup stones (AB) in train."""
    plain = cache_from_games([random_game(rng, rng.randrange(40, 160)) for _ in range(30)])
    games = [random_game(rng, rng.randrange(40, 160)) for _ in range(6)]
    hcap = cache_from_games(games)
    stones = [(3, 3), (15, 15), (3, 15), (15, 3)]
    arrays = {k: getattr(plain, k) for k in ("moves", "colours", "offsets", "setup", "setup_colours",
                                             "setup_offsets", "handicap", "first_player", "split")}
    n0 = len(plain)
    arrays["moves"] = np.concatenate([plain.moves, hcap.moves])
    arrays["colours"] = np.concatenate([plain.colours, hcap.colours])
    arrays["offsets"] = np.concatenate([plain.offsets, hcap.offsets[1:] + plain.offsets[-1]])
    # setup stones on points no move of the game uses
    setup, setup_offsets = [], [0] * (n0 + 1)
    for g in range(len(games)):
        used = {m.point for m in games[g]}
        pts = [p for p in stones if p not in used]
        setup.extend(p[0] * SIZE + p[1] for p in pts)
        setup_offsets.append(setup_offsets[-1] + len(pts))
    arrays["setup"] = np.asarray(setup, np.int16)
    arrays["setup_colours"] = np.zeros(len(setup), np.int8)
    arrays["setup_offsets"] = np.asarray(setup_offsets, np.int64)
    arrays["handicap"] = np.concatenate([plain.handicap, np.full(len(games), 4, np.int16)])
    arrays["first_player"] = np.concatenate([plain.first_player, np.full(len(games), 1, np.int8)])
    arrays["split"] = np.zeros(n0 + len(games), np.int8)
    return GameCache(arrays)


@pytest.mark.parametrize("max_len,chunk,mix,board", [(400, 128, "default", False), (60, 7, "real", False),
                                                     (60, 7, "default", True)])
def test_tensor_stream_gives_the_tagging_stream_batches(max_len, chunk, mix, board):
    cache = setup_cache(random.Random(5))
    games = np.arange(len(cache))
    kw = dict(seed=9, max_tokens=1500, max_len=max_len, chunk=chunk, max_errors=3, clean_share=0.2, mix=mix,
              board=board)
    ref = iter(data.TaggingStream(cache, games, **kw))
    new = iter(TensorTaggingStream(cache, games, device="cpu", **kw))
    n_moves = 0
    for _ in range(25):  # more than one epoch
        (ri, rt), (ni, nt) = next(ref), next(new)
        for a, b in ((ri, ni), (rt, nt)):
            assert list(a) == list(b)
            for key in a:
                assert a[key].dtype == b[key].dtype and a[key].shape == b[key].shape, key
                assert torch.equal(a[key], b[key].cpu()), key
        n_moves += int(ri["mask"].sum())
        assert ("board" in ri) == board
    assert n_moves > 2000


def test_merged_chunks_give_the_same_batches():
    cache = setup_cache(random.Random(2))
    rng = random.Random(4)
    channels = data.default_channels()
    parts = [prepare_chunk(cache, ids, rng, channels, window=9, max_len=100, max_tokens=900)
             for ids in (range(0, 10), range(10, 13), range(13, 36))]
    apart = [b for c in parts for b in chunk_batches(encode_chunk(c, "cpu"))]
    merged = list(chunk_batches(encode_chunk(merge_chunks(parts), "cpu")))
    assert len(apart) == len(merged) > 3
    for (ai, at), (mi, mt) in zip(apart, merged):
        for a, m in ((ai, mi), (at, mt)):
            assert all(torch.equal(a[k], m[k]) for k in a)


def test_worker_processes_cover_every_game_once_an_epoch():
    cache = setup_cache(random.Random(6))
    games = np.arange(len(cache))
    stream = TensorTaggingStream(cache, games, workers=2, seed=1, max_tokens=1500, chunk=12, clean_share=1.0,
                                 symmetries=False)  # clean and unrotated: each example is its game
    it, seen, total = iter(stream), [], int(cache.lengths().sum())
    while sum(len(p) for p in seen) < total:
        inputs, _ = next(it)
        seen.extend(tuple(row[:n].tolist()) for row, n in zip(inputs["points"], inputs["lengths"]))
    want = [tuple(cache.moves[a:b].tolist()) for a, b in zip(cache.offsets[:-1], cache.offsets[1:])]
    assert sorted(seen) == sorted(want)


def test_train_with_the_tensor_pipeline(tmp_path):
    rng = random.Random(0)
    games = [random_game(rng, rng.randrange(40, 80)) for _ in range(11)]
    cache = cache_from_games(games, ["train"] * 8 + ["val"] * 3)
    cfg = TrainConfig(out_dir=str(tmp_path / "run"), preset="tiny", max_steps=3, eval_every_s=1e9, threads=1,
                      max_tokens=600, warmup_steps=2, val_games=3, pipeline="tensor", chunk_games=5)
    metrics = train(cfg, cache=cache)
    assert metrics["step"] == 3 and np.isfinite(metrics["loss"])
    assert (tmp_path / "run" / "last.pt").exists()
    with pytest.raises(ValueError, match="unknown pipeline"):
        train(TrainConfig(**{**cfg.__dict__, "pipeline": "gpu"}), cache=cache)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("GOFIX_SLOW") or not (CACHE.exists() or CORPUS.exists()),
                    reason="needs GOFIX_SLOW=1 and cache/pro19.npz or ../shared/corpus/pro-games.tar.gz")
def test_thousands_of_corrupted_corpus_games(tmp_path):
    if CACHE.exists():
        cache = GameCache.load(CACHE)
    else:
        data.build_cache([CORPUS], tmp_path / "c.npz", limit=3000)
        cache = GameCache.load(tmp_path / "c.npz")
    rng = random.Random(1)
    channels = data.default_channels(max_errors=3, clean_share=0.1)
    ids = rng.sample(range(len(cache)), min(3000, len(cache)))
    has_setup = np.diff(cache.setup_offsets) > 0
    ids += [int(i) for i in np.flatnonzero(has_setup)[:200]]  # handicap games with setup stones
    for s in range(0, len(ids), 500):
        games = [cache.game(i) for i in ids[s : s + 500]]
        noisy = [rng.choice(channels).corrupt(g.moves, SIZE, rng)[0] for g in games]
        check_against_board(noisy, setups=[(g.setup_black, g.setup_white) for g in games],
                            handicaps=[g.handicap for g in games], firsts=[g.first_player for g in games])
