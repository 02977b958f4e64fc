"""Benchmarks of gofix: the speed and memory figures of the README, one sub-benchmark each.

    python scripts/bench.py NAME [OPTIONS]          # python scripts/bench.py NAME --help

    check      speed of ``gofix check`` with the bundled model: load time, ms per game, games/s
    clean      throughput of ``gofix clean`` with 1 worker and with all cores, on the same games
    batch      what batching the model's first look over several files buys ``gofix clean``
    memory     peak memory while streaming a 100,000-game archive through gofix
    replay     ``gofix.rules.board.replay`` against ``sgfmill.boards.Board`` on real games
    engine     positions/s of gofix's torch KataGo network against the official binary
    pipeline   training-input throughput: the CPU pipeline against the tensor pipeline

Each prints what it printed as its own script (``scripts/bench_NAME.py`` before they were merged
here). The corpus and the KataGo binary are read from ``../shared`` (see each one's ``--help``).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
PRO_GAMES = SHARED / "corpus" / "pro-games.tar.gz"
KATAGO = SHARED / "katago"


def _parser(name: str) -> argparse.ArgumentParser:
    doc = BENCHES[name].__doc__ or ""
    return argparse.ArgumentParser(prog=f"bench.py {name}", description=doc.strip().splitlines()[0])


def _gofix() -> list[str]:
    """The gofix command line in a child process (this Python, the installed package)."""
    return [sys.executable, "-m", "gofix.cli"]


# ------------------------------------------------------------------ check


def bench_check(argv=None) -> int:
    """Speed of ``gofix check`` with the bundled model: load time, ms per game, games/s.

        python scripts/bench.py check [--games 200] [--threads 1]

    Reads the first N 19x19 games of ../shared/corpus/pro-games.tar.gz, loads the
    bundled tagger and the repair engine once (timed apart), then checks the games
    one at a time (rules + model findings + the repair engine's proposals, what
    ``gofix check`` does per game) and reports the median and 90th-percentile time
    per game and the overall games/s. Parsing is not timed.
    """
    ap = _parser("check")
    ap.add_argument("--games", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--corpus", type=Path, default=PRO_GAMES)
    args = ap.parse_args(argv)
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


# ------------------------------------------------------------------ clean


def tree_hash(root: Path) -> str:
    """The written records' hash (the report and the review page name the output folder: left out)."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name not in ("report.jsonl", "review.html"):
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def bench_clean(argv=None) -> int:
    """Throughput of ``gofix clean`` with 1 worker and with all cores, on the same games.

        python scripts/bench.py clean [--games 400] [--rules-only]

    Takes the first N usable 19x19 games of the test split of
    ../shared/corpus/pro-games.tar.gz, corrupts half of them (``gofix corrupt``,
    seed 0, one error each) into a temporary directory, then times
    ``gofix clean`` on it with ``--jobs 1`` and ``--jobs <cores>`` (the bundled
    model unless --rules-only). Prints games/s for both and checks that both
    runs wrote identical output.
    """
    ap = _parser("clean")
    ap.add_argument("--games", type=int, default=400)
    ap.add_argument("--rules-only", action="store_true")
    args = ap.parse_args(argv)
    if not PRO_GAMES.exists():
        print(f"corpus not found: {PRO_GAMES}", file=sys.stderr)
        return 2
    from gofix.train.corrupt import clean_enough
    from gofix.record import GameRecord
    from gofix.formats.sgf_writer import dump_game
    from gofix.formats.read import iter_games
    from gofix.train.splits import game_key, split_of

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gofix = _gofix()
    with tempfile.TemporaryDirectory() as tmp:
        clean_dir = Path(tmp) / "clean"
        clean_dir.mkdir()
        n = 0
        for g in iter_games(PRO_GAMES):
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


# ------------------------------------------------------------------ batch


