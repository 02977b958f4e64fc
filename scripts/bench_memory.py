"""Peak memory while streaming a 100,000-game archive through gofix.

    python scripts/bench_memory.py [--games 100000] [--command check|clean] [--rules-only] [--keep]

Builds (once, under /tmp) a .tar.gz of N games taken from ../shared/corpus
(pro games first, then the server archives), then runs ``gofix check --json``
(or ``gofix clean``) on it in a child process and reports the child's peak
RSS (``ru_maxrss``), games/s and the exit status.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"


def build(path: Path, n: int) -> int:
    sources = [CORPUS / "pro-games.tar.gz", *sorted((CORPUS / "server").glob("*.tar.gz"))]
    count = 0
    with tarfile.open(path, "w:gz") as out:
        for src in sources:
            with tarfile.open(src, "r|*") as tar:
                for m in tar:
                    if not (m.isfile() and m.name.lower().endswith(".sgf")):
                        continue
                    data = tar.extractfile(m).read()
                    info = tarfile.TarInfo(f"{src.name.split('.')[0]}/{m.name}")
                    info.size = len(data)
                    out.addfile(info, io.BytesIO(data))
                    count += 1
                    if count >= n:
                        return count
    return count


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--games", type=int, default=100_000)
    ap.add_argument("--command", choices=["check", "clean"], default="check")
    ap.add_argument("--keep", action="store_true", help="keep the built archive for the next run")
    ap.add_argument("--rules-only", action="store_true", help="pass --rules-only (no model)")
    args = ap.parse_args()
    if not CORPUS.exists():
        print(f"corpus not found: {CORPUS}", file=sys.stderr)
        return 2
    archive = Path(tempfile.gettempdir()) / f"gofix-bench-{args.games}.tar.gz"
    if not archive.exists():
        t = time.perf_counter()
        n = build(archive, args.games)
        print(f"built {archive}: {n} games in {time.perf_counter() - t:.0f} s")
    gofix = [sys.executable, "-m", "gofix.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        if args.command == "check":
            cmd = gofix + ["check", str(archive), "--json"]
        else:
            cmd = gofix + ["clean", str(archive), "--out", str(Path(tmp) / "out"), "--jobs", "1"]
        if args.rules_only:
            cmd.append("--rules-only")
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        secs = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    games = proc.stdout.count(b"\n") if args.command == "check" else args.games
    print(json.dumps({"command": args.command, "model": "rules only" if args.rules_only else "bundled", "games": games, "seconds": round(secs, 1),
                      "games_per_s": round(games / secs, 1), "peak_rss_mb": round(peak_mb, 1),
                      "exit_code": proc.returncode}))
    print(proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or "")
    if not args.keep:
        archive.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
