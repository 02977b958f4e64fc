"""One repair, one object (issue 20, item 5): ``edits.Repair`` and every output rendered from it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofix.cli import app
from gofix.edits import Repair, replace_reason

runner = CliRunner()
# the demo of earlier releases: a generated game with three planted errors, all of which the bundled
# tagger repairs (data/demo.sgf, a real game now, keeps two of its three errors)
DEMO = Path(__file__).resolve().parent / "data" / "generated_three_errors.sgf"
KEYS = {"kind", "what", "moves", "colour", "from", "to", "from_gtp", "to_gtp", "confidence", "decided_by",
        "description", "applied", "why_not"}
# the tagger's and the repair engine's internal names that must not reach people
INTERNAL = re.compile(r"\((near|two_lines|digit|transpose|mirror|block|extra|colour)\)|"
                      r"\b(two_lines|missing_before|missing_after|pair_order|swap2)\b")


def test_a_repair_is_a_flat_object_in_words():
    r = Repair("replace", (69,), (("b", (5, 4)),), (("b", (5, 6)),), 0.953, "tagger")
    assert r.to_dict() == {"kind": "replace", "what": "two lines off", "moves": [69], "colour": "B",
                           "from": ["en"], "to": ["gn"], "from_gtp": ["E6"], "to_gtp": ["G6"],
                           "confidence": 0.953, "decided_by": "tagger",
                           "description": "B 69 at E6 -> G6 (two lines off)", "applied": True, "why_not": None}
    assert r.describe(confidence=True) == "B 69 at E6 -> G6 (two lines off), confidence 0.95, decided by the tagger"


@pytest.mark.parametrize("was,now,words", [
    ((3, 3), (3, 4), "one point off"), ((3, 3), (5, 5), "two lines off"), ((3, 2), (16, 15), "x and y swapped"),
    ((3, 2), (15, 2), "read from the wrong edge"), ((3, 2), (13, 2), "digit slip"), ((3, 3), (3, 8), "5 lines off"),
    ((3, 3), None, "another point")])
def test_a_moved_stone_is_named_by_its_geometry(was, now, words):
    assert replace_reason(was, now, 19) == words


@pytest.mark.parametrize("repair,text", [
    (Repair("insert", (69,), (), (("w", (16, 17)),), at=69), "W S17 inserted before move 69 (missing move)"),
    (Repair("insert", (69,), (), (("w", (16, 17)),), recolour=True, at=69),
     "W S17 inserted before move 69, later colours flipped"),
    (Repair("insert", (69, 70), (), (("w", (16, 17)), ("b", (2, 2))), at=69),
     "W S17 and B C3 inserted before move 69 (missing pair)"),
    (Repair("insert", (), (), (("b", (2, 2)),), at=101), "B C3 inserted after the last move (missing move)"),
    (Repair("delete", (12,), (("b", (2, 2)),), ()), "B 12 at C3 deleted (extra move)"),
    (Repair("delete", (12, 13), (("b", (2, 2)), ("w", (3, 3))), ()), "moves 12 and 13 deleted (extra pair)"),
    (Repair("swap2", (10, 12), (("b", (1, 1)), ("w", (2, 2)), ("b", (3, 3))),
            (("b", (3, 3)), ("w", (2, 2)), ("b", (1, 1)))), "moves 10 and 12 swapped"),
    (Repair("pair_order", (10, 11, 12, 13), (("b", (1, 1)),) * 4, (("b", (1, 1)),) * 4),
     "pairs 10-11 and 12-13 in the wrong order"),
    (Repair("colour", (7,), (("b", (2, 2)),), (("w", (2, 2)),)), "B 7: colour should be W"),
])
def test_every_kind_is_told_in_words(repair, text):
    assert repair.describe() == text
    assert not INTERNAL.search(repair.describe()) and not INTERNAL.search(repair.what)


def test_a_moved_block_says_which_way():
    a, b, c, d, x, y = (("b", (i, i)) for i in range(6))
    late = Repair("block", (20, 21, 22, 23, 24, 25), (a, b, c, d, x, y), (x, y, a, b, c, d))
    early = Repair("block", (20, 21, 22, 23, 24, 25), (x, y, a, b, c, d), (a, b, c, d, x, y))
    assert late.describe() == "moves 24-25 moved 4 plies earlier (a block of 2 moves 4 plies too late)"
    assert early.describe() == "moves 20-21 moved 4 plies later (a block of 2 moves 4 plies too early)"


def test_the_repair_engine_makes_the_object():
    """ModelRepairer's applied edits carry their Repair: the points taken out and put in, as read."""
    from test_repair import BlindDetector, _occupied_case, _record

    from gofix.archive.clean import _notes
    from gofix.coords import to_gtp, to_sgf
    from gofix.repair.repairer import ModelRepairer

    clean, noisy, i = _occupied_case()
    rep = ModelRepairer(BlindDetector(clean, "near", clean[i].point)).repair(_record(noisy))
    (e,) = rep.edits
    d = e.to_dict()
    assert set(d) == KEYS and d["kind"] == "replace" and d["moves"] == [i + 1] and d["decided_by"] == "tagger"
    assert d["from"] == [to_sgf(noisy[i].point, 19)] and d["to_gtp"] == [to_gtp(clean[i].point, 19)]
    assert d["description"] == e.description == e.repair.describe() and d["confidence"] == round(e.confidence, 4)
    # the comment fix and clean write on the changed move is rendered from it too
    assert _notes(rep) == {i: f"gofix: {e.repair.describe(confidence=True)}"}


