"""gofix.versions.compare (several records of one game -> judged regions) and `gofix compare`."""

import glob
import json
import os
import random

import pytest
from typer.testing import CliRunner

from gofix.versions.align import DifferentGamesError, in_orientation
from gofix.cli import app
from gofix.versions.compare import CompareError, compare_records, load_record, region_diagrams, version_text
from gofix.coords import to_gtp, to_sgf
from gofix.repair.judge import Judge, Verdict, check_versions
from gofix.record import GameRecord, Move, Node
from gofix.rules.synth import random_game

SIZE = 19
GAME = random_game(random.Random(7), 160)
REAL_DEV = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "real-dev")
runner = CliRunner()


def _move(colour, point):
    return Move(colour, point, to_sgf(point, SIZE) if point is not None else "")


def _rec(moves, name="x.sgf", size=SIZE):
    return GameRecord(source=name, index=0, size=size, root=Node(), moves=list(moves))


def _sub(moves, k):
    """``moves`` with move k one point off, at a point not played in the game."""
    used = {m.point for m in moves}
    r, c = moves[k].point
    p = next((r + dr, c + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)
             if (r + dr, c + dc) not in used and 0 <= r + dr < SIZE and 0 <= c + dc < SIZE)
    out = list(moves)
    out[k] = _move(moves[k].colour, p)
    return out


def _flip(moves):
    return [_move("w" if m.colour == "b" else "b", m.point) for m in moves]


class FakeJudge:
    """Checks the versions as the real judge does; prefers version ``pick`` (None: undecided)."""

    def __init__(self, pick=0, reason="model"):
        self.pick, self.reason, self.calls = pick, reason, []

    def choose(self, size, versions, spans, **setup):
        check_versions(versions, spans)
        self.calls.append((versions, spans, setup))
        if self.pick is None:
            return Verdict(None, 0.5, "both plausible")
        return Verdict(self.pick, 0.8, self.reason)


def test_two_records_one_substitution_goes_to_the_judge():
    b = _sub(GAME, 40)
    judge = FakeJudge(pick=1)
    [rep] = compare_records([_rec(GAME), _rec(b)], judge=judge)
    assert (rep.kind, rep.moves, rep.groups) == ("substitution", [(41, 41), (41, 41)], [[0], [1]])
    assert (rep.verdict, rep.confidence, rep.decided_by, rep.reason) == (1, 0.8, "judge", "model")
    versions, spans, _ = judge.calls[0]
    assert versions == [list(GAME), b] and spans == [(40, 41), (40, 41)]
    assert rep.to_dict(["a.sgf", "b.sgf"]) == {"files": ["a.sgf", "b.sgf"], "moves": [[41, 41], [41, 41]],
                                                "kind": "substitution", "verdict": 1, "confidence": 0.8}


def test_without_a_judge_or_when_it_cannot_tell_the_region_is_undecided():
    recs = [_rec(GAME), _rec(_sub(GAME, 40))]
    [rep] = compare_records(recs)
    assert (rep.verdict, rep.decided_by, rep.confidence) == (None, "undecided", 0.5)
    [rep] = compare_records(recs, judge=FakeJudge(pick=None))
    assert (rep.verdict, rep.decided_by, rep.reason) == (None, "undecided", "both plausible")


def test_identical_records_give_no_regions():
    assert compare_records([_rec(GAME), _rec(GAME), _rec(GAME)], judge=FakeJudge()) == []


def test_majority_of_three_decides_and_the_judge_may_disagree():
    b = _sub(GAME, 40)
    recs = [_rec(GAME), _rec(b), _rec(GAME)]
    [rep] = compare_records(recs)
    assert (rep.verdict, rep.decided_by, rep.groups) == (0, "majority", [[0, 2], [1]])
    assert rep.confidence == pytest.approx(2 / 3) and not rep.judge_disagrees
    [rep] = compare_records(recs, judge=FakeJudge(pick=1))  # the judge prefers record 1's version
    assert (rep.verdict, rep.decided_by, rep.judge_choice, rep.judge_disagrees) == (0, "majority", 1, True)
    [rep] = compare_records([_rec(b), _rec(GAME), _rec(GAME)], judge=FakeJudge(pick=1))
    assert (rep.verdict, rep.moves, rep.judge_disagrees) == (1, [(41, 41)] * 3, False)


