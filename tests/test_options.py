"""The same options mean the same everywhere (issue 20, item 11): --jobs (one default), --limit (a sample
on check and clean), -q/--quiet (the summary line only), and Ctrl-C's one line on the resumable
commands."""

from __future__ import annotations

import json
import random

import pytest
import typer
from typer.testing import CliRunner

from gofix.cli import app
from gofix.rules.synth import random_game

runner = CliRunner()


def _sgf(moves) -> str:
    return "(;GM[1]FF[4]SZ[19]" + "".join(f";{m.colour.upper()}[{m.sgf}]" for m in moves) + ")"


@pytest.fixture
def games(tmp_path):
    d = tmp_path / "games"
    d.mkdir()
    for k in range(3):
        (d / f"g{k}.sgf").write_text(_sgf(random_game(random.Random(k), 50)))
    return d


def _option(cmd: str, name: str):
    command = typer.main.get_command(app).commands[cmd]
    return next((p for p in command.params if name in p.opts), None)


def test_every_jobs_option_has_one_default_and_every_quiet_is_q():
    jobs = {cmd: _option(cmd, "--jobs") for cmd in ("check", "clean", "reconcile")}
    assert all(p is not None and p.default == 1 and "-j" in p.opts for p in jobs.values()), jobs
    for cmd in ("check", "clean", "convert", "reconcile"):
        p = _option(cmd, "--quiet")
        assert p is not None and "-q" in p.opts, cmd
    for cmd in ("check", "clean", "reconcile"):
        assert _option(cmd, "--limit") is not None, cmd


def test_limit_is_a_sample_of_the_first_records(games, tmp_path):
    res = runner.invoke(app, ["check", str(games), "--json", "--rules-only", "--limit", "2"])
    assert [json.loads(x)["path"] for x in res.stdout.splitlines()] == [str(games / "g0.sgf"), str(games / "g1.sgf")]
    res = runner.invoke(app, ["clean", str(games), "--out", str(tmp_path / "o"), "--rules-only", "--limit", "1"])
    assert res.exit_code in (0, 1), res.output
    assert sorted(p.name for p in (tmp_path / "o").iterdir() if p.suffix == ".sgf") == ["g0.sgf"]
    assert len((tmp_path / "o" / "report.jsonl").read_text().splitlines()) == 1


@pytest.mark.parametrize("cmd", ["clean", "convert", "reconcile"])
def test_quiet_prints_the_summary_line_only(games, tmp_path, cmd):
    extra = [] if cmd == "convert" else ["--rules-only"]
    res = runner.invoke(app, [cmd, str(games), "--out", str(tmp_path / "o"), "-q", *extra])
    assert res.exit_code in (0, 1), res.output
    assert "┏" not in res.stdout and len(res.stdout.strip().splitlines()) == 1, res.stdout


@pytest.mark.parametrize("cmd,lib", [("clean", "gofix.archive.clean.clean_tree"), ("convert", "gofix.archive.convert.convert_tree"),
                                     ("reconcile", "gofix.archive.reconcile.reconcile_tree")])
def test_ctrl_c_says_what_was_kept_and_how_to_resume(games, tmp_path, monkeypatch, cmd, lib):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(lib, interrupted)
    out = tmp_path / "o"
    res = runner.invoke(app, [cmd, str(games), "--out", str(out), *([] if cmd == "convert" else ["--rules-only"])])
    assert res.exit_code == 130, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted: ") and str(out) in lines[0], res.stderr
    assert "the same command resumes" in lines[0]


def test_reconcile_limit_groups_the_first_files_only(tmp_path):
    """Two copies of game A then two of game B: --limit 2 reconciles A's group only."""
    d = tmp_path / "rl"
    d.mkdir()
    for name, seed, pb in (("a0", 1, "x"), ("a1", 1, "y"), ("b0", 2, "x"), ("b1", 2, "y")):
        (d / f"{name}.sgf").write_text(_sgf(random_game(random.Random(seed), 60)).replace("SZ[19]", f"SZ[19]PB[{pb}]"))
    whole = runner.invoke(app, ["reconcile", str(d), "--out", str(tmp_path / "w"), "--rules-only", "-q"])
    part = runner.invoke(app, ["reconcile", str(d), "--out", str(tmp_path / "p"), "--rules-only", "-q", "--limit", "2"])
    assert whole.exit_code == 0 and part.exit_code == 0, (whole.output, part.output)
    groups = [json.loads(x)["sources"] for x in (tmp_path / "p" / "reconcile.jsonl").read_text().splitlines()]
    assert groups == [[f"{d / 'a0.sgf'}#0", f"{d / 'a1.sgf'}#0"]]
    assert len((tmp_path / "w" / "reconcile.jsonl").read_text().splitlines()) == 2
