"""Speed of ``gofix check`` with the bundled model: load time, ms per game, games/s.

    python scripts/bench_check.py [--games 200] [--threads 1]

Reads the first N 19x19 games of ../shared/corpus/pro-games.tar.gz, loads the
bundled tagger and the repair engine once (timed apart), then checks the games
one at a time (rules + model findings + the repair engine's proposals, what
``gofix check`` does per game) and reports the median and 90th-percentile time
per game and the overall games/s. Parsing is not timed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--games", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pro-games.tar.gz")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    from gofix.repair.check import check_record
    from gofix.repair.pretrained import RepairerFactory
    from gofix.repair.repairer import ModelRepairer
    from gofix.record import GameRecord
    from gofix.formats.read import iter_games

    games = []
    for g in iter_games(args.corpus):
        if isinstance(g, GameRecord) and g.size == 19:
            games.append(g)
            if len(games) >= args.games:
                break
    t = time.perf_counter()
    repairer = RepairerFactory(threads=args.threads)()
    load_s = time.perf_counter() - t
    if not isinstance(repairer, ModelRepairer):
        print("no bundled model", file=sys.stderr)
        return 2
    check_record(games[0], repairer=repairer)  # warm-up
    times = []
    flagged = 0
    for g in games:
        t = time.perf_counter()
        flagged += check_record(g, repairer=repairer).status == "flagged"
        times.append(time.perf_counter() - t)
    times.sort()
    print(json.dumps({"games": len(games), "threads": args.threads, "load_s": round(load_s, 3),
                      "median_ms": round(1000 * statistics.median(times), 1),
                      "p90_ms": round(1000 * times[int(0.9 * len(times))], 1),
                      "games_per_s": round(len(times) / sum(times), 1),
                      "flagged": flagged, "mean_moves": round(sum(len(g.moves) for g in games) / len(games)),
                      "load_average": round(os.getloadavg()[0], 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
