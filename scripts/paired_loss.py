"""Two training runs on the same batches, compared step by step from their logs.

    python scripts/paired_loss.py runs/cpu-s19.log runs/cpu-s19-board.log [--from-step 0]

Two ``python -m gofix.train.loop`` runs with the same seed, cache and batch settings (and one data worker
or none) draw the same batches in the same order, whatever the model; their logs print the loss of
every 50th batch ("step N loss X ..."). On the steps both logged, this prints the mean loss of each,
the mean difference (B - A) with its standard error over those batches, and the share of batches
where B's loss is lower — a paired comparison of two models (e.g. with and without a whole-board
view, both started from the same weights) far less noisy than two validation figures. Also the
validation lines ("eval {...}") of each, by step.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys

STEP = re.compile(r"^step (\d+) loss ([\d.]+) lr ([\d.e+-]+) .*moves/s (\d+)")


def read(path: str) -> tuple[dict[int, float], list[dict], list[int], dict[int, float]]:
    losses, evals, rates, lrs = {}, [], [], {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = STEP.match(line)
            if m:
                losses[int(m.group(1))] = float(m.group(2))
                lrs[int(m.group(1))] = float(m.group(3))
                rates.append(int(m.group(4)))
            elif line.startswith("eval "):
                evals.append(json.loads(line[5:]))
    return losses, evals, rates, lrs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--from-step", type=int, default=0, help="ignore the steps before this one")
    args = ap.parse_args(argv)
    (la, ea, ra, lra), (lb, eb, rb, lrb) = read(args.a), read(args.b)
    steps = sorted(s for s in set(la) & set(lb) if s >= args.from_step)
    if not steps:
        print("no step logged by both runs", file=sys.stderr)
        return 1
    d = [lb[s] - la[s] for s in steps]
    n = len(d)
    mean = sum(d) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / max(n - 1, 1))
    print(f"{n} batches both logged, steps {steps[0]}..{steps[-1]}")
    print(f"  mean loss  A {sum(la[s] for s in steps) / n:.4f}   B {sum(lb[s] for s in steps) / n:.4f}")
    print(f"  B - A      {mean:+.4f} (standard error {sd / math.sqrt(n):.4f}); B lower on {sum(x < 0 for x in d)} of {n}")
    print(f"  moves/s (median of the logged rates)  A {sorted(ra)[len(ra) // 2]}   B {sorted(rb)[len(rb) // 2]}")
    # the learning rate follows each run's own clock (time budget), so slower runs decay sooner
    print(f"  learning rate at step {steps[-1]}  A {lra[steps[-1]]:.2e}   B {lrb[steps[-1]]:.2e}")
    keys = ("step", "moves_seen", "loss", "f05", "top_flag", "recall_at_1pct", "point_top1", "clean_flagged")
    for name, evals in (("A", ea), ("B", eb)):
        for e in evals:
            print(f"  {name} eval " + " ".join(f"{k} {e[k]}" for k in keys if k in e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