def bench_batch(argv=None) -> int:
    """What batching the model's first look over several files buys ``gofix clean``, on one core.

        python research/real_subset.py /tmp/real3k --games 3000     # real records to run on
        python scripts/bench.py batch /tmp/real3k [--files 300] [--rounds 2] [--profile]

    Reads the first N SGF files of a directory into memory, then repairs them with
    the bundled model as ``gofix clean`` does (``clean.clean_files``, one thread,
    no writing), alternately 16 files per batch and one file at a time, and prints
    games/s for each and whether both produced identical output bytes and reports.
    ``--profile`` also runs one batched round under cProfile and prints where the
    time went (the 15 costliest functions by own time) to stderr.
    """
    ap = _parser("batch")
    ap.add_argument("folder", type=Path)
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args(argv)
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


# ------------------------------------------------------------------ memory


def build_archive(path: Path, n: int) -> int:
    """A .tar.gz of the first ``n`` SGF members of the corpus archives (pro games first)."""
    sources = [PRO_GAMES, *sorted((SHARED / "corpus" / "server").glob("*.tar.gz"))]
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


def bench_memory(argv=None) -> int:
    """Peak memory while streaming a 100,000-game archive through gofix.

        python scripts/bench.py memory [--games 100000] [--command check|clean] [--rules-only] [--keep]

    Builds (once, under /tmp) a .tar.gz of N games taken from ../shared/corpus
    (pro games first, then the server archives), then runs ``gofix check --json``
    (or ``gofix clean``) on it in a child process and reports the child's peak
    RSS (``ru_maxrss``), games/s and the exit status.
    """
    ap = _parser("memory")
    ap.add_argument("--games", type=int, default=100_000)
    ap.add_argument("--command", choices=["check", "clean"], default="check")
    ap.add_argument("--keep", action="store_true", help="keep the built archive for the next run")
    ap.add_argument("--rules-only", action="store_true", help="pass --rules-only (no model)")
    args = ap.parse_args(argv)
    if not (SHARED / "corpus").exists():
        print(f"corpus not found: {SHARED / 'corpus'}", file=sys.stderr)
        return 2
    archive = Path(tempfile.gettempdir()) / f"gofix-bench-{args.games}.tar.gz"
    if not archive.exists():
        t = time.perf_counter()
        n = build_archive(archive, args.games)
        print(f"built {archive}: {n} games in {time.perf_counter() - t:.0f} s")
    gofix = _gofix()
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
    print(json.dumps({"command": args.command, "model": "rules only" if args.rules_only else "bundled",
                      "games": games, "seconds": round(secs, 1),
                      "games_per_s": round(games / secs, 1), "peak_rss_mb": round(peak_mb, 1),
                      "exit_code": proc.returncode}))
    print(proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or "")
    if not args.keep:
        archive.unlink()
    return 0


# ------------------------------------------------------------------ replay


def read_games(path: Path, limit: int):
    """First ``limit`` games sgfmill can read: [(name, bytes, size, black, white, handicap, moves)]."""
    from sgfmill import sgf, sgf_moves

    games = []
    with tarfile.open(path, "r|*") as tar:
        for member in tar:
            if len(games) >= limit:
                break
            if not member.isfile() or not member.name.lower().endswith(".sgf"):
                continue
            data = tar.extractfile(member).read()
            try:
                game = sgf.Sgf_game.from_bytes(data)
                size = game.get_size()
                if not 2 <= size <= 25:
                    continue
                board, plays = sgf_moves.get_setup_and_moves(game)
                handicap = game.get_handicap() or 0
            except (ValueError, KeyError, IndexError):
                continue
            black, white = [], []
            for colour, point in board.list_occupied_points():
                (black if colour == "b" else white).append(point)
            games.append((member.name, data, size, black, white, handicap, plays))
    return games


def best_of_two(fn):
    best = None
    for _ in range(2):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best


def sgfmill_replay(size, black, white, plays):
    from sgfmill import boards

    b = boards.Board(size)
    if black or white:
        b.apply_setup(black, white, [])
    play = b.play
    for colour, point in plays:
        if point is not None:
            try:
                play(point[0], point[1], colour)
            except ValueError:  # occupied
                pass
    return b


