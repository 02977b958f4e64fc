"""Pathological inputs from the robustness catalogue that need more than a small fixture file."""

import random
import time

from gofix.repair.check import check_record
from gofix.archive.clean import clean_tree
from gofix.record import GameRecord, Unreadable
from gofix.repair.repairer import RulesRepairer
from gofix.formats.limits import MAX_FILE_BYTES
from gofix.formats.read import iter_games, parse_collection
from gofix.rules.synth import random_game


def _sgf(moves, extra=""):
    return "(;FF[4]GM[1]SZ[19]%s%s)" % (extra, "".join(f";{m.colour.upper()}[{m.sgf}]" for m in moves))


def test_3600_move_game_reads_and_checks():
    moves = random_game(random.Random(0), 3600)
    (rec,) = parse_collection(_sgf(moves).encode(), "long.sgf")
    assert isinstance(rec, GameRecord) and len(rec.moves) == 3600
    report = check_record(rec)
    assert report.moves == 3600
    assert all(f.kind in ("superko", "ko") for f in report.findings)  # a random game may repeat a position


def test_50_mb_single_file_collection(tmp_path):
    comment = "x" * (10 << 20)  # five games, each with a 10 MB comment
    games = [_sgf(random_game(random.Random(k), 200), extra=f"C[{comment}]") for k in range(5)]
    path = tmp_path / "big.sgf"
    path.write_text("\n".join(games))
    assert path.stat().st_size > 50 << 20
    start = time.perf_counter()
    items = list(iter_games(path))
    assert [type(i) for i in items] == [GameRecord] * 5
    assert [len(i.moves) for i in items] == [200] * 5
    assert time.perf_counter() - start < 60


def test_file_over_the_size_limit_is_unreadable_with_the_reason(tmp_path):
    path = tmp_path / "huge.sgf"
    with open(path, "wb") as f:
        f.write(b"(;SZ[19];B[pd])")
        f.truncate(MAX_FILE_BYTES + 1)
    (item,) = list(iter_games(path))
    assert isinstance(item, Unreadable) and "huge.sgf" in item.source
    assert "MiB" in item.reason or "bytes" in item.reason


class _StallsOnOneGame(RulesRepairer):
    def repair(self, record, first=None):
        if record.source.endswith("stall.sgf"):
            time.sleep(120)  # far past the limit: the run must not wait for it
        return super().repair(record)


def test_per_game_time_limit_keeps_the_batch_going(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.sgf", "stall.sgf", "z.sgf"):
        (src / name).write_text(_sgf(random_game(random.Random(len(name)), 40)))
    start = time.perf_counter()
    stats = clean_tree(src, tmp_path / "out", repairer_factory=_StallsOnOneGame, game_seconds=0.5)
    assert time.perf_counter() - start < 60  # not a speed figure: it did not wait the 120 s
    assert stats.timed_out == 1 and stats.games == 3 and stats.clean == 2
    assert (tmp_path / "out" / "stall.sgf").read_bytes() == (src / "stall.sgf").read_bytes()
    report = (tmp_path / "out" / "report.jsonl").read_text()
    assert "per-game time limit" in report
