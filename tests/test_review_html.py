"""The HTML review report: it parses, holds one section per finding with the right move numbers,
points and counts; `check --html` and `clean` write it, and `gofix review DST` rebuilds the same file."""

from __future__ import annotations

import json
import random
import re
from html.parser import HTMLParser
from pathlib import Path

from typer.testing import CliRunner

from gofix.findings import Finding
from gofix.rules.findings import rule_findings
from gofix.cli import app
from gofix.archive.clean import clean_tree
from gofix.coords import to_gtp
from gofix.edits import Edit
from gofix.repair.repairer import AppliedEdit, RepairResult
from gofix.review import svg
from gofix.review.html import render
from gofix.review.model import game_from_line
from gofix.review.runs import REVIEW_NAME, run_review
from gofix.formats.read import read_game
from gofix.rules.synth import random_game

runner = CliRunner()


class _Page(HTMLParser):
    """The sections of a report, each with its attributes and the text and SVG markup inside it."""

    def __init__(self):
        super().__init__()
        self.sections: list[dict] = []
        self.ids: dict[str, str] = {}
        self.links: list[str] = []
        self._in = None
        self._id = None
        self.scripts: list[str] = []
        self._script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self._in = {**a, "text": "", "svgs": 0, "changed": [], "illegal": 0}
            self.sections.append(self._in)
        if tag == "svg" and self._in is not None:
            self._in["svgs"] += 1
        if tag == "rect" and self._in is not None and a.get("class") == "changed":
            self._in["changed"].append((float(a["x"]) + .5, float(a["y"]) + .5))
        if tag == "path" and self._in is not None and a.get("class") == "illegal":
            self._in["illegal"] += 1
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "script":
            self._script = True
            self.scripts.append(a.get("src", ""))
        self._id = a.get("id")

    def handle_endtag(self, tag):
        self._id = None
        if tag == "section":
            self._in = None
        if tag == "script":
            self._script = False

    def handle_data(self, data):
        if self._in is not None:
            self._in["text"] += data
        if self._id:
            self.ids[self._id] = self.ids.get(self._id, "") + data


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def _sgf(moves, size=19, extra="PB[Black One]PW[White Two]DT[1846-09-11]"):
    return "(;FF[4]GM[1]SZ[%d]%s%s)\n" % (size, extra, "".join(f";{m.colour.upper()}[{m.sgf}]" for m in moves))


def _bad_game(seed: int, at: int = 50, n: int = 80):
    """A random game whose move ``at`` (0-based) is recorded on the point of move 10 (occupied)."""
    clean = random_game(random.Random(seed), n)
    bad = list(clean)
    bad[at] = bad[at]._replace(point=bad[10].point, sgf=bad[10].sgf)
    return clean, bad


class TruthRepairer:
    """Repairs the occupied move of each record back to the move ``TRUTH`` says (by game length)."""

    TRUTH: dict = {}

    def analyse_many(self, records):
        return [None] * len(records)

    def repair(self, record, first=None):
        findings = rule_findings(record)
        truth = self.TRUTH.get(len(record.moves))
        if not findings or truth is None:
            return RepairResult(list(record.moves), [], findings)
        i = findings[0].move - 1
        moves = list(record.moves)
        moves[i] = truth[i]
        desc = f"{moves[i].colour.upper()} {i + 1} moved to {to_gtp(truth[i].point, record.size)}"
        edit = AppliedEdit("replace", (i + 1,), 0.875, desc, Edit(i, 1, (truth[i],)))
        for f in findings:
            if f.move == i + 1:
                f.repair = f"{desc} (0.88)"
        return RepairResult(moves, [edit], findings)


