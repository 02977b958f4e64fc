"""The encoder-decoder as a judge of candidate repairs, and as a source of missing moves.

``Seq2SeqScorer(model).source(record)`` encodes a record as read once (the
observed sequence: the decoder's source never changes while a record is
repaired). Then:

* ``compare(moves, edits)`` scores the current moves and each candidate edit
  of them by ``log p(clean | observed)`` over the stretch they differ in plus
  ``after`` moves, with one decoder pass over the shared prefix (a key/value
  cache) and one batched pass over all the continuations;
* ``next_moves(moves, at, k)`` proposes the ``k`` likeliest moves at a gap
  (for a move missing from the record), legal ones only: a move on an occupied
  point, a suicide or a ko retake in the position before the gap is skipped.

Only 19x19 records; ``source`` returns None for others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from gofix.models import checkpoint
from gofix.coords import on_board
from gofix.edits import Edit, apply_edit
from gofix.models.encoding import SIZE, TOKEN_POINTS, collate, encode_moves, move_tokens
from gofix.record import Move


@dataclass
class Source:
    """An encoded record: the decoder's cross-attention memory for it."""

    mem: list
    mask: torch.Tensor
    setup_black: tuple = ()  # the record's setup stones: the position the moves start from
    setup_white: tuple = ()


def _tokens(moves: Sequence[Move]) -> torch.Tensor:
    pts, cols = move_tokens(moves)
    return torch.from_numpy(cols * TOKEN_POINTS + pts)


class Seq2SeqScorer:
    """A trained ``models.seq2seq.Seq2SeqRepairer`` behind a small scoring API (see the module doc)."""

    def __init__(self, checkpoint_or_model, *, after: int = 6):
        self.model = checkpoint.model_from(checkpoint_or_model)
        self.after = after

    @torch.no_grad()
    def source(self, record) -> Source | None:
        if record.size != SIZE or not record.moves:
            return None
        cfg = self.model.cfg
        moves = [(m[0], m[1]) for m in record.moves]
        enc = encode_moves(moves, setup_black=record.setup_black, setup_white=record.setup_white,
                           handicap=record.handicap, first_player=record.first_player,
                           window=cfg.window, history=cfg.history)
        pts, cols = move_tokens(record.moves)
        inputs, _ = collate([{"planes": enc.planes, "on_board": enc.on_board, "features": enc.features,
                              "points": pts, "colours": cols}])
        states, mask = self.model.encode(inputs)
        return Source(self.model.memory(states), mask, tuple(record.setup_black), tuple(record.setup_white))

    @torch.no_grad()
    def compare(self, src: Source, moves: Sequence[Move], edits: Sequence[Edit]) -> tuple[float, np.ndarray]:
        """``(base, scores)``: log p of ``moves`` and of each edited version, over the same stretch.

        The stretch starts at the first edit's start and ends ``after`` moves
        past the last edited move of the original, so every version is scored
        on the same moves around it and the differences are the edits' alone.
        """
        if not edits:
            return 0.0, np.zeros(0)
        a = min(e.start for e in edits)
        end = min(len(moves), max(e.start + e.delete for e in edits) + self.after)
        versions = [list(moves[a:end])]
        for e in edits:
            new = apply_edit(moves, e)
            versions.append(new[a : end + len(new) - len(moves)])
        lengths = torch.tensor([len(v) for v in versions])
        L = max(int(lengths.max()), 1)
        conts = torch.zeros(len(versions), L, dtype=torch.int64)
        for k, v in enumerate(versions):
            if v:
                conts[k, : len(v)] = _tokens(v)
        pre = self.model.prefix(src.mem, src.mask, _tokens(moves[:a])[None])
        total, _ = self.model.score(src.mem, src.mask, pre, conts, lengths)
        total = total.numpy().astype(np.float64)
        return float(total[0]), total[1:]

    @torch.no_grad()
    def next_moves(self, src: Source, moves: Sequence[Move], at: int, k: int = 4) -> list[tuple[Move, float]]:
        """The ``k`` likeliest legal moves between ``moves[at-1]`` and ``moves[at]``, with log p (passes
        excluded; legal in the position after ``moves[:at]``: not occupied, not suicide, not a ko retake)."""
        from gofix.rules.board import replay

        pre = self.model.prefix(src.mem, src.mask, _tokens(moves[:at])[None])
        lc, lp = self.model.next_moves(src.mem, src.mask, pre)
        joint = (lc[:, None] + lp[None, :-1]).flatten()  # (2 * 361,) colour-major, no pass
        board = replay(SIZE, moves[:at], setup_black=src.setup_black, setup_white=src.setup_white,
                       superko=False).board
        out = []
        for v, i in zip(*(t.tolist() for t in torch.sort(joint, descending=True))):
            colour, flat = divmod(int(i), SIZE * SIZE)
            p = divmod(flat, SIZE)
            if on_board(p, SIZE) and board.is_legal("bw"[colour], p):
                out.append((Move("bw"[colour], p, ""), float(v)))
                if len(out) == k:
                    break
        return out