def bench_replay(argv=None) -> int:
    """Benchmark gofix.rules.board.replay against sgfmill.boards.Board on real games.

        python scripts/bench.py replay [CORPUS] [--limit N] [--json]

    CORPUS defaults to ../shared/corpus/pro-games.tar.gz (relative to the repo
    root). The first N games that sgfmill can read (square, 2..25) are parsed
    once into (size, setup, moves); then, in one run and on the same move lists:

      replay   sgfmill.boards.Board.play          vs  gofix.rules.board.replay (full classification)
      e2e      sgfmill parse + sgfmill board      vs  gofix.formats.read.parse_collection + replay_record

    Each timed section runs twice and the better time is reported.
    """
    ap = _parser("replay")
    ap.add_argument("corpus", nargs="?", default=str(PRO_GAMES))
    ap.add_argument("--limit", type=int, default=5000, help="games to read (default 5000)")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args(argv)

    path = Path(args.corpus)
    if not path.is_file():
        print(f"bench.py replay: corpus {path} not found (pass its path as CORPUS)", file=sys.stderr)
        return 2
    games = read_games(path, args.limit)
    if not games:
        print(f"bench.py replay: no readable games in {path}", file=sys.stderr)
        return 2
    n_games = len(games)
    n_moves = sum(len(g[6]) for g in games)
    from sgfmill import sgf, sgf_moves

    from gofix.rules.board import replay, replay_record

    def run_sgfmill():
        for _, _, size, black, white, _, plays in games:
            sgfmill_replay(size, black, white, plays)

    def run_gofix():
        for _, _, size, black, white, handicap, plays in games:
            replay(size, plays, setup_black=black, setup_white=white, handicap=handicap)

    def e2e_sgfmill():
        for name, data, *_ in games:
            game = sgf.Sgf_game.from_bytes(data)
            board, plays = sgf_moves.get_setup_and_moves(game)
            black, white = [], []
            for colour, point in board.list_occupied_points():
                (black if colour == "b" else white).append(point)
            sgfmill_replay(game.get_size(), black, white, plays)

    rows = {
        "replay_sgfmill": best_of_two(run_sgfmill),
        "replay_gofix": best_of_two(run_gofix),
        "e2e_sgfmill": best_of_two(e2e_sgfmill),
    }
    notes = []
    try:
        from gofix.formats.read import parse_collection
    except ImportError as exc:
        parse_collection = None
        notes.append(f"e2e_gofix skipped: gofix.formats.read.parse_collection not available ({exc})")
    if parse_collection is not None:
        from gofix.record import GameRecord

        def e2e_gofix():
            for name, data, *_ in games:
                for record in parse_collection(data, name):
                    if isinstance(record, GameRecord):  # not an Unreadable
                        replay_record(record)

        rows["e2e_gofix"] = best_of_two(e2e_gofix)

    figures = {
        "corpus": str(path),
        "games": n_games,
        "moves": n_moves,
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg": os.getloadavg(),  # the machine is shared: context for the figures
        "rows": {
            k: {"seconds": t, "games_per_s": n_games / t, "moves_per_s": n_moves / t}
            for k, t in rows.items()
        },
        "ratio_replay": rows["replay_sgfmill"] / rows["replay_gofix"],
        "ratio_e2e": rows["e2e_sgfmill"] / rows["e2e_gofix"] if "e2e_gofix" in rows else None,
        "notes": notes,
    }
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"{n_games} games, {n_moves} moves from {path}")
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}, "
        f"load average {figures['loadavg'][0]:.2f}"
    )
    print(f"{'section':<16}{'seconds':>10}{'games/s':>12}{'moves/s':>14}")
    for k, r in figures["rows"].items():
        print(f"{k:<16}{r['seconds']:>10.3f}{r['games_per_s']:>12,.0f}{r['moves_per_s']:>14,.0f}")
    print(f"gofix/sgfmill speed ratio: replay {figures['ratio_replay']:.2f}x", end="")
    if figures["ratio_e2e"] is not None:
        print(f", end-to-end {figures['ratio_e2e']:.2f}x")
    else:
        print()
    per_250 = figures["rows"]["replay_gofix"]["moves_per_s"] / 250
    print(f"gofix replay at 250 moves a game: {per_250:,.0f} games/s")
    for note in notes:
        print(note)
    return 0


