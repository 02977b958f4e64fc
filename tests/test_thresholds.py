"""Two named thresholds (issue 20, item 6): the suspicion to flag (check) and the confidence to apply
(fix, clean); check shows what fix would do with the same options, and when it would not apply a
repair it shows, why."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofix.repair.check import check_record
from gofix.cli import app
from gofix.train.corrupt import KINDS
from gofix.repair.repairer import ModelRepairer
from gofix.rules.synth import random_game

runner = CliRunner()
DEMO = Path(__file__).resolve().parent.parent / "data" / "demo.sgf"
WHY = re.compile(r"^confidence (\d\.\d\d) below the 0\.99 to apply$")


def _case():
    from test_repair import KnowingDetector, _record

    clean = random_game(random.Random(2), 100)
    noisy, truth = KINDS["near"](clean, 19, random.Random(2), None)
    return KnowingDetector(clean, "near", truth.undo.insert[0].point), _record(noisy)


def test_a_repair_below_the_apply_threshold_is_declined_with_its_reason():
    det, rec = _case()
    rep = ModelRepairer(det, threshold=0.99).repair(rec)
    assert not rep.changed and rep.declined
    fix = rep.declined[0]
    m = WHY.match(fix.why_not)
    assert not fix.applied and m and float(m.group(1)) == pytest.approx(fix.confidence, abs=0.005)
    # the same candidate is the one applied at a lower threshold
    (done,) = ModelRepairer(det, threshold=0.0).repair(rec).edits
    assert (done.repair.kind, done.repair.moves, done.repair.now) == (fix.kind, fix.moves, fix.now)
    # check puts it on the finding it answers, saying it would not be applied
    report = check_record(rec, repairer=ModelRepairer(det, threshold=0.99))
    shown = [f.repair for f in report.findings if f.repair is not None]
    assert shown and not shown[0].applied
    d = shown[0].to_dict()
    assert d["applied"] is False and WHY.match(d["why_not"])
    assert shown[0].describe(confidence=True).endswith(f"; not applied: {fix.why_not}")


def _demo():
    if not DEMO.exists():
        pytest.skip("no data/demo.sgf")
    return str(DEMO)


def test_check_shows_what_fix_does_with_the_same_options(tmp_path):
    """data/demo.sgf with the bundled model: at --apply-threshold 0.99 check shows its repairs as not
    applied (and why) and fix applies none; at the default both show and apply the same repair; the
    old --threshold still names each command's threshold."""
    demo = _demo()
    high = runner.invoke(app, ["check", demo, "--json", "--engine", "none", "--apply-threshold", "0.99"])
    assert high.exit_code == 1, high.output
    import json

    (game,) = [json.loads(x) for x in high.stdout.splitlines() if x.startswith("{")]
    shown = [f["repair"] for f in game["findings"] if f["repair"]]
    assert shown and all(r["applied"] is False and WHY.match(r["why_not"]) for r in shown), shown
    fixed = runner.invoke(app, ["fix", demo, "-o", str(tmp_path / "a.sgf"), "--engine", "none",
                                "--apply-threshold", "0.99"])
    assert "0 edits in 1 game" in fixed.stdout and "not applied: confidence" in fixed.stdout, fixed.stdout
    alias = runner.invoke(app, ["fix", demo, "-o", str(tmp_path / "b.sgf"), "--engine", "none", "--threshold", "0.99"])
    assert alias.stdout.replace(str(tmp_path / "b.sgf"), "") == fixed.stdout.replace(str(tmp_path / "a.sgf"), "")
    low = runner.invoke(app, ["check", demo, "--json", "--engine", "none"])
    (game,) = [json.loads(x) for x in low.stdout.splitlines() if x.startswith("{")]
    applied = [f["repair"]["description"] for f in game["findings"] if f["repair"] and f["repair"]["applied"]]
    fixed = runner.invoke(app, ["fix", demo, "-o", str(tmp_path / "c.sgf"), "--engine", "none"])
    assert applied and all(any(a in line for line in fixed.stdout.splitlines()) for a in applied), fixed.stdout
    # check --threshold is the flag threshold: at 1.0 the tagger flags nothing of its own
    flag = runner.invoke(app, ["check", demo, "--json", "--engine", "none", "--threshold", "1.0"])
    assert flag.exit_code == 1 and '"note": "the model finds' not in flag.stdout


def test_help_names_the_two_thresholds():
    for cmd, names in (("check", ("--flag-threshold", "--apply-threshold")),
                       ("fix", ("--apply-threshold", "--flag-threshold")),
                       ("clean", ("--apply-threshold", "--flag-threshold"))):
        res = runner.invoke(app, [cmd, "--help"], env={"COLUMNS": "200"})
        assert res.exit_code == 0 and all(n in res.stdout for n in names), (cmd, res.stdout)
