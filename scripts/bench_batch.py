"""What batching the model's first look over several files buys ``gofix clean``, on one core.

    python scripts/real_subset.py /tmp/real3k --games 3000     # real records to run on
    python scripts/bench_batch.py /tmp/real3k [--files 300] [--rounds 2] [--profile]

Reads the first N SGF files of a directory into memory, then repairs them with
the bundled model as ``gofix clean`` does (``clean.clean_files``, one thread,
no writing), alternately 16 files per batch and one file at a time, and prints
games/s for each and whether both produced identical output bytes and reports.
``--profile`` also runs one batched round under cProfile and prints where the
time went (the 15 costliest functions by own time) to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    from gofix.archive.clean import clean_files
    from gofix.repair.pretrained import RepairerFactory

    names = sorted(n for n in os.listdir(args.folder) if n.lower().endswith(".sgf"))[: args.files]
    tasks = [(n, (args.folder / n).read_bytes()) for n in names]
    repairer = RepairerFactory(threads=1)()
    clean_files(tasks[:4], repairer, None)  # warm-up
    timings: dict[int, list[float]] = {16: [], 1: []}
    outputs: dict[int, list] = {}
    for _ in range(args.rounds):
        for per in (16, 1):
            start = time.perf_counter()
            out = []
            for k in range(0, len(tasks), per):
                out += clean_files(tasks[k:k + per], repairer, None)
            timings[per].append(sum(len(lines) for _, lines in out) / (time.perf_counter() - start))
            outputs[per] = out
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for k in range(0, len(tasks), 16):
            clean_files(tasks[k:k + 16], repairer, None)
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(15)
    print(json.dumps({"files": len(tasks), "games": sum(len(lines) for _, lines in outputs[1]), "threads": 1,
                      "games_per_s_batched": [round(x, 1) for x in timings[16]],
                      "games_per_s_one_by_one": [round(x, 1) for x in timings[1]],
                      "same_output": outputs[16] == outputs[1],
                      "load_average": round(os.getloadavg()[0], 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
