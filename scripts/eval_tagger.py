"""Score a tagger checkpoint against the rules-only baseline with the evaluation harness.

    python scripts/eval_tagger.py runs/small-bi/best.pt --games 300 --threads 1
    python scripts/eval_tagger.py runs/small-bi/best.pt runs/small-causal/best.pt --games 300

Cases: the first ``--games`` clean 19x19 games of the TEST split of the corpus,
each corrupted by ``Channel(errors_per_game=1, clean_share=--clean)`` with a
fixed seed (``evaluate.make_cases``). Prints one markdown table (threshold
0.5) plus recall at the threshold where 1 in 100 clean games gets a flag.
"""

from __future__ import annotations

import argparse
import time

import torch

from gofix.train.corrupt import Channel
from gofix.repair.detect import ModelDetector, ModelSystem
from gofix.evaluate.eval import RulesOnly, make_cases, markdown, run_system, score
from gofix.record import GameRecord
from gofix.formats.read import iter_games


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--corpus", default="../shared/corpus/pro-games.tar.gz")
    ap.add_argument("--games", type=int, default=300)
    ap.add_argument("--clean", type=float, default=0.2, help="share of games left clean")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--symmetries", type=int, default=1, choices=(1, 8))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    records = (r for r in iter_games(args.corpus) if isinstance(r, GameRecord))
    cases = list(make_cases(records, channel=Channel(errors_per_game=1, clean_share=args.clean),
                            seed=args.seed, split="test", limit=args.games))
    results = []
    outs, secs = run_system(RulesOnly(), cases)
    results.append(score("rules only", cases, outs, seconds=secs))
    for path in args.checkpoints:
        t = time.perf_counter()
        det = ModelDetector(path, symmetries=args.symmetries)
        load_s = time.perf_counter() - t
        outs, secs = run_system(ModelSystem(det, name=path), cases)
        s = score(path, cases, outs, seconds=secs)
        results.append(s)
        clean_max = sorted(max((c for _, c in o.flags), default=0.0)
                           for case, o in zip(cases, outs) if not case.corrupted)
        thr = clean_max[int(0.99 * (len(clean_max) - 1))] if clean_max else 1.0
        s1 = score(path, cases, outs, seconds=secs, threshold=min(thr + 1e-6, 1.0))
        print(f"{path}: load {load_s:.2f}s, {s.games_per_s:.1f} games/s, {s.moves_per_s:.0f} moves/s; "
              f"recall {s1.recall:.3f} / precision {s1.precision:.3f} / top flag {s1.top_flag_hit:.3f} "
              f"at threshold {thr:.3f} (1% of clean games flagged)")
        print("  by kind (recall at 0.5): " + ", ".join(f"{k} {v['recall']:.2f} ({v['errors']})"
                                                        for k, v in s.by_kind.items()))
    print(markdown(results, header=f"{len(cases)} test games, 1 error per corrupted game, {args.clean:.0%} clean"))


if __name__ == "__main__":
    main()
