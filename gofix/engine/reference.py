"""gofix's network against KataGo's own output: the agreement measures of the reference fixture.

The fixture (``tests/data/katago_reference.json.gz``, made by ``scripts/katago_reference.py``) holds
KataGo 1.17.2's raw output for positions of real games: its top-10 moves with probabilities and
its win rate. ``compare`` runs an ``Engine`` over the same positions and says how close it is.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np

from gofix.coords import from_gtp
from gofix.engine.engine import Engine
from gofix.engine.features import GameFeatures


def load_reference(path: str | Path) -> list[dict]:
    """The games of a reference fixture, each with its positions and KataGo's output there."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)["games"]


def point_index(name: str) -> int:
    """A GTP point (or 'pass') as its index in KataGo's policy (rows counted from the top; pass last)."""
    if name == "pass":
        return 361
    row, col = from_gtp(name, 19)
    return (18 - row) * 19 + col


def compare(engine: Engine, games) -> dict:
    """Per position: top-1 agreement, KL(KataGo || gofix) over the top-10 moves plus the rest, value error."""
    top1, kls, dv, cats = [], [], [], []
    for g in games:
        moves = [(c.lower(), from_gtp(p, 19)) for c, p in g["moves"]]
        gf = GameFeatures(19, moves, setup_black=[from_gtp(p, 19) for p in g["setup_black"]],
                          setup_white=[from_gtp(p, 19) for p in g["setup_white"]], komi=g["komi"],
                          first_player=moves[0][0] if moves else "b")
        turns = [p["turn"] for p in g["positions"]]
        ev = engine.evaluate(gf, turns)
        for i, pos in enumerate(g["positions"]):
            ref = [(point_index(n), p) for n, p in pos["top"]]
            mine = ev.policy[i]
            top1.append(int(np.argmax(mine)) == ref[0][0])
            kl = sum(p * math.log(p / max(float(mine[j]), 1e-12)) for j, p in ref if p > 0)
            rest_ref = max(1.0 - sum(p for _, p in ref), 0.0)
            rest_mine = max(1.0 - sum(float(mine[j]) for j, _ in ref), 1e-12)
            if rest_ref > 0:
                kl += rest_ref * math.log(rest_ref / rest_mine)
            kls.append(kl)
            dv.append(abs(float(ev.winrate_black[i]) - pos["winrate_black"]))
            cats.append(pos["category"])
    return {"top1": float(np.mean(top1)), "kl": float(np.mean(kls)), "kl_max": float(np.max(kls)),
            "value_max": float(np.max(dv)), "n": len(top1), "cats": cats}
