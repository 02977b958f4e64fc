"""Fit the judge's score as a weighting of the tagger's figures, on (clean, corrupted) pairs of TRAINING games.

    python scripts/judge_train.py --games 600 --seed 3 --out runs/judge_weights.json

The pairs are made as in ``judge_eval.py`` (every error kind once per game),
from the train split, so validation games stay unseen. Only the regions the
rules leave to the model (the versions' illegal counts tie) are used. Each
version's ``Evidence.features`` (surprise, moves scored, the largest one-move
surprise and the edit head's class sums over the span plus 0, 2, 4, 8 moves
each side; the point-head term) gives a score ``sum w * feature``; ``w`` is
fitted by L2-regularised logistic regression on the differences (the clean
version should score lower), standardised features, Newton steps. Writes
``{"weights": {feature: w}, ...}``; measure it with ``judge_eval.py --weights``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

CONTEXTS = (0, 2, 4, 8)


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
        feats = ev.features(CONTEXTS)
        c = r["clean"]
        for k, f in enumerate(feats):
            if k != c and bad[k] == bad[c]:
                D.append([f[n] - feats[c][n] for n in names])
                kinds.append(r["kind"])
    return np.array(D, dtype=np.float64), kinds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--games", type=int, default=600)
    ap.add_argument("--skip", type=int, default=0)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--cache", type=Path, default=REPO / "cache" / "pro19.npz")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pro-games.tar.gz")
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--progress", action="store_true")
    args = ap.parse_args()
    args.split, args.kinds = "train", ""
    import torch

    torch.set_num_threads(1)
    from judge_eval import collect

    from gofix.repair.judge import Judge

    judge = Judge(args.model, context=max(CONTEXTS))
    rows = collect(args, judge)
    names = sorted(next(r["ev"] for r in rows if r["ev"].surprise is not None).features(CONTEXTS)[0])
    D, kinds = differences(rows, names)
    sd = D.std(0)
    sd[sd == 0] = 1.0
    w = fit_logistic(D / sd, args.l2) / sd
    right = float(((D @ w) > 0).mean())
    out = {"weights": {n: round(float(x), 6) for n, x in zip(names, w) if x != 0},
           "train": {"games": args.games, "skip": args.skip, "seed": args.seed, "l2": args.l2,
                     "regions": len(rows), "model_pairs": len(D), "share_right_on_train": round(right, 4)}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out["train"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
