"""Move tokens and per-move features: the models' view of a move sequence.

Vocabulary (fixed for a board size; saved with every model that uses it):

=========  ======================================================
id         meaning
=========  ======================================================
0          PAD   padding
1          BOS   start of sequence
2          EOS   end of sequence
3          MASK  a hidden move (masked-move training)
4          UNK   a move that has no token (off the board)
5 ...      Black at flat index f (row*size+col): 5 + f; Black pass: 5 + size*size
...        White: 5 + (size*size+1) + f; White pass at the end
=========  ======================================================

So ``len(vocab) == 5 + 2 * (size*size + 1)`` (727 for 19x19).

Per-move features (``move_features``) are small numbers the rules give for
free: legality class, stones captured, liberties of the played group,
distance to the previous move and to the same player's previous move, line
from the edge, pass. They are float32 so they can be concatenated to token
embeddings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from gofix.coords import check_size, on_board
from gofix.record import Move

PAD, BOS, EOS, MASK, UNK = 0, 1, 2, 3, 4
SPECIALS = ("<pad>", "<bos>", "<eos>", "<mask>", "<unk>")
N_SPECIAL = len(SPECIALS)

# Order of the legality classes in the one-hot feature block (see board.MOVE_CLASSES).
LEGALITY = ("ok", "occupied", "suicide", "ko", "superko", "turn", "offboard")

FEATURE_NAMES = (
    *(f"legal_{c}" for c in LEGALITY),
    "captured",  # log1p(stones captured by the move)
    "libs_1",  # played group has 1 liberty after the move (self-atari)
    "libs_2",
    "libs_3plus",
    "dist_prev",  # Chebyshev distance to the previous move / 18, 1.0 if either is a pass
    "dist_own_prev",  # same to the same colour's previous move
    "edge_line",  # (line from the nearest edge, 0-based) / 9, clipped at 1
    "is_pass",
)
N_FEATURES = len(FEATURE_NAMES)


@dataclass(frozen=True)
class Vocab:
    """Token ids for one board size."""

    size: int

    def __post_init__(self) -> None:
        check_size(self.size)

    @property
    def points(self) -> int:
        """Number of point tokens per colour, pass included."""
        return self.size * self.size + 1

    def __len__(self) -> int:
        return N_SPECIAL + 2 * self.points

    def encode_move(self, move: Move) -> int:
        """Token id of one move; UNK for a move off the board."""
        colour, point = move[0], move[1]
        base = N_SPECIAL + (0 if colour == "b" else self.points)
        if point is None:
            return base + self.size * self.size
        if not on_board(point, self.size):
            return UNK
        return base + point[0] * self.size + point[1]

    def encode(self, moves: Sequence[Move], *, bos: bool = False, eos: bool = False) -> list[int]:
        """Token ids of a move sequence, optionally framed by BOS/EOS."""
        ids = [self.encode_move(m) for m in moves]
        if bos:
            ids.insert(0, BOS)
        if eos:
            ids.append(EOS)
        return ids

    def decode_id(self, token: int) -> Move:
        """The move of a point token. Raises ValueError for a special id."""
        if not N_SPECIAL <= token < len(self):
            raise ValueError(f"token {token!r} is not a move token (specials are {SPECIALS})")
        t = token - N_SPECIAL
        colour = "b" if t < self.points else "w"
        flat = t % self.points
        if flat == self.size * self.size:
            return Move(colour, None, "")
        from gofix.coords import to_sgf  # local: keeps the import graph one-way and cheap

        point = divmod(flat, self.size)
        return Move(colour, point, to_sgf(point, self.size))

    def decode(self, ids: Sequence[int]) -> list[Move]:
        """Moves of a token sequence; BOS/PAD are skipped, decoding stops at EOS."""
        out = []
        for t in ids:
            if t == EOS:
                break
            if t in (PAD, BOS):
                continue
            out.append(self.decode_id(t))
        return out

    def to_dict(self) -> dict:
        """What a checkpoint stores to rebuild this vocabulary."""
        return {"kind": "gofix-move-vocab", "version": 1, "size": self.size, "specials": list(SPECIALS)}

    @classmethod
    def from_dict(cls, d: dict) -> "Vocab":
        if d.get("kind") != "gofix-move-vocab" or list(d.get("specials", [])) != list(SPECIALS):
            raise ValueError(f"not a gofix vocabulary this version can read: {d!r}")
        return cls(int(d["size"]))


def move_features(size: int, moves: Sequence[Move], replay) -> np.ndarray:
    """Per-move features, shape ``(len(moves), N_FEATURES)``, float32.

    ``replay`` is the ``board.Replay`` of the same moves (classes, captures,
    liberties per move).
    """
    n = len(moves)
    out = np.zeros((n, N_FEATURES), dtype=np.float32)
    if n == 0:
        return out
    legal_col = {c: i for i, c in enumerate(LEGALITY)}
    i_cap = len(LEGALITY)
    half = (size - 1) / 2
    prev = None
    prev_by_colour = {"b": None, "w": None}
    for i, (colour, point, *_rest) in enumerate(moves):
        row = out[i]
        row[legal_col[replay.classes[i]]] = 1.0
        row[i_cap] = np.log1p(replay.captures[i])
        libs = replay.liberties[i]
        if libs == 1:
            row[i_cap + 1] = 1.0
        elif libs == 2:
            row[i_cap + 2] = 1.0
        elif libs >= 3:
            row[i_cap + 3] = 1.0
        row[i_cap + 4] = _dist(point, prev)
        row[i_cap + 5] = _dist(point, prev_by_colour.get(colour))
        if point is None:
            row[i_cap + 7] = 1.0
            row[i_cap + 6] = 1.0
        else:
            line = min(point[0], point[1], size - 1 - point[0], size - 1 - point[1])
            row[i_cap + 6] = min(max(line, 0) / 9.0, 1.0) if half > 0 else 0.0
        prev = point
        prev_by_colour[colour] = point
    return out


def _dist(a, b) -> float:
    if a is None or b is None:
        return 1.0
    return min(max(abs(a[0] - b[0]), abs(a[1] - b[1])) / 18.0, 1.0)
