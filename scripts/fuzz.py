"""Long fuzz run of the reader and checker (the CI test runs a bounded version).

    python scripts/fuzz.py [--seconds 600] [--corpus ../shared/corpus/pro-games.tar.gz]

Mutates real records (from the corpus when present, else the test seeds) and
random bytes; every input must end in GameRecords/Unreadables, and every
readable game must check and re-read after writing. Prints inputs tried and
crashes; a crashing input is saved under runs/fuzz-crashes/.
"""

from __future__ import annotations

import argparse
import random
import sys
import tarfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from test_fuzz import SEED_GAMES, _exercise, _mutate  # noqa: E402


def corpus_seeds(path: Path, n: int) -> list[bytes]:
    out = []
    if not path.exists():
        return out
    with tarfile.open(path, "r|*") as tar:
        for m in tar:
            if m.isfile() and m.name.lower().endswith(".sgf"):
                out.append(tar.extractfile(m).read())
                if len(out) >= n:
                    break
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pro-games.tar.gz")
    args = ap.parse_args()
    seeds = SEED_GAMES + corpus_seeds(args.corpus, 500)
    rng = random.Random(args.seed)
    crash_dir = REPO / "runs" / "fuzz-crashes"
    tried = crashes = 0
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        if rng.random() < 0.1:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(500)))
        else:
            data = _mutate(rng.choice(seeds), rng, rng.randrange(1, 40))
        tried += 1
        try:
            _exercise(data)
        except Exception:  # noqa: BLE001 - a fuzzer reports every crash
            crashes += 1
            crash_dir.mkdir(parents=True, exist_ok=True)
            (crash_dir / f"crash-{crashes}.sgf").write_bytes(data)
            traceback.print_exc()
    print(f"fuzz: {tried} inputs tried in {args.seconds:.0f} s, {crashes} crashes"
          + (f" (saved in {crash_dir})" if crashes else ""))
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
