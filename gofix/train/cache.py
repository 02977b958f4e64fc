"""The corpus cache: games parsed once into compact arrays (``build_cache``), read back as ``GameCache``.

A ``.npz`` of 19x19 games that are legal in their clean form and >= ``min_moves``
long: per game the flat move indices, colours, setup stones, handicap, first
player and split (``splits.split_of`` of a symmetry-invariant key). Written
atomically, compressed (about 1.2 bytes a move: the pro corpus in 17 MB, small
enough to travel to a lent GPU machine with a server archive beside it).
``data`` builds training examples from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from gofix.coords import to_flat
from .corrupt import clean_enough
from gofix.record import Move

SIZE = 19
PASS = SIZE * SIZE  # flat index of a pass in the cache
SPLIT_CODES = {"train": 0, "val": 1, "test": 2}


@dataclass
class Game:
    """One cached game, as ``Move`` lists ready for the rules and the channel."""

    moves: list[Move]
    setup_black: list
    setup_white: list
    handicap: int
    first_player: str | None
    split: str


class GameCache:
    """The games of a ``.npz`` cache: concatenated arrays + offsets (see ``build_cache``)."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.moves = arrays["moves"]  # int16 (total moves,) flat index, PASS for a pass
        self.colours = arrays["colours"]  # int8 (total moves,) 0 black, 1 white
        self.offsets = arrays["offsets"]  # int64 (games + 1,)
        self.setup = arrays["setup"]  # int16 (total setup,) flat index
        self.setup_colours = arrays["setup_colours"]  # int8
        self.setup_offsets = arrays["setup_offsets"]  # int64 (games + 1,)
        self.handicap = arrays["handicap"]  # int16 (games,)
        self.first_player = arrays["first_player"]  # int8 (games,) -1 none, 0 b, 1 w
        self.split = arrays["split"]  # int8 (games,) SPLIT_CODES
        self.meta = json.loads(str(arrays["meta"])) if "meta" in arrays else {}

    @classmethod
    def load(cls, path) -> "GameCache":
        with np.load(path) as z:
            return cls({k: z[k] for k in z.files})

    def __len__(self) -> int:
        return len(self.handicap)

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def indices(self, split: str) -> np.ndarray:
        """Game indices of one split ('train', 'val', 'test'), ascending."""
        return np.flatnonzero(self.split == SPLIT_CODES[split])

    def game(self, i: int) -> Game:
        a, b = self.offsets[i], self.offsets[i + 1]
        moves = [
            Move("bw"[c], None if f == PASS else divmod(int(f), SIZE), "")
            for f, c in zip(self.moves[a:b].tolist(), self.colours[a:b].tolist())
        ]
        s, e = self.setup_offsets[i], self.setup_offsets[i + 1]
        black = [divmod(int(f), SIZE) for f, c in zip(self.setup[s:e], self.setup_colours[s:e]) if c == 0]
        white = [divmod(int(f), SIZE) for f, c in zip(self.setup[s:e], self.setup_colours[s:e]) if c == 1]
        fp = int(self.first_player[i])
        inv = {v: k for k, v in SPLIT_CODES.items()}
        return Game(moves, black, white, int(self.handicap[i]), None if fp < 0 else "bw"[fp], inv[int(self.split[i])])


def usable(record, min_moves: int = 30) -> bool:
    """19x19 and ``corrupt.clean_enough``: long enough, every move on the board and legal."""
    return record.size == SIZE and clean_enough(record, min_moves)