# ------------------------------------------------------------------ engine


def bench_engine(argv=None) -> int:
    """Positions per second: gofix's torch KataGo network against the official binary, same positions, same run.

        python scripts/bench.py engine [--games 10] [--dtype float32 bfloat16] [--check] [--profile]

    Takes the first ``--games`` games of the reference fixture (tests/data/katago_reference.json.gz),
    evaluates every position of each (all turns, not only the fixture's) with
    ``../shared/katago/katago`` (analysis engine, one visit, batches of a whole game's turns as
    ``policy.sh`` does) and with gofix's ``Engine`` in each dtype, and prints positions/s of each and
    the ratio. gofix's figure includes computing the input features. With ``--check``, also the time
    of a whole ``gofix check --engine katago`` of each game (the tagger's screen, the network's pass,
    the judged candidates; a fresh process, loading included) against the binary's raw pass over the
    same game's positions, in the same run: the median of the per-game ratios. With ``--profile``,
    where one forward of 16 positions spends its time (torch's profiler, the top operators), then
    nothing else.
    """
    ap = _parser("engine")
    ap.add_argument("--games", type=int, default=10)
    ap.add_argument("--dtype", nargs="+", default=["float32", "bfloat16"])
    ap.add_argument("--fixture", type=Path, default=REPO / "tests" / "data" / "katago_reference.json.gz")
    ap.add_argument("--check", action="store_true", help="also time a whole gofix check --engine katago per game")
    ap.add_argument("--profile", action="store_true", help="only: where one forward of 16 positions spends its time")
    args = ap.parse_args(argv)
    from gofix.coords import from_gtp
    from gofix.engine.engine import Engine
    from gofix.engine.features import GameFeatures

    with gzip.open(args.fixture, "rt") as f:
        games = [g for g in json.load(f)["games"] if not g["setup_black"]][: args.games]
    if args.profile:
        return profile_forward(games[0], args.dtype[0])
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