def test_a_tie_among_three_goes_to_the_judge_among_the_tied_versions():
    b, c = _sub(GAME, 40), list(GAME)
    c[40] = _move(GAME[40].colour, (0, 0) if (0, 0) not in {m.point for m in GAME} else (0, 18))
    judge = FakeJudge(pick=2)
    [rep] = compare_records([_rec(GAME), _rec(b), _rec(c)], judge=judge)
    assert len(judge.calls[0][0]) == 3 and (rep.verdict, rep.decided_by) == (2, "judge")


def test_missing_moves_give_an_empty_range_and_versions_of_other_lengths():
    b = GAME[:90] + GAME[92:]
    judge = FakeJudge(pick=0)
    [rep] = compare_records([_rec(GAME), _rec(b)], judge=judge)
    assert (rep.kind, rep.moves) == ("extra_in_A", [(91, 92), (91, 90)])  # record 1: none, after its move 90
    versions, spans, _ = judge.calls[0]
    assert [len(v) for v in versions] == [160, 158] and spans == [(90, 92), (90, 90)]


def test_recoloured_versions_run_to_the_end():
    b = GAME[:90] + _flip(GAME[91:])
    judge = FakeJudge(pick=0)
    [rep] = compare_records([_rec(GAME), _rec(b)], judge=judge)
    assert rep.kind == "extra_in_A" and rep.moves == [(91, 91), (91, 90)] and rep.recoloured == [False, True]
    versions, spans, _ = judge.calls[0]
    assert spans == [(90, 160), (90, 159)] and versions[1] == b


def test_regions_after_a_recolouring_are_compared_in_the_first_records_colours():
    b = _sub(GAME, 120)
    b = b[:90] + _flip(b[91:])  # a missing move with recolouring, then a substitution
    reps = compare_records([_rec(GAME), _rec(b), _rec(_sub(GAME, 120))], judge=FakeJudge())
    assert [r.kind for r in reps] == ["extra_in_A", "substitution"]
    assert reps[1].groups == [[0], [1, 2]] and reps[1].moves == [(121, 121), (120, 120), (121, 121)]


def test_overlapping_regions_of_several_records_are_merged():
    b = _sub(GAME, 40)
    c = list(GAME)
    c[40], c[42] = GAME[42], GAME[40]  # a swap over the same moves
    [rep] = compare_records([_rec(GAME), _rec(b), _rec(c)], judge=FakeJudge(pick=0))
    assert rep.moves == [(41, 43), (41, 43), (41, 43)] and rep.groups == [[0], [1], [2]]


@pytest.mark.parametrize("sym", [3, 5])
def test_a_record_in_another_orientation(sym):
    b = in_orientation(_sub(GAME, 40), sym, SIZE)
    judge = FakeJudge(pick=1)
    [rep] = compare_records([_rec(GAME), _rec(b)], judge=judge)
    assert rep.symmetries[1] != 0 and judge.calls[0][0][1] == _sub(GAME, 40)
    m = _sub(GAME, 40)[40]
    assert version_text([_rec(GAME), _rec(b)], rep, 1) == f"{m.colour.upper()} {to_gtp(m.point, SIZE)}"


def test_the_real_judge_with_the_rules_calls_an_occupied_point_illegal():
    b = list(GAME)
    b[100] = _move(GAME[100].colour, GAME[98].point if GAME[98].point != GAME[100].point else GAME[96].point)
    [rep] = compare_records([_rec(b), _rec(GAME)], judge=Judge(rules_only=True))
    assert (rep.verdict, rep.decided_by) == (1, "illegal") and rep.confidence > 0.9


