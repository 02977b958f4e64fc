"""The judge: of several versions of one game that differ in one region, which is the original.

``Judge().choose(size, versions, spans)`` -> ``Verdict(choice, confidence, reason, scores)``.
``versions`` are full move lists in one orientation, identical outside their
half-open 0-based ``spans`` (the spans may differ in length: a missing move, an
extra one; a version whose colours flip after a missing move differs to the end
of the game, so its span runs to the end).

The evidence, in the order it is weighed:

1. The rules. Each version is replayed from the start (``board.replay``, superko
   off as in the repair engine); its *illegal count* is the number of illegal
   moves at or after the region (a foul as the very last move is not counted:
   it may be a real one that ended the game). When one version alone has the
   fewest, it is chosen: reason ``'illegal'`` (the others make a move illegal,
   often an occupied point many moves later), or ``'fewer illegal'`` when even
   it has some. When every version has illegal moves and the counts tie:
   reason ``'both illegal'`` and the model decides among them if it can.
2. The tagger (``detect.ModelDetector``; 19x19 only: on other sizes the rules
   alone decide, else ``'both legal'``). Each version is analysed over its
   span plus ``context`` moves each side (``pad`` more moves each side are fed
   too, unscored, so the scored moves have context; the position before them
   is given as setup stones). A version's *score* (lower = better) is either

   * the formula: its surprise there, ``sum -log(1 - p_wrong)`` in nats, minus
     ``point_weight`` x the point head's log-probability of this version's
     move seen from another version's differing move (only where the versions
     differ in one stone of the same colour), minus ``move_cost`` per scored
     move (a version with a missing move has fewer moves to be surprised by);
   * or, with ``weights``, a fitted weighting of ``Evidence.features`` (the
     surprise, moves, largest one-move surprise and edit-head class sums over
     several contexts, and that point term), fitted on training games by
     ``gofix calibrate`` (``evaluate.judge_fit.fit_weights``) — the bundled tagger's card holds one, which
     was measured better than the formula (see the README).

   The margin between the best and the second best score maps to a confidence:
   by the measured ``calibration`` knots when there are some, else
   ``sigmoid(scale * margin)``; below ``min_confidence`` (or a tie) the
   verdict is ``None`` with reason ``'both plausible'``.

``Verdict.scores``: the per-version model score when the model looked, else the
per-version illegal counts. The settings come from the ``judge`` entry of the
tagger's model card (written by ``gofix calibrate``: ``evaluate.judge_fit``), else
``DEFAULTS`` (the formula as fitted on validation games for the bundled tagger);
keyword arguments override both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from gofix.errors import GofixError
from gofix.record import Move, RecordView
from .pretrained import inference_threads

_FOULS = ("ko", "superko", "turn", "suicide")  # on the last move: possibly a real foul
_TIE = 1e-5  # nats: a smaller margin is a tie (batched forwards differ in the last float bits)

# the formula as `scripts/judge_eval.py --games 200 --seed 1 --fit` (``evaluate.judge_fit.fit_settings``) chose
# it for the bundled tagger (validation games); the model card's ``judge`` entry overrides them
DEFAULTS = {
    "context": 2,  # moves scored each side of the span
    "scale": 7.2,  # confidence = sigmoid(scale * margin in nats), without calibration knots
    "point_weight": 0.25,  # weight of the point head's log-probability in the score
    "move_cost": 0.05,  # nats credited per scored move (a version with a missing move has fewer to pay for)
    "min_confidence": 0.5,  # below it: undecided
    "calibration": None,  # [[margin, confidence], ...] measured knots; None: sigmoid(scale * margin)
    "weights": None,  # {feature: weight} of a fitted score (Evidence.features); None: the formula above
    "rules_confidence": 0.99,  # a verdict of the rules alone (none wrong on validation pairs; capped)
}


class VersionsError(GofixError, ValueError):
    """Versions and spans that do not describe one region of one game."""


@dataclass
class Verdict:
    """Which version is judged the original.

    ``choice``: index into ``versions``, or None (undecided); ``confidence`` in
    [0.5, 1]: the measured chance that a decided verdict is right (0.5 when
    undecided); ``reason``: 'illegal', 'fewer illegal', 'both illegal',
    'model', 'both plausible' or 'both legal' (rules only, no illegal move);
    ``scores``: per version, the model score (surprise in nats, lower = better)
    or, when no model looked, the illegal count.
    """

    choice: int | None
    confidence: float
    reason: str
    scores: tuple[float, ...] = ()


@dataclass
class Evidence:
    """What the judge measured about each version (lists are one entry per version)."""

    illegal: list[int]  # illegal moves at or after the region
    surprise: list[np.ndarray] | None = None  # per-move -log(1 - p_wrong) over [lo - context, hi + context)
    before: list[int] | None = None  # how many of those moves lie before the span (<= context)
    inside: list[int] | None = None  # how many lie in the (capped) span
    point: list[float] | None = None  # point-head log-prob of this version's move, seen from another's (0: none)
    edit: list[np.ndarray] | None = None  # per-move edit-head probabilities (n, E), aligned with ``surprise``

    def window_surprise(self, context: int) -> list[float]:
        """Each version's surprise over its span plus ``context`` (<= the judge's) moves each side."""
        out = []
        for s, b, n in zip(self.surprise, self.before, self.inside):
            a = max(0, b - context)
            out.append(float(s[a : b + n + context].sum()))
        return out

    def window_moves(self, context: int) -> list[int]:
        """How many moves ``window_surprise(context)`` sums, per version."""
        return [len(s[max(0, b - context) : b + n + context])
                for s, b, n in zip(self.surprise, self.before, self.inside)]

    def features(self, contexts: Sequence[int]) -> list[dict[str, float]]:
        """Per version, the figures a trained weighting may use (``Judge(weights=...)``), for each
        context c: ``surprise@c``, ``moves@c``, ``peak@c`` (the largest one-move surprise),
        ``edit:<class>@c`` (the edit head's probability of that class, summed over the window);
        and ``point``."""
        from gofix.models.encoding import EDIT_CLASSES

        out = [{"point": p} for p in self.point]
        for c in contexts:
            for k, (s, b, n) in enumerate(zip(self.surprise, self.before, self.inside)):
                a, e = max(0, b - c), b + n + c
                f = out[k]
                f[f"surprise@{c}"] = float(s[a:e].sum())
                f[f"moves@{c}"] = float(len(s[a:e]))
                f[f"peak@{c}"] = float(s[a:e].max()) if len(s[a:e]) else 0.0
                if self.edit is not None:
                    sums = self.edit[k][a:e].sum(0) if len(s[a:e]) else np.zeros(len(EDIT_CLASSES))
                    for name, v in zip(EDIT_CLASSES, sums):
                        f[f"edit:{name}@{c}"] = float(v)
        return out


def sigmoid(x: float) -> float:
    """The logistic function, without overflow for large ``|x|``."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def confidence(margin: float, scale: float, calibration=None) -> float:
    """The chance that the better-scored version is the original, given the ``margin`` in nats:
    interpolated between the measured ``calibration`` knots ``[(margin, confidence), ...]`` (ascending),
    else ``sigmoid(scale * margin)``; always in [0.5, 1]."""
    if calibration:
        ms = [0.0] + [m for m, _ in calibration]
        cs = [0.5] + [c for _, c in calibration]
        conf = float(np.interp(margin, ms, cs))
    else:
        conf = sigmoid(scale * margin)
    return min(1.0, max(0.5, conf))


def check_versions(versions: Sequence[Sequence[Move]], spans: Sequence[tuple[int, int]]) -> None:
    """Raise VersionsError unless ``versions`` (two or more) agree outside their ``spans``."""
    if len(versions) < 2:
        raise VersionsError(f"need at least two versions to judge, got {len(versions)}")
    if len(spans) != len(versions):
        raise VersionsError(f"{len(versions)} versions but {len(spans)} spans: {list(spans)!r}")
    for k, (v, sp) in enumerate(zip(versions, spans)):
        try:
            lo, hi = sp
        except (TypeError, ValueError):
            raise VersionsError(f"span {k} is {sp!r}, not a (lo, hi) pair") from None
        if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo <= hi <= len(v)):
            raise VersionsError(f"span {k} {sp!r} does not fit version {k} of {len(v)} moves")
    lo0, hi0 = spans[0]
    ref = versions[0]
    for k in range(1, len(versions)):
        lo, hi = spans[k]
        v = versions[k]
        if lo != lo0 or len(v) - hi != len(ref) - hi0:
            raise VersionsError(f"version {k} (span {spans[k]!r}, {len(v)} moves) and version 0 (span "
                                f"{spans[0]!r}, {len(ref)} moves) do not share the moves outside their spans")
        for j in range(lo):
            if tuple(v[j][:2]) != tuple(ref[j][:2]):
                raise VersionsError(f"version {k} differs from version 0 at move {j + 1} ({v[j][:2]!r} vs "
                                    f"{ref[j][:2]!r}), before its span {spans[k]!r}")
        for j in range(1, len(v) - hi + 1):
            if tuple(v[-j][:2]) != tuple(ref[-j][:2]):
                raise VersionsError(f"version {k} differs from version 0 at move {len(v) - j + 1} "
                                    f"({v[-j][:2]!r} vs {ref[-j][:2]!r}), after its span {spans[k]!r}")


