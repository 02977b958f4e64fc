"""Train/val/test splits without leakage between copies of the same game.

The same professional game turns up many times in a corpus: in other
collections, rotated or mirrored, with other metadata, with a transcription
difference somewhere. ``game_key`` gives every such copy the same key, and
``split_of`` sends every key to one split, so no copy of a test game is
trained on.

* The key is invariant under the 8 board symmetries (``coords.transform``) and
  ignores metadata: it is computed from ``size`` and the moves only (colour and
  point; the SGF spelling of a pass, ``""`` or ``"tt"``, does not matter).
* Only the first ``prefix`` moves (50) count, so two records of one game that
  differ later (a transcription error, a longer or shorter record) share a key.
  The cost: two distinct games that share their first 50 moves (a long joseki
  plus fuseki, or a game and its published variation) are treated as one and
  land in the same split; records shorter than ``prefix`` are keyed on all
  their moves, so such a short record and a longer game it begins are keyed
  apart. A transcription error inside the prefix also separates two copies.
* Setup stones (AB/AW, e.g. handicap) are not part of the key.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

from gofix.coords import on_board, to_flat, transform
from gofix.record import Move

SPLITS = ("train", "val", "test")
DEFAULT_FRACTIONS = (0.90, 0.05, 0.05)
DEFAULT_SALT = "gofix-split-v1"


def _token(move: Move, sym: int, size: int) -> tuple[int, int]:
    """(colour, flat index) of ``move`` under symmetry ``sym``; off-board points share one index."""
    player = 0 if move.colour == "b" else 1
    if move.point is not None and not on_board(move.point, size):
        return player, size * size + 1
    return player, to_flat(transform(move.point, sym, size), size)


def game_key(moves: Sequence[Move], size: int, prefix: int = 50) -> str:
    """SHA-1 hex of the canonical form of the first ``prefix`` moves.

    Canonical form: the lexicographic minimum over the 8 symmetries of the
    sequence of ``(colour, flat index)`` (a pass is ``size*size``), prefixed by
    the board size. Raises ValueError if ``prefix`` < 1.
    """
    if prefix < 1:
        raise ValueError(f"prefix must be >= 1, got {prefix}")
    head = list(moves[:prefix])
    canonical = min([_token(m, sym, size) for m in head] for sym in range(8))
    text = f"{size}:" + " ".join(f"{'bw'[p]}{i}" for p, i in canonical)
    return hashlib.sha1(text.encode("ascii")).hexdigest()


def split_of(key: str, fractions: Sequence[float] = DEFAULT_FRACTIONS, salt: str = DEFAULT_SALT) -> str:
    """'train', 'val' or 'test' for ``key``, deterministically (the same on every machine).

    A uniform number in [0, 1) is read from SHA-1 of ``salt`` and ``key`` and
    compared with the cumulative ``fractions``. Another salt reshuffles every
    game. Raises ValueError unless there are 3 fractions, each >= 0, summing to 1.
    """
    shares = tuple(fractions)
    if len(shares) != len(SPLITS) or any(not f >= 0 for f in shares) or abs(sum(shares) - 1.0) > 1e-9:
        raise ValueError(f"fractions must be 3 numbers >= 0 summing to 1, got {shares!r}")
    digest = hashlib.sha1(f"{salt}\0{key}".encode("utf-8")).digest()
    u = int.from_bytes(digest[:8], "big") / 2.0**64
    edge = 0.0
    for name, share in zip(SPLITS, shares):
        edge += share
        if u < edge:
            return name
    return next(name for name, share in zip(reversed(SPLITS), reversed(shares)) if share > 0)