def test_records_that_cannot_be_compared():
    with pytest.raises(CompareError, match="at least two"):
        compare_records([_rec(GAME)])
    with pytest.raises(CompareError, match=r"different board sizes: a.sgf is 19x19, b.sgf is 13x13"):
        compare_records([_rec(GAME, "a.sgf"), _rec(random_game(random.Random(1), 50, 13), "b.sgf", 13)])
    other = GAME[:20] + random_game(random.Random(99), 160)[20:]
    with pytest.raises(DifferentGamesError, match=r"a.sgf and b.sgf: not the same game"):
        compare_records([_rec(GAME, "a.sgf"), _rec(other, "b.sgf")])


def test_region_diagrams_share_one_window():
    recs = [_rec(GAME), _rec(_sub(GAME, 40))]
    [rep] = compare_records(recs)
    boards = region_diagrams(recs, rep)
    assert len(boards) == 2 and len(boards[0]) == len(boards[1]) and boards[0][0] == boards[1][0]
    assert sum(line.count("1") for line in boards[0][1:]) == 1  # move 1 of the region, numbered


def _write(path, moves, size=SIZE, extra=""):
    body = "".join(f";{m.colour.upper()}[{m.sgf}]" for m in moves)
    path.write_text(f"(;FF[4]GM[1]SZ[{size}]{extra}{body})\n")
    return str(path)


def test_load_record_file_and_game_number(tmp_path):
    two = tmp_path / "two.sgf"
    body = lambda ms: "".join(f";{m.colour.upper()}[{m.sgf}]" for m in ms)  # noqa: E731
    two.write_text(f"(;FF[4]SZ[19]{body(GAME[:10])})(;FF[4]SZ[19]{body(GAME[:20])})")
    assert len(load_record(str(two)).moves) == 10 and len(load_record(f"{two}#1").moves) == 20
    with pytest.raises(Exception, match="no game #5"):
        load_record(f"{two}#5")
    with pytest.raises(Exception, match="no such file"):
        load_record(str(tmp_path / "missing.sgf"))
    with pytest.raises(Exception, match="is a directory"):
        load_record(str(tmp_path))


def test_cli_exit_codes_and_json(tmp_path):
    a = _write(tmp_path / "a.sgf", GAME)
    same = _write(tmp_path / "same.sgf", GAME)
    b = _write(tmp_path / "b.sgf", _sub(GAME[:90] + GAME[92:], 40))
    res = runner.invoke(app, ["compare", a, same, "--json", "--rules-only"])
    assert res.exit_code == 0 and res.stdout == ""
    res = runner.invoke(app, ["compare", a, same, "--rules-only"])
    assert res.exit_code == 0 and "agree" in res.stdout
    res = runner.invoke(app, ["compare", a, b, "--json", "--rules-only"])
    assert res.exit_code == 1, res.output
    lines = res.stdout.splitlines()
    assert len(lines) == 2
    rows = [json.loads(line) for line in lines]
    assert rows[0] == {"files": [a, b], "moves": [[41, 41], [41, 41]], "kind": "substitution",
                       "verdict": rows[0]["verdict"], "confidence": rows[0]["confidence"],
                       "what": "a move at another point", "repair": rows[0]["repair"]}
    assert rows[1]["moves"] == [[91, 92], [91, 90]] and rows[1]["kind"] == "extra_in_A"
    assert all(list(r) == ["files", "moves", "kind", "verdict", "confidence", "what", "repair"] for r in rows)
    # where the verdict is b's version, the repair of a is the one object check, fix and clean use (issue 20.5)
    for r in rows:
        fix = r["repair"]
        assert (fix is None) == (r["verdict"] in (None, 0)), r
        if fix is not None:
            assert fix["moves"][0] == r["moves"][0][0] and fix["confidence"] == r["confidence"]
            assert fix["decided_by"] == "rules" and "_" not in fix["description"], fix
    assert all(r["verdict"] in (None, 0, 1) and isinstance(r["confidence"], float) for r in rows)
    res = runner.invoke(app, ["compare", a, b, same, "--rules-only"], terminal_width=200)
    assert res.exit_code == 1 and "by majority (2 of 3)" in res.stdout and "region 2: moves only in the first record" in res.stdout


