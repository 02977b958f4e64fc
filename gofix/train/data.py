"""Training examples for the models: corrupted corpus games, encoded and labelled.

Flow: corpus (SGF, any archive ``formats`` reads) -> ``cache.build_cache`` -> a
compact ``.npz`` (19x19 games only, legal in their clean form, >= ``min_moves``;
per game the flat move indices, colours, setup stones and split) -> ``GameCache``
-> ``TaggingStream`` (each epoch: corrupt with a ``corrupt.Channel``, apply one
of the 8 symmetries, replay the NOISY moves, build per-move inputs and labels)
-> ``collate`` -> ``(inputs, targets)`` dicts of tensors.

Per-move inputs: ``models.encoding.encode_moves`` (the same for training and inference).

Labels per move (``labels_for``): ``wrong`` (1 in some ``Truth.positions``),
``edit`` (index in ``EDIT_CLASSES``) and ``point`` (for a replaced move: the
window cell of the correct point, ``W*W`` when it lies outside the window;
``IGNORE`` otherwise).
"""

from __future__ import annotations

import random
from typing import Iterator, Sequence

import numpy as np
import torch

from .cache import PASS, SIZE, SPLIT_CODES, Game, GameCache, build_cache, cache_from_games, save_cache, usable
from gofix.coords import on_board, transform
from .corrupt import Channel, Truth, mix_channel
from gofix.errors import NoGamesError
from gofix.record import Move
from gofix.models.encoding import (
    EDIT_INDEX,
    IGNORE,
    REPLACE_KINDS,
    TOKEN_POINTS,
    bucket,
    collate,
    encode_moves,
    move_tokens,
    point_cell,
)


_KIND_TO_EDIT = {
    **{k: k for k in REPLACE_KINDS},
    "swap2": "swap2",
    "pair_order": "pair_order",
    "block_move": "block",
    "extra_pair": "extra",
    "extra_one": "extra",
    "extra_one_recolour": "extra",
    "colour": "colour",
}
_DROP_KINDS = ("drop_pair", "drop_one", "drop_one_recolour")


# ---------------------------------------------------------------- labels and examples


