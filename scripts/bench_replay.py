"""Benchmark gofix.rules.board.replay against sgfmill.boards.Board on real games.

    python scripts/bench_replay.py [CORPUS] [--limit N] [--json]

CORPUS defaults to ../shared/corpus/pro-games.tar.gz (relative to the repo
root). The first N games that sgfmill can read (square, 2..25) are parsed
once into (size, setup, moves); then, in one run and on the same move lists:

  replay   sgfmill.boards.Board.play          vs  gofix.rules.board.replay (full classification)
  e2e      sgfmill parse + sgfmill board      vs  gofix.formats.sgf.parse_collection + replay_record

Each timed section runs twice and the better time is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sgfmill import boards, sgf, sgf_moves  # noqa: E402

from gofix.rules.board import replay, replay_record  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "pro-games.tar.gz"


def read_games(path: Path, limit: int):
    """First ``limit`` games sgfmill can read: [(name, bytes, size, black, white, handicap, moves)]."""
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    ap.add_argument("--limit", type=int, default=5000, help="games to read (default 5000)")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = ap.parse_args(argv)

    path = Path(args.corpus)
    if not path.is_file():
        print(f"bench_replay: corpus {path} not found (pass its path as CORPUS)", file=sys.stderr)
        return 2
    games = read_games(path, args.limit)
    if not games:
        print(f"bench_replay: no readable games in {path}", file=sys.stderr)
        return 2
    n_games = len(games)
    n_moves = sum(len(g[6]) for g in games)

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
        notes.append(f"e2e_gofix skipped: gofix.formats.sgf.parse_collection not available ({exc})")
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


if __name__ == "__main__":
    sys.exit(main())