def test_cli_bad_input_exits_2(tmp_path):
    a = _write(tmp_path / "a.sgf", GAME)
    small = _write(tmp_path / "small.sgf", random_game(random.Random(1), 50, 13), size=13)
    broken = tmp_path / "broken.sgf"
    broken.write_bytes(b"\x00\x01\x02 not sgf at all \xff\xfe")
    other = _write(tmp_path / "other.sgf", GAME[:20] + random_game(random.Random(99), 160)[20:])
    for args, message in [([a], "at least two"), ([a, str(broken)], "broken.sgf"),
                          ([a, str(tmp_path / "nope.sgf")], "no such file"),
                          ([a, small], "different board sizes"), ([a, other], "not the same game")]:
        res = runner.invoke(app, ["compare", *args, "--rules-only"])
        assert res.exit_code == 2, (args, res.output)
        assert message in res.output.replace("\n", ""), res.output


def test_cli_on_a_real_dev_pair_with_the_model():
    folder = os.path.join(REAL_DEV, "RD0001")
    if not os.path.isdir(folder):
        pytest.skip("../shared/real-dev not present")
    a, b = sorted(glob.glob(os.path.join(folder, "*.sgf")))
    res = runner.invoke(app, ["compare", a, b, "--json"])
    assert res.exit_code == 1, res.output
    [row] = [json.loads(line) for line in res.stdout.splitlines()]
    assert row["kind"] == "extra_in_A" and row["moves"] == [[246, 247], [246, 245]]


def test_handicap_as_setup_in_one_file_and_as_moves_in_the_other(tmp_path):
    stones = [(15, 3), (3, 15), (3, 3), (15, 15)]
    rest = [_move("w" if k % 2 == 0 else "b", m.point)
            for k, m in enumerate(m for m in random_game(random.Random(3), 130) if m.point not in stones)][:100]
    setup = "HA[4]AB" + "".join(f"[{to_sgf(p, SIZE)}]" for p in stones) + "PL[W]"
    a = _write(tmp_path / "setup.sgf", rest, extra=setup)
    b = _write(tmp_path / "moves.sgf", [_move("b", p) for p in stones] + rest, extra="HA[4]")
    assert compare_records([load_record(a), load_record(b)]) == []
    changed = list(rest)
    changed[30] = _move(rest[30].colour, (9, 9) if (9, 9) not in {m.point for m in rest} else (9, 10))
    c = _write(tmp_path / "changed.sgf", [_move("b", p) for p in stones] + changed, extra="HA[4]")
    [rep] = compare_records([load_record(a), load_record(c)], judge=FakeJudge(pick=0))
    assert rep.moves == [(31, 31), (35, 35)]


# ---------------------------------------------------------------- a tie judged in each record's context


class ByContext:
    """A fake judge whose verdict depends on the context: ``answers[i]`` = (pick, confidence, reason) when
    the versions are read in record i's context (one of them is record i as a whole); ``answers['joint']``
    (default: undecided) when the versions are the records themselves (a joint question)."""

    def __init__(self, records, answers):
        self.records, self.answers, self.calls = [list(r) for r in records], answers, []

    def choose(self, size, versions, spans, **setup):
        check_versions(versions, spans)
        held = [i for i, r in enumerate(self.records) if r in versions]
        i = held[0] if len(held) == 1 else "joint"
        self.answers.setdefault("joint", (None, 0.5, "both plausible"))
        self.calls.append(i)
        pick, conf, reason = self.answers[i]
        return Verdict(pick, conf if pick is not None else 0.5, reason)


def _two_regions():
    b = _sub(_sub(GAME, 40), 100)  # two substitutions: each region's contexts differ in the other
    return [_rec(GAME), _rec(b)], [GAME, b]