def test_render_one_section_per_finding_with_boards_marks_and_moves(tmp_path):
    clean, bad = _bad_game(3)
    path = tmp_path / "g.sgf"
    path.write_text(_sgf(bad))
    rec = read_game(path)
    line = {"path": str(path), "game": 0, "status": "flagged", "size": 19, "moves": 80,
            "findings": [{"move": 51, "colour": bad[50].colour.upper(), "point": bad[50].sgf, "kind": "occupied",
                          "confidence": 1.0, "repair": {"kind": "replace", "moves": [51], "confidence": 0.875,
                                                        "description": "moved", "applied": True}},
                         {"move": 70, "colour": bad[69].colour.upper(), "point": bad[69].sgf, "kind": "suspect",
                          "confidence": 0.42, "repair": None}],
            "error": None, "changed": True,
            "edits": [{"kind": "replace", "moves": [51], "confidence": 0.875, "description": "moved"}]}
    games = [game_from_line(line, rec, clean),
             game_from_line({"path": "c.sgf", "game": 0, "status": "clean", "size": 19, "moves": 9, "findings": [],
                             "error": None, "changed": False, "edits": []}),
             game_from_line({"path": "u.sgf", "game": 0, "status": "unreadable", "findings": [],
                             "error": "not SGF: b'\\x00'", "changed": False, "edits": []})]
    text = render(games, title="t", trust="Repairs: trust line")
    page = _parse(text)
    assert [s["id"] for s in page.sections] == ["f1", "f2"]
    assert [s["data-move"] for s in page.sections] == ["51", "70"]
    assert [s["data-kind"] for s in page.sections] == ["occupied", "suspect"]
    assert [s["data-repaired"] for s in page.sections] == ["1", "0"]
    # repaired in part (the suspect at 70 is left): a game to look at, counted as flagged
    assert page.ids["n-clean"] == "1" and page.ids["n-repaired"] == "0" and page.ids["n-unreadable"] == "1"
    assert page.ids["n-flagged"] == "1" and page.ids["n-findings"] == "2"
    first, second = page.sections
    # the occupied move: both boards, the recorded point crossed, the repaired stone framed at its true point
    assert first["svgs"] == 2 and first["illegal"] == 1
    assert svg.xy(clean[50].point, 19) in [tuple(map(int, p)) for p in first["changed"]]
    gtp_bad, gtp_true = to_gtp(bad[50].point, 19), to_gtp(clean[50].point, 19)
    assert f"51\xa0{bad[50].colour.upper()}\xa0{gtp_bad}" in first["text"]
    assert f"51\xa0{clean[50].colour.upper()}\xa0{gtp_true}" in first["text"]
    assert "48\xa0" in first["text"] and "54\xa0" in first["text"] and "55\xa0" not in first["text"]  # 3 either side
    assert "Black One (B) vs White Two (W)" in first["text"] and "1846-09-11" in first["text"]
    assert "found by rules" in first["text"] and "Repairs: trust line" in first["text"]
    assert "moved (0.88)" in first["text"] and "{" not in first["text"]  # the repair object in words, not a dict
    # a suspect move with no repair, in a game repaired elsewhere: the same moment of the repaired game beside it
    assert second["svgs"] == 2 and "after move 70 (no change here)" in second["text"] and not second["changed"]
    assert "found by tagger" in second["text"] and "no repair proposed" in second["text"]
    assert "not SGF" in text and "u.sgf" in text  # the unreadable game is listed
    # nothing from the network: no outside link, script, style or image (the xmlns names are not fetched)
    assert not re.findall(r'(?:src|href)="(?!#)[a-z]+:', text) and "url(http" not in text and "@import" not in text
    assert all(not src for src in page.scripts) and [h for h in page.links if h.startswith("#")] == ["#f1", "#f2"]


def test_check_html_writes_the_report(tmp_path):
    _, bad = _bad_game(2)
    d = tmp_path / "games"
    d.mkdir()
    (d / "bad.sgf").write_text(_sgf(bad))
    (d / "clean.sgf").write_text(_sgf(random_game(random.Random(1), 60)))
    out = tmp_path / "out" / "report.html"
    res = runner.invoke(app, ["check", str(d), "--rules-only", "--json", "--html", str(out)])
    assert res.exit_code == 1, res.output
    lines = [json.loads(t) for t in res.stdout.splitlines()]
    findings = [f for line in lines for f in line["findings"]]
    page = _parse(out.read_text(encoding="utf-8"))
    assert [int(s["data-move"]) for s in page.sections] == [f["move"] for f in findings]
    assert page.ids["n-clean"] == "1" and page.ids["n-flagged"] == "1"
    assert "gofix check" in page.sections[0]["text"] and "--rules-only" in page.sections[0]["text"]
    assert "../games/bad.sgf" in page.links  # the record, relative to the report
    assert f"review: {out}" in res.output


