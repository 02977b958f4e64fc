"""gofix reconcile: groups found in an archive, one record per group, resumable, SRC untouched."""

import hashlib
import json
import os
import random
import zipfile
from pathlib import Path

import pytest

from gofix.versions.align import in_orientation
from typer.testing import CliRunner

from gofix.archive import reconcile as rc
from gofix.versions import reconcile as group
from gofix.formats.paths import UnsafePathError
from gofix.cli import app
from gofix.coords import to_sgf
from gofix.repair.judge import Verdict
from gofix.record import GameRecord, Move, Node, iter_nodes, main_line
from gofix.formats.read import read_file
from gofix.rules.synth import random_game

runner = CliRunner()
REAL_DEV = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "real-dev")


def _turn(moves, sym, size=19):
    return in_orientation(moves, sym, size)


def _sgf(moves, size=19, **props):
    head = "".join(f"{k}[{v}]" for k, v in props.items())
    return "(;FF[4]GM[1]SZ[%d]%s%s)\n" % (size, head, "".join(f";{m.colour.upper()}[{m.sgf}]" for m in moves))


def _tree_hashes(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


GAME = random_game(random.Random(11), 120)
OTHER = random_game(random.Random(12), 100)
WRONG = list(GAME)
WRONG[60] = WRONG[60]._replace(point=(WRONG[60].point[0], (WRONG[60].point[1] + 7) % 19))
WRONG[60] = WRONG[60]._replace(sgf=to_sgf(WRONG[60].point, 19))


class PickFirst:
    """A fake judge: always the first version, confidence 0.9 (picklable for --jobs)."""

    uses_model = True

    def choose(self, size, versions, spans, **kw):
        return Verdict(0, 0.9, "model", tuple(0.0 for _ in versions))


@pytest.fixture()
def archive(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.sgf").write_text(_sgf(GAME, PB="Honinbo", PW="Yasui", DT="1850"))
    (src / "sub" / "b.sgf").write_text(_sgf(_turn(GAME, 5), PB="Honinbo", PW="Yasui Sanchi", DT="1850"))
    (src / "sub" / "c.sgf").write_text(_sgf(_turn(WRONG, 2), PB="Honinbo"))  # the odd one out at move 61
    (src / "e.sgf").write_text(_sgf(OTHER))
    (src / "lone.sgf").write_text(_sgf(random_game(random.Random(14), 90)))
    (src / "small.sgf").write_text(_sgf(random_game(random.Random(13), 40, size=9), size=9))
    (src / "broken.sgf").write_bytes(b"\x00\x01binary\xff" * 10)
    with zipfile.ZipFile(src / "pack.zip", "w") as z:
        z.writestr("in/d.sgf", _sgf(_turn(OTHER, 3)) + _sgf(_turn(GAME, 6)))
        z.writestr("in/unreadable.sgf", b"\x00\x01binary\xff" * 10)
    return src


def _lines(path):
    return [json.loads(x) for x in Path(path).read_text(encoding="utf-8").split("\n") if x]


def test_reconcile_tree_writes_one_record_per_group(archive, tmp_path):
    before = _tree_hashes(archive)
    dst = tmp_path / "out"
    stats = rc.reconcile_tree(archive, dst, judge_factory=PickFirst)
    assert _tree_hashes(archive) == before  # SRC never written to
    assert stats.groups == 2 and stats.records == 6
    assert stats.unreadable == 2 and stats.singletons == 2  # lone.sgf and small.sgf: groups of one, left out
    files = sorted(str(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file())
    assert files == [".gofix-run.json", "a.sgf", "e.sgf", "reconcile.jsonl"]  # the record of the finished run
    lines = _lines(dst / "reconcile.jsonl")
    assert [len(x["sources"]) for x in lines] == [4, 2]


def test_the_written_record_rereads_with_the_chosen_main_line(archive, tmp_path):
    dst = tmp_path / "out"
    rc.reconcile_tree(archive, dst, judge_factory=PickFirst)
    line = _lines(dst / "reconcile.jsonl")[0]
    assert line["sources"] == [f"{archive}/a.sgf#0", f"{archive}/pack.zip!in/d.sgf#1",
                               f"{archive}/sub/b.sgf#0", f"{archive}/sub/c.sgf#0"]
    assert line["symmetries"][0] == 0 and not line["agree"]
    (region,) = line["regions"]
    assert region["moves"][0] == [61, 61] and region["decided_by"] == "majority"
    assert region["verdict"] == f"{archive}/a.sgf#0"
    (g,) = read_file(dst / line["output"])
    assert g.warnings == []
    assert [(m.colour, m.point) for m in g.moves] == [(m.colour, m.point) for m in GAME]  # majority, base orientation
    assert g.root.props["FF"] == [b"4"] and g.root.props["CA"] == [b"UTF-8"]
    # the odd version is a variation from move 61, its comment naming its source
    nodes = main_line(g.root)
    branch = nodes[60].children
    assert len(branch) == 2
    note = branch[1].props["C"][0].decode()
    assert "sub/c.sgf" in note
    colour = GAME[60].colour.upper()
    assert branch[0].props[colour] == [to_sgf(GAME[60].point, 19).encode()]  # main line: the majority's move
    assert branch[1].props[colour] == [to_sgf(WRONG[60].point, 19).encode()]  # c.sgf's, in the base's orientation
    var = [branch[1]]
    while var[-1].children:
        var.append(var[-1].children[0])
    assert len(var) == len(GAME) - 60
    # conflicting metadata noted in GC[]; the base's value kept
    gc = g.root.props["GC"][0].decode()
    assert "PW differs" in gc and "'Yasui Sanchi' (sub/b.sgf)" in gc
    assert g.root.props["PW"] == [b"Yasui"]
    # the first move of the decided region says what was chosen
    assert "majority" in nodes[61].props["C"][0].decode()


def test_a_tie_goes_to_the_judge_and_undecided_is_flagged(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.sgf").write_text(_sgf(WRONG))
    (src / "b.sgf").write_text(_sgf(_turn(GAME, 1)))
    dst = tmp_path / "out"
    rc.reconcile_tree(src, dst, judge_factory=PickFirst)
    (line,) = _lines(dst / "reconcile.jsonl")
    assert line["regions"][0]["decided_by"] == "judge" and line["regions"][0]["verdict"].endswith("a.sgf#0")
    (g,) = read_file(dst / "a.sgf")
    assert [m.point for m in g.moves] == [m.point for m in WRONG]
    # no judge: undecided, the base's version kept, its first move marked DO[] with a comment
    dst2 = tmp_path / "out2"
    stats = rc.reconcile_tree(src, dst2)
    assert stats.undecided == 1 and stats.judge == 0
    (g,) = read_file(dst2 / "a.sgf")
    assert [m.point for m in g.moves] == [m.point for m in WRONG]
    node = main_line(g.root)[61]
    assert "DO" in node.props and "undecided" in node.props["C"][0].decode()
    assert any("b.sgf" in n.props.get("C", [b""])[0].decode() for n in iter_nodes(g.root))


def test_singletons_flag_copies_the_rest(archive, tmp_path):
    dst = tmp_path / "out"
    stats = rc.reconcile_tree(archive, dst, singletons=True)
    assert stats.singletons == 2
    assert (dst / "lone.sgf").read_bytes() == (archive / "lone.sgf").read_bytes()
    assert (dst / "small.sgf").read_bytes() == (archive / "small.sgf").read_bytes()
    lines = _lines(dst / "reconcile.jsonl")
    assert sum(bool(x.get("singleton")) for x in lines) == 2


def test_resumes_after_an_interruption(archive, tmp_path, monkeypatch):
    dst = tmp_path / "out"
    full = tmp_path / "full"
    rc.reconcile_tree(archive, full, judge_factory=PickFirst)
    calls = {"n": 0}
    real = rc.reconcile_unit

    def dying(setup, task):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(setup, task)

    monkeypatch.setattr(rc, "reconcile_unit", dying)
    with pytest.raises(KeyboardInterrupt):
        rc.reconcile_tree(archive, dst, judge_factory=PickFirst, chunk=1)
    assert (dst / rc.STATE_DIR / "groups.json").exists()
    assert len(list((dst / rc.STATE_DIR).glob("chunk-*.json"))) == 1
    monkeypatch.setattr(rc, "reconcile_unit", real)
    monkeypatch.setattr(rc, "group_path", lambda *a, **k: pytest.fail("grouped again"))
    stats = rc.reconcile_tree(archive, dst, judge_factory=PickFirst, chunk=1)
    assert stats.resumed == 1 and stats.group_seconds == 0.0
    assert not (dst / rc.STATE_DIR).exists()
    assert _tree_hashes(dst) == _tree_hashes(full)


def test_jobs_give_the_same_output(archive, tmp_path, monkeypatch):
    monkeypatch.setattr(rc, "POOL_MIN_UNITS", 0)  # worker processes even for these few groups
    one, two = tmp_path / "one", tmp_path / "two"
    rc.reconcile_tree(archive, one, judge_factory=PickFirst)
    rc.reconcile_tree(archive, two, judge_factory=PickFirst, jobs=2)
    a, b = _tree_hashes(one), _tree_hashes(two)
    assert a.keys() == b.keys()
    assert a == b


def test_refuses_output_inside_input(archive):
    with pytest.raises(UnsafePathError, match="must not be inside"):
        rc.reconcile_tree(archive, archive / "out")
    res = runner.invoke(app, ["reconcile", str(archive), "--out", str(archive / "out"), "--rules-only"])
    assert res.exit_code == 2
    assert not (archive / "out").exists()


def test_cli_summary_and_report(archive, tmp_path):
    dst = tmp_path / "out"
    report = tmp_path / "r.jsonl"
    res = runner.invoke(app, ["reconcile", str(archive), "--out", str(dst), "--rules-only", "--report", str(report)],
                        terminal_width=200)
    assert res.exit_code in (0, 1), res.output
    assert "groups" in res.stdout and "grouping s" in res.stdout and "judging s" in res.stdout
    assert len(_lines(report)) == 2


def test_group_records_in_memory_with_fakes():
    """reconcile_group with a metadata conflict and a record in another orientation, no judge."""
    def rec(moves, source, **props):
        root = Node({k: [v.encode()] for k, v in {"SZ": "19", **props}.items()})
        return GameRecord(source=source, index=0, size=19, root=root, moves=list(moves))

    records = [rec(GAME, "x/a.sgf", RE="B+R", KM="6.5"), rec(_turn(GAME, 4), "x/b.sgf", RE="B+Resign", KM="6.50")]
    out, line, secs = group.reconcile_group(records, None, src="x")
    assert line["agree"] and line["regions"] == [] and line["symmetries"] == [0, 4]
    assert line["metadata_conflicts"] == {}  # same result and komi, spelt differently
    assert [m.point for m in out.moves] == [m.point for m in GAME]
    gc = out.root.props["GC"][0].decode()
    assert f"b.sgf ({len(GAME)} moves): the main line, rotated/mirrored (symmetry 4)" in gc


def test_real_dev_pairs_reconcile(tmp_path):
    if not os.path.isdir(REAL_DEV):
        pytest.skip("../shared/real-dev not present")
    dst = tmp_path / "out"
    stats = rc.reconcile_tree(REAL_DEV, dst, judge_factory=None)
    assert stats.failed == 0 and stats.records == 96
    for line in _lines(dst / "reconcile.jsonl"):
        (g,) = read_file(dst / line["output"])
        assert g.warnings == []
        comments = " ".join(n.props.get("C", [b""])[0].decode() for n in iter_nodes(g.root)
                            if b"the version of" in n.props.get("C", [b""])[0])
        gc = g.root.props["GC"][0].decode()
        for source, n in zip(line["sources"], line["moves"]):  # each version: the main line, or a named variation
            name = source.split("real-dev/", 1)[1][:-2]
            assert f"{name} ({n} moves): the main line" in gc or name in comments


@pytest.mark.parametrize("base_has_extra", [False, True])
def test_an_extra_move_that_flips_later_colours(base_has_extra):
    """The majority's version of an extra move wins, and the colours after it follow that version."""
    def flip(ms):
        return [Move("w" if m.colour == "b" else "b", m.point, m.sgf) for m in ms]

    def rec(ms, source):
        return GameRecord(source=source, index=0, size=19, root=Node({"SZ": [b"19"]}), moves=list(ms))

    used = {m.point for m in GAME}
    free = next((r, c) for r in range(19) for c in range(19) if (r, c) not in used)
    extra = GAME[:60] + [Move(GAME[60].colour, free, to_sgf(free, 19))] + flip(GAME[60:])
    first, other = (extra, GAME) if base_has_extra else (GAME, extra)
    out, line, _ = group.reconcile_group([rec(first, "a.sgf"), rec(other, "b.sgf"), rec(other, "c.sgf")])
    assert line["regions"][0]["decided_by"] == "majority"
    assert [(m.colour, m.point) for m in out.moves] == [(m.colour, m.point) for m in other]


def test_min_confidence_leaves_a_weak_verdict_undecided(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.sgf").write_text(_sgf(WRONG))
    (src / "b.sgf").write_text(_sgf(GAME))
    stats = rc.reconcile_tree(src, tmp_path / "out", judge_factory=PickFirst, min_confidence=0.95)
    assert (stats.judge, stats.undecided) == (0, 1)
    (line,) = _lines(tmp_path / "out" / "reconcile.jsonl")
    assert line["regions"][0]["reason"] == "both plausible" and line["regions"][0]["verdict"] is None
    (g,) = read_file(tmp_path / "out" / "a.sgf")
    assert "the judge leaning to a.sgf's" in main_line(g.root)[61].props["C"][0].decode()
    stats = rc.reconcile_tree(src, tmp_path / "out2", judge_factory=PickFirst, min_confidence=0.9, jobs=2)
    assert (stats.judge, stats.undecided) == (1, 0)


def test_a_collection_is_never_overwritten_by_its_own_reconciled_game(tmp_path):
    """'cat g.sgf g2.sgf > cv2/coll.sgf; gofix reconcile cv2/coll.sgf --out cv2': the output folder holds
    the input, refused as a whole; a hard link to the input where its output goes is refused per write."""
    folder = tmp_path / "cv2"
    folder.mkdir()
    coll = folder / "coll.sgf"
    coll.write_text(_sgf(GAME) + _sgf(WRONG))
    before = coll.read_bytes()
    with pytest.raises(UnsafePathError, match="must not contain the input"):
        rc.reconcile_tree(coll, folder)
    res = runner.invoke(app, ["reconcile", str(coll), "--out", str(folder), "--rules-only"])
    assert res.exit_code == 2 and coll.read_bytes() == before
    assert "must not contain the input" in res.output
    assert not (folder / "reconcile.jsonl").exists()
    # the output file would be the input (a hard link to it): that group is refused, reported
    (tmp_path / "o").mkdir()
    os.link(coll, tmp_path / "o" / "coll.sgf")
    stats = rc.reconcile_tree(coll, tmp_path / "o", force=True)
    assert coll.read_bytes() == before and stats.failed == 1
    (line,) = _lines(tmp_path / "o" / "reconcile.jsonl")
    assert line["output"] is None and "would overwrite the input" in line["error"] and str(coll) in line["error"]
    # the report file may not be the input either
    res = runner.invoke(app, ["reconcile", str(coll), "--out", str(tmp_path / "p"), "--report", str(coll),
                              "--rules-only"])
    assert res.exit_code == 2 and coll.read_bytes() == before
    assert "would overwrite the input" in res.output


def test_only_gofix_temp_files_are_removed_from_the_output(archive, tmp_path):
    dst = tmp_path / "project"
    (dst / "sub").mkdir(parents=True)
    mine = dst / "sub" / ".editor-swap.tmp"
    mine.write_text("the user's")
    stale = dst / ".gofix-a.sgf.abcd1234.tmp"  # what an interrupted atomic_write leaves
    stale.write_text("half")
    rc.reconcile_tree(archive, dst)
    assert mine.read_text() == "the user's"
    assert not stale.exists()


def _gib(moves) -> str:
    head = ("\\HS\n\\[GAMEBLACKNAME=black (3D)\\]\n\\[GAMEWHITENAME=white (4D)\\]\n"
            "\\[GAMEINFOMAIN=GBKIND:3,GRLT:4,ZIPSU:0,DUM:0,GONGJE:0,TCNT:0,AUSZ:0\\]\n\\HE\n\\GS\n2 1 0\n")
    body = "".join(f"STO 0 {k} {1 if m.colour.upper() == 'B' else 2} {ord(m.sgf[0]) - 97} {ord(m.sgf[1]) - 97}\n"
                   for k, m in enumerate(moves, start=2))
    return head + body + "\\GE\n"


def test_a_group_based_on_a_gib_is_written_as_sgf_under_an_sgf_name(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "g.gib").write_text(_gib(GAME))
    (src / "g.sgf").write_text(_sgf(GAME))
    (src / "lone.gib").write_text(_gib(OTHER))
    dst = tmp_path / "out"
    stats = rc.reconcile_tree(src, dst, singletons=True)
    assert stats.groups == 1
    files = sorted(str(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file())
    assert files == [".gofix-run.json", "g.gib.sgf", "lone.gib.sgf", "reconcile.jsonl"]
    for name in ("g.gib.sgf", "lone.gib.sgf"):  # SGF inside too, the singleton as well
        (g,) = read_file(dst / name, strict=True)
        assert isinstance(g, GameRecord) and len(g.moves) in (len(GAME), len(OTHER))