def profile_forward(game: dict, dtype: str) -> int:
    """The operators one forward of the network over 16 positions of ``game`` spends its time in."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    from gofix.coords import from_gtp
    from gofix.engine.engine import Engine
    from gofix.engine.features import GameFeatures

    eng = Engine.load(KATAGO / "b10c384h6nbttflrs.bin.gz", dtype=dtype)
    moves = [(c.lower(), from_gtp(p, 19)) for c, p in game["moves"]]
    sp, gl, _ = GameFeatures(19, moves, komi=game["komi"]).batch(list(range(min(16, len(moves)))))
    sp, gl = torch.from_numpy(sp), torch.from_numpy(gl)
    with torch.inference_mode():
        eng.net(sp, gl)  # warm-up
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(3):
                eng.net(sp, gl)
    rows = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in rows)
    print(f"one forward of {sp.shape[0]} positions, {dtype}, threads {Engine.threads()}: "
          f"{total / 3 / 1e6:.2f} s of operator time")
    for e in rows[:10]:
        print(f"  {e.key:<50} {e.self_cpu_time_total / total:6.1%}  ({e.count // 3} calls)")
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
    from gofix.coords import from_gtp, to_sgf

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
            subprocess.run([*_gofix(), "check", str(sgf), "--json", "--engine", "katago",
                            "--katago-model", str(KATAGO / "b10c384h6nbttflrs.bin.gz")],
                           capture_output=True, text=True)
            t_check = time.perf_counter() - t0
        ratios.append(t_check / t_bin)
        print(f"{g['id']}: {len(g['moves'])} moves; binary raw pass {t_bin:.1f} s, gofix check with the engine "
              f"{t_check:.1f} s ({t_check / t_bin:.2f}x)")
        sys.stdout.flush()
    print(f"median gofix check / binary raw pass: {statistics.median(ratios):.2f} over {len(ratios)} games")


# ------------------------------------------------------------------ pipeline


def _one_thread(_worker_id: int) -> None:
    import torch

    torch.set_num_threads(1)


def sync(device) -> None:
    if device.type == "cuda":
        import torch

        torch.cuda.synchronize(device)


def breakdown(cache, games, window: int, history: int) -> dict:
    """Microseconds per move of each part of today's make_example + collate: CPU time of this process."""
    from gofix.coords import transform
    from gofix.models import encoding
    from gofix.models.tokens import move_features
    from gofix.rules.board import replay
    from gofix.train import data

    rng = random.Random(0)
    channels = data.default_channels()
    parts = dict.fromkeys(("channel", "replay (snapshots)", "replay (features)", "move_features", "encode rest",
                           "tokens", "collate"), 0.0)
    n, exs = 0, []
    for g in games:
        game = cache.game(int(g))
        sym = rng.randrange(8)
        t0 = time.process_time()
        noisy, truths = rng.choice(channels).corrupt(game.moves, encoding.SIZE, rng)
        wrong, edit, point = data.labels_for(noisy, truths, window, sym)
        seen = data.transform_moves(noisy, sym)
        t1 = time.process_time()
        sb = [transform(p, sym, encoding.SIZE) for p in game.setup_black]
        sw = [transform(p, sym, encoding.SIZE) for p in game.setup_white]
        encoding.snapshots(seen, sb, sw)
        t2 = time.process_time()
        rep = replay(encoding.SIZE, seen, setup_black=sb, setup_white=sw, handicap=game.handicap,
                     first_player=game.first_player)
        t3 = time.process_time()
        move_features(encoding.SIZE, seen, rep)
        t4 = time.process_time()
        enc = encoding.encode_moves(seen, setup_black=sb, setup_white=sw, handicap=game.handicap,
                                first_player=game.first_player, window=window, history=history)
        t5 = time.process_time()
        points, colours = encoding.move_tokens(seen)
        encoding.move_tokens(data.transform_moves(game.moves, sym))
        t6 = time.process_time()
        parts["channel"] += t1 - t0
        parts["replay (snapshots)"] += t2 - t1
        parts["replay (features)"] += t3 - t2
        parts["move_features"] += t4 - t3
        parts["encode rest"] += (t5 - t4) - (t4 - t1)  # encode_moves minus its snapshots, replay, features
        parts["tokens"] += t6 - t5
        exs.append({"planes": enc.planes, "on_board": enc.on_board, "features": enc.features, "points": points,
                    "colours": colours, "wrong": wrong, "edit": edit, "point": point})
        n += len(noisy)
    t0 = time.process_time()
    for b in encoding.bucket(exs, 4096):
        encoding.collate(b)
    parts["collate"] += time.process_time() - t0
    return {k: 1e6 * v / n for k, v in parts.items()}


def rates(streams: dict, seconds: float, device, rounds: int = 4) -> dict:
    """Moves/s of each iterator of (inputs, targets), timed in alternating slices (a fair share of a busy
    machine); one warm-up batch each first. Returns name -> (moves/s wall, moves per CPU second of this
    process, moves)."""
    its = {k: iter(s) for k, s in streams.items()}
    for it in its.values():
        next(it)
    spent = dict.fromkeys(its, 0.0)
    cpu = dict.fromkeys(its, 0.0)
    moves = dict.fromkeys(its, 0)
    for _ in range(rounds):
        for k, it in its.items():
            sync(device)
            t0, c0 = time.perf_counter(), time.process_time()
            while time.perf_counter() - t0 < seconds / rounds:
                inputs, _ = next(it)
                moves[k] += int(inputs["mask"].sum())
            sync(device)
            spent[k] += time.perf_counter() - t0
            cpu[k] += time.process_time() - c0
    return {k: (moves[k] / spent[k], moves[k] / cpu[k], moves[k]) for k in its}


