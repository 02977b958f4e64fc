"""Synthetic games: a seeded random player for demos and tests (not real Go).

``random_game`` plays legal moves near the recent action, so positions look
like a fight (captures, ataris, the odd ko) rather than random noise. It is
used by ``scripts/make_demo.py`` and by the tests' tiny corpora.
"""

from __future__ import annotations

import random

from .board import Board
from gofix.coords import to_sgf
from gofix.record import Move


def random_game(rng: random.Random, n_moves: int, size: int = 19) -> list[Move]:
    """A legal game: each move near one of the last few moves, or a fresh big point."""
    board = Board(size)
    moves: list[Move] = []
    colour = "b"
    e, m = min(3, size - 1), size // 2
    openings = sorted({(e, e), (e, size - 1 - e), (size - 1 - e, e), (size - 1 - e, size - 1 - e), (m, m)})
    while len(moves) < n_moves:
        candidates = []
        if len(moves) < 8 or rng.random() < 0.08:
            candidates = [p for p in openings if board.get(p) is None]
            candidates += [(rng.randrange(size), rng.randrange(size)) for _ in range(4)]
        else:
            for back in range(1, 5):
                if back > len(moves) or moves[-back].point is None:
                    continue
                r0, c0 = moves[-back].point
                for dr in range(-2, 3):
                    for dc in range(-2, 3):
                        p = (r0 + dr, c0 + dc)
                        if 0 <= p[0] < size and 0 <= p[1] < size:
                            candidates.append(p)
        rng.shuffle(candidates)
        for p in candidates:
            if board.is_legal(colour, p) and _not_own_eye(board, colour, p, size):
                board.play(colour, p)
                moves.append(Move(colour, p, to_sgf(p, size)))
                colour = "w" if colour == "b" else "b"
                break
        else:  # nothing local: anywhere legal
            empty = [(r, c) for r in range(size) for c in range(size) if board.is_legal(colour, (r, c))]
            p = rng.choice(empty) if empty else None  # nowhere legal: pass
            board.play(colour, p)
            moves.append(Move(colour, p, to_sgf(p, size)))
            colour = "w" if colour == "b" else "b"
    return moves


def _not_own_eye(board: Board, colour: str, p, size: int) -> bool:
    r, c = p
    around = [(r + dr, c + dc) for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1))]
    around = [q for q in around if 0 <= q[0] < size and 0 <= q[1] < size]
    return not all(board.get(q) == colour for q in around)
