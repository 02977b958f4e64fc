"""How the encoder-decoder judges the TRUE repair of each error, by kind.

    python research/probe_seq2seq.py [--games 200] [--split val] [--seed 1]

Corrupts validation games (one error in half of them, as ``gofix eval``), then
for every corrupted game scores the exact undo of its error with
``rescore.Seq2SeqScorer.compare``: log p(repaired) - log p(as recorded) over the
same stretch. Positive means the model prefers the true repair. For replaced
moves it also reports whether the true move is among the model's 10 proposals
at that position. Prints one JSON line per kind: count, median gain, share
with gain > 0, share with the true move proposed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--games", type=int, default=200)
    ap.add_argument("--split", default="val")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--model", type=Path, default=REPO / "gofix" / "weights" / "seq2seq.pt")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pro-games.tar.gz")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from gofix.evaluate.eval import as_record, corpus_cases
    from gofix.repair.rescore import Seq2SeqScorer

    cases = corpus_cases(args.corpus, seed=args.seed, split=args.split, limit=args.games)
    scorer = Seq2SeqScorer(args.model)
    gains, proposed = defaultdict(list), defaultdict(list)
    for case in cases:
        if len(case.truths) != 1:
            continue
        truth = case.truths[0]
        src = scorer.source(as_record(case))
        base, cand = scorer.compare(src, case.noisy, [truth.undo])
        gains[truth.kind].append(float(cand[0] - base))
        if truth.undo.delete == 1 and len(truth.undo.insert) == 1 and not truth.undo.recolour:
            want = truth.undo.insert[0]
            props = scorer.next_moves(src, case.noisy, truth.undo.start, 10)
            proposed[truth.kind].append(any((m.colour, m.point) == (want.colour, want.point) for m, _ in props))
    for kind in sorted(gains):
        g = gains[kind]
        row = {"kind": kind, "errors": len(g), "median_gain_nats": round(statistics.median(g), 2),
               "prefers_repair": round(sum(x > 0 for x in g) / len(g), 2)}
        if proposed[kind]:
            row["true_move_in_top10"] = round(sum(proposed[kind]) / len(proposed[kind]), 2)
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