def test_contexts_that_disagree_leave_the_region_undecided():
    recs, moves = _two_regions()
    judge = ByContext(moves, {0: (0, 0.99, "illegal"), 1: (1, 0.99, "illegal")})  # each context its own reading
    reps = compare_records(recs, judge=judge)
    assert [r.moves for r in reps] == [[(41, 41)] * 2, [(101, 101)] * 2] and judge.calls == [0, 1, 0, 1, "joint"]
    for rep in reps:
        assert (rep.verdict, rep.decided_by, rep.reason, rep.judge_choice) == (None, "undecided",
                                                                                "contexts disagree", None)
        assert rep.contexts == [(0, 0, 0.99, "illegal"), (1, 1, 0.99, "illegal")]
        assert rep.joint == (41, 101, None, 0.5, "both plausible")  # asked together: undecided too
    # asked in the first record's context only (as before), the same judge decides for it
    [rep, _] = compare_records(recs, judge=ByContext(moves, judge.answers), first_context_only=True)
    assert (rep.verdict, rep.decided_by, rep.confidence) == (0, "illegal", 0.99)


def test_contexts_that_agree_decide_with_the_lower_confidence():
    recs, moves = _two_regions()
    reps = compare_records(recs, judge=ByContext(moves, {0: (1, 0.99, "illegal"), 1: (1, 0.9, "model")}))
    for rep in reps:
        assert (rep.verdict, rep.confidence, rep.decided_by, rep.reason) == (1, 0.9, "judge", "model")
        assert rep.contexts == [(0, 1, 0.99, "illegal"), (1, 1, 0.9, "model")]
    [rep, _] = compare_records(recs, judge=ByContext(moves, {0: (0, 0.99, "illegal"), 1: (0, 0.99, "fewer illegal")}))
    assert (rep.verdict, rep.confidence, rep.decided_by) == (0, 0.99, "illegal")


def test_below_the_bar_both_versions_are_plausible_and_the_leaning_is_kept():
    recs, moves = _two_regions()
    answers = {0: (1, 0.95, "model"), 1: (1, 0.7, "model")}
    [rep, _] = compare_records(recs, judge=ByContext(moves, answers))
    assert (rep.verdict, rep.decided_by, rep.reason, rep.judge_choice, rep.confidence) == (
        None, "undecided", "both plausible", 1, 0.5)
    [rep, _] = compare_records(recs, judge=ByContext(moves, answers), min_confidence=0.7)
    assert (rep.verdict, rep.confidence, rep.decided_by) == (1, 0.7, "judge")
    # coin flips that disagree are not a disagreement of firm verdicts
    [rep, _] = compare_records(recs, judge=ByContext(moves, {0: (0, 0.55, "model"), 1: (1, 0.52, "model")}))
    assert (rep.verdict, rep.reason, rep.judge_choice) == (None, "both plausible", None)
    # undecided in one context, a weak leaning in the other
    [rep, _] = compare_records(recs, judge=ByContext(moves, {0: (None, 0.5, "both plausible"), 1: (0, 0.6, "model")}))
    assert (rep.verdict, rep.reason, rep.judge_choice) == (None, "both plausible", 0)
    # undecided everywhere: the judge's own reason
    undecided = (None, 0.5, "both legal")
    [rep, _] = compare_records(recs, judge=ByContext(moves, {0: undecided, 1: undecided}))
    assert (rep.verdict, rep.reason) == (None, "both legal")
    # a firm verdict in one context, none in the other
    [rep, _] = compare_records(recs, judge=ByContext(moves, {0: (0, 0.99, "illegal"), 1: (None, 0.5, "both legal")}))
    assert (rep.verdict, rep.reason) == (None, "contexts disagree")


def test_a_context_that_reads_the_rest_alike_is_asked_once():
    judge = FakeJudge(pick=1)
    [rep] = compare_records([_rec(GAME), _rec(_sub(GAME, 40))], judge=judge)
    assert len(judge.calls) == 1 and rep.contexts == [(0, 1, 0.8, "model"), (1, 1, 0.8, "model")]


