"""A learned judge of candidate repairs: how likely a candidate edit restores the record.

The repair engine (``repair.ModelRepairer``) scores each candidate edit with
several signals from the tagger — the drop in its surprise around the edit,
its edit and point heads at the flagged move, how many illegal moves the edit
makes legal, how much it changes the record. Summed with hand-set weights they
rank candidates, but the sum is not a probability. ``Reranker`` is a logistic
regression over those signals (``FEATURES``), fitted on corrupted games of the
training split (``scripts/fit_reranker.py``): its output is an estimate of the
probability that applying the edit gives back the clean record, and the engine
applies the likeliest edit when that estimate reaches its threshold.

It is stored in the tagger's model card (``to_dict``), self-describing: the
feature names, their standardisation, the weights, the threshold chosen and
how it was fitted. A card whose feature names differ from ``FEATURES`` is
refused (``RerankerError``) rather than silently misread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import CheckpointError

KINDS = ("replace", "swap2", "pair_order", "block", "delete", "insert", "colour")

FEATURES: tuple[str, ...] = (
    "gain",  # the hand-weighted score the engine ranks by without a reranker (nats)
    "margin",  # gain minus the best other candidate's gain at the same flagged move (nats)
    "tagger_drop",  # drop in the tagger's surprise over the window around the edit (nats)
    "legal_fixed",  # illegal moves the edit makes legal
    "size",  # moves removed or added, +1 for a recolouring
    "point_penalty",  # log(p_top / p_point) of the point head for a moved stone (0 otherwise)
    "point_known",  # 1 when the new point is among the point head's likeliest
    "p_wrong",  # the tagger's probability that the flagged move is wrong
    "log_p_kind",  # log of the edit head's probability of the candidate's kind at the flagged move
    "log_p_keep",  # log of the edit head's probability of "keep" there
    "under_flag",  # 1 when the flagged move is below the flag threshold (tried as one of the likeliest)
    "rules_only",  # 1 when only the rules point at the move (an illegal move or the stone it hits)
    "window_surprise",  # the tagger's surprise over the window before the edit (nats)
    "log_candidates",  # log of the number of candidates at the flagged move
) + tuple(f"kind_{k}" for k in KINDS)


class RerankerError(CheckpointError):
    """A stored reranker that does not fit this version of gofix."""


@dataclass
class Reranker:
    mean: np.ndarray  # (F,) feature means used for standardisation
    scale: np.ndarray  # (F,) feature standard deviations (1 where constant)
    weights: np.ndarray  # (F,)
    bias: float
    threshold: float = 0.5  # apply an edit when its probability reaches this
    info: dict = field(default_factory=dict)  # how it was fitted: data, seed, figures

    def prob(self, x: np.ndarray) -> np.ndarray:
        """Probability that each candidate (rows of ``x``, columns ``FEATURES``) restores the record."""
        z = ((np.asarray(x, dtype=np.float64) - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))

    def to_dict(self) -> dict:
        return {"features": list(FEATURES), "mean": [round(float(v), 6) for v in self.mean],
                "scale": [round(float(v), 6) for v in self.scale],
                "weights": [round(float(v), 6) for v in self.weights], "bias": round(float(self.bias), 6),
                "threshold": self.threshold, "info": self.info}

    @classmethod
    def from_dict(cls, data: dict) -> "Reranker":
        names = tuple(data.get("features", ()))
        if names != FEATURES:
            raise RerankerError(f"the stored reranker reads features {list(names)!r}, this gofix computes "
                                f"{list(FEATURES)!r}: refit it (scripts/fit_reranker.py)")
        arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "weights")]
        if any(a.shape != (len(FEATURES),) for a in arrays):
            raise RerankerError(f"the stored reranker's arrays are not {len(FEATURES)} long")
        return cls(*arrays, bias=float(data["bias"]), threshold=float(data.get("threshold", 0.5)),
                   info=dict(data.get("info", {})))


def fit(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, iterations: int = 50) -> Reranker:
    """Logistic regression of ``y`` (0/1) on standardised ``x`` by Newton's method, L2 penalty ``l2``
    on the weights (not the bias). Raises ValueError without both classes."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(FEATURES) or len(x) != len(y):
        raise ValueError(f"x must be (N, {len(FEATURES)}) and y (N,), got {x.shape} and {y.shape}")
    if y.min() == y.max():
        raise ValueError("fitting needs both right and wrong candidates")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    w[-1] = np.log(y.mean() / (1 - y.mean()))
    reg = np.full(z.shape[1], l2)
    reg[-1] = 1e-6

    def loss(w):
        m = z @ w
        return float(np.logaddexp(0.0, m).sum() - (y * m).sum() + 0.5 * (reg * w * w).sum())

    current = loss(w)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -40.0, 40.0)))
        grad = z.T @ (p - y) + reg * w
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-6 and loss(w - t * step) > current:  # damped Newton: never raise the loss
            t /= 2
        if t <= 1e-6:
            break
        w = w - t * step
        new = loss(w)
        if current - new < 1e-10 * max(1.0, abs(current)):
            current = new
            break
        current = new
    return Reranker(mean, scale, w[:-1], float(w[-1]))
