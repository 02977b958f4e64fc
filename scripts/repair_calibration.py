"""How far to trust a change: share of changed games restored exactly, by the change's confidence.

    python scripts/repair_calibration.py --games 1000 --seed 2 [--split val] [--model CKPT]

Builds corrupted cases like ``gofix eval`` (one error per corrupted game, half
clean; the validation split and a seed other than the reported 0 by default),
runs the repair engine as ``gofix fix``/``clean`` would (the model card's
thresholds), and for every game it changed takes the lowest confidence of the
edits it applied. Prints a JSON line per confidence bin — games changed, how
many of them were restored exactly to the clean record, how many of the
changed ones were clean games — then one summary line, which also says where
the wrong changes to corrupted games were: touching the error's own moves,
within ``near`` moves of them, or farther. ``--card``: also store the figures
in a model card (``change_trust``), which ``gofix check`` quotes under its
findings.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BINS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.01)


def bin_of(conf: float, bins=BINS) -> tuple[float, float]:
    """The half-open bin ``[lo, hi)`` of ``bins`` that holds ``conf`` (below the first: ``(0, bins[0])``)."""
    lo = 0.0
    for hi in bins:
        if conf < hi:
            return lo, hi
        lo = hi
    return lo, float("inf")


def where(edits, truths, near: int) -> str:
    """'touching' when an edit touches a move of an error, 'near' when one lies within ``near``
    moves of one, else 'far' (move numbers of the record as read; an insertion counts at the
    move after the gap)."""
    errors = {p for t in truths for p in t.positions}
    touched = [m - 1 for e in edits for m in e.moves]
    if not touched or not errors:
        return "far"
    gap = min(abs(i - p) for i in touched for p in errors)
    return "touching" if gap == 0 else "near" if gap <= near else "far"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--games", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--split", default="val")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pro-games.tar.gz")
    ap.add_argument("--near", type=int, default=2, help="moves from the error that count as near it")
    ap.add_argument("--model", type=Path, default=None, help="tagger checkpoint (default: the bundled one)")
    ap.add_argument("--card", type=Path, default=None,
                    help="also store the figures as change_trust in this model card (gofix check quotes them)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from gofix.evaluate.eval import _as_record, _same, corpus_cases
    from gofix.repair.pretrained import DEFAULT, RepairerFactory

    model = args.model or DEFAULT
    engine = RepairerFactory(model)()  # as gofix fix / clean build it: the model card's thresholds
    cases = corpus_cases(args.corpus, seed=args.seed, split=args.split, limit=args.games)
    table: dict[tuple[float, float], list[int]] = {}
    wrong = {"touching": 0, "near": 0, "far": 0}
    for case in cases:
        result = engine.repair(_as_record(case))
        if not result.changed:
            continue
        right = bool(case.corrupted and _same(result.moves, case.clean))
        row = table.setdefault(bin_of(min(e.confidence for e in result.edits)), [0, 0, 0])
        row[0] += 1
        row[1] += right
        row[2] += not case.corrupted
        if case.corrupted and not right:
            wrong[where(result.edits, case.truths, args.near)] += 1
    for (lo, hi), (n, right, clean) in sorted(table.items()):
        print(json.dumps({"confidence": [lo, min(hi, 1.0)], "changed": n, "right": right,
                          "share_right": round(right / n, 3), "clean_games_changed": clean}))
    n = sum(r[0] for r in table.values())
    right = sum(r[1] for r in table.values())
    summary = {"model": str(model), "games": args.games, "split": args.split, "seed": args.seed,
               "changed": n, "right": right, "share_right": round(right / n, 3) if n else None,
               "wrong_changes_to_corrupted_games": wrong, "near": args.near}
    print(json.dumps(summary))
    if args.card is not None:
        card = json.loads(args.card.read_text(encoding="utf-8")) if args.card.exists() else {}
        card["change_trust"] = {**{k: summary[k] for k in ("games", "split", "seed", "changed", "right",
                                                            "share_right")},
                                "bins": [{"confidence": [lo, min(hi, 1.0)], "changed": c, "right": r}
                                         for (lo, hi), (c, r, _) in sorted(table.items())]}
        args.card.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
