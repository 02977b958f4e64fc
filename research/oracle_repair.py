"""Where exact repair is lost: finding the error, or choosing the edit once it is found.

    python research/oracle_repair.py --games 1000 --seed 2

Builds corrupted cases like ``gofix eval`` (validation split by default, one
error per corrupted game; only the corrupted games are run) and repairs each
twice with the bundled tagger's engine:

* ``model``: as shipped — the tagger's own flags say where to look;
* ``located``: the tagger's first look with its flags replaced by the truth —
  ``p_wrong`` 0.99 on the moves the error covers and 0 elsewhere (the edit and
  point heads, the rules' pointers, the candidate search and the judge are
  unchanged, and after an applied edit the tagger looks again by itself).

The gap between the two is what a perfect detector would add; what ``located``
still misses is lost in choosing the edit (the candidates lack the true one,
or the judge prefers another). Prints one JSON line per setting (exact repair,
by error kind) and, for ``located``, why each miss was missed: the engine
changed nothing (``no_change``: no edit sure enough) or made another change
(``changed_wrong``), and whether the true undo was among the candidates of the
first look at the error's moves (``proposed``) or not (``not_proposed``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--games", type=int, default=1000, help="games read (about half get an error)")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--split", default="val")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pro-games.tar.gz")
    ap.add_argument("--model", type=Path, default=None)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from gofix.edits import apply_edit
    from gofix.evaluate.eval import as_record, corpus_cases
    from gofix.repair.pretrained import DEFAULT, RepairerFactory

    cases = [c for c in corpus_cases(args.corpus, seed=args.seed, split=args.split, limit=args.games) if c.corrupted]
    repairer = RepairerFactory(args.model or DEFAULT)()  # as gofix fix / clean build it
    detector = repairer.detector

    def key(moves):
        return [(m.colour, m.point) for m in moves]

    right: dict[str, Counter] = {"model": Counter(), "located": Counter()}
    total: Counter = Counter()
    why: dict[str, Counter] = defaultdict(Counter)
    for case in cases:
        rec = as_record(case)
        truth = case.truths[0]
        total[truth.kind] += 1
        first = detector.analyse(rec)
        p = np.zeros_like(first.p_wrong)
        p[[i for i in truth.positions if i < len(p)]] = 0.99
        located = dataclasses.replace(first, p_wrong=p)
        want = key(case.clean)
        for name, look in (("model", first), ("located", located)):
            out = repairer.repair(rec, first=look)
            if key(out.moves) == want:
                right[name][truth.kind] += 1
            elif name == "located":
                pool = [c for i in truth.positions if i < len(rec.moves)
                        for c in repairer.candidates(rec, list(rec.moves), i, located)]
                fixed = {tuple(key(apply_edit(rec.moves, c.edit))) for c in pool}
                proposed = "proposed" if tuple(want) in fixed else "not_proposed"
                why[truth.kind][f"{'changed_wrong' if out.edits else 'no_change'}/{proposed}"] += 1
    n = sum(total.values())
    for name in ("model", "located"):
        line = {"setting": name, "corrupted_games": n, "split": args.split, "seed": args.seed,
                "repaired_exactly": round(sum(right[name].values()) / max(n, 1), 4),
                "by_kind": {k: f"{right[name][k]}/{total[k]}" for k in sorted(total)}}
        if name == "located":
            misses = Counter()
            for c in why.values():
                misses.update(c)
            line["misses"] = dict(misses)
            line["misses_by_kind"] = {k: dict(why[k]) for k in sorted(why)}
        print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
