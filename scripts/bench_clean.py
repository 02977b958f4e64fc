"""Throughput of ``gofix clean`` with 1 worker and with all cores, on the same games.

    python scripts/bench_clean.py [--games 400] [--rules-only]

Takes the first N usable 19x19 games of the test split of
../shared/corpus/pro-games.tar.gz, corrupts half of them (``gofix corrupt``,
seed 0, one error each) into a temporary directory, then times
``gofix clean`` on it with ``--jobs 1`` and ``--jobs <cores>`` (the bundled
model unless --rules-only). Prints games/s for both and checks that both
runs wrote identical output.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "pro-games.tar.gz"


def tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != "report.jsonl":
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--games", type=int, default=400)
    ap.add_argument("--rules-only", action="store_true")
    args = ap.parse_args()
    if not CORPUS.exists():
        print(f"corpus not found: {CORPUS}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO))
    from gofix.train.corrupt import clean_enough
    from gofix.record import GameRecord
    from gofix.formats.sgf_writer import dump_game
    from gofix.formats.read import iter_games
    from gofix.train.splits import game_key, split_of

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gofix = [sys.executable, "-m", "gofix.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        clean_dir = Path(tmp) / "clean"
        clean_dir.mkdir()
        n = 0
        for g in iter_games(CORPUS):
            if isinstance(g, GameRecord) and g.size == 19 and clean_enough(g) \
                    and split_of(game_key(g.moves, 19)) == "test":
                (clean_dir / f"g{n:05d}.sgf").write_bytes(dump_game(g))
                n += 1
                if n >= args.games:
                    break
        noisy = Path(tmp) / "noisy"
        subprocess.run(gofix + ["corrupt", str(clean_dir), "--out", str(noisy), "--seed", "0"], check=True,
                       stdout=subprocess.DEVNULL)
        (noisy / "truth.jsonl").unlink()
        results = {}
        for jobs in sorted({1, cores}):
            out = Path(tmp) / f"out{jobs}"
            cmd = gofix + ["clean", str(noisy), "--out", str(out), "--jobs", str(jobs)]
            if args.rules_only:
                cmd.append("--rules-only")
            start = time.perf_counter()
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            secs = time.perf_counter() - start
            results[jobs] = {"seconds": round(secs, 1), "games_per_s": round(n / secs, 1),
                             "exit_code": proc.returncode, "output": tree_hash(out)}
        same = len({r["output"] for r in results.values()}) == 1
        for r in results.values():
            r.pop("output")
        print(json.dumps({"games": n, "model": "rules only" if args.rules_only else "bundled",
                          "cores": cores, "by_jobs": results, "same_output": same,
                          "load_average": os.getloadavg()[0]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
