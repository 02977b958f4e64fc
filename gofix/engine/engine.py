"""The engine as the rest of gofix uses it: a network file in, probabilities of positions out.

``Engine.load(path)`` reads a KataGo network and builds it in torch (float32, or bfloat16 with
``dtype="bfloat16"``; CUDA when asked for and present). ``Engine.evaluate(features, turns)``
runs the positions of one game in batches and returns, per position, the policy over the legal
moves (points row by row from the top-left, then pass), Black's win rate (win + half the
no-result chance, as KataGo reports it) and Black's score lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch

from .features import WHITE, GameFeatures
from .modeldesc import ModelDesc
from .modelfile import read_model
from .network import KataGoNet, set_threads, softmax_legal

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


@dataclass
class Evaluation:
    policy: np.ndarray  # (T, size*size + 1) probabilities; 0 on illegal points
    winrate_black: np.ndarray  # (T,)
    lead_black: np.ndarray  # (T,)


class Engine:
    def __init__(self, desc: ModelDesc, *, dtype: str = "float32", device: str = "cpu", batch_size: int = 16):
        if dtype not in DTYPES:
            raise ValueError(f"dtype {dtype!r}: choose one of {', '.join(DTYPES)}")
        self.desc = desc
        self.device = torch.device(device)
        torch.set_flush_denormal(True)  # subnormal activations: ~25% faster on CPU, same results
        self.net = KataGoNet(desc).to(self.device, DTYPES[dtype])
        self.dtype_name = dtype
        self.batch_size = batch_size

    @classmethod
    def load(cls, path: str | Path, **kwargs) -> "Engine":
        return cls(read_model(path), **kwargs)

    @staticmethod
    def threads(n: int | None = None) -> int:
        return set_threads(n)

    def evaluate(self, features: GameFeatures, turns: Sequence[int] | Iterable[int]) -> Evaluation:
        turns = list(turns)
        pols, wins, leads = [], [], []
        lead_mult = self.desc.postprocess["lead_multiplier"]
        for i in range(0, len(turns), self.batch_size):
            chunk = turns[i:i + self.batch_size]
            sp, gl, legal = features.batch(chunk)
            out = self.net(torch.from_numpy(sp).to(self.device), torch.from_numpy(gl).to(self.device))
            pols.append(softmax_legal(out.policy[:, 0], torch.from_numpy(legal).to(self.device)).cpu().numpy())
            v = torch.softmax(out.value, -1).cpu().numpy()
            mover_win = v[:, 0] + 0.5 * v[:, 2]
            lead = out.score[:, 2].cpu().numpy() * lead_mult * (1.0 - v[:, 2])
            white = np.array([features.next_player(t) == WHITE for t in chunk])
            wins.append(np.where(white, 1.0 - mover_win, mover_win))
            leads.append(np.where(white, -lead, lead))
        if not turns:
            n = features.size * features.size + 1
            return Evaluation(np.zeros((0, n), np.float32), np.zeros(0), np.zeros(0))
        return Evaluation(np.concatenate(pols), np.concatenate(wins), np.concatenate(leads))


    def log_policy(self, items: Sequence[tuple[GameFeatures, int]]) -> np.ndarray:
        """log P(move) over ``size*size + 1`` moves (-inf where illegal) before move ``t`` of each
        ``(features, t)``; positions of many games share a batch. All of one board size."""
        if not items:
            return np.zeros((0, 0), np.float32)
        rows = []
        for i in range(0, len(items), self.batch_size):
            chunk = [f.position(t) for f, t in items[i:i + self.batch_size]]
            sp = torch.from_numpy(np.stack([c[0] for c in chunk])).to(self.device)
            gl = torch.from_numpy(np.stack([c[1] for c in chunk])).to(self.device)
            legal = torch.from_numpy(np.stack([c[2] for c in chunk])).to(self.device)
            with torch.inference_mode():
                logits = self.net(sp, gl).policy[:, 0].float().masked_fill(~legal, -float("inf"))
            rows.append(torch.log_softmax(logits, -1).cpu().numpy())
        return np.concatenate(rows)

    @property
    def name(self) -> str:
        """The network's own name (as its file says)."""
        return self.desc.name


def time_positions(engine: Engine, n: int = 32, size: int = 19) -> float:
    """Positions per second of ``engine`` on ``n`` positions of a seeded random game (features included)."""
    import random
    import time

    from gofix.rules.synth import random_game

    moves = [(m.colour, m.point) for m in random_game(random.Random(0), max(n, 1), size)]
    gf = GameFeatures(size, moves)
    engine.evaluate(gf, range(min(2, n)))  # warm-up
    t0 = time.perf_counter()
    engine.evaluate(gf, range(n))
    return n / (time.perf_counter() - t0)