def illegal_count(size: int, moves: Sequence[Move], start: int = 0, *, setup_black=(), setup_white=(),
                  handicap: int = 0, first_player: str | None = None) -> int:
    """Illegal moves at or after index ``start`` (a foul as the last move not counted)."""
    from gofix.rules.board import replay

    classes = replay(size, moves, setup_black=setup_black, setup_white=setup_white, handicap=handicap,
                     first_player=first_player, superko=False).classes
    last = len(classes) - 1
    return sum(1 for i in range(start, len(classes))
               if classes[i] != "ok" and not (i == last and classes[i] in _FOULS))


class Judge:
    """Picks the original among versions of a region (see the module doc).

    ``model_path``: a tagger checkpoint or ``nn.Module`` (default: the bundled
    tagger; none installed, or ``rules_only``: the rules alone). Keyword
    settings left None come from the model card's ``judge`` entry, else
    ``DEFAULTS`` (``weights={}`` / ``calibration=[]``: none, whatever the card
    holds). ``pad``: unscored moves fed each side of the scored window;
    ``max_span``: a longer span (a colour flip to the end of the game) is scored
    over its first ``max_span`` moves. ``symmetries``: 1, or 8 to average the
    board's symmetries (slower). Raises CheckpointError for a bad checkpoint.
    """

    def __init__(self, model_path=None, *, rules_only: bool = False, context: int | None = None,
                 scale: float | None = None, point_weight: float | None = None, move_cost: float | None = None,
                 min_confidence: float | None = None, rules_confidence: float | None = None,
                 calibration: list | None = None, weights: dict | None = None, pad: int = 8,
                 max_span: int = 24, symmetries: int = 1):
        from .pretrained import default_checkpoint, model_card

        self.detector = None
        card: dict = {}
        if not rules_only:
            path = default_checkpoint() if model_path is None else model_path
            if path is not None:
                from .detect import ModelDetector

                self.detector = ModelDetector(path, symmetries=symmetries)
                self.detector.top_k = self.detector.model.cfg.window ** 2  # every window point, for the point head
                if isinstance(path, (str, bytes)) or hasattr(path, "__fspath__"):
                    card = model_card(path).get("judge") or {}
        given = {"context": context, "scale": scale, "point_weight": point_weight, "move_cost": move_cost,
                 "min_confidence": min_confidence, "rules_confidence": rules_confidence, "calibration": calibration,
                 "weights": weights}
        cfg = {k: given[k] if given[k] is not None else card.get(k, DEFAULTS[k]) for k in DEFAULTS}
        self.context = int(cfg["context"])
        self.scale = float(cfg["scale"])
        self.point_weight = float(cfg["point_weight"])
        self.move_cost = float(cfg["move_cost"])
        self.min_confidence = float(cfg["min_confidence"])
        self.rules_confidence = float(cfg["rules_confidence"])
        self.calibration = [tuple(map(float, k)) for k in cfg["calibration"]] if cfg["calibration"] else None
        self.weights = {str(k): float(v) for k, v in cfg["weights"].items()} if cfg["weights"] else None
        if self.weights:  # the window must cover the widest context the weights look at
            self.context = max([self.context] + [int(k.rsplit("@", 1)[1]) for k in self.weights if "@" in k])
        self.pad = pad
        self.max_span = max_span

    @property
    def uses_model(self) -> bool:
        return self.detector is not None

    # -------------------------------------------------------------- public

    def choose(self, size: int, versions: list[list[Move]], spans: list[tuple[int, int]], *,
               setup_black=(), setup_white=(), handicap: int = 0, first_player: str | None = None) -> Verdict:
        """The verdict on ``versions`` (see the module doc). Raises VersionsError for versions that
        do not agree outside their spans, or spans that do not fit them."""
        ev = self.evidence(size, versions, spans, setup_black=setup_black, setup_white=setup_white,
                           handicap=handicap, first_player=first_player)
        return self.decide(ev)

    def evidence(self, size: int, versions, spans, *, setup_black=(), setup_white=(), handicap: int = 0,
                 first_player: str | None = None) -> Evidence:
        """The rules' and the tagger's figures for each version (``choose`` = ``decide(evidence(...))``)."""
        check_versions(versions, spans)
        lo = spans[0][0]
        setup = dict(setup_black=list(setup_black), setup_white=list(setup_white), handicap=handicap,
                     first_player=first_player)
        ev = Evidence([illegal_count(size, v, lo, **setup) for v in versions])
        if self.detector is None or size != 19:
            return ev
        self._model_evidence(ev, size, versions, spans, setup)
        return ev

    def decide(self, ev: Evidence, *, context: int | None = None, point_weight: float | None = None,
               move_cost: float | None = None, scale: float | None = None,
               min_confidence: float | None = None, calibration: list | None = None,
               weights: dict | None = None) -> Verdict:
        """The verdict from ``evidence``; keyword settings override the judge's (for calibration): a
        ``context`` given without ``weights`` scores by the formula, a ``scale`` given without
        ``calibration`` maps the margin by the sigmoid."""
        # decided before context and scale take the judge's own values (else the fitted weights and the
        # calibration knots were never used by ``choose``)
        weights = self.weights if weights is None and context is None else weights
        calibration = self.calibration if calibration is None and scale is None else calibration
        context = self.context if context is None else context
        point_weight = self.point_weight if point_weight is None else point_weight
        move_cost = self.move_cost if move_cost is None else move_cost
        scale = self.scale if scale is None else scale
        min_confidence = self.min_confidence if min_confidence is None else min_confidence
        bad = ev.illegal
        best = min(bad)
        keep = [k for k, b in enumerate(bad) if b == best]
        if len(keep) == 1:
            return Verdict(keep[0], self.rules_confidence, "illegal" if best == 0 else "fewer illegal",
                           tuple(float(b) for b in bad))
        if ev.surprise is None:
            return Verdict(None, 0.5, "both illegal" if best else "both legal", tuple(float(b) for b in bad))
        scores = self.scores(ev, context, point_weight, move_cost, weights)
        order = sorted(keep, key=lambda k: scores[k])
        margin = scores[order[1]] - scores[order[0]]
        conf = confidence(margin, scale, calibration)
        if conf < min_confidence or margin <= _TIE:
            return Verdict(None, 0.5, "both illegal" if best else "both plausible", tuple(scores))
        return Verdict(order[0], conf, "both illegal" if best else "model", tuple(scores))

    @staticmethod
    def scores(ev: Evidence, context: int, point_weight: float, move_cost: float = 0.0,
               weights: dict | None = None) -> list[float]:
        """Each version's model score (lower = better): window surprise, minus the point term,
        minus ``move_cost`` per scored move; with ``weights``, their sum over ``ev.features``."""
        if weights:
            contexts = sorted({int(k.rsplit("@", 1)[1]) for k in weights if "@" in k})
            return [sum(w * f.get(k, 0.0) for k, w in weights.items()) for f in ev.features(contexts)]
        s = ev.window_surprise(context)
        n = ev.window_moves(context)
        return [x - point_weight * p - move_cost * k for x, p, k in zip(s, ev.point, n)]

    # -------------------------------------------------------------- internals

    def _model_evidence(self, ev: Evidence, size: int, versions, spans, setup: dict) -> None:
        from gofix.rules.board import replay

        lo = spans[0][0]
        ctx, pad = self.context, self.pad
        a = max(0, lo - ctx - pad)
        rep = replay(size, versions[0][:a], superko=False, **setup)
        black, white = rep.board.stones()
        views, frames = [], []
        for v, (_, hi) in zip(versions, spans):
            hi = min(hi, lo + self.max_span)
            b = min(len(v), hi + ctx + pad)
            views.append(RecordView(size, list(v[a:b]), black, white,
                                 setup["handicap"] if a == 0 else 0, setup["first_player"] if a == 0 else None))
            s0 = max(0, lo - ctx)
            frames.append((s0 - a, lo - s0, hi - lo, min(len(v), hi + ctx) - s0))
        results = self.detector.analyse_many(views)
        ev.surprise, ev.before, ev.inside, ev.edit = [], [], [], []
        for r, (off, before, inside, n) in zip(results, frames):
            if r is None:  # an empty window: nothing to score
                ev.surprise.append(np.zeros(0))
                ev.edit.append(np.zeros((0, 1)))
            else:
                p = np.clip(r.p_wrong[off : off + n].astype(np.float64), 0.0, 1 - 1e-6)
                ev.surprise.append(-np.log1p(-p))
                ev.edit.append(np.asarray(r.edit_probs[off : off + n], dtype=np.float64))
            ev.before.append(before)
            ev.inside.append(inside)
        ev.point = self._point_terms(versions, spans, results, a)

    @staticmethod
    def _point_terms(versions, spans, results, a: int) -> list[float]:
        """Per version: the best log-probability any other version's point head (at its one differing
        move) gives this version's point; 0 for all when the versions are not one-stone substitutions."""
        lo = spans[0][0]
        if any(hi - l != 1 for l, hi in spans) or any(r is None for r in results):
            return [0.0] * len(versions)
        moves = [v[lo] for v in versions]
        if len({m[0] for m in moves}) != 1 or any(m[1] is None for m in moves):
            return [0.0] * len(versions)
        out = []
        for k, m in enumerate(moves):
            best = None
            for j, r in enumerate(results):
                if j == k:
                    continue
                probs = dict(zip(r.top_points[lo - a], r.top_probs[lo - a]))
                lp = math.log(max(probs.get(tuple(m[1]), 0.0), 1e-4))
                best = lp if best is None else max(best, lp)
            out.append(best)
        # relative to the versions' mean, so a version's term says how much more the others point at it
        mean = sum(out) / len(out)
        return [x - mean for x in out]


class LazyJudge:
    """A judge made on its first question, so records that agree never load a model.

    ``make()`` returns the judge: a ``Judge`` (``functools.partial(Judge, path, rules_only=...)``), or
    anything with its ``choose`` (``versions.engine.VersionJudge``). ``threads`` (a judge that runs a
    model): the process's torch threads are set for inference first (``pretrained.inference_threads``).
    """

    def __init__(self, make: Callable[[], object], *, threads: bool = True):
        self.make, self.threads, self._judge = make, threads, None

    def choose(self, *args, **kwargs) -> Verdict:
        if self._judge is None:
            if self.threads:
                inference_threads()
            self._judge = self.make()
        return self._judge.choose(*args, **kwargs)
