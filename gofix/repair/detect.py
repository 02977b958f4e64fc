"""The tagger as a ``findings.Detector``: per-move suspicion, edit and point from one forward pass.

``ModelDetector(checkpoint_or_model).analyse(record) -> MoveScores`` gives the
raw per-move figures (for the evaluation harness and the repair engine);
``findings(record, rule_findings)`` turns the moves with ``p_wrong >=
threshold`` into ``Finding(kind='suspect')`` with what looks wrong in words. Only
19x19 records are analysed; others get ``None`` / no findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from gofix.models import checkpoint
from gofix.findings import Finding
from gofix.coords import on_board, to_gtp, transform
from gofix.models.encoding import EDIT_CLASSES, SIZE, collate, encode_moves, padded_runs
from gofix.record import RecordView
from gofix.results import Output

# the tagger's edit classes (``encoding.EDIT_CLASSES``) in words: what a finding's note says (the class
# names themselves never reach users)
CLASS_WORDS = {
    "near": "probably one point off",
    "two_lines": "probably two lines off",
    "digit": "probably a digit slip (row or column off by ten)",
    "transpose": "probably x and y swapped",
    "mirror": "probably counted from the wrong edge",
    "swap2": "probably swapped with a move of its colour two before or after",
    "pair_order": "probably a pair of moves out of order",
    "block": "probably in a block of moves out of place",
    "extra": "probably an extra move",
    "missing_before": "probably a move missing before it",
    "missing_after": "probably a move missing after it",
    "colour": "probably the wrong colour",
}


@dataclass
class MoveScores:
    """The tagger's view of one record; arrays are per move, ``(T,)`` or ``(T, E)``."""

    p_wrong: np.ndarray  # float (T,) probability the move is wrong
    edit_probs: np.ndarray  # float (T, E) over encoding.EDIT_CLASSES
    best_point: list  # (row, col) or None per move: top window cell for a replace
    point_prob: np.ndarray  # float (T,) its probability (0 where None)
    edit_classes: tuple = EDIT_CLASSES
    top_points: list | None = None  # per move, the likeliest few window points (best first), on the board
    top_probs: list | None = None  # per move, the point head's probability of each of ``top_points``

    def edit(self, i: int) -> str:
        """Most likely edit of move ``i`` other than 'keep'."""
        return self.edit_classes[1 + int(np.argmax(self.edit_probs[i, 1:]))]


CHUNK = 1024  # moves the tagger sees at once; a longer record is run in pieces (memory stays bounded)
OVERLAP = 128  # moves of context either side of a piece
BATCH_MOVES = CHUNK + 2 * OVERLAP  # padded moves (records x the longest) per forward: no more than a piece


