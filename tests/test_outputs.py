"""Never lose a file: the one rule of every command that writes (issues 20.2, 21.1, 21.3-21.5, 21.7,
21.9, 21.10). Tiny trees made here; CLI runs through Typer's runner with stderr apart."""

import hashlib
import json
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofix.formats import paths
from gofix.archive import convert as cv, reconcile as rc
from gofix.formats.paths import OutputExistsError, OutputLockedError, UnsafePathError
from gofix.cli import app
from gofix.archive.clean import clean_tree
from gofix.rules.synth import random_game

runner = CliRunner()  # stderr apart (res.stderr), not a terminal


def _sgf(moves, size=19, **props):
    head = "".join(f"{k}[{v}]" for k, v in props.items())
    return "(;FF[4]GM[1]SZ[%d]%s%s)\n" % (size, head, "".join(f";{m.colour.upper()}[{m.sgf}]" for m in moves))


def _hashes(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _stderr(res) -> str:
    try:
        return res.stderr
    except ValueError:
        return res.output


def _one_line_error(res, code=2) -> str:
    assert res.exit_code == code, res.output
    assert isinstance(res.exception, SystemExit), repr(res.exception)  # no traceback
    err = _stderr(res).strip()
    assert "Traceback" not in res.output and err.count("\n") == 0 and err.startswith("error:"), err
    return err


GAMES = [random_game(random.Random(k), 60) for k in range(6)]


@pytest.fixture()
def src(tmp_path):
    """Three games, each in two copies (so reconcile has three groups), one in a sub-folder."""
    s = tmp_path / "src"
    (s / "sub").mkdir(parents=True)
    for k in range(3):
        (s / f"g{k}.sgf").write_text(_sgf(GAMES[k], PB=f"b{k}"))
        (s / "sub" / f"g{k}.sgf").write_text(_sgf(GAMES[k], PB=f"b{k}", PW="w"))
    return s


COMMANDS = {  # command -> (extra options, an output it writes)
    "clean": (["--rules-only", "--jobs", "1"], "g0.sgf"),
    "convert": ([], "g0.sgf"),
    "reconcile": (["--rules-only"], "g0.sgf"),
    "corrupt": (["--clean-share", "0"], "g0.sgf"),
}
OTHER = {"clean": ["--game-seconds", "5"], "convert": None, "reconcile": ["--singletons"], "corrupt": ["--seed", "7"]}


# ------------------------------------------------------------------ issue 20.2: one rule


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_finished_run_is_kept_not_redone_and_other_options_are_refused(command, src, tmp_path):
    opts, output = COMMANDS[command]
    dst = tmp_path / "out"
    res = runner.invoke(app, [command, str(src), "--out", str(dst), *opts])
    assert res.exit_code in (0, 1), res.output
    (dst / output).write_bytes(b"edited by hand")
    # the same run again: nothing redone, said in one line
    err = _one_line_error(runner.invoke(app, [command, str(src), "--out", str(dst), *opts]))
    assert "finished run" in err and "--force" in err
    assert (dst / output).read_bytes() == b"edited by hand"
    if OTHER[command] is not None:  # another option into the same --out: refused, naming it
        err = _one_line_error(runner.invoke(app, [command, str(src), "--out", str(dst), *opts, *OTHER[command]]))
        assert "other options" in err and "--force" in err
        assert (dst / output).read_bytes() == b"edited by hand"
    # another command into the same --out: refused too
    other = "convert" if command != "convert" else "corrupt"
    err = _one_line_error(runner.invoke(app, [other, str(src), "--out", str(dst), *COMMANDS[other][0]]))
    assert f"gofix {command}" in err
    # --force redoes it
    res = runner.invoke(app, [command, str(src), "--out", str(dst), *opts, "--force"])
    assert res.exit_code in (0, 1), res.output
    assert (dst / output).read_bytes() != b"edited by hand"


def test_clean_with_the_model_then_rules_only_is_refused(src, tmp_path):
    """The issue's case: a --rules-only rerun must not replace the model's repaired files."""
    dst = tmp_path / "out"
    res = runner.invoke(app, ["clean", str(src), "--out", str(dst), "--jobs", "1"])
    assert res.exit_code in (0, 1), res.output
    before = _hashes(dst)
    err = _one_line_error(runner.invoke(app, ["clean", str(src), "--out", str(dst), "--jobs", "1", "--rules-only"]))
    assert "other options" in err and "rules_only" in err
    assert _hashes(dst) == before


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_output_already_there_is_kept_and_said(command, src, tmp_path):
    opts, output = COMMANDS[command]
    dst = tmp_path / "out"
    dst.mkdir()
    (dst / output).write_bytes(b"the user's own")
    res = runner.invoke(app, [command, str(src), "--out", str(dst), *opts])
    assert res.exit_code in (0, 1), res.output
    assert (dst / output).read_bytes() == b"the user's own"
    assert "--force" in _stderr(res) + res.stdout
    assert (dst / "sub" / "g0.sgf").exists() or command == "reconcile"  # the rest is written
    res = runner.invoke(app, [command, str(src), "--out", str(tmp_path / "o2"), *opts, "--force"])
    assert res.exit_code in (0, 1)


def test_fix_refuses_an_existing_output_and_a_bad_out(tmp_path):
    g = tmp_path / "g.sgf"
    g.write_text(_sgf(GAMES[0]))
    out = tmp_path / "f.sgf"
    out.write_bytes(b"mine")
    err = _one_line_error(runner.invoke(app, ["fix", str(g), "--out", str(out), "--rules-only"]))
    assert "exists" in err and out.read_bytes() == b"mine"


# ------------------------------------------------------------------ issue 21.1: SRC inside --out


@pytest.mark.parametrize("command", ["clean", "reconcile", "convert"])
def test_an_out_that_contains_src_is_refused(command, tmp_path):
    """The issue's repro: mkdir -p t/src/src; A -> t/src/x.sgf; B -> t/src/src/x.sgf; --out t."""
    t = tmp_path / "t"
    (t / "src" / "src").mkdir(parents=True)
    a, b = _sgf(GAMES[0]), _sgf(GAMES[1])
    (t / "src" / "x.sgf").write_text(a)
    (t / "src" / "src" / "x.sgf").write_text(b)
    extra = ["--force"] if command == "convert" else ["--rules-only"]
    err = _one_line_error(runner.invoke(app, [command, str(t / "src"), "--out", str(t), *extra]))
    assert "must not contain the input" in err
    assert (t / "src" / "x.sgf").read_text() == a and (t / "src" / "src" / "x.sgf").read_text() == b
    with pytest.raises(UnsafePathError, match="must not contain"):
        paths.check_output(t / "src", t)
    with pytest.raises(UnsafePathError, match="inside the input"):
        paths.check_output(t / "src", t / "src" / "src")


# ------------------------------------------------------------------ issue 21.3: reconcile resume


def test_reconcile_resume_reuses_only_work_whose_inputs_are_unchanged(src, tmp_path, monkeypatch):
    (src / "g3.sgf").write_text(_sgf(GAMES[3]))
    (src / "sub" / "g3.sgf").write_text(_sgf(GAMES[3]))
    (src / "g3-third.sgf").write_text(_sgf(GAMES[3], PB="x"))
    (src / "g4.sgf").write_text(_sgf(GAMES[4]))
    (src / "sub" / "g4.sgf").write_text(_sgf(GAMES[4]))
    (src / "g5.sgf").write_text(_sgf(GAMES[5]))
    (src / "sub" / "g5.sgf").write_text(_sgf(GAMES[5]))
    dst = tmp_path / "out"
    calls = {"n": 0}
    real = rc.reconcile_unit

    def dying(setup, task):
        calls["n"] += 1
        if calls["n"] == 6:  # five of the six groups finished (one marker each)
            raise KeyboardInterrupt
        return real(setup, task)

    monkeypatch.setattr(rc, "reconcile_unit", dying)
    with pytest.raises(KeyboardInterrupt):
        rc.reconcile_tree(src, dst, chunk=1)
    assert len(list((dst / rc.STATE_DIR).glob("chunk-*.json"))) == 5
    monkeypatch.setattr(rc, "reconcile_unit", real)
    (src / "g0.sgf").write_text(_sgf(GAMES[0], PB="b0 changed", PW="someone"))  # changed
    (src / "sub" / "g1-copy.sgf").write_text(_sgf(GAMES[1], PB="a third copy"))  # added
    (src / "g3-third.sgf").unlink()  # removed
    (src / "sub" / "g2.sgf").unlink()  # removed: g2 is no group any more, its output must go
    stats = rc.reconcile_tree(src, dst, chunk=1)
    assert stats.resumed == 1  # of the five finished groups, g0-g3 changed: only the fifth is reused
    rc.reconcile_tree(src, tmp_path / "fresh")
    assert _hashes(dst) == _hashes(tmp_path / "fresh")
    lines = [json.loads(x) for x in (dst / "reconcile.jsonl").read_text().splitlines()]
    assert any(len(x["sources"]) == 3 and "g1-copy.sgf" in " ".join(x["sources"]) for x in lines)
    assert not (dst / "g2.sgf").exists()


# ------------------------------------------------------------------ issue 21.4: the lock


@pytest.mark.parametrize("command", ["clean", "reconcile", "convert"])
def test_a_second_run_into_a_locked_out_is_refused_with_the_holders_pid(command, src, tmp_path):
    dst = tmp_path / "out"
    dst.mkdir()
    fd = paths.lock_output(str(dst))
    try:
        err = _one_line_error(runner.invoke(app, [command, str(src), "--out", str(dst), *COMMANDS[command][0]]))
        assert f"pid {os.getpid()}" in err and "another gofix run" in err
        assert not (dst / "g0.sgf").exists()
    finally:
        paths.unlock_output(str(dst), fd)
    with pytest.raises(OutputLockedError):  # the library says it too
        fd = paths.lock_output(str(dst))
        try:
            clean_tree(src, dst)
        finally:
            paths.unlock_output(str(dst), fd)


def test_a_stale_lock_is_taken_over_and_removed_at_the_end(src, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    dst = tmp_path / "out"
    dst.mkdir()
    (dst / paths.LOCK_FILE).write_text(f"{dead.pid}\n")
    stats = cv.convert_tree(src, dst)
    assert stats.files == 6 and not (dst / paths.LOCK_FILE).exists()


# ------------------------------------------------------------------ issue 21.5: hostile member in reconcile


def test_one_hostile_member_does_not_abort_reconcile(tmp_path):
    s = tmp_path / "src"
    s.mkdir()
    (s / "a.sgf").write_text(_sgf(GAMES[0]))
    (s / "b.sgf").write_text(_sgf(GAMES[0], PB="b"))
    with zipfile.ZipFile(s / "pack.zip", "w") as z:
        z.writestr("../evil.sgf", _sgf(GAMES[1]))
        z.writestr("in/c.sgf", _sgf(GAMES[1], PB="c"))
        z.writestr("in/d.sgf", _sgf(GAMES[1], PB="d"))
        z.writestr("in/e.sgf", _sgf(GAMES[0], PB="e"))
    dst = tmp_path / "out"
    res = runner.invoke(app, ["reconcile", str(s), "--out", str(dst), "--rules-only"])
    assert res.exit_code == 1, res.output  # something refused
    assert "../evil.sgf" in _stderr(res)
    assert (dst / "a.sgf").is_file() and (dst / "pack" / "in" / "c.sgf").is_file()
    assert not (tmp_path / "evil.sgf").exists() and not (dst.parent / "evil.sgf").exists()
    lines = [json.loads(x) for x in (dst / "reconcile.jsonl").read_text().splitlines()]
    assert [len(x["sources"]) for x in lines if not x.get("refused")] == [3, 2]
    assert [x["refused"] for x in lines if x.get("refused")] == [True]
    assert not (dst / rc.STATE_DIR).exists()


# ------------------------------------------------------------------ issue 21.7: a bad --out


BAD_OUT = ["proc", "under-a-file"]


@pytest.mark.parametrize("where", BAD_OUT)
@pytest.mark.parametrize("command", ["clean", "reconcile", "convert", "corrupt", "fix", "train"])
def test_a_bad_out_is_one_line_and_exit_2(command, where, src, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    out = "/proc/gofix-x/y" if where == "proc" else str(afile / "x")
    if command == "fix":
        args = ["fix", str(src / "g0.sgf"), "--out", out + ".sgf", "--rules-only"]
    elif command == "train":
        args = ["train", str(src), "--out", out, "--time-budget", "1s"]
    else:
        args = [command, str(src), "--out", out, *COMMANDS[command][0]]
    err = _one_line_error(runner.invoke(app, args))
    assert "cannot" in err and ("gofix-x" in err or "afile" in err)
    assert afile.read_text() == "x"
    if command not in ("fix", "train"):  # --report under a file too
        args = [command, str(src), "--out", str(tmp_path / "o"), *COMMANDS[command][0]]
        if command != "corrupt":
            err = _one_line_error(runner.invoke(app, [*args, "--report", str(afile / "r.jsonl")]))
            assert "afile" in err


# ------------------------------------------------------------------ issue 21.9: symlinks inside DST


@pytest.mark.parametrize("command", ["clean", "convert", "reconcile", "corrupt"])
def test_never_writes_through_a_symlink_inside_dst(command, src, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    dst = tmp_path / "out"
    dst.mkdir()
    os.symlink("../outside", dst / "sub")
    res = runner.invoke(app, [command, str(src), "--out", str(dst), *COMMANDS[command][0]])
    assert res.exit_code in ((0, 1) if command == "reconcile" else (1, 2)), res.output  # reconcile: bases at the top
    assert list(outside.iterdir()) == []
    assert "symbolic link" in _stderr(res) + res.stdout or command == "reconcile"
    assert os.path.islink(dst / "sub")
    # the state folder or the report as a link: refused as a whole
    dst2 = tmp_path / "out2"
    dst2.mkdir()
    os.symlink("../outside", dst2 / rc.STATE_DIR)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        rc.reconcile_tree(src, dst2)
    assert list(outside.iterdir()) == []


def test_reconcile_refuses_a_group_written_through_a_symlink(tmp_path):
    s = tmp_path / "src"
    (s / "sub").mkdir(parents=True)
    (s / "sub" / "a.sgf").write_text(_sgf(GAMES[0]))
    (s / "sub" / "b.sgf").write_text(_sgf(GAMES[0], PB="b"))
    outside = tmp_path / "outside"
    outside.mkdir()
    dst = tmp_path / "out"
    dst.mkdir()
    os.symlink("../outside", dst / "sub")
    stats = rc.reconcile_tree(s, dst)
    assert stats.failed == 1 and list(outside.iterdir()) == []
    (line,) = [json.loads(x) for x in (dst / "reconcile.jsonl").read_text().splitlines()]
    assert "symbolic link" in line["error"]


# ------------------------------------------------------------------ issue 21.10: resumed convert report


def test_a_resumed_convert_reports_as_an_uninterrupted_one(tmp_path, monkeypatch):
    s = tmp_path / "src"
    s.mkdir()
    gib = ("\\HS\n\\[GAMEBLACKNAME=black (3D)\\]\n\\HE\n\\GS\nSTO 0 2 1 3 3\nSTO 0 3 2 15 15\n\\GE\n")
    for k in range(5):
        (s / f"g{k}.gib").write_text(gib)
        (s / f"h{k}.sgf").write_text(_sgf(GAMES[k]) + "junk after")  # read with a warning
    cv.convert_tree(s, tmp_path / "full")
    calls = {"n": 0}
    real = cv._convert_one

    def dying(*args):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(cv, "_convert_one", dying)
    with pytest.raises(KeyboardInterrupt):
        cv.convert_tree(s, tmp_path / "out", chunk=2)
    monkeypatch.setattr(cv, "_convert_one", real)
    stats = cv.convert_tree(s, tmp_path / "out", chunk=2)
    assert stats.resumed == 4 and stats.existing == 0
    full = (tmp_path / "full" / cv.REPORT).read_text()
    assert (tmp_path / "out" / cv.REPORT).read_text() == full
    assert '"exists"' not in full and '"format": "gib"' in full and "warnings" in full
    assert _hashes(tmp_path / "out") == _hashes(tmp_path / "full")


def test_library_refuses_a_finished_run_and_force_redoes_it(src, tmp_path):
    dst = tmp_path / "out"
    cv.convert_tree(src, dst)
    with pytest.raises(OutputExistsError, match="finished run"):
        cv.convert_tree(src, dst)
    assert cv.convert_tree(src, dst, overwrite=True).files == 6


# ------------------------------------------------------------------ issue 20.3: workers' torch threads


def test_reconcile_workers_use_one_torch_thread(monkeypatch):
    import torch

    before = torch.get_num_threads()
    try:
        rc.JudgeSetup(lambda: None, None, 1)()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_small_inputs_start_no_worker_processes_and_large_ones_give_the_same(tmp_path, monkeypatch):
    """--jobs 2 on a small input: no pool to start (grouping: one chunk of files; reconciling: fewer
    groups than POOL_MIN_UNITS); with workers forced, the same output."""
    from gofix import pool
    from gofix.versions.grouping import iter_compacts

    s = tmp_path / "src"
    s.mkdir()
    for k in range(4):
        (s / f"a{k}.sgf").write_text(_sgf(GAMES[k]))
        (s / f"b{k}.sgf").write_text(_sgf(GAMES[k], PB="b"))
    one = [(c.ref, c.tokens) for c in iter_compacts(s, jobs=1)]
    assert [(c.ref, c.tokens) for c in iter_compacts(s, jobs=2, chunk=2)] == one and one  # several chunks: workers
    rc.reconcile_tree(s, tmp_path / "one")
    real = pool.ProcessPoolExecutor
    monkeypatch.setattr(pool, "ProcessPoolExecutor", lambda *a, **k: pytest.fail("pool started"))
    rc.reconcile_tree(s, tmp_path / "two", jobs=2)
    assert _hashes(tmp_path / "one") == _hashes(tmp_path / "two")
    monkeypatch.setattr(pool, "ProcessPoolExecutor", real)
    monkeypatch.setattr(rc, "POOL_MIN_UNITS", 0)
    rc.reconcile_tree(s, tmp_path / "three", jobs=2)
    assert _hashes(tmp_path / "one") == _hashes(tmp_path / "three")


def test_a_run_interrupted_before_a_module_moved_resumes_after_it(tmp_path):
    """The run record names option classes by module path (``gofix.corrupt.Channel`` before the
    layout of folders, ``gofix.train.corrupt.Channel`` after); resuming compares them by name."""
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    (src / "a.sgf").write_text("(;SZ[19];B[pd])")
    old = {"channel": {"class": "gofix.corrupt.Channel", "errors": 1}, "seed": 3}
    with pytest.raises(RuntimeError):
        with paths.output_run("corrupt", src, dst, state_dir=".state", options=old):
            raise RuntimeError("interrupted")
    moved = {"channel": {"class": "gofix.train.corrupt.Channel", "errors": 1}, "seed": 3}
    with paths.output_run("corrupt", src, dst, state_dir=".state", options=moved) as run:
        assert run.resumed
    other = {"channel": {"class": "gofix.train.corrupt.Channel", "errors": 2}, "seed": 3}
    with pytest.raises(RuntimeError):  # a real difference of options is still refused
        with paths.output_run("corrupt", src, dst / "again", state_dir=".state", options=old):
            raise RuntimeError("interrupted")
    with pytest.raises(paths.OutputExistsError, match="other options"):
        with paths.output_run("corrupt", src, dst / "again", state_dir=".state", options=other):
            pass