def labels_for(noisy: Sequence[Move], truths: Sequence[Truth], window: int = 9,
               sym: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(wrong, edit, point)`` int64 ``(T,)`` for a noisy record and its truths.

    ``sym`` is the symmetry that will be applied to ``noisy`` (the truths are
    in the untransformed frame); point targets are computed in the transformed one.
    """
    T = len(noisy)
    wrong = np.zeros(T, np.int64)
    edit = np.zeros(T, np.int64)
    point = np.full(T, IGNORE, np.int64)
    for truth in truths:
        for p in truth.positions:
            wrong[p] = 1
        if truth.kind in _DROP_KINDS:
            gap = truth.undo.start
            if gap < T:
                edit[gap] = EDIT_INDEX["missing_before"]
            if gap - 1 >= 0:
                edit[gap - 1] = EDIT_INDEX["missing_after"]
            continue
        cls = EDIT_INDEX[_KIND_TO_EDIT[truth.kind]]
        for p in truth.positions:
            edit[p] = cls
        if truth.kind in REPLACE_KINDS:
            p = truth.positions[0]
            rec = transform(noisy[p].point, sym, SIZE)
            cor = transform(truth.undo.insert[0].point, sym, SIZE)
            point[p] = point_cell(rec, cor, window)
    return wrong, edit, point


def transform_moves(moves: Sequence[Move], sym: int) -> list[Move]:
    """Moves under symmetry ``sym`` (off-board points kept as they are; sgf text dropped)."""
    if sym == 0:
        return list(moves)
    return [Move(m[0], transform(m[1], sym, SIZE) if m[1] is not None and on_board(m[1], SIZE) else m[1], "")
            for m in moves]


def make_example(game: Game, channel: Channel | None, rng: random.Random, *, window: int, history: int,
                 sym: int = 0, board: bool = False) -> dict:
    """Corrupt (if ``channel``), transform by ``sym``, encode and label one game."""
    if channel is not None:
        noisy, truths = channel.corrupt(game.moves, SIZE, rng)
    else:
        noisy, truths = list(game.moves), []
    wrong, edit, point = labels_for(noisy, truths, window, sym)
    seen = transform_moves(noisy, sym)
    enc = encode_moves(
        seen, setup_black=[transform(p, sym, SIZE) for p in game.setup_black],
        setup_white=[transform(p, sym, SIZE) for p in game.setup_white], handicap=game.handicap,
        first_player=game.first_player, window=window, history=history, board=board,
    )
    points, colours = move_tokens(seen)
    clean_points, clean_colours = move_tokens(transform_moves(game.moves, sym))
    ex = {"planes": enc.planes, "on_board": enc.on_board, "features": enc.features,
          "points": points, "colours": colours, "clean": clean_colours * TOKEN_POINTS + clean_points,
          "wrong": wrong, "edit": edit, "point": point, "corrupted": bool(truths)}
    if board:
        ex["board"] = enc.board
    return ex


# ---------------------------------------------------------------- batches


def default_channels(max_errors: int = 3, clean_share: float = 0.1, mix: str = "default") -> list[Channel]:
    """Channels with 1..max_errors errors per game (one is drawn per game), kinds from ``corrupt.MIXES[mix]``."""
    return [mix_channel(mix, errors_per_game=k, clean_share=clean_share) for k in range(1, max_errors + 1)]


class TaggingStream(torch.utils.data.IterableDataset):
    """Endless training batches: fresh errors and symmetries every epoch, sharded by rank.

    Each epoch shuffles ``games`` with a generator seeded by (seed, epoch) —
    the same on every rank — and rank ``r`` of ``world`` takes every
    world-th game from position r (inside a DataLoader with several workers,
    each worker is a shard of its own). Games are encoded in chunks of ``chunk``,
    bucketed by length into batches of about ``max_tokens`` moves, and the
    batches of a chunk are shuffled.
    """

    def __init__(self, cache: GameCache, games: Sequence[int], *, window: int = 9, history: int = 5,
                 seed: int = 0, rank: int = 0, world: int = 1, max_tokens: int = 4096,
                 max_errors: int = 3, clean_share: float = 0.1, symmetries: bool = True,
                 chunk: int = 128, max_len: int = 400, mix: str = "default", board: bool = False):
        self.cache, self.games = cache, np.asarray(games)
        self.window, self.history = window, history
        self.board = board  # also the whole-board codes (a tagger with board_dim > 0)
        self.seed, self.rank, self.world = seed, rank, world
        self.max_tokens, self.chunk, self.max_len = max_tokens, chunk, max_len
        self.symmetries = symmetries
        self.channels = default_channels(max_errors, clean_share, mix)

    def shard_chunks(self) -> Iterator[tuple[np.ndarray, random.Random]]:
        """Endless ``(games of one chunk, the rng that corrupts them)`` of this rank's (and worker's) shard."""
        info = torch.utils.data.get_worker_info()
        workers, wid = (info.num_workers, info.id) if info is not None else (1, 0)
        shard, shards = self.rank * workers + wid, self.world * workers
        epoch = 0
        while True:
            order = np.random.default_rng([self.seed, epoch]).permutation(self.games)[shard::shards]
            if len(order) == 0:  # nothing to yield, ever: say so rather than spin
                raise NoGamesError(f"no games for shard {shard} of {shards} ({len(self.games)} games in all)")
            rng = random.Random(f"{self.seed}/{epoch}/{shard}")
            for s in range(0, len(order), self.chunk):
                yield order[s : s + self.chunk], rng
            epoch += 1

    def __iter__(self) -> Iterator[tuple[dict, dict]]:
        for games, rng in self.shard_chunks():
            exs = [self._example(int(g), rng) for g in games]
            batches = bucket(exs, self.max_tokens)
            rng.shuffle(batches)
            for b in batches:
                yield collate(b)

    def _example(self, g: int, rng: random.Random) -> dict:
        game = self.cache.game(g)
        sym = rng.randrange(8) if self.symmetries else 0
        ex = make_example(game, rng.choice(self.channels), rng, window=self.window,
                          history=self.history, sym=sym, board=self.board)
        n = len(ex["features"])
        if n > self.max_len:  # a random slice keeps batches bounded
            start = rng.randrange(n - self.max_len + 1)
            ex = {k: (v[start : start + self.max_len] if isinstance(v, np.ndarray) else v) for k, v in ex.items()}
        return ex


def fixed_batches(cache: GameCache, games: Sequence[int], *, window: int = 9, history: int = 5,
                  seed: int = 12345, max_tokens: int = 4096, max_errors: int = 3,
                  clean_share: float = 0.2, board: bool = False) -> list[tuple[dict, dict]]:
    """A deterministic validation set: the same errors for the same (games, seed), no symmetry."""
    channels = default_channels(max_errors, clean_share)
    exs = []
    for g in games:
        rng = random.Random(f"val/{seed}/{int(g)}")
        exs.append(make_example(cache.game(int(g)), rng.choice(channels), rng, window=window,
                                history=history, board=board))
    return [collate(b) for b in bucket(exs, max_tokens)]