def tensor_parts(cache, games, device, chunk: int, window: int, history: int, max_tokens: int) -> dict:
    """Moves/s of each part of the tensor pipeline on one chunk (after a warm-up chunk); on CPU per CPU second."""
    from gofix.train import data
    from gofix.train.tensor_data import chunk_batches, encode_chunk, prepare_chunk

    clock = time.process_time if device.type == "cpu" else time.perf_counter  # CPU: robust to a busy machine
    rng = random.Random(1)
    channels = data.default_channels()
    out = {}
    for rep in range(2):
        t0 = clock()
        ch = prepare_chunk(cache, games[rep * chunk : (rep + 1) * chunk], rng, channels, window=window,
                           max_len=400, max_tokens=max_tokens)
        t1 = clock()
        enc = encode_chunk(ch, device, window=window, history=history)
        sync(device)
        t2 = clock()
        n = 0
        for inputs, _ in chunk_batches(enc):
            n += int(inputs["mask"].sum())
        sync(device)
        t3 = clock()
        m = len(ch.moves)
        out = {"cpu half (corrupt, label, plan)": m / (t1 - t0), "replay + features": m / (t2 - t1),
               "batches (planes, gather, pad)": n / (t3 - t2), "games": len(ch.length), "moves": m}
    return out


def model_rate(batches, device, preset: str, seconds: float, **overrides) -> float:
    """Training moves/s of the tagger (wall, per CPU second): forward + backward + AdamW step on ``batches``."""
    import torch

    from gofix.models import birnn

    model = birnn.BiRNNTagger(birnn.preset(preset, **overrides)).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    batches = [({k: v.to(device) for k, v in i.items()}, {k: v.to(device) for k, v in t.items()})
               for i, t in batches]

    def step(b):
        _, loss = model(*b)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step(batches[0])
    sync(device)
    t0, c0, n, k = time.perf_counter(), time.process_time(), 0, 0
    while time.perf_counter() - t0 < seconds:
        b = batches[k % len(batches)]
        step(b)
        n += int(b[0]["mask"].sum())
        k += 1
    sync(device)
    return n / (time.perf_counter() - t0), n / (time.process_time() - c0)