def test_a_recoloured_record_is_its_own_context_in_its_own_colours():
    b = _sub(GAME, 120)
    b = b[:90] + _flip(b[91:])  # a missing move with recolouring, then a substitution (b's move 120)
    judge = FakeJudge(pick=0)
    reps = compare_records([_rec(GAME), _rec(b)], judge=judge)
    assert [r.kind for r in reps] == ["extra_in_A", "substitution"] and len(judge.calls) == 4
    versions, spans, _ = judge.calls[3]  # the substitution in b's context
    assert versions[1] == b and spans == [(119, 120), (119, 120)]
    assert versions[0] == b[:119] + [_move(b[119].colour, GAME[120].point)] + b[120:]
    versions, spans, _ = judge.calls[1]  # the missing move in b's context: b's later colours flipped back
    assert versions[1] == b and versions[0][:91] == GAME[:91] and spans == [(90, 160), (90, 159)]


def _clash():
    """(A, B): B has X at move 41 where A has it at move 101, each other move as GAME (all legal); A's reading
    of move 101 makes B's move 41 illegal later and B's reading of move 41 makes A's move 101 illegal."""
    from gofix.repair.judge import illegal_count

    used = {m.point for m in GAME}
    for x in sorted((r, c) for r in range(SIZE) for c in range(SIZE) if (r, c) not in used):
        a, b = list(GAME), list(GAME)
        a[100], b[40] = _move(GAME[100].colour, x), _move(GAME[40].colour, x)
        mixed = list(b)
        mixed[100] = a[100]
        if illegal_count(SIZE, a) == illegal_count(SIZE, b) == 0 and illegal_count(SIZE, mixed) > 0:
            return a, b
    raise AssertionError("no point for the clash")


def test_the_rules_verdict_that_is_an_artifact_of_the_first_context_is_not_taken():
    a, b = _clash()
    recs = [_rec(a), _rec(b)]
    old = compare_records(recs, judge=Judge(rules_only=True), first_context_only=True)
    assert [(r.verdict, r.decided_by) for r in old] == [(0, "illegal"), (None, "undecided")]
    reps = compare_records(recs, judge=Judge(rules_only=True))
    assert [(r.verdict, r.reason) for r in reps] == [(None, "contexts disagree")] * 2
    assert [c[:2] for c in reps[0].contexts] == [(0, 0), (1, None)]
    assert [c[:2] for c in reps[1].contexts] == [(0, None), (1, 1)]


def test_cli_min_confidence_and_the_contexts_shown(tmp_path):
    a, b = _clash()
    fa, fb = _write(tmp_path / "a.sgf", a), _write(tmp_path / "b.sgf", b)
    res = runner.invoke(app, ["compare", fa, fb, "--rules-only", "--no-diagrams"], terminal_width=200)
    assert res.exit_code == 1 and res.stdout.count("undecided (contexts disagree: in [0]'s context") == 2
    assert "in [1]'s context neither (both legal, 0.50)" in res.stdout
    c = _write(tmp_path / "c.sgf", _sub(GAME, 40))
    g = _write(tmp_path / "g.sgf", GAME)
    with_patch = pytest.MonkeyPatch.context()
    with with_patch as mp:
        mp.setattr("gofix.repair.judge.LazyJudge.choose", lambda self, *a, **k: Verdict(1, 0.85, "model"))
        res = runner.invoke(app, ["compare", g, c, "--json"])
        assert json.loads(res.stdout)["verdict"] == 1
        res = runner.invoke(app, ["compare", g, c, "--min-confidence", "0.9"], terminal_width=200)
        assert "undecided (both plausible; the judge leans to [1], confidence 0.85)" in res.stdout
        res = runner.invoke(app, ["compare", g, c, "--json", "--min-confidence", "0.9"])
        assert json.loads(res.stdout)["verdict"] is None
    assert "--min-confidence" in runner.invoke(app, ["reconcile", "--help"]).stdout


def _exchange():
    """(A, B, k): B has A's moves k + 1 and k + 7 (same colour) exchanged, which align reads as two
    substitutions; A is legal, B makes a later move illegal, and each mixed reading plays a point twice."""
    from gofix.repair.judge import illegal_count

    for k in range(10, len(GAME) - 6):
        b = list(GAME)
        b[k], b[k + 6] = GAME[k + 6], GAME[k]
        if illegal_count(SIZE, b) > 0:
            return list(GAME), b, k
    raise AssertionError("no exchange that clashes")


