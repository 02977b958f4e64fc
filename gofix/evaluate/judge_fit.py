"""Fitting the judge (``repair.judge.Judge``) to a tagger: the ``judge`` entry of its model card.

The judge is fitted on (clean, corrupted) pairs of one region: for each game of a split and each
error kind of ``corrupt.KINDS``, one error is planted at a random move (seeded by the seed, the
game and the kind); the clean and the corrupted record, in a random order, go to the judge with
the truth's span in each (for the kinds that flip every later colour, the span runs to the end of
the game). Two fits, on different games:

* ``fit_weights``: on TRAINING games, the score as a weighting of ``Evidence.features`` (surprise,
  moves scored, the largest one-move surprise and the edit head's class sums over the span plus
  0, 2, 4, 8 moves each side; the point-head term), by L2-regularised logistic regression on the
  differences (the clean version should score lower) over the regions the rules leave to the
  model (the versions' illegal counts tie); standardised features, Newton steps.
* ``fit_settings``: on VALIDATION games, the confidence: with weights, only the scale (maximum
  likelihood of sigmoid(scale * margin)) and the isotonic knots in the margin; without, first
  the formula's context, point weight and move cost (a grid: the best worst kind, then the most
  regions right).

``fit_judge`` runs the second on the first's weights and returns the card entry, as ``gofix
calibrate`` stores it. The games come from a record source (an SGF file, folder or archive, read
as ``gofix eval`` reads it) or a training cache (``.npz``: its own split of every game).
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, Iterator

import numpy as np

RECOLOUR = ("drop_one_recolour", "extra_one_recolour")  # kinds that flip every later colour
CONTEXTS = (0, 1, 2, 4, 6, 8, 12, 16)  # the formula's contexts tried (the evidence is taken at the widest)
POINT_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)
MOVE_COSTS = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)
FEATURE_CONTEXTS = (0, 2, 4, 8)  # the contexts a fitted weighting looks at


def is_cache(source) -> bool:
    """Whether ``source`` names a training cache (``.npz``) rather than records."""
    return Path(str(source)).suffix == ".npz"


def cache_games(path, split: str) -> Iterator[tuple[int, SimpleNamespace]]:
    """(index, game as a record-like namespace: size, moves, setup, handicap, first player) of every
    game of ``split`` in the cache at ``path`` (the cache's own split of each game), in its order."""
    from gofix.train.cache import GameCache

    cache = GameCache.load(path)
    for i in cache.indices(split):
        g = cache.game(int(i))
        yield int(i), SimpleNamespace(size=19, **{k: getattr(g, k) for k in ("moves", "setup_black", "setup_white",
                                                                            "handicap", "first_player")})


def split_games(source, split: str, *, skip: int = 0, limit: int | None = None) -> Iterator[tuple[str, object]]:
    """(game id, record-like) of the usable games of ``split`` in ``source``, in its order, after ``skip``."""
    if is_cache(source):
        from gofix.train.corrupt import clean_enough

        n = 0
        for i, rec in cache_games(source, split):
            if not clean_enough(rec):
                continue
            n += 1
            if n <= skip:
                continue
            yield f"cache#{i}", rec
    else:
        from .eval import corpus_cases

        cases = corpus_cases(source, split=split, limit=None if limit is None else skip + limit)
        for n, case in enumerate(cases):
            if n >= skip:
                yield case.game_id, SimpleNamespace(size=19, moves=case.clean, setup_black=case.setup_black,
                                                    setup_white=case.setup_white, handicap=case.handicap,
                                                    first_player=None)


def pair_for(rec, kind: str, rng: random.Random):
    """(versions, spans, index of the clean one) for one planted error of ``kind``, or None."""
    from gofix.train.corrupt import KINDS

    res = KINDS[kind](rec.moves, 19, rng)
    if res is None:
        return None
    noisy, truth = res
    clean = list(rec.moves)
    lo, hi = truth.span
    if kind in RECOLOUR:
        spans = [(lo, len(clean)), (lo, len(noisy))]
    else:
        spans = [(lo, hi + len(truth.undo.insert) - truth.undo.delete), (lo, hi)]
    versions = [clean, noisy]
    if rng.random() < 0.5:
        return versions[::-1], spans[::-1], 1
    return versions, spans, 0


def kind_trials(source, *, split: str, games: int, seed: int, kinds, skip: int = 0):
    """The first ``games`` games of ``split_games(source, split, skip=skip)``, each as ``(n, id, game,
    [(kind, rng)])``: per error kind the rng that plants it in that game (seeded by ``seed``, the game
    and the kind)."""
    for n, (gid, game) in enumerate(split_games(source, split, skip=skip, limit=games)):
        if n >= games:
            break
        yield n, gid, game, [(kind, random.Random(f"{seed}:{gid}:{kind}")) for kind in kinds]


def collect(judge, source, *, split: str, games: int, seed: int, skip: int = 0, kinds=None,
            progress: Callable[[int, int, float], None] | None = None) -> list[dict]:
    """One row per region: game, kind, which version is clean, spans, and the judge's ``Evidence``.
    ``kinds`` None: every kind of ``corrupt.KINDS``; ``progress(games, regions, seconds)`` every 25 games."""
    from gofix.train.corrupt import KINDS

    kinds = list(kinds) if kinds else list(KINDS)
    rows = []
    t0 = time.time()
    for n, gid, rec, trials in kind_trials(source, split=split, games=games, seed=seed, kinds=kinds, skip=skip):
        for kind, rng in trials:
            pair = pair_for(rec, kind, rng)
            if pair is None:
                continue
            versions, spans, clean = pair
            ev = judge.evidence(19, versions, spans, setup_black=rec.setup_black, setup_white=rec.setup_white,
                                handicap=rec.handicap, first_player=rec.first_player)
            rows.append({"game": gid, "kind": kind, "clean": clean, "spans": spans, "ev": ev})
        if progress is not None and (n + 1) % 25 == 0:
            progress(n + 1, len(rows), time.time() - t0)
    return rows


def games_read(rows) -> int:
    """How many games the ``rows`` of ``collect`` came from (the games asked for, unless the split
    held fewer)."""
    return len({r["game"] for r in rows})


# ------------------------------------------------------------------ the confidence (validation games)


def model_rows(rows) -> list[dict]:
    """Rows the rules leave to the model (the fewest illegal moves tied)."""
    out = []
    for r in rows:
        bad = r["ev"].illegal
        if r["ev"].surprise is not None and sum(b == min(bad) for b in bad) > 1:
            out.append(r)
    return out


def margins(rows, judge, ctx, pw, mc, weights=None) -> list[float]:
    """Per row: the best wrong version's score minus the clean one's (> 0: the clean one wins)."""
    out = []
    for r in rows:
        sc = judge.scores(r["ev"], ctx, pw, mc, weights)
        c = r["clean"]
        out.append(min(sc[k] for k in range(len(sc)) if k != c) - sc[c])
    return out


def fit_settings(rows, judge) -> dict:
    """Settings that maximise the share of model-judged regions right, kind by kind (the worst kind
    first, then all), then the confidence scale by maximum likelihood of sigmoid(scale * margin).
    With ``judge.weights`` (a fitted weighting) only the confidence is fitted."""
    from gofix.repair.judge import sigmoid

    chosen = model_rows(rows)
    if not chosen:
        from gofix.errors import NoGamesError

        raise NoGamesError(f"none of the {len(rows)} regions was left to the model: nothing to fit the judge on")
    kinds = sorted({r["kind"] for r in chosen})
    best = None
    if judge.weights:  # a fitted weighting (fit_weights): only the confidence is fitted here
        widest = max(int(k.rsplit("@", 1)[1]) for k in judge.weights if "@" in k)
        best = (None, widest, 0.0, 0.0, margins(chosen, judge, 0, 0.0, 0.0, judge.weights))
    for ctx in CONTEXTS if best is None else ():
        if ctx > judge.context:
            continue
        for pw in POINT_WEIGHTS:
            for mc in MOVE_COSTS:
                m = margins(chosen, judge, ctx, pw, mc)
                right = sum(x > 0 for x in m)
                per = [sum(x > 0 for x, r in zip(m, chosen) if r["kind"] == k) /
                       sum(r["kind"] == k for r in chosen) for k in kinds]
                key = (round(min(per), 3), right)
                if best is None or key > best[0]:
                    best = (key, ctx, pw, mc, m)
    _, ctx, pw, mc, m = best
    scale = 1.0
    for _ in range(100):  # Newton steps on the log-likelihood of sign(margin) given |margin|
        g = h = 0.0
        for x in m:
            a = abs(x)
            p = sigmoid(scale * a)
            g += ((1.0 if x > 0 else 0.0) - p) * a
            h += p * (1 - p) * a * a
        if h <= 0:
            break
        step = g / h
        scale += step
        if abs(step) < 1e-6:
            break
    return {"context": ctx, "point_weight": pw, "move_cost": mc, "scale": round(scale, 4),
            "calibration": isotonic(m), "weights": judge.weights, "min_confidence": 0.5,
            "rules_confidence": rules_confidence(rows), "fit_regions": len(rows),
            "fit_model_regions": len(chosen)}


def isotonic(margins, knots: int = 12) -> list:
    """Knots ``[[margin, confidence], ...]``: the share right of the model's verdicts as a
    non-decreasing function of |margin| (pool-adjacent-violators over the regions sorted by |margin|,
    each pool's share taken as (right + 1) / (n + 2)), kept at about ``knots`` quantiles. A verdict's
    right when the clean version scores better (margin > 0); a tie counts half."""
    pts = sorted((abs(x), 1.0 if x > 0 else 0.5 if x == 0 else 0.0) for x in margins)
    pools: list[list[float]] = []  # [sum right, n, last margin]
    for a, y in pts:
        pools.append([y, 1, a])
        while len(pools) > 1 and pools[-2][0] / pools[-2][1] >= pools[-1][0] / pools[-1][1]:
            s, n, a = pools.pop()
            pools[-1][0] += s
            pools[-1][1] += n
            pools[-1][2] = a
    curve = [(a, (s + 1) / (n + 2)) for s, n, a in pools]
    step = max(1, len(curve) // knots)
    kept = curve[::step][:-1] + [curve[-1]] if len(curve) > 1 else curve
    out, top = [], 0.5
    for a, c in kept:  # the smoothing can break monotonicity between pools: keep it non-decreasing
        top = max(top, c)
        out.append([round(a, 4), round(top, 4)])
    return out


def rules_confidence(rows) -> float:
    """Share right of the rules' verdicts, with one wrong added (an upper bound on what was seen)."""
    n = right = 0
    for r in rows:
        bad = r["ev"].illegal
        keep = [k for k, b in enumerate(bad) if b == min(bad)]
        if len(keep) == 1:
            n += 1
            right += keep[0] == r["clean"]
    return round(min(0.99, right / (n + 1)), 4) if n else 0.99


# ------------------------------------------------------------------ the weighting (training games)


def fit_logistic(D: np.ndarray, l2: float, steps: int = 50) -> np.ndarray:
    """``w`` minimising sum log(1 + exp(-D @ w)) + l2/2 |w|^2 (every row of ``D`` should come out > 0)."""
    w = np.zeros(D.shape[1])
    for _ in range(steps):
        z = D @ w
        p = 1 / (1 + np.exp(np.clip(z, -50, 50)))  # sigmoid(-z): the loss's slope
        g = -(D * p[:, None]).sum(0) + l2 * w
        h = (D * (p * (1 - p))[:, None]).T @ D + l2 * np.eye(len(w))
        step = np.linalg.solve(h, g)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def differences(rows, names):
    """(D, kinds): per model-judged row, features of the best wrong version minus the clean one's
    (with more than two versions every wrong one gives a row)."""
    D, kinds = [], []
    for r in rows:
        ev = r["ev"]
        bad = ev.illegal
        if ev.surprise is None or sum(b == min(bad) for b in bad) < 2:
            continue
        feats = ev.features(FEATURE_CONTEXTS)
        c = r["clean"]
        for k, f in enumerate(feats):
            if k != c and bad[k] == bad[c]:
                D.append([f[n] - feats[c][n] for n in names])
                kinds.append(r["kind"])
    return np.array(D, dtype=np.float64), kinds


def fit_weights(model, source, *, games: int = 800, seed: int = 3, skip: int = 0, l2: float = 1.0,
                progress=None) -> dict:
    """The judge's score as a weighting of the tagger's figures, fitted on pairs of the TRAINING games
    of ``source``: ``{"weights": {feature: w}, "train": {games, skip, seed, l2, regions, model_pairs,
    share_right_on_train}}``. Raises NoGamesError when no region is left to the model."""
    from gofix.errors import NoGamesError
    from gofix.repair.judge import Judge

    judge = Judge(model, context=max(FEATURE_CONTEXTS), weights={})  # {}: whatever a card holds
    rows = collect(judge, source, split="train", games=games, seed=seed, skip=skip, progress=progress)
    first = next((r["ev"] for r in rows if r["ev"].surprise is not None), None)
    if first is None:
        raise NoGamesError(f"no training game in {source} gave a region for the model to judge")
    names = sorted(first.features(FEATURE_CONTEXTS)[0])
    D, _ = differences(rows, names)
    if not len(D):
        raise NoGamesError(f"none of the {len(rows)} regions of the training games of {source} was left to the model")
    sd = D.std(0)
    sd[sd == 0] = 1.0
    w = fit_logistic(D / sd, l2) / sd
    right = float(((D @ w) > 0).mean())
    return {"weights": {n: round(float(x), 6) for n, x in zip(names, w) if x != 0},
            "train": {"games": games_read(rows), "skip": skip, "seed": seed, "l2": l2, "regions": len(rows),
                      "model_pairs": len(D), "share_right_on_train": round(right, 4)}}


def fit_judge(model, source, *, weights: dict | None = None, games: int = 200, seed: int = 1, skip: int = 0,
              split: str = "val", progress=None) -> dict:
    """The ``judge`` entry of a model card: ``fit_settings`` on pairs of the ``split`` games of
    ``source`` with the weighting ``weights`` (``fit_weights``'s output; None: the formula), plus
    the protocol (games, skip, seed, split) and, with weights, what they were fitted on."""
    from gofix.repair.judge import Judge

    judge = Judge(model, context=max(CONTEXTS), weights=(weights or {}).get("weights") or {})
    rows = collect(judge, source, split=split, games=games, seed=seed, skip=skip, progress=progress)
    entry = {**fit_settings(rows, judge), "games": games_read(rows), "skip": skip, "seed": seed, "split": split}
    if weights and "train" in weights:
        entry["weights_fitted_on"] = weights["train"]
    return entry
