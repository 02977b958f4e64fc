"""Positions per second: gofix's torch KataGo network against the official binary, same positions, same run.

    python scripts/bench_engine.py [--games 10] [--dtype float32 bfloat16] [--check]

Takes the first ``--games`` games of the reference fixture (tests/data/katago_reference.json.gz),
evaluates every position of each (all turns, not only the fixture's) with
``../shared/katago/katago`` (analysis engine, one visit, batches of a whole game's turns as
``policy.sh`` does) and with gofix's ``Engine`` in each dtype, and prints positions/s of each and
the ratio. gofix's figure includes computing the input features. With ``--check``, also the time
of a whole ``gofix check --engine katago`` of each game (the tagger's screen, the network's pass,
the judged candidates; a fresh process, loading included) against the binary's raw pass over the
same game's positions, in the same run: the median of the per-game ratios.
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
    ap.add_argument("--check", action="store_true", help="also time a whole gofix check --engine katago per game")
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
    if args.check:
        check_against_binary(games)
    return 0


def _binary_pass(query: dict) -> float:
    with tempfile.TemporaryDirectory() as logs:
        t0 = time.perf_counter()
        subprocess.run([str(KATAGO / "katago"), "analysis", "-model", str(KATAGO / "b10c384h6nbttflrs.bin.gz"),
                        "-config", str(KATAGO / "analysis.cfg"), "-override-config",
                        f"logDir={logs},nnRandomize=false,rootPolicyOptimism=0,ignorePreRootHistory=false"],
                       input=json.dumps(query) + "\n", capture_output=True, text=True, check=True)
        return time.perf_counter() - t0


def check_against_binary(games: list[dict]) -> None:
    """Per game: the binary's raw pass over its positions, then ``gofix check --engine katago``."""
    import statistics

    from gofix.coords import to_sgf

    ratios = []
    for g in games:
        query = {"id": g["id"], "moves": g["moves"], "rules": "japanese", "komi": g["komi"], "boardXSize": 19,
                 "boardYSize": 19, "analyzeTurns": list(range(len(g["moves"]))), "includePolicy": True}
        t_bin = _binary_pass(query)
        body = "".join(f";{c}[{to_sgf(from_gtp(p, 19), 19) if p.lower() != 'pass' else ''}]" for c, p in g["moves"])
        with tempfile.TemporaryDirectory() as d:
            sgf = Path(d) / "g.sgf"
            sgf.write_text(f"(;GM[1]FF[4]SZ[19]KM[{g['komi']}]{body})")
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "gofix.cli", "check", str(sgf), "--json", "--engine", "katago",
                            "--katago-model", str(KATAGO / "b10c384h6nbttflrs.bin.gz")],
                           capture_output=True, text=True)
            t_check = time.perf_counter() - t0
        ratios.append(t_check / t_bin)
        print(f"{g['id']}: {len(g['moves'])} moves; binary raw pass {t_bin:.1f} s, gofix check with the engine "
              f"{t_check:.1f} s ({t_check / t_bin:.2f}x)")
        sys.stdout.flush()
    print(f"median gofix check / binary raw pass: {statistics.median(ratios):.2f} over {len(ratios)} games")


if __name__ == "__main__":
    raise SystemExit(main())