def test_interacting_regions_whose_contexts_disagree_are_judged_jointly():
    a, b, k = _exchange()
    judge = Judge(rules_only=True)
    reps = compare_records([_rec(a), _rec(b)], judge=judge)
    assert [(r.kind, r.moves) for r in reps] == [("substitution", [(k + 1, k + 1)] * 2),
                                                 ("substitution", [(k + 7, k + 7)] * 2)]
    for rep in reps:  # A's context takes A (B's reading plays a point twice), B's context does not ...
        assert rep.contexts[0][:2] == (0, 0) and rep.contexts[1][0] == 1 and rep.contexts[1][1] != 0
        # ... but A against B as a whole: B makes a move illegal
        assert (rep.verdict, rep.decided_by, rep.reason, rep.confidence) == (0, "illegal", "illegal", 0.99)
        assert rep.joint == (k + 1, k + 7, 0, 0.99, "illegal")
    reps = compare_records([_rec(b), _rec(a)], judge=judge)
    assert [(r.verdict, r.joint) for r in reps] == [(1, (k + 1, k + 7, 1, 0.99, "illegal"))] * 2
    # asked in the first record's context only: as before, no joint question
    reps = compare_records([_rec(a), _rec(b)], judge=judge, first_context_only=True)
    assert [(r.verdict, r.joint) for r in reps] == [(0, None), (0, None)]


def test_the_joint_question_is_the_first_record_against_the_second_over_the_whole_run():
    a, b, k = _exchange()

    class Joint(FakeJudge):  # per region, each context its own reading; the whole run: ``pick``
        def choose(self, size, versions, spans, **setup):
            check_versions(versions, spans)
            self.calls.append((versions, spans, setup))
            if spans[0][1] - spans[0][0] > 1:
                return Verdict(self.pick, self.conf, self.reason)
            return Verdict(0 if versions[0] == a else 1, 0.99, "illegal")

    judge = Joint(pick=1)
    judge.conf = 0.9
    reps = compare_records([_rec(a), _rec(b)], judge=judge)
    versions, spans, _ = judge.calls[-1]
    assert versions == [a, b] and spans == [(k, k + 7), (k, k + 7)]
    assert [(r.verdict, r.decided_by, r.reason, r.confidence) for r in reps] == [(1, "judge", "model", 0.9)] * 2
    judge.conf = 0.7  # below the bar: undecided, the joint verdict kept
    reps = compare_records([_rec(a), _rec(b)], judge=judge)
    assert [(r.verdict, r.reason, r.joint) for r in reps] == [(None, "contexts disagree",
                                                                (k + 1, k + 7, 1, 0.7, "model"))] * 2


def test_a_region_outside_the_disagreeing_run_is_not_asked_with_it():
    a, b, k = _exchange()
    b = _sub(b, 20)  # a third region far before the pair
    reps = compare_records([_rec(a), _rec(b)], judge=Judge(rules_only=True))
    assert [r.joint for r in reps] == [None] + [(k + 1, k + 7, 0, 0.99, "illegal")] * 2
    assert reps[0].reason == "both legal"


class ByRegion:
    """A fake judge: ``answers[(start, i)]`` = (pick, confidence, reason) for the region starting at move index
    ``start`` read in record i's context; ``answers['joint']`` for a question spanning more than one move."""

    def __init__(self, records, answers):
        self.records, self.answers, self.calls = [list(r) for r in records], answers, []

    def choose(self, size, versions, spans, **setup):
        check_versions(versions, spans)
        key = "joint" if spans[0][1] - spans[0][0] > 1 else (spans[0][0], self.records.index(
            next(v for v in versions if v in self.records)))
        self.calls.append((key, spans))
        pick, conf, reason = self.answers[key]
        return Verdict(pick, conf if pick is not None else 0.5, reason)


