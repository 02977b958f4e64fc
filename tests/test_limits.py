"""Limits per game that keep memory and output bounded: findings listed per game (``check.MAX_FINDINGS``),
and the repair engine's memory on long records (issue 21, items 2)."""

import json

from typer.testing import CliRunner

from gofix import check
from gofix.check import GameReport, check_record
from gofix.cli import app
from gofix.sgf_io import parse_items


def _repetitive(pairs: int) -> bytes:
    """``;B[aa];W[bb]`` again and again: every move after the first two is illegal (occupied)."""
    return ("(;FF[4]SZ[19]" + ";B[aa];W[bb]" * pairs + ")").encode()


def test_findings_past_the_limit_are_counted_not_listed(monkeypatch):
    monkeypatch.setattr(check, "MAX_FINDINGS", 10)
    [rec] = parse_items(_repetitive(30), "rep.sgf")
    report = check_record(rec)
    assert [f.move for f in report.findings] == list(range(3, 13))  # the first ten, in move order
    assert report.more_findings == 58 - 10 and report.n_findings == 58
    d = report.to_dict()
    assert len(d["findings"]) == 10 and d["more_findings"] == 48
    assert check.unlisted(48) == "and 48 more findings not listed (gofix lists 10 per game)"
    assert check.unlisted(1).startswith("and 1 more finding not listed")
    small = GameReport("s.sgf", 0, "flagged", findings=report.findings[:3])
    assert small.more_findings == 0 and "more_findings" not in small.to_dict()  # the schema as before


def test_a_10000_move_record_of_illegal_plays_lists_1000_findings_and_says_how_many_more(tmp_path):
    assert check.MAX_FINDINGS == 1_000
    src = tmp_path / "rep.sgf"
    src.write_bytes(_repetitive(5_000))  # 10,000 moves: the move limit, 9,998 occupied points
    res = CliRunner().invoke(app, ["check", str(src), "--json", "--rules-only"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    [line] = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    assert len(line["findings"]) == 1_000 and line["more_findings"] == 8_998
    assert len(res.stdout) < 150_000  # ~100 bytes a finding listed, not a megabyte
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