def build_cache(paths: Iterable, out_path, *, min_moves: int = 30, limit: int | None = None,
                progress=None) -> dict:
    """Read every game under ``paths`` (formats.iter_games) into a ``.npz`` cache at ``out_path``.

    Keeps 19x19 games that are ``usable``; the split comes from
    ``splits.split_of(splits.game_key(moves))``. ``progress(n_read, n_kept)``
    is called every 1000 games. Returns counts (read, kept, skipped by reason, and
    per source path). Games keep the order of ``paths``, so a cache that starts with
    the validation corpus has the same first validation games with or without
    other archives after it. Writes atomically (temp file + rename), compressed.
    """
    import os

    from gofix.record import Unreadable
    from gofix.formats.read import iter_games
    from .splits import game_key, split_of

    cols: dict[str, list] = {k: [] for k in ("moves", "colours", "setup", "setup_colours")}
    offsets, setup_offsets, handicap, first, split = [0], [0], [], [], []
    counts = {"read": 0, "kept": 0, "unreadable": 0, "not_19": 0, "short_or_illegal": 0}
    paths = list(paths)
    per_source: dict[str, int] = {}
    for path in paths:
        kept_before = counts["kept"]
        for rec in iter_games(path):
            counts["read"] += 1
            if progress and counts["read"] % 1000 == 0:
                progress(counts["read"], counts["kept"])
            if isinstance(rec, Unreadable):
                counts["unreadable"] += 1
                continue
            if rec.size != SIZE:
                counts["not_19"] += 1
                continue
            if not usable(rec, min_moves):
                counts["short_or_illegal"] += 1
                continue
            cols["moves"].extend(to_flat(m.point, SIZE) for m in rec.moves)
            cols["colours"].extend(0 if m.colour == "b" else 1 for m in rec.moves)
            offsets.append(offsets[-1] + len(rec.moves))
            stones = [(p, 0) for p in rec.setup_black] + [(p, 1) for p in rec.setup_white]
            cols["setup"].extend(to_flat(p, SIZE) for p, _ in stones)
            cols["setup_colours"].extend(c for _, c in stones)
            setup_offsets.append(setup_offsets[-1] + len(stones))
            handicap.append(rec.handicap)
            first.append({"b": 0, "w": 1}.get(rec.first_player, -1))
            split.append(SPLIT_CODES[split_of(game_key(rec.moves, SIZE))])
            counts["kept"] += 1
            if limit is not None and counts["kept"] >= limit:
                break
        per_source[str(path)] = counts["kept"] - kept_before
        if limit is not None and counts["kept"] >= limit:
            break
    counts["kept_per_source"] = per_source
    arrays = {
        "moves": np.asarray(cols["moves"], np.int16),
        "colours": np.asarray(cols["colours"], np.int8),
        "offsets": np.asarray(offsets, np.int64),
        "setup": np.asarray(cols["setup"], np.int16),
        "setup_colours": np.asarray(cols["setup_colours"], np.int8),
        "setup_offsets": np.asarray(setup_offsets, np.int64),
        "handicap": np.asarray(handicap, np.int16),
        "first_player": np.asarray(first, np.int8),
        "split": np.asarray(split, np.int8),
        "meta": np.asarray(json.dumps({"sources": [str(p) for p in paths], "counts": counts})),
    }
    out_path = os.fspath(out_path)
    os.makedirs(os.path.dirname(out_path) or ".", exist_ok=True)
    tmp = out_path + ".tmp.npz"
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, out_path)
    return counts


def cache_from_games(games: Sequence[Sequence[Move]], splits: Sequence[str] | None = None) -> GameCache:
    """An in-memory cache of plain 19x19 move lists (tests, small experiments)."""
    moves, colours, offsets = [], [], [0]
    for g in games:
        moves.extend(to_flat(m.point, SIZE) for m in g)
        colours.extend(0 if m.colour == "b" else 1 for m in g)
        offsets.append(offsets[-1] + len(g))
    n = len(games)
    return GameCache({
        "moves": np.asarray(moves, np.int16), "colours": np.asarray(colours, np.int8),
        "offsets": np.asarray(offsets, np.int64), "setup": np.zeros(0, np.int16),
        "setup_colours": np.zeros(0, np.int8), "setup_offsets": np.zeros(n + 1, np.int64),
        "handicap": np.zeros(n, np.int16), "first_player": np.full(n, -1, np.int8),
        "split": np.asarray([SPLIT_CODES[s] for s in (splits or ["train"] * n)], np.int8),
    })


def save_cache(cache: GameCache, path) -> None:
    """Write an in-memory cache (e.g. ``cache_from_games``) as a ``.npz``."""
    arrays = {k: getattr(cache, k) for k in ("moves", "colours", "offsets", "setup", "setup_colours",
                                             "setup_offsets", "handicap", "first_player", "split")}
    np.savez(path, **arrays, meta=np.asarray(json.dumps(cache.meta)))
