"""The network as a judge of move sequences: how likely a strong player finds a record's moves.

``EngineJudge`` scores move lists by the network's raw policy (no search): the log-probability
of each recorded move in the position before it. Two uses:

- ``pass_logp(record, moves)``: one batched pass over a whole record, the log-probability of
  every move (a mistyped stone is usually a move no strong player makes, and it makes the
  opponent's real answers look strange too);
- ``margins(record, moves, edits)``: for candidate repairs, the log-likelihood of the moves
  from the edit on — the edited moves and ``window`` moves after them — with the edit against
  without it. The moves after an edit test it: a stone put back where it was played makes the
  following moves natural again. This is the context on both sides of the edit.

Positions are cached by a hash of the moves before them (and the colour to move), so the
positions that a record and its candidate repairs share are evaluated once. A move the network
cannot play (on an occupied point, a ko retake, off the board) ends a sequence: the windows of
the record and of an edit are cut to the moves both can score.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from gofix.coords import on_board
from gofix.komi import normalise_komi
from .features import JAPANESE, GameFeatures, Rules

DEFAULT_KOMI = 6.5
ILLEGAL_LOGP = -20.0  # what an unplayable move costs a sequence, in nats (far below any real move)


@dataclass
class Margin:
    """What the judge found for one candidate edit (log-likelihoods in nats)."""

    margin: float  # edited minus recorded, over the compared moves (-inf: the edit is unplayable)
    edited: np.ndarray  # log P of the edited sequence's moves from the edit's start on
    recorded: np.ndarray  # the same for the record's moves
    head_edited: int  # how many of ``edited`` are the edit's own moves (the rest follow it)
    head_recorded: int  # how many of ``recorded`` are the moves the edit replaces
    follow: int  # following moves compared (up to ``window``)


class EngineJudge:
    """Scores move lists of one board size with an ``engine.Engine``'s policy."""

    def __init__(self, engine, *, window: int = 12, rules: Rules = JAPANESE, max_cache: int = 50_000):
        self.engine = engine
        self.window = window
        self.rules = rules
        self.max_cache = max_cache
        self._cache: dict[tuple, float | np.ndarray] = {}
        self.evaluated = 0  # positions the network ran on (for cost figures)

    @property
    def name(self) -> str:
        return self.engine.name

    # -------------------------------------------------------------- sequences

    def _playable(self, record, moves) -> list[tuple[str, tuple | None]]:
        """(colour, point) pairs up to the first move that is off the board."""
        out = []
        for m in moves:
            if m.point is not None and not on_board(m.point, record.size):
                break
            out.append((m.colour, m.point))
        return out

    @staticmethod
    def komi(record) -> float:
        """The record's komi (KM, with the servers' conventions read), 6.5 when it has none."""
        text = getattr(record, "text", None)
        raw = text("KM") if callable(text) else None
        komi = normalise_komi(raw)[0] if raw else None
        return DEFAULT_KOMI if komi is None else komi

    def _keys(self, record, seq) -> list[int]:
        """Hash of the position before each move of ``seq`` (and before the end), with the colour to move."""
        komi = self.komi(record)
        h = hash((record.size, tuple(sorted(record.setup_black)), tuple(sorted(record.setup_white)),
                  komi, getattr(record, "first_player", "b")))
        keys = []
        for c, p in seq:
            keys.append(hash((h, c)))
            h = hash((h, c, p))
        return keys

    def _features(self, record, seq) -> GameFeatures:
        return GameFeatures(record.size, seq, setup_black=record.setup_black, setup_white=record.setup_white,
                            komi=self.komi(record), rules=self.rules,
                            first_player=getattr(record, "first_player", "b") or "b", strict=False)

    def logps(self, record, sequences: Sequence[Sequence], spans: Sequence[tuple[int, int]]) -> list[np.ndarray]:
        """log P of ``sequences[k][t]`` for ``t`` in ``range(*spans[k])``: every position not yet
        cached is evaluated in one batched run; a move the network cannot play scores
        ``ILLEGAL_LOGP`` and ends its sequence (the array is cut after it)."""
        if len(self._cache) > self.max_cache:
            self._cache.clear()
        prepared = []
        todo: dict[int, tuple[GameFeatures, int, int]] = {}
        for moves, (lo, hi) in zip(sequences, spans):
            seq = self._playable(record, moves[:hi])
            keys = self._keys(record, seq)
            gf = None
            need = [t for t in range(lo, min(hi, len(seq)))
                    if keys[t] not in self._cache and (keys[t], seq[t][1]) not in self._cache]
            if need:
                gf = self._features(record, seq)
                for t in need:
                    if t < gf.legal_moves and keys[t] not in todo:
                        todo[keys[t]] = (gf, t, self._index(record.size, seq[t][1]))
            prepared.append((seq, keys, gf, lo, hi))
        if todo:
            items = list(todo.items())
            rows = self.engine.log_policy([(gf, t) for _, (gf, t, _) in items])
            self.evaluated += len(items)
            for (key, _), row in zip(items, rows):
                self._cache[key] = row
        out = []
        for seq, keys, gf, lo, hi in prepared:
            vals = []
            for t in range(lo, hi):
                if t >= len(seq):
                    vals.append(ILLEGAL_LOGP)  # off the board
                    break
                hit = self._cache.get((keys[t], seq[t][1]))
                if hit is None:
                    row = self._cache.get(keys[t])
                    if row is None:  # unplayable for KataGo (occupied, ko, suicide)
                        vals.append(ILLEGAL_LOGP)
                        break
                    v = float(row[self._index(record.size, seq[t][1])])
                    if not np.isfinite(v):
                        vals.append(ILLEGAL_LOGP)
                        break
                    hit = self._cache[(keys[t], seq[t][1])] = v
                vals.append(hit)
            out.append(np.array(vals, dtype=np.float64))
        return out

    @staticmethod
    def _index(size: int, point) -> int:
        if point is None:
            return size * size
        row, col = point
        return (size - 1 - row) * size + col

    def peek(self, record, moves, t: int, move) -> float | None:
        """log P of ``move`` before move ``t`` of ``moves`` if that position (with ``move``'s colour to
        play) is cached, else None: evaluates nothing."""
        seq = self._playable(record, moves[:t])
        if len(seq) < t or (move.point is not None and not on_board(move.point, record.size)):
            return None
        h = self._keys(record, seq + [(move.colour, move.point)])[t]
        row = self._cache.get(h)
        if row is None:
            return None
        v = float(row[self._index(record.size, move.point)])
        return v if np.isfinite(v) else ILLEGAL_LOGP

    def pass_logp(self, record, moves) -> np.ndarray:
        """log P of every move of ``moves`` (cut after the first one the network cannot play)."""
        return self.logps(record, [moves], [(0, len(moves))])[0]

    def best_moves(self, record, moves, t: int, k: int = 5) -> list[tuple[tuple | None, float]]:
        """The network's ``k`` likeliest moves (point, log P) before move ``t`` of ``moves``, for the
        colour of move ``t``; [] when that position cannot be reached."""
        seq = self._playable(record, moves[: t + 1])
        if t >= len(seq):
            return []
        self.logps(record, [moves], [(t, t + 1)])
        row = self._cache.get(self._keys(record, seq)[t])
        if row is None:
            return []
        size = record.size
        top = np.argsort(-row)[:k]
        return [(None if j == size * size else (size - 1 - j // size, j % size), float(row[j]))
                for j in top if np.isfinite(row[j])]

    # -------------------------------------------------------------- edits

    def margins(self, record, moves, edits, news, window: int | None = None) -> list[Margin]:
        """For each candidate ``edits[k]`` (``news[k]``: ``moves`` with it applied), the judge's margin."""
        w = self.window if window is None else window
        seqs, spans = [], []
        for e, new in zip(edits, news):
            seqs += [new, moves]
            spans += [(e.start, min(len(new), e.start + len(e.insert) + w)),
                      (e.start, min(len(moves), e.start + e.delete + w))]
        lps = self.logps(record, seqs, spans)
        out = []
        for k, e in enumerate(edits):
            new_lp, old_lp = lps[2 * k], lps[2 * k + 1]
            head_new, head_old = len(e.insert), e.delete
            if len(new_lp) and new_lp[-1] == ILLEGAL_LOGP and len(new_lp) <= head_new:
                out.append(Margin(float("-inf"), new_lp, old_lp, head_new, head_old, 0))  # the edit itself is unplayable
                continue
            gain, follow = window_margin(new_lp, old_lp, head_new, head_old, w)
            out.append(Margin(gain, new_lp, old_lp, head_new, head_old, follow))
        return out


def window_margin(edited, recorded, head_edited: int, head_recorded: int, window: int) -> tuple[float, int]:
    """(margin, following moves compared) of an edit from the log P arrays of ``margins``, for any
    ``window`` up to the one they were computed with: the edit's own moves and ``window`` moves
    after it, as many on both sides (a move the record cannot play is among them, at ILLEGAL_LOGP)."""
    edited, recorded = np.asarray(edited, dtype=np.float64), np.asarray(recorded, dtype=np.float64)
    if len(edited) and len(edited) <= head_edited and edited[-1] == ILLEGAL_LOGP:
        return float("-inf"), 0
    follow = max(0, min(window, len(edited) - head_edited, len(recorded) - head_recorded))
    return float(edited[: head_edited + follow].sum() - recorded[: head_recorded + follow].sum()), follow


# ------------------------------------------------------------------ settings and loading

CALIBRATION = Path(__file__).resolve().parent / "calibration.json"

# Used until ``scripts/engine_calibrate.py`` has written ``calibration.json``: a confidence of
# sigmoid(gain - 5), i.e. 0.9 at a gain of 7.2 nats.
DEFAULT_SETTINGS = {"window": 12, "engine_scale": 1.0, "engine_offset": -5.0, "engine_threshold": 0.9,
                    "engine_flag": 0.5, "engine_offsets": {}, "engine_flags": 3, "engine_surprise": -6.0,
                    "engine_keep": 3, "engine_proposals": 2, "engine_also": [], "engine_inserts": False}


def settings() -> dict:
    """The judge's settings: ``calibration.json`` beside this module (what it was fitted on is in
    it), else ``DEFAULT_SETTINGS``; unknown keys are ignored."""
    out = dict(DEFAULT_SETTINGS)
    if CALIBRATION.is_file():
        data = json.loads(CALIBRATION.read_text())
        out.update({k: v for k, v in data.get("settings", {}).items() if k in out})
    return out


def repairer_settings(threshold: float | None = None) -> dict:
    """``settings()`` as ``repairer.ModelRepairer`` keywords (the window belongs to the judge), with
    ``threshold`` (a user's ``--threshold``), when given, as the confidence an edit needs."""
    out = {k: v for k, v in settings().items() if k != "window"}
    if threshold is not None:
        out["engine_threshold"] = threshold
    return out


def trust() -> dict | None:
    """What the calibration measured of the judged repairs (``calibration.json``'s ``simulated``:
    games, corrupted, exact_repair, wrong_repairs, clean_untouched, flag_precision, recall) and
    what it was fitted on; None before a calibration."""
    if not CALIBRATION.is_file():
        return None
    data = json.loads(CALIBRATION.read_text())
    sim = data.get("simulated")
    return {**sim, "fitted_on": data.get("fitted_on", "")} if isinstance(sim, dict) else None


def load_judge(path, *, threads: int | None = None, dtype: str = "float32", device: str = "cpu") -> EngineJudge:
    """An ``EngineJudge`` on the network at ``path`` (raises ``ModelFileError`` naming the file).

    float32 by default: bfloat16 agrees (see docs/engine.md) but is only faster on CPUs with
    bfloat16 instructions (on an AVX2-only CPU it measured 30x slower)."""
    from .engine import Engine

    engine = Engine.load(path, dtype=dtype, device=device, batch_size=8)
    Engine.threads(threads)
    return EngineJudge(engine, window=int(settings()["window"]))