def test_clean_writes_review_and_review_rebuilds_the_same_file(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    truth = {}
    for k, n in enumerate((70, 90)):
        clean, bad = _bad_game(10 + k, at=40 + k, n=n)
        truth[n] = clean
        (src / "sub" / f"g{k}.sgf").write_text(_sgf(bad))
    (src / "ok.sgf").write_text(_sgf(random_game(random.Random(5), 50)))
    TruthRepairer.TRUTH = truth
    dst = tmp_path / "dst"
    clean_tree(src, dst, repairer_factory=TruthRepairer, jobs=1)
    stats = run_review(dst)
    html_path = dst / REVIEW_NAME
    first = html_path.read_bytes()
    page = _parse(first.decode("utf-8"))
    assert stats.findings == len(page.sections) >= 2 and page.ids["n-repaired"] == "2" and page.ids["n-clean"] == "1"
    moves = sorted(int(s["data-move"]) for s in page.sections if s["data-kind"] == "occupied")
    assert moves[:2] == [41, 42]
    assert "sub/g0.sgf" in page.links and "sub/g1.sgf" in page.links  # the repaired records, relative to DST
    for s in page.sections:
        if s["data-kind"] == "occupied":
            assert s["svgs"] == 2 and s["changed"] and "gofix fix" in s["text"]
    html_path.unlink()
    res = runner.invoke(app, ["review", str(dst)])
    assert res.exit_code == 0, res.output
    assert html_path.read_bytes() == first


def test_clean_command_writes_review_html(tmp_path):
    _, bad = _bad_game(4)
    src = tmp_path / "src"
    src.mkdir()
    (src / "bad.sgf").write_text(_sgf(bad))
    dst = tmp_path / "dst"
    res = runner.invoke(app, ["clean", str(src), "--out", str(dst), "--rules-only", "--jobs", "1"])
    assert res.exit_code == 1, res.output
    page = _parse((dst / "review.html").read_text(encoding="utf-8"))
    report = [json.loads(t) for t in (dst / "report.jsonl").read_text().splitlines()]
    assert [int(s["data-move"]) for s in page.sections] == [f["move"] for line in report for f in line["findings"]]
    assert page.ids["n-flagged"] == "1" and "review:" in res.output
    before = (dst / "review.html").read_bytes()
    assert runner.invoke(app, ["review", str(dst)]).exit_code == 0
    assert (dst / "review.html").read_bytes() == before
    res = runner.invoke(app, ["review", str(src)])
    assert res.exit_code == 2 and "holds no gofix run" in res.output
    assert re.search(r"review\.html \(\d+ findings?\)", runner.invoke(app, ["review", str(dst)]).output)


def test_compare_html_shows_every_version_of_each_region(tmp_path):
    """Three records, one of them a rotated copy with a move one point off and two moves missing: a section
    per region, a board per record in the first record's orientation, the region's stones framed, the
    verdict as the terminal says it."""
    from gofix.coords import transform

    game = random_game(random.Random(7), 160)
    used = {m.point for m in game}
    r, c = game[40].point
    off = next((r + dr, c + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)
               if (r + dr, c + dc) not in used and 0 <= r + dr < 19 and 0 <= c + dc < 19)
    other = list(game)
    other[40] = other[40]._replace(point=off)
    other = other[:90] + other[92:]
    rotated = [m._replace(point=transform(m.point, 1, 19)) for m in other]

    def write(name, moves):
        path = tmp_path / name
        path.write_text("(;FF[4]GM[1]SZ[19]" + "".join(
            f";{m.colour.upper()}[{'abcdefghijklmnopqrs'[m.point[1]]}{'abcdefghijklmnopqrs'[18 - m.point[0]]}]"
            for m in moves) + ")")
        return str(path)

    a, b, same = write("a.sgf", game), write("b.sgf", rotated), write("same.sgf", game)
    out = tmp_path / "cmp.html"
    res = runner.invoke(app, ["compare", a, b, same, "--rules-only", "--html", str(out)], terminal_width=200)
    assert res.exit_code == 1, res.output
    text = out.read_text(encoding="utf-8")
    page = _parse(text)
    for s in page.sections:
        s["changed"] = [tuple(map(int, p)) for p in s["changed"]]
    assert [s["data-kind"] for s in page.sections] == ["substitution", "extra_in_A"]
    assert [s["data-verdict"] for s in page.sections] == ["0", "0"]  # a and same: the majority
    first = page.sections[0]
    assert first["svgs"] == 3 and "by majority (2 of 3)" in first["text"]
    # b's version of the region, drawn in a's orientation: the one-point-off stone framed where a would have it
    assert svg.xy(off, 19) in first["changed"] and svg.xy(game[40].point, 19) in first["changed"]
    assert "[1] after move 41" in first["text"] and "[0] after move 41 (judged right)" in first["text"]
    assert "[1] after move 90: lacks the region" in page.sections[1]["text"]
    assert page.ids["n-regions"] == "2" and f"review: {out}" in res.output



def test_reconcile_writes_review_of_each_group(tmp_path):
    """`gofix reconcile` writes DST/review.html: each group that differs, its regions with every record's
    version on a board (an archive member and a rotated copy too) and the verdict from reconcile.jsonl."""
    import zipfile

    from gofix.coords import to_sgf, transform

    game = random_game(random.Random(11), 120)
    wrong = list(game)
    p = (game[60].point[0], (game[60].point[1] + 7) % 19)
    wrong[60] = wrong[60]._replace(point=p, sgf=to_sgf(p, 19))

    def body(moves, sym=0):
        return "(;FF[4]GM[1]SZ[19]" + "".join(
            f";{m.colour.upper()}[{to_sgf(transform(m.point, sym, 19), 19)}]" for m in moves) + ")\n"

    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.sgf").write_text(body(game))
    (src / "sub" / "b.sgf").write_text(body(game, 5))
    (src / "sub" / "c.sgf").write_text(body(wrong, 2))
    with zipfile.ZipFile(src / "pack.zip", "w") as z:
        z.writestr("in/d.sgf", body(game, 6))
    dst = tmp_path / "out"
    res = runner.invoke(app, ["reconcile", str(src), "--out", str(dst), "--rules-only"], terminal_width=200)
    assert res.exit_code in (0, 1), res.output
    (line,) = [json.loads(t) for t in (dst / "reconcile.jsonl").read_text().splitlines()]
    page = _parse((dst / "review.html").read_text(encoding="utf-8"))
    assert page.ids["n-groups"] == "1" and page.ids["n-regions"] == str(len(line["regions"])) == "1"
    (section,) = page.sections
    assert section["id"] == "g1r1" and section["data-kind"] == line["regions"][0]["kind"]
    assert section["svgs"] == 4 and "by majority, 75% of the records" in section["text"]
    assert "after move 61" in section["text"] and "a.sgf" in page.links
    changed = {tuple(map(int, q)) for q in section["changed"]}
    assert svg.xy(game[60].point, 19) in changed and svg.xy(p, 19) in changed  # c's version, in a's orientation
    assert "review:" in res.output and "1 region in 1 group" in res.output


def test_a_review_html_there_before_the_run_is_kept_and_review_rebuilds_a_reconcile_run(tmp_path):
    """As every output there before a run: DST/review.html is kept (said on stderr) unless --force;
    `gofix review DST` rebuilds it, for a reconcile run too."""
    _, bad = _bad_game(4)
    src = tmp_path / "src"
    src.mkdir()
    (src / "bad.sgf").write_text(_sgf(bad))
    (src / "copy.sgf").write_text(_sgf(bad))
    for command, opts in (("clean", ["--rules-only", "--jobs", "1"]), ("reconcile", ["--rules-only"])):
        dst = tmp_path / command
        dst.mkdir()
        (dst / "review.html").write_text("mine")
        res = runner.invoke(app, [command, str(src), "--out", str(dst), *opts])
        assert res.exit_code in (0, 1), res.output
        assert (dst / "review.html").read_text() == "mine" and "kept" in res.output and "review.html" in res.output
        res = runner.invoke(app, ["review", str(dst)])
        assert res.exit_code == 0, res.output
        assert (dst / "review.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_an_html_page_never_lands_on_an_input_a_link_or_an_existing_file_unasked(tmp_path):
    """check --html and compare --html follow the rule of every command that writes."""
    import hashlib
    import os

    clean, bad = _bad_game(2)
    a, b = tmp_path / "a.sgf", tmp_path / "b.sgf"
    a.write_text(_sgf(bad))
    b.write_text(_sgf(clean))  # another record of the game, for compare
    digest = hashlib.sha256(a.read_bytes()).hexdigest()
    for cmd in (["check", str(a), "--rules-only"], ["compare", str(a), str(b), "--rules-only"]):
        res = runner.invoke(app, [*cmd, "--html", str(a)])  # onto its own input
        assert res.exit_code == 2 and "is an input of this run" in res.stderr, res.output
        assert hashlib.sha256(a.read_bytes()).hexdigest() == digest
        page = tmp_path / f"{cmd[0]}.html"
        page.write_text("mine")
        res = runner.invoke(app, [*cmd, "--html", str(page)])  # onto a file there before
        assert res.exit_code == 2 and "--force" in res.stderr and page.read_text() == "mine", res.output
        res = runner.invoke(app, [*cmd, "--html", str(page), "--force"])
        assert res.exit_code == 1 and page.read_text().startswith("<!DOCTYPE html>"), res.output
        link = tmp_path / f"{cmd[0]}-link.html"
        os.symlink(tmp_path / "nowhere.html", link)  # dangling
        res = runner.invoke(app, [*cmd, "--html", str(link), "--force"])
        assert res.exit_code == 2 and "symbolic link" in res.stderr and not (tmp_path / "nowhere.html").exists()


def test_clean_keeps_a_dangling_link_where_its_review_goes(tmp_path):
    import os

    src = tmp_path / "src"
    src.mkdir()
    (src / "g.sgf").write_text(_sgf(random_game(random.Random(2), 40)))
    dst = tmp_path / "dst"
    dst.mkdir()
    os.symlink(tmp_path / "outside.html", dst / "review.html")
    res = runner.invoke(app, ["clean", str(src), "--out", str(dst), "--rules-only"])
    assert res.exit_code in (0, 1) and (dst / "review.html").is_symlink(), res.output
    assert not (tmp_path / "outside.html").exists() and "kept" in res.stderr
