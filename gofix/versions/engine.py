"""The network as judge between versions of a region: ``compare`` and ``reconcile`` with an engine.

``VersionJudge`` has ``gofix.repair.judge.Judge``'s ``choose`` interface (the rules first, then the
network's log-likelihood of each version over its span and the moves after it).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from gofix.repair.judge import Judge, Verdict, check_versions, illegal_count
from gofix.engine.judge import EngineJudge, load_judge, settings


@dataclass
class _Position:
    """What ``EngineJudge`` needs of a record: the board size, setup stones and first player."""

    size: int
    setup_black: list
    setup_white: list
    first_player: str | None = None


class VersionJudge:
    """Chooses the original among versions of a region with the network: ``gofix.repair.judge.Judge``'s
    ``choose`` interface, for ``compare`` and ``reconcile``.

    The rules first (a version with fewer illegal moves from the region on wins, confidence
    ``rules_confidence``); among the rest, each version's log-likelihood over its span (capped at
    ``max_span`` moves) and the ``window`` moves after it, cut alike for all; the best wins with
    confidence sigmoid(``scale`` x margin), in [0.5, 1] (no version is the record "as read" here, so
    no prior). Loads the network on its first question; picklable before that."""

    def __init__(self, path, *, threads: int | None = None, max_span: int = 24, rules_confidence: float = 0.99):
        self.path = str(path)
        self.threads = threads
        self.max_span = max_span
        self.rules_confidence = rules_confidence
        self.scale = float(settings()["engine_scale"])
        self._judge: EngineJudge | None = None

    uses_model = True

    def __getstate__(self):
        return {**self.__dict__, "_judge": None}

    @property
    def engine(self) -> EngineJudge:
        if self._judge is None:
            import torch

            # the process's thread count as it is (a reconcile worker's 1), unless told
            self._judge = load_judge(self.path, threads=self.threads or torch.get_num_threads())
        return self._judge

    def choose(self, size: int, versions, spans, *, setup_black=(), setup_white=(), handicap: int = 0,
               first_player: str | None = None):
        check_versions(versions, spans)
        lo = spans[0][0]
        setup = dict(setup_black=list(setup_black), setup_white=list(setup_white), handicap=handicap,
                     first_player=first_player)
        bad = [illegal_count(size, v, lo, **setup) for v in versions]
        best = min(bad)
        keep = [k for k, b in enumerate(bad) if b == best]
        if len(keep) == 1:
            return Verdict(keep[0], self.rules_confidence, "illegal" if best == 0 else "fewer illegal",
                           tuple(float(b) for b in bad))
        pos = _Position(size, list(setup_black), list(setup_white), first_player)
        judge = self.engine
        heads = {k: min(spans[k][1] - spans[k][0], self.max_span) for k in keep}
        lps = judge.logps(pos, [versions[k] for k in keep],
                          [(spans[k][0], spans[k][0] + heads[k] + judge.window) for k in keep])
        follow = max(0, min(min(judge.window, len(lp) - heads[k]) for k, lp in zip(keep, lps)))
        scores = {k: float(lp[: heads[k] + follow].sum()) for k, lp in zip(keep, lps)}
        order = sorted(keep, key=lambda k: -scores[k])
        margin = scores[order[0]] - scores[order[1]]
        conf = 1.0 / (1.0 + math.exp(-self.scale * margin))
        surprise = tuple(-scores[k] if k in scores else math.inf for k in range(len(versions)))
        return Verdict(order[0], conf, "both illegal" if best else "model", surprise)


def judge_factory(model=None, *, rules_only: bool = False, engine_path=None):
    """What judges versions for ``compare`` and ``reconcile``, as a picklable callable that makes it
    (a worker process makes its own): the network (``VersionJudge``) when ``engine_path`` names one,
    else the tagger's ``Judge`` (``model``, or the bundled one; ``rules_only``: the rules alone)."""
    if engine_path is not None:
        return functools.partial(VersionJudge, str(engine_path))
    return functools.partial(Judge, model, rules_only=rules_only)