def bench_pipeline(argv=None) -> int:
    """Training-input throughput: today's CPU pipeline (data.TaggingStream) vs the tensor pipeline (tensor_data).

        python scripts/bench.py pipeline                                  # CPU, one thread, cache/pro19.npz
        python scripts/bench.py pipeline --device cuda --chunk 8192 --max-tokens 16384

    Prints, for the same games in the same run:

    1. where today's per-example time goes, in microseconds of CPU time per move
       (channel = corrupt + labels; replay = encoding.snapshots' and board.replay's;
       features = tokens.move_features; the rest of encode_moves; collate);
    2. the tensor pipeline's parts on one chunk, then moves/s of ``TaggingStream``
       and of ``TensorTaggingStream`` on ``--device`` (the CPU work of both in
       this process, or in ``--workers`` processes), timed in alternating slices
       of ``--seconds`` in all each, so that a busy machine weighs on both alike;
    3. the model's forward + backward + optimizer step per move (``--preset``,
       ``--device``), i.e. what training would be bound by once the input is free,
       for each batch size of ``--model-tokens`` (on a GPU the bidirectional GRU's
       steps over the game are serial, so larger batches of games amortise them).
    """
    ap = _parser("pipeline")
    ap.add_argument("--cache", default="cache/pro19.npz")
    ap.add_argument("--games", type=int, default=4000, help="training games used (the first n)")
    ap.add_argument("--seconds", type=float, default=20.0, help="timing per pipeline")
    ap.add_argument("--chunk", type=int, default=1024, help="games replayed at once by the tensor pipeline")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workers", type=int, default=0,
                    help="data processes for both pipelines (0: inline; today's as gofix.train.loop runs it)")
    ap.add_argument("--max-tokens", type=int, default=4096)
    ap.add_argument("--preset", default="default")
    ap.add_argument("--model-tokens", default="",
                    help="comma-separated batch sizes (padded moves) for the model's rate (default: --max-tokens)")
    ap.add_argument("--board-dim", type=int, default=0,
                    help="also time the tagger with a whole-board view of this size on the same batches")
    ap.add_argument("--skip-cpu", action="store_true", help="skip today's pipeline (breakdown and rate)")
    args = ap.parse_args(argv)
    import torch

    from gofix.models import birnn
    from gofix.train import data
    from gofix.train.tensor_data import TensorTaggingStream

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    cache = data.GameCache.load(args.cache)
    games = cache.indices("train")[: args.games]
    cfg = birnn.preset(args.preset)
    w, h = cfg.window, cfg.history
    dev_name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu, {args.threads} thread(s)"
    print(f"games {len(games)} from {args.cache}; device {dev_name}; max_tokens {args.max_tokens}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if not args.skip_cpu:
        bd = breakdown(cache, games[:300], w, h)
        print(f"today's pipeline, CPU us per move ({len(games[:300])} games):")
        for k, v in bd.items():
            print(f"  {k:22s} {v:6.2f}")
        print(f"  {'total':22s} {sum(bd.values()):6.2f}")
    parts = tensor_parts(cache, games, device, min(args.chunk, len(games) // 2), w, h, args.max_tokens)
    print(f"tensor pipeline parts, one chunk of {parts.pop('games')} games / {parts.pop('moves')} moves:")
    for k, v in parts.items():
        print(f"  {k:32s} {v:12,.0f} moves/s")
    where = f"{args.workers} worker processes" if args.workers else "inline"
    streams = {f"TensorTaggingStream on {args.device}, chunk {args.chunk} (CPU half {where})":
               TensorTaggingStream(cache, games, device=device, chunk=args.chunk, window=w, history=h,
                                   max_tokens=args.max_tokens, workers=args.workers)}
    if not args.skip_cpu:
        today = data.TaggingStream(cache, games, window=w, history=h, max_tokens=args.max_tokens)
        if args.workers:
            today = torch.utils.data.DataLoader(today, batch_size=None, num_workers=args.workers, prefetch_factor=4,
                                                worker_init_fn=_one_thread)
        streams[f"TaggingStream (today's, {where})"] = today
    for k, (r, c, n) in rates(streams, args.seconds, device).items():
        print(f"{k}: {r:,.0f} moves/s wall, {c:,.0f} moves per CPU second of this process ({n} moves)")
    sizes = [int(x) for x in args.model_tokens.split(",") if x.strip()] or [args.max_tokens]
    for size in sizes:
        it = iter(TensorTaggingStream(cache, games, device=device, chunk=max(128, size // 20), window=w,
                                      history=h, max_tokens=size, board=bool(args.board_dim)))
        batches = [next(it) for _ in range(8)]
        for dim in ([0, args.board_dim] if args.board_dim else [0]):
            mr, mc = model_rate(batches, device, args.preset, min(args.seconds, 30.0), board_dim=dim)
            name = args.preset + (f" + board view {dim}" if dim else "")
            print(f"model {name} forward+backward+step on {args.device}, batches of {size} padded moves: "
                  f"{mr:,.0f} moves/s wall ({1e6 / mr:.2f} us/move), {mc:,.0f} moves per CPU second of this process")
        del batches, it
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return 0


BENCHES = {"check": bench_check, "clean": bench_clean, "batch": bench_batch, "memory": bench_memory,
           "replay": bench_replay, "engine": bench_engine, "pipeline": bench_pipeline}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in BENCHES:
        print(f"bench.py: no benchmark {name!r}; one of {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    return BENCHES[name](rest)


if __name__ == "__main__":
    sys.exit(main())
