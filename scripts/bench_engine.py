"""Positions per second: gofix's torch KataGo network against the official binary, same positions, same run.

    python scripts/bench_engine.py [--games 10] [--dtype float32 bfloat16]

Takes the first ``--games`` games of the reference fixture (tests/data/katago_reference.json.gz),
evaluates every position of each (all turns, not only the fixture's) with
``../shared/katago/katago`` (analysis engine, one visit, batches of a whole game's turns as
``policy.sh`` does) and with gofix's ``Engine`` in each dtype, and prints positions/s of each and
the ratio. gofix's figure includes computing the input features.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gofix.coords import from_gtp
from gofix.engine.engine import Engine
from gofix.engine.features import GameFeatures

ROOT = Path(__file__).resolve().parents[1]
KATAGO = ROOT.parent / "shared" / "katago"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--games", type=int, default=10)
    ap.add_argument("--dtype", nargs="+", default=["float32", "bfloat16"])
    ap.add_argument("--fixture", type=Path, default=ROOT / "tests" / "data" / "katago_reference.json.gz")
    args = ap.parse_args(argv)
    with gzip.open(args.fixture, "rt") as f:
        games = [g for g in json.load(f)["games"] if not g["setup_black"]][: args.games]
    n_pos = sum(len(g["moves"]) for g in games)
    queries = [{"id": g["id"], "moves": g["moves"], "rules": "japanese", "komi": g["komi"], "boardXSize": 19,
                "boardYSize": 19, "analyzeTurns": list(range(len(g["moves"]))), "includePolicy": True}
               for g in games]
    with tempfile.TemporaryDirectory() as logs:
        t0 = time.perf_counter()
        subprocess.run([str(KATAGO / "katago"), "analysis", "-model", str(KATAGO / "b10c384h6nbttflrs.bin.gz"),
                        "-config", str(KATAGO / "analysis.cfg"), "-override-config",
                        f"logDir={logs},nnRandomize=false,rootPolicyOptimism=0,ignorePreRootHistory=false"],
                       input="".join(json.dumps(q) + "\n" for q in queries), capture_output=True, text=True,
                       check=True)
        t_bin = time.perf_counter() - t0
    print(f"{len(games)} games, {n_pos} positions; threads {Engine.threads()}")
    print(f"katago binary (1.17.2, Eigen, 2 threads, with start-up): {n_pos / t_bin:.2f} positions/s ({t_bin:.1f} s)")
    for dtype in args.dtype:
        t0 = time.perf_counter()
        eng = Engine.load(KATAGO / "b10c384h6nbttflrs.bin.gz", dtype=dtype)
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        for g in games:
            moves = [(c.lower(), from_gtp(p, 19)) for c, p in g["moves"]]
            gf = GameFeatures(19, moves, komi=g["komi"])
            eng.evaluate(gf, range(len(moves)))
        t = time.perf_counter() - t0
        print(f"gofix {dtype}: {n_pos / t:.2f} positions/s ({t:.1f} s, + {t_load:.1f} s to load); "
              f"{t_bin / (t + t_load):.2f}x the binary's speed with loading, {t_bin / t:.2f}x without")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