class ModelDetector:
    """A trained tagger behind the ``findings.Detector`` protocol.

    ``checkpoint_or_model``: a checkpoint path or an ``nn.Module`` tagger.
    ``symmetries``: 1 (plain) or 8 (average the 8 board symmetries: slower, steadier).
    Raises CheckpointError for a bad checkpoint file.
    """

    def __init__(self, checkpoint_or_model, threshold: float = 0.5, symmetries: int = 1):
        self.model = checkpoint.model_from(checkpoint_or_model)
        self.threshold = threshold
        self.syms = tuple(range(symmetries))
        self.top_k = 3  # window points kept per move for the repair engine

    @torch.no_grad()
    def analyse_many(self, records: Sequence) -> list[MoveScores | None]:
        """``analyse`` for several records with one batched forward (per symmetry).

        A record longer than ``CHUNK`` moves is run on its own, in pieces of
        ``CHUNK`` moves with ``OVERLAP`` moves of context on each side, so that
        memory stays bounded whatever its length; shorter records are
        unchanged by this. Records are encoded and run ``BATCH_MOVES`` padded
        moves at a time, so that memory stays bounded whatever their number
        (the repair engine passes hundreds of candidate windows at once).
        """
        cfg = self.model.cfg
        idx = [k for k, r in enumerate(records) if r.size == SIZE and r.moves]
        out: list[MoveScores | None] = [None] * len(records)
        if not idx:
            return out
        acc: dict[int, tuple] = {}
        board = bool(getattr(cfg, "board_dim", 0))  # a tagger with the whole-board view
        def encode(k: int, sym: int) -> dict:
            r = records[k]
            moves = [(m[0], _sym(m[1], sym)) for m in r.moves]
            enc = encode_moves(moves, setup_black=[_sym(p, sym) for p in r.setup_black],
                               setup_white=[_sym(p, sym) for p in r.setup_white], handicap=r.handicap,
                               first_player=r.first_player, window=cfg.window, history=cfg.history,
                               board=board)
            return {"planes": enc.planes, "on_board": enc.on_board, "features": enc.features, "board": enc.board}

        for sym in self.syms:
            got = {}
            short = [k for k in idx if len(records[k].moves) <= CHUNK]
            for part in padded_runs(short, [len(records[k].moves) for k in short], BATCH_MOVES):
                got.update(zip(part, self._forward([encode(k, sym) for k in part], sym)))
            for k in idx:
                if k not in got:
                    got[k] = self._chunked(encode(k, sym), sym)
            for k, (pw, ep, pp) in got.items():
                a = acc.get(k)
                acc[k] = (pw, ep, pp) if a is None else (a[0] + pw, a[1] + ep, a[2] + pp)
        n = len(self.syms)
        w, half = cfg.window, cfg.window // 2
        for k in idx:
            r = records[k]
            T = len(r.moves)
            pw, ep, pp = (x / n for x in acc[k])
            cells = pp[:, :-1]
            # the window cells as board points, vectorised: (T, 1 + top_k) candidate cells per move
            top = np.argsort(-cells, axis=-1)[:, : self.top_k]
            best = cells.argmax(-1)
            cand = np.concatenate([best[:, None], top], axis=1)
            rec = np.array([m.point if m.point is not None and on_board(m.point, SIZE) else (-99, -99)
                            for m in r.moves], dtype=np.int64).reshape(T, 2)
            rows = rec[:, :1] + cand // w - half
            cols = rec[:, 1:] + cand % w - half
            ok = (rows >= 0) & (rows < SIZE) & (cols >= 0) & (cols < SIZE)
            p = np.take_along_axis(cells, cand, axis=1)
            rows_l, cols_l, ok_l, p_l = rows.tolist(), cols.tolist(), ok.tolist(), p.tolist()
            pts = [(rows_l[t][0], cols_l[t][0]) if ok_l[t][0] else None for t in range(T)]
            prob = np.where(ok[:, 0], p[:, 0], 0.0)
            tops = [[(rows_l[t][j], cols_l[t][j]) for j in range(1, cand.shape[1]) if ok_l[t][j]] for t in range(T)]
            probs = [[p_l[t][j] for j in range(1, cand.shape[1]) if ok_l[t][j]] for t in range(T)]
            out[k] = MoveScores(pw, ep, pts, prob, top_points=tops, top_probs=probs)
        return out

    def _forward(self, exs: list[dict], sym: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """One batched forward: per example ``(p_wrong (T,), edit probs (T, E), point probs (T, W*W+1))``
        in the record's frame."""
        inputs, _ = collate(exs)
        o, _ = self.model(inputs)
        pw = torch.sigmoid(o["wrong"]).numpy()
        ep = torch.softmax(o["edit"], -1).numpy()
        pp = _unsym_cells(torch.softmax(o["point"], -1).numpy(), sym, self.model.cfg.window)
        sizes = [len(e["features"]) for e in exs]
        return [(pw[b, :t], ep[b, :t], pp[b, :t]) for b, t in enumerate(sizes)]

    def _chunked(self, ex: dict, sym: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``_forward`` of one long example in pieces of ``CHUNK`` moves, each with ``OVERLAP`` moves
        of context either side (inputs are encoded from the whole game, so only the sequence
        model's context is cut); one piece at a time: memory bounded by the piece."""
        T = len(ex["features"])
        parts = []
        for lo in range(0, T, CHUNK):
            hi = min(T, lo + CHUNK)
            a, b = max(0, lo - OVERLAP), min(T, hi + OVERLAP)
            piece = {key: (v[a:b] if v is not None else None) for key, v in ex.items()}
            [(pw, ep, pp)] = self._forward([piece], sym)
            parts.append((pw[lo - a: hi - a], ep[lo - a: hi - a], pp[lo - a: hi - a]))
        return tuple(np.concatenate([p[j] for p in parts]) for j in range(3))

    def analyse(self, record) -> MoveScores | None:
        """Per-move scores of one record, or None if it is not 19x19 (or has no moves)."""
        return self.analyse_many([record])[0]

    def findings(self, record, rule_findings: list[Finding]) -> list[Finding]:
        """'suspect' findings for moves at or above the threshold that the rules did not flag."""
        return self.findings_from(record, self.analyse(record), rule_findings)

    def findings_from(self, record, scores: MoveScores | None, rule_findings: list[Finding]) -> list[Finding]:
        """``findings`` from scores already computed by ``analyse`` (no second forward pass)."""
        if scores is None:
            return []
        ruled = {f.move for f in rule_findings}
        out = []
        for i in np.flatnonzero(scores.p_wrong >= self.threshold):
            i = int(i)
            if i + 1 in ruled:
                continue
            colour, point, sgf = record.moves[i]
            gtp = to_gtp(point, SIZE) if point is None or on_board(point, SIZE) else ""
            hint = self._hint(record, scores, i)
            kind = scores.edit(i)
            where = scores.best_point[i] if kind in ("near", "two_lines") else None
            note = f"the model finds this move unlikely: {CLASS_WORDS.get(kind, 'probably mistyped')}"
            out.append(Finding(i + 1, colour.upper(), sgf, "suspect", float(scores.p_wrong[i]), None, gtp,
                               note + (f", {hint}" if hint else ""), where))
        return out

    @staticmethod
    def _hint(record, scores: MoveScores, i: int) -> str | None:
        """Where the tagger's likeliest edit of move ``i`` points, in words ('likely F4', 'with
        move 12'), or None; the repair itself is the repair engine's (``repairer.ModelRepairer``)."""
        kind = scores.edit(i)
        moves = record.moves
        if kind in ("near", "two_lines", "transpose"):
            p = scores.best_point[i]
            if kind == "transpose" and moves[i].point is not None:
                r, c = moves[i].point
                p = (SIZE - 1 - c, SIZE - 1 - r)
            return f"likely {to_gtp(p, SIZE)}" if p is not None and on_board(p, SIZE) else None
        if kind == "swap2":
            cands = [j for j in (i - 2, i + 2) if 0 <= j < len(moves)]
            j = max(cands, key=lambda j: scores.p_wrong[j]) if cands else i
            return f"with move {j + 1}"
        if kind == "pair_order":
            side = "next" if i + 2 < len(moves) and scores.p_wrong[min(i + 2, len(moves) - 1)] >= \
                scores.p_wrong[max(i - 2, 0)] else "previous"
            return f"with the {side} pair"
        if kind == "colour":
            return f"likely {'W' if moves[i].colour == 'b' else 'B'}"
        return None


def _sym(point, sym: int):
    if point is None or not on_board(point, SIZE):
        return point
    return transform(point, sym, SIZE)


def _unsym_cells(pp: np.ndarray, sym: int, window: int) -> np.ndarray:
    """Point probabilities ``(B, T, W*W+1)`` from the ``sym`` frame back to the record's frame."""
    if sym == 0:
        return pp
    r = window // 2
    # offsets from the centre transform by the linear part of ``sym``, the same on any board size
    perm = np.arange(window * window + 1)
    for cell in range(window * window):
        dr, dc = cell // window - r, cell % window - r
        a = transform((r + dr, r + dc), sym, window)  # record-frame offset -> sym-frame cell
        perm[cell] = a[0] * window + a[1]
    return pp[..., perm]


class ModelSystem:
    """``evaluate.eval.System`` adapter: flags every move with its P(wrong) (the harness thresholds them)."""

    def __init__(self, detector: ModelDetector, name: str = "tagger", min_p: float = 0.05):
        self.detector, self.name, self.min_p = detector, name, min_p

    def run(self, case):
        rec = RecordView(size=case.size, moves=case.noisy, setup_black=case.setup_black,
                         setup_white=case.setup_white, handicap=case.handicap, first_player=None)
        scores = self.detector.analyse(rec)
        if scores is None:
            return Output([], None)
        return Output([(int(i), float(scores.p_wrong[i])) for i in np.flatnonzero(scores.p_wrong >= self.min_p)])
