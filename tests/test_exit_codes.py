"""Exit codes (issue 20, item 10): one rule, documented in every command's --help, and true; an input
with no record in it says so in one line and exits 2, for every command that reads a tree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofix.cli import app

runner = CliRunner()
# the demo of earlier releases: a generated game with three planted errors, all of which the bundled
# tagger repairs (data/demo.sgf, a real game now, keeps two of its three errors)
DEMO = Path(__file__).resolve().parent / "data" / "generated_three_errors.sgf"
COMMANDS = ["check", "fix", "clean", "convert", "compare", "reconcile", "corrupt", "eval", "train"]


@pytest.mark.parametrize("args", [
    ["check", "{d}"], ["clean", "{d}", "--out", "{o}"], ["convert", "{d}", "--out", "{o}"],
    ["reconcile", "{d}", "--out", "{o}"], ["corrupt", "{d}", "--out", "{o}"], ["eval", "{d}"],
    ["train", "{d}", "--out", "{o}", "--time-budget", "5s"]])
def test_an_empty_folder_is_no_game_records_found_and_exit_2(tmp_path, args):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a game record")
    out = tmp_path / "out"
    argv = [a.format(d=empty, o=out) for a in args]
    res = subprocess.run([sys.executable, "-m", "gofix.cli", *argv], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "80"}, timeout=120)
    assert res.returncode == 2, (argv, res.stdout, res.stderr)
    assert res.stderr.strip().splitlines()[-1] == f"error: no game records found in {empty}", res.stderr
    assert not out.exists()  # nothing written


def _demo():
    if not DEMO.exists():
        pytest.skip(f"no {DEMO}")
    return str(DEMO)


def test_fix_exits_0_when_every_finding_is_repaired_and_1_when_one_is_left(tmp_path):
    demo = _demo()
    done = runner.invoke(app, ["fix", demo, "-o", str(tmp_path / "a.sgf"), "--engine", "none"])
    assert done.exit_code == 0 and "not repaired" not in done.stdout, done.output
    left = runner.invoke(app, ["fix", demo, "-o", str(tmp_path / "b.sgf"), "--engine", "none", "--apply-threshold",
                               "0.99"])
    assert left.exit_code == 1 and "not repaired" in left.stdout, left.output


def test_clean_exits_0_when_it_repaired_everything(tmp_path):
    demo = _demo()
    res = runner.invoke(app, ["clean", demo, "--out", str(tmp_path / "o"), "--engine", "none", "--jobs", "1"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["clean", demo, "--out", str(tmp_path / "p"), "--engine", "none", "--jobs", "1",
                              "--apply-threshold", "0.99"])
    assert res.exit_code == 1, res.output


def test_every_command_documents_its_exit_codes():
    for cmd in COMMANDS + ["calibrate", "review", "engine info", "engine fetch"]:
        res = runner.invoke(app, [*cmd.split(), "--help"], env={"COLUMNS": "200"})
        assert res.exit_code == 0 and "Exit code" in res.stdout, (cmd, res.stdout)
