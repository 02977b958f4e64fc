"""gofix clean and gofix fix: mirrored output, nothing lost, resumable, deterministic."""

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofix.formats.paths import UnsafePathError
from gofix.archive.clean import STATE_DIR, clean_tree
from gofix.cli import app
from gofix.repair.repairer import RulesRepairer
from gofix.formats.read import parse_collection
from gofix.rules.synth import random_game

runner = CliRunner()


def _sgf(moves, size=19):
    return "(;FF[4]GM[1]SZ[%d]PB[b]PW[w]%s)\n" % (size, "".join(f";{m.colour.upper()}[{m.sgf}]" for m in moves))


def _tree_hashes(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def archive(tmp_path):
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    for k in range(5):
        (src / "a" / f"g{k}.sgf").write_text(_sgf(random_game(random.Random(k), 60)))
    bad = random_game(random.Random(9), 60)
    bad[40] = bad[40]._replace(point=bad[3].point, sgf=bad[3].sgf)
    (src / "a" / "b" / "illegal.sgf").write_text(_sgf(bad))
    (src / "broken.sgf").write_bytes(b"\x00\x01binary\xff" * 10)
    (src / "two.sgf").write_text(_sgf(random_game(random.Random(20), 40)) + _sgf(random_game(random.Random(21), 40)))
    with zipfile.ZipFile(src / "pack.zip", "w") as z:
        z.writestr("inner/z1.sgf", _sgf(random_game(random.Random(30), 50)))
        z.writestr("../escape.sgf", _sgf(random_game(random.Random(31), 50)))
    os.symlink(src / "a" / "g0.sgf", src / "link.sgf")
    return src


def test_clean_mirrors_reports_and_never_touches_input(archive, tmp_path):
    before = _tree_hashes(archive)
    dst = tmp_path / "out"
    stats = clean_tree(archive, dst)
    assert _tree_hashes(archive) == before
    out = {str(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file()}
    assert {"a/g0.sgf", "a/b/illegal.sgf", "broken.sgf", "two.sgf", "pack/inner/z1.sgf", "link.sgf",
            "report.jsonl"} <= out
    # the traversal member is refused and nothing lands outside DST
    assert not (tmp_path / "escape.sgf").exists() and not (dst.parent / "escape.sgf").exists()
    assert any("../escape.sgf" in r for r in stats.refused)
    # unchanged files are copied byte for byte, the unreadable one too
    assert (dst / "a" / "g1.sgf").read_bytes() == (archive / "a" / "g1.sgf").read_bytes()
    assert (dst / "broken.sgf").read_bytes() == (archive / "broken.sgf").read_bytes()
    lines = (dst / "report.jsonl").read_text().splitlines()
    assert stats.games == 5 + 1 + 1 + 2 + 1 + 1
    assert len(lines) == stats.games + 1  # and one line for the refused member
    assert any('"status": "refused"' in line and "../escape.sgf" in line for line in lines)
    assert stats.unreadable == 1 and stats.flagged == 1 and stats.repaired == 0
    assert not (dst / STATE_DIR).exists()


def test_clean_is_deterministic_and_jobs_do_not_change_output(archive, tmp_path):
    clean_tree(archive, tmp_path / "o1")
    clean_tree(archive, tmp_path / "o2")
    clean_tree(archive, tmp_path / "o3", jobs=2)
    h1 = _tree_hashes(tmp_path / "o1")
    assert h1 == _tree_hashes(tmp_path / "o2") == _tree_hashes(tmp_path / "o3")


class _Interrupting(RulesRepairer):
    calls = 0

    def repair(self, record, first=None):
        _Interrupting.calls += 1
        if _Interrupting.calls == 6:
            raise KeyboardInterrupt
        return super().repair(record)


RULES = {"repairer": "rules"}  # the runs' options: _Interrupting repairs as the rules do


def test_interrupted_clean_resumes_to_the_same_output(archive, tmp_path):
    clean_tree(archive, tmp_path / "ref", options=RULES)
    dst = tmp_path / "out"
    _Interrupting.calls = 0
    with pytest.raises(KeyboardInterrupt):
        clean_tree(archive, dst, repairer_factory=_Interrupting, chunk=2, options=RULES)
    assert (dst / STATE_DIR).exists()  # markers of the finished chunks
    assert not [p for p in dst.rglob("*.tmp")]
    stats = clean_tree(archive, dst, chunk=2, options=RULES)
    assert stats.resumed_files >= 2
    assert _tree_hashes(dst) == _tree_hashes(tmp_path / "ref")


SLOW_CLEAN = """
import sys, time
from gofix.archive.clean import clean_tree
from gofix.repair.repairer import RulesRepairer
class Slow(RulesRepairer):
    def repair(self, record, first=None):
        time.sleep(0.05)
        return super().repair(record)
clean_tree(sys.argv[1], sys.argv[2], repairer_factory=Slow, chunk=1, options={"repairer": "rules"})
"""


def test_killed_clean_leaves_no_partial_files_and_resumes(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for k in range(40):
        (src / f"g{k:02d}.sgf").write_text(_sgf(random_game(random.Random(k), 30)))
    dst = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", SLOW_CLEAN, str(src), str(dst)])
    deadline = time.monotonic() + 600  # a loaded machine starts the child slowly
    while time.monotonic() < deadline:
        state = dst / STATE_DIR
        if state.exists() and len(list(state.glob("chunk-*"))) >= 5:
            break
        time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail("the clean run wrote no 5 chunks in 600 s")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = [p for p in dst.glob("g*.sgf")]
    assert 0 < len(written) < 40
    for p in written:  # every visible output file is complete
        assert p.read_bytes() == (src / p.name).read_bytes()
    clean_tree(src, dst, options=RULES)
    clean_tree(src, tmp_path / "ref", options=RULES)
    assert _tree_hashes(dst) == _tree_hashes(tmp_path / "ref")
    assert not [p for p in dst.rglob("*.tmp")]


def test_fix_writes_and_never_overwrites(tmp_path):
    moves = random_game(random.Random(3), 50)
    src = tmp_path / "g.sgf"
    src.write_text(_sgf(moves))
    original = src.read_bytes()
    out = tmp_path / "fixed.sgf"
    res = runner.invoke(app, ["fix", str(src), "-o", str(out), "--rules-only"])
    assert res.exit_code == 0, res.output
    assert src.read_bytes() == original
    (rec,) = parse_collection(out.read_bytes(), "fixed.sgf")
    assert [(m.colour, m.point) for m in rec.moves] == [(m.colour, m.point) for m in moves]
    assert runner.invoke(app, ["fix", str(src), "-o", str(out)]).exit_code == 2  # exists
    assert runner.invoke(app, ["fix", str(src)]).exit_code == 2  # neither -o nor --in-place
    res = runner.invoke(app, ["fix", str(src), "--in-place", "--rules-only"])
    assert res.exit_code == 0
    assert (tmp_path / "g.sgf.bak").read_bytes() == original


def test_clean_cli(archive, tmp_path):
    res = runner.invoke(app, ["clean", str(archive), "--out", str(tmp_path / "o"), "--jobs", "1", "--rules-only"],
                        terminal_width=200)
    assert res.exit_code == 1, res.output  # one game flagged, one unreadable
    assert "report" in res.stdout
    assert runner.invoke(app, ["clean", str(archive), "--out", str(archive / "inside")]).exit_code == 2


def test_batched_model_analysis_gives_the_same_output(archive, tmp_path):
    """clean_files runs the tagger over many games at once: same edits and files as one game at a time."""
    import torch

    from gofix.repair.detect import ModelDetector
    from gofix.models.birnn import BiRNNTagger, preset
    from gofix.repair.repairer import ModelRepairer

    torch.manual_seed(0)
    model = BiRNNTagger(preset("tiny")).eval()
    calls = []

    class Counting(ModelRepairer):
        def analyse_many(self, records, max_moves=3000):
            calls.append(len(records))
            return super().analyse_many(records, max_moves)

    def factory():  # an untrained model that flags everything and repairs eagerly: many edits to compare
        return Counting(ModelDetector(model, threshold=0.0), threshold=0.0, keep_bias=0.0, max_passes=1)

    one = clean_tree(archive, tmp_path / "one", repairer_factory=factory, batch_files=1)
    assert one.changed  # edits were made (repaired in full or in part)
    calls.clear()
    many = clean_tree(archive, tmp_path / "many", repairer_factory=factory, batch_files=16)
    assert max(calls) >= 5  # the first look at several files' games in one forward pass
    assert _tree_hashes(tmp_path / "one") == _tree_hashes(tmp_path / "many")
    assert (one.repaired, one.clean, one.flagged, one.changed) == (many.repaired, many.clean, many.flagged,
                                                                    many.changed)


def test_check_path_batches_the_model_and_reports_as_one_at_a_time(archive):
    import torch

    from gofix.repair.check import check_path, check_record
    from gofix.repair.detect import ModelDetector
    from gofix.models.birnn import BiRNNTagger, preset
    from gofix.repair.repairer import ModelRepairer
    from gofix.record import Unreadable
    from gofix.formats.read import iter_games

    torch.manual_seed(1)
    repairer = ModelRepairer(ModelDetector(BiRNNTagger(preset("tiny")).eval(), threshold=0.0), threshold=0.0,
                             keep_bias=0.0, max_passes=1)
    batched = [r.to_dict() for r in check_path(archive, repairer=repairer, batch=4)]
    alone = [check_record(g, repairer=repairer).to_dict() for g in iter_games(archive) if not isinstance(g, Unreadable)]
    assert [r for r in batched if r["status"] != "unreadable"] == alone
    assert any(r["status"] == "unreadable" for r in batched)  # broken.sgf is still reported, in its place
    assert any(f.get("repair") for r in alone for f in r["findings"])  # there were repairs to compare


def test_check_on_several_processes_gives_the_reports_of_one(archive, tmp_path):
    """`gofix check --jobs 2`: the same reports, in the same order, as one process (an untrained
    tiny model that flags every move, so there is much to compare; an unreadable file in its place)."""
    import json

    import torch

    from gofix.models import checkpoint
    from gofix.repair.check import check_path, check_paths_parallel
    from gofix.models.birnn import BiRNNTagger, preset
    from gofix.repair.pretrained import RepairerFactory

    torch.manual_seed(2)
    path = tmp_path / "tiny.pt"
    checkpoint.save(path, checkpoint.make(BiRNNTagger(preset("tiny")).eval()))
    factory = RepairerFactory(path, threshold=0.0, flag_threshold=0.0)
    paths = [archive / "a", archive / "broken.sgf", archive / "two.sgf", archive / "a" / "g1.sgf"]
    repairer = factory()
    one = [r.to_dict() for p in paths for r in check_path(p, repairer=repairer, batch=4)]
    many = [r.to_dict() for r in check_paths_parallel(paths, factory, jobs=2, batch_files=2, ahead=1)]
    assert many == one
    assert [r["status"] for r in one].count("unreadable") == 1 and sum(len(r["findings"]) for r in one) > 100
    # the command: same JSON lines with --jobs 2 as with one process (rules only: the wiring, quickly)
    res1 = runner.invoke(app, ["check", str(archive), "--json", "--rules-only"])
    res2 = runner.invoke(app, ["check", str(archive), "--json", "--rules-only", "--jobs", "2"])
    assert res1.exit_code == res2.exit_code == 1
    lines = [json.loads(line) for line in res2.stdout.splitlines() if line.startswith("{")]
    assert lines == [json.loads(line) for line in res1.stdout.splitlines() if line.startswith("{")] and lines


def test_clean_never_writes_over_its_input_file(tmp_path):
    """'gofix clean g.sgf --out <its folder>': the output of g.sgf would be g.sgf itself."""
    moves = random_game(random.Random(3), 50)
    moves[30] = moves[30]._replace(point=moves[2].point, sgf=moves[2].sgf)  # a repairable error
    src = tmp_path / "g.sgf"
    src.write_text(_sgf(moves))
    before = src.read_bytes()
    with pytest.raises(UnsafePathError, match="must not contain the input"):  # its folder holds the input
        clean_tree(src, tmp_path)
    assert src.read_bytes() == before and not (tmp_path / "report.jsonl").exists()
    res = runner.invoke(app, ["clean", str(src), "--out", str(tmp_path), "--rules-only", "--jobs", "1"])
    assert res.exit_code == 2 and src.read_bytes() == before
    # a hard link to the input where its output goes is the input too: refused per write
    (tmp_path / "o").mkdir()
    os.link(src, tmp_path / "o" / "g.sgf")
    stats = clean_tree(src, tmp_path / "o")
    assert len(stats.refused) == 1 and "would overwrite the input" in stats.refused[0]
    assert src.read_bytes() == before
    [line] = [json.loads(x) for x in (tmp_path / "o" / "report.jsonl").read_text().splitlines()]
    assert line["status"] == "refused" and str(src) in line["error"]
    res = runner.invoke(app, ["clean", str(src), "--out", str(tmp_path / "p"), "--report", str(src), "--rules-only"])
    assert res.exit_code == 2 and src.read_bytes() == before


def test_clean_removes_only_its_own_stale_temp_files(archive, tmp_path):
    dst = tmp_path / "project"
    (dst / "sub").mkdir(parents=True)
    mine = dst / "sub" / ".editor-swap.tmp"
    mine.write_text("the user's")
    stale = dst / "a" / ".gofix-g0.sgf.k2j_x9q1.tmp"
    stale.parent.mkdir()
    stale.write_text("half")
    clean_tree(archive, dst)
    assert mine.read_text() == "the user's"
    assert not stale.exists()


def test_a_real_sgf_keeps_its_name_beside_a_gib_of_that_name(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    gib = ("\\HS\n\\[GAMEBLACKNAME=black (3D)\\]\n\\HE\n\\GS\nSTO 0 2 1 3 3\nSTO 0 3 2 15 15\n\\GE\n")
    (src / "g.gib").write_text(gib)
    real = _sgf(random_game(random.Random(5), 40))
    (src / "g.gib.sgf").write_text(real)
    dst = tmp_path / "out"
    stats = clean_tree(src, dst)
    assert not stats.refused
    assert (dst / "g.gib.sgf").read_text() == real  # the genuine SGF, byte for byte
    (g,) = parse_collection((dst / "g.gib~.sgf").read_bytes(), "x")  # the converted GIB, beside it
    assert len(g.moves) == 2
    lines = [json.loads(x) for x in (dst / "report.jsonl").read_text().splitlines()]
    assert sorted(line["path"] for line in lines) == [str(src / "g.gib"), str(src / "g.gib.sgf")]


class _Inserting(RulesRepairer):
    """Flags move 68 (a move missing after it) and move 40, and repairs move 68's finding only: one
    move inserted before move 69. Its moves are 0-based here, the findings' and edits' 1-based."""

    def repair(self, record, first=None):
        from gofix.findings import Finding
        from gofix.coords import to_gtp
        from gofix.edits import Edit
        from gofix.record import Move
        from gofix.repair.repairer import AppliedEdit, RepairResult

        moves = list(record.moves)
        used = {m.point for m in moves}
        point = next((r, c) for r in range(19) for c in range(19) if (r, c) not in used)
        new = Move("w" if moves[67].colour == "b" else "b", point, "")
        words = f"{new.colour.upper()} {to_gtp(point, 19)} inserted before move 69 (missing move)"
        edit = AppliedEdit("insert", (69,), 0.9, words, Edit(68, 0, (new,)))
        findings = [Finding(n, moves[n - 1].colour.upper(), moves[n - 1].sgf, "suspect", 0.8) for n in (40, 68)]
        return RepairResult(moves[:68] + [new] + moves[68:], [edit], findings)


def _fix_with(repairer, monkeypatch, tmp_path, text):
    import gofix.cli.repair

    monkeypatch.setattr(gofix.cli.repair, "repairer_factory", lambda *args, **kwargs: repairer)
    src = tmp_path / "game.sgf"
    src.write_text(text)
    fixed = tmp_path / "fixed.sgf"
    res = runner.invoke(app, ["fix", str(src), "-o", str(fixed), "--rules-only"])
    return res, fixed


def test_fix_reports_a_finding_its_insert_answers_as_repaired(monkeypatch, tmp_path):
    """The insert before move 69 is the repair move 68's finding asked for: not 'not repaired'."""
    moves = random_game(random.Random(3), 90)
    res, _ = _fix_with(_Inserting, monkeypatch, tmp_path, _sgf(moves))
    assert res.exit_code == 1, res.output
    assert "inserted before move 69" in res.stdout
    said = [line for line in res.stdout.splitlines() if "not repaired" in line]
    assert said == [f"game 0: not repaired: {moves[39].colour.upper()} 40 [{moves[39].sgf}] suspect"], res.stdout
    assert "1 edit in 1 game" in res.stdout  # not "1 edit(s) in 1 game(s)"


def test_fix_names_the_original_line_it_keeps_as_a_variation(monkeypatch, tmp_path):
    """The original main line, kept as a variation, says so in its first node's C[] (after the comment
    it had); the repaired line keeps its own notes and no such comment."""
    from gofix.record import main_line
    from gofix.repair.rewrite import ORIGINAL_NOTE

    moves = random_game(random.Random(4), 90)
    text = _sgf(moves).replace(f";{moves[68].colour.upper()}[{moves[68].sgf}]",
                               f";{moves[68].colour.upper()}[{moves[68].sgf}]C[a comment on 69]", 1)
    res, fixed = _fix_with(_Inserting, monkeypatch, tmp_path, text)
    assert res.exit_code == 1, res.output
    (again,) = parse_collection(fixed.read_bytes(), "fixed.sgf")
    assert len(again.moves) == 91
    line = main_line(again.root)
    parent = line[68]  # the root, then moves 1..68: where the two lines part
    assert len(parent.children) == 2
    original, repaired = parent.children[1], parent.children[0]
    assert original.props["C"] == [b"a comment on 69\n\n" + ORIGINAL_NOTE.encode()]
    assert original.props[moves[68].colour.upper()] == [moves[68].sgf.encode()]
    assert "DO" in repaired.props and b"inserted before move 69" in repaired.props["C"][0]
    assert ORIGINAL_NOTE.encode() not in repaired.props["C"][0]
    assert line[70].props["C"] == [b"a comment on 69"]  # move 69 as read, in the repaired line
