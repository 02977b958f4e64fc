"""Limits per game that keep memory and output bounded: findings listed per game (``findings.MAX_FINDINGS``),
and the repair engine's memory on long records (issue 21, items 2)."""

import json

import numpy as np

from typer.testing import CliRunner

from gofix import findings
from gofix.findings import GameReport
from gofix.repair.check import check_record
from gofix.cli import app
from gofix.formats.read import parse_items


def _repetitive(pairs: int) -> bytes:
    """``;B[aa];W[bb]`` again and again: every move after the first two is illegal (occupied)."""
    return ("(;FF[4]SZ[19]" + ";B[aa];W[bb]" * pairs + ")").encode()


def test_findings_past_the_limit_are_counted_not_listed(monkeypatch):
    monkeypatch.setattr(findings, "MAX_FINDINGS", 10)
    [rec] = parse_items(_repetitive(30), "rep.sgf")
    report = check_record(rec)
    assert [f.move for f in report.findings] == list(range(3, 13))  # the first ten, in move order
    assert report.more_findings == 58 - 10 and report.n_findings == 58
    d = report.to_dict()
    assert len(d["findings"]) == 10 and d["more_findings"] == 48
    assert findings.unlisted(48) == "and 48 more findings not listed (gofix lists 10 per game)"
    assert findings.unlisted(1).startswith("and 1 more finding not listed")
    small = GameReport("s.sgf", 0, "flagged", findings=report.findings[:3])
    assert small.more_findings == 0 and "more_findings" not in small.to_dict()  # the schema as before


def test_a_10000_move_record_of_illegal_plays_lists_1000_findings_and_says_how_many_more(tmp_path):
    assert findings.MAX_FINDINGS == 1_000
    src = tmp_path / "rep.sgf"
    src.write_bytes(_repetitive(5_000))  # 10,000 moves: the move limit, 9,998 occupied points
    res = CliRunner().invoke(app, ["check", str(src), "--json", "--rules-only"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    [line] = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    assert len(line["findings"]) == 1_000 and line["more_findings"] == 8_998
    assert len(res.stdout) < 250_000  # ~150 bytes a finding listed, not 1.5 megabytes
    assert "9998 findings" in res.stderr  # the summary counts them all
    text = CliRunner().invoke(app, ["check", str(src), "--rules-only", "--no-diagrams"])
    assert "and 8,998 more findings not listed (gofix lists 1,000 per game)" in text.stdout
    fixed = CliRunner().invoke(app, ["fix", str(src), "--out", str(tmp_path / "fixed.sgf"), "--rules-only"])
    assert fixed.exit_code == 1 and "game 0: and 8,998 more findings not listed" in fixed.stdout
    assert fixed.stdout.count("not repaired:") == 1_000
    out = tmp_path / "out"
    cleaned = CliRunner().invoke(app, ["clean", str(src), "--out", str(out), "--rules-only", "--jobs", "1"])
    assert cleaned.exit_code in (0, 1) and "Traceback" not in cleaned.output
    [rep] = [json.loads(x) for x in (out / "report.jsonl").read_text().splitlines()]
    assert len(rep["findings"]) == 1_000 and rep["more_findings"] == 8_998


# ------------------------------------------------------------------ the repair engine on long records


class GapDetector:
    """Says three moves of a long record are in a displaced block (each: ~50 candidates, the block
    moved 4 to 16 plies either way); sees nothing wrong in the short windows the candidates are judged on, and counts,
    while it judges them, the live lists and tuples as long as the record."""

    threshold = 0.5

    def __init__(self, n: int):
        self.n = n
        self.views = 0
        self.full_copies = 0
        self.before = self._long_lists()  # alive already (the record's moves; other tests' leftovers)

    def _long_lists(self) -> int:
        import gc

        return sum(1 for o in gc.get_objects() if type(o) in (list, tuple) and len(o) >= self.n - 2)

    def analyse_many(self, recs):
        from gofix.models.encoding import EDIT_CLASSES
        from gofix.repair.detect import MoveScores

        out = []
        for r in recs:
            T = len(r.moves)
            bad = np.zeros(T)
            if T == self.n:
                bad[[T // 4, T // 2, 3 * T // 4]] = 0.9
            ep = np.zeros((T, len(EDIT_CLASSES)))
            ep[:, 0] = 1 - bad
            ep[:, EDIT_CLASSES.index("block")] = bad
            out.append(MoveScores(bad, ep, [None] * T, bad.copy()))
        if recs and len(recs[0].moves) < self.n:  # the candidates' windows
            self.views += len(recs)
            self.full_copies = max(self.full_copies, self._long_lists() - self.before)
        return out

    def analyse(self, rec):
        return self.analyse_many([rec])[0]

    def findings_from(self, record, scores, rule_findings):
        return []


def test_the_repair_engine_holds_no_copy_of_the_record_per_candidate():
    import random

    from gofix.record import GameRecord, Node
    from gofix.repair.repairer import ModelRepairer
    from gofix.rules.synth import random_game

    n = 1_500
    moves = random_game(random.Random(7), n)
    det = GapDetector(n)
    rep = ModelRepairer(det, max_passes=1).repair(GameRecord("long.sgf", 0, 19, Node({"SZ": [b"19"]}), moves))
    assert rep.edits == [] and det.views > 50  # many candidates judged at once ...
    # ... with the repair's own few whole-length lists alive (12 more than before it here), not two per
    # candidate (107 more before)
    assert det.full_copies <= 19


def test_the_tagger_runs_many_records_a_bounded_batch_at_a_time(monkeypatch):
    import random

    import torch

    from gofix.repair import detect
    from gofix.models.encoding import padded_runs
    from gofix.models.birnn import BiRNNTagger, preset
    from gofix.record import RecordView
    from gofix.rules.synth import random_game

    torch.manual_seed(0)
    det = detect.ModelDetector(BiRNNTagger(preset("tiny")).eval(), threshold=0.0)
    rng = random.Random(8)
    views = [RecordView(19, random_game(rng, rng.randrange(20, 61)), [], []) for _ in range(40)]
    together = det.analyse_many(views)
    seen = []
    forward = det._forward
    monkeypatch.setattr(det, "_forward", lambda exs, sym: seen.append(
        len(exs) * max(len(e["features"]) for e in exs)) or forward(exs, sym))
    monkeypatch.setattr(detect, "BATCH_MOVES", 256)
    apart = det.analyse_many(views)
    assert len(seen) > 5 and max(seen) <= 256  # never every record in one forward
    for a, b in zip(together, apart):
        np.testing.assert_allclose(a.p_wrong, b.p_wrong, rtol=1e-4, atol=1e-5)
    assert padded_runs(list("abcd"), [10, 30, 5, 40], 60) == [["a", "b"], ["c"], ["d"]]
    assert padded_runs(["x"], [500], 60) == [["x"]]  # one record over the budget runs alone