def _demo_runs(tmp_path):
    if not DEMO.exists():
        pytest.skip(f"no {DEMO}")
    check = runner.invoke(app, ["check", str(DEMO), "--json", "--engine", "none"])
    fixed = tmp_path / "fixed.sgf"
    fix = runner.invoke(app, ["fix", str(DEMO), "-o", str(fixed), "--engine", "none"])
    clean = runner.invoke(app, ["clean", str(DEMO), "--out", str(tmp_path / "out"), "--jobs", "1",
                                "--engine", "none"])
    return check, fix, fixed, clean


def test_check_fix_and_clean_tell_one_repair_the_same_way(tmp_path):
    """The bundled model repairs every finding of DEMO: check --json, the clean report (its edits and
    the finding the edit answers) and fix's line all come from one object."""
    check, fix, fixed, clean = _demo_runs(tmp_path)
    assert check.exit_code == 1 and fix.exit_code == 0 and clean.exit_code == 0, (check.output, fix.output)
    (game,) = [json.loads(x) for x in check.stdout.splitlines() if x.startswith("{")]
    shown = [f["repair"] for f in game["findings"] if f["repair"] is not None]
    assert shown, game
    r = shown[0]
    assert isinstance(r, dict) and set(r) == KEYS  # the object, not a string with the confidence in it
    assert not re.search(r"\(\d\.\d\d\)", r["description"]) and not INTERNAL.search(r["description"])
    (line,) = [json.loads(x) for x in (tmp_path / "out" / "report.jsonl").read_text().splitlines()]
    assert line["edits"] == [r]
    assert [f["repair"] for f in line["findings"] if f["repair"] is not None][0] == r
    said = f"game 0: {r['description']}, confidence {r['confidence']:.2f}, decided by the tagger"
    assert said in fix.stdout.splitlines(), fix.stdout


def test_check_shows_one_confidence_per_repair_and_no_internal_names(tmp_path):
    if not DEMO.exists():
        pytest.skip(f"no {DEMO}")
    res = runner.invoke(app, ["check", str(DEMO), "--engine", "none", "--no-diagrams"], env={"COLUMNS": "250"})
    assert res.exit_code == 1, res.output
    rows = [line for line in res.stdout.splitlines() if "decided by" in line]
    assert rows and all(len(re.findall(r"confidence \d\.\d\d", row)) == 1 for row in rows), res.stdout
    assert "suspicion" in res.stdout and not INTERNAL.search(res.stdout)
