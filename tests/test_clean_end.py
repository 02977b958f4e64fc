"""How `gofix clean` ends (issue 20, item 12): the files it changed and refused, listed (or counted, with
where the list is), and a resumed run's speed counting only the work it did."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from gofix.cli import app
from gofix.cli.common import list_files

runner = CliRunner()
DEMO = Path(__file__).resolve().parent.parent / "data" / "demo.sgf"


def _copies(folder: Path, n: int) -> Path:
    if not DEMO.exists():
        pytest.skip("no data/demo.sgf")
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        shutil.copy(DEMO, folder / f"g{k}.sgf")
    return folder


def test_clean_ends_with_the_files_it_changed(tmp_path):
    src = _copies(tmp_path / "src", 2)
    dst = tmp_path / "dst"
    res = runner.invoke(app, ["clean", str(src), "--out", str(dst), "--engine", "none", "--jobs", "1"])
    # the demo is repaired in part (one planted error of three): changed, yet a finding is left to look at
    assert res.exit_code == 1, res.output
    row = next(line for line in res.stdout.splitlines() if line.startswith("│") and line.split("│")[1].strip() == "2")
    assert [c.strip() for c in row.split("│")[1:5]] == ["2", "0", "0", "2"], res.stdout  # games clean repaired flagged
    tail = res.stdout.strip().splitlines()[-2:]
    assert tail == [f"changed {dst / 'g0.sgf'}", f"changed {dst / 'g1.sgf'}"], res.stdout
    lines = [json.loads(x) for x in (dst / "report.jsonl").read_text().splitlines()]
    assert all(line["changed"] for line in lines)


def test_a_long_list_is_a_count_and_where_it_is():
    con = Console(record=True, width=200, soft_wrap=True)
    list_files(con, "changed", [f"o/{k}.sgf" for k in range(11)], '"changed": true in o/report.jsonl')
    assert con.export_text().strip() == 'changed 11 files: the lines with "changed": true in o/report.jsonl'
    con = Console(record=True, width=200, soft_wrap=True)
    list_files(con, "refused", ["a: why", "b: why"], "x")
    assert con.export_text().splitlines() == ["refused a: why", "refused b: why"]


def test_a_resumed_run_counts_only_its_own_work(tmp_path, monkeypatch):
    """A run interrupted after some files, resumed: the resumed run knows which games an earlier run
    did (``resumed_games``), and the CLI's games/s is this run's games over this run's time."""
    from test_clean import RULES, _Interrupting

    from gofix.archive.clean import CleanStats, clean_tree

    src = tmp_path / "src"
    src.mkdir()
    from test_clean import _sgf
    import random

    from gofix.rules.synth import random_game

    for k in range(8):
        (src / f"g{k}.sgf").write_text(_sgf(random_game(random.Random(k), 40)))
    dst = tmp_path / "dst"
    _Interrupting.calls = 0
    with pytest.raises(KeyboardInterrupt):
        clean_tree(src, dst, repairer_factory=_Interrupting, chunk=2, options=RULES)
    stats = clean_tree(src, dst, chunk=2, options=RULES)
    assert stats.games == 8 and stats.resumed_games == stats.resumed_files and 2 <= stats.resumed_games < 8
    # the CLI: 4 games of which 3 an earlier run's, 1 s of this run's time (a fake clock): 1 game/s
    import gofix.cli.archive
    import gofix.archive.clean

    monkeypatch.setattr(gofix.archive.clean, "clean_tree", lambda *a, **k: CleanStats(files=4, games=4, clean=4,
                                                                              resumed_files=3, resumed_games=3))
    monkeypatch.setattr(gofix.cli.archive, "write_review", lambda *a, **k: None)  # no run was made: nothing to review
    ticks = iter([0.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    monkeypatch.setattr(gofix.cli.archive.time, "perf_counter", lambda: next(ticks, 1.0))
    res = runner.invoke(app, ["clean", str(src), "--out", str(tmp_path / "o"), "--rules-only"])
    assert res.exit_code == 0, res.output
    row = next(line for line in res.stdout.splitlines() if re.match(r"^│\s+4 │", line))
    assert row.split("│")[-2].strip() == "1", res.stdout  # not 4 games/s