def test_a_lone_disagreeing_region_is_judged_with_its_nearest_neighbours():
    b = _sub(_sub(_sub(GAME, 40), 48), 100)  # regions at moves 41, 49 and 101
    recs = [_rec(GAME), _rec(b)]
    plausible = (None, 0.5, "both plausible")
    answers = {(40, 0): plausible, (40, 1): plausible, (48, 0): (0, 0.99, "illegal"), (48, 1): (1, 0.99, "illegal"),
               (100, 0): plausible, (100, 1): plausible, "joint": (1, 0.9, "model")}
    judge = ByRegion([GAME, b], answers)
    reps = compare_records(recs, judge=judge)
    assert judge.calls[-1] == ("joint", [(40, 49), (40, 49)])  # 41 lies within JOINT_GAP moves, 101 does not
    assert [(r.verdict, r.reason, r.joint) for r in reps] == [(1, "model", (41, 49, 1, 0.9, "model"))] * 2 + [
        (None, "both plausible", None)]
    # no neighbour that near: the nearest one
    answers.update({(48, 0): plausible, (48, 1): plausible, (100, 0): (0, 0.99, "illegal"),
                    (100, 1): (1, 0.99, "illegal")})
    judge = ByRegion([GAME, b], answers)
    reps = compare_records(recs, judge=judge)
    assert judge.calls[-1] == ("joint", [(48, 101), (48, 101)]) and reps[0].joint is None
    assert [r.verdict for r in reps] == [None, 1, 1]
    # a joint verdict that contradicts a region decided on its own decides nothing
    answers.update({(48, 0): (0, 0.9, "model"), (48, 1): (0, 0.95, "model")})
    reps = compare_records(recs, judge=ByRegion([GAME, b], answers))
    assert [(r.verdict, r.reason) for r in reps] == [(None, "both plausible"), (0, "model"),
                                                     (None, "contexts disagree")]
    assert reps[2].joint == (49, 101, 1, 0.9, "model") and reps[1].joint is None  # decided on its own


def test_cli_shows_a_joint_verdict(tmp_path):
    a, b, k = _exchange()
    fa, fb = _write(tmp_path / "a.sgf", a), _write(tmp_path / "b.sgf", b)
    res = runner.invoke(app, ["compare", fa, fb, "--rules-only", "--no-diagrams"], terminal_width=200)
    assert res.exit_code == 1
    assert res.stdout.count(f"confidence 0.99, judged with its neighbours (moves {k + 1}-{k + 7} of [0])") == 2
    a, b = _clash()
    fa, fb = _write(tmp_path / "a.sgf", a), _write(tmp_path / "b.sgf", b)
    res = runner.invoke(app, ["compare", fa, fb, "--rules-only", "--no-diagrams"], terminal_width=200)
    assert " ".join(res.stdout.split()).count("with its neighbours, moves 41-101 of [0], neither (both legal, 0.50))") == 2


def test_a_majority_verdict_is_the_repair_of_the_first_record():
    """Two records against one: [0]'s version loses, and the repair of [0] is an ``edits.Repair``
    (the move at the majority's point, in words, decided by the majority) (issue 20.5)."""
    odd = _sub(GAME, 40)
    recs = [GameRecord(f"{n}.sgf", 0, SIZE, Node(), moves=list(m)) for n, m in (("a", odd), ("b", GAME), ("c", GAME))]
    (rep,) = compare_records(recs, judge=None)
    assert rep.verdict == 1 and rep.decided_by == "majority"
    fix = rep.repair(recs)
    d = fix.to_dict()
    assert d["kind"] == "replace" and d["moves"] == [41] and d["decided_by"] == "majority"
    assert d["from"] == [to_sgf(odd[40].point, SIZE)] and d["to_gtp"] == [to_gtp(GAME[40].point, SIZE)]
    assert d["description"] == (f"{GAME[40].colour.upper()} 41 at {to_gtp(odd[40].point, SIZE)} -> "
                                f"{to_gtp(GAME[40].point, SIZE)} (a move at another point)")
    assert rep.to_dict(["a", "b", "c"], recs)["repair"] == d
    assert compare_records(recs[1:] + recs[:1], judge=None)[0].repair(recs[1:] + recs[:1]) is None
