"""The repair engine's mechanics, with a detector that knows the clean game."""

import random

import numpy as np
import pytest

from gofix.train.corrupt import KINDS
from gofix.models.encoding import EDIT_CLASSES, REPLACE_KINDS
from gofix.repair.detect import MoveScores
from gofix.record import GameRecord, Move, Node
from gofix.repair.repairer import ModelRepairer, RulesRepairer
from gofix.rules.synth import random_game

KIND_TO_EDIT = {**{k: k for k in REPLACE_KINDS}, "swap2": "swap2", "pair_order": "pair_order",
                "block_move": "block", "extra_one": "extra", "extra_pair": "extra", "colour": "colour"}


class KnowingDetector:
    """p_wrong is high for a move whose neighbours in the record are not its neighbours in the clean game."""

    threshold = 0.5

    def __init__(self, clean, kind, point=None):
        self.pairs = {((a[0], a[1]), (b[0], b[1])) for a, b in zip(clean, clean[1:])}
        self.edit = EDIT_CLASSES.index(KIND_TO_EDIT[kind])
        self.point = point

    def analyse_many(self, recs):
        out = []
        for r in recs:
            mv = [(m[0], m[1]) for m in r.moves]
            T = len(mv)
            bad = np.zeros(T)
            for j in range(T):
                left = j == 0 or (mv[j - 1], mv[j]) in self.pairs
                right = j == T - 1 or (mv[j], mv[j + 1]) in self.pairs
                bad[j] = 0.0 if left and right else (0.9 if not (left or right) else 0.6)
            ep = np.zeros((T, len(EDIT_CLASSES)))
            ep[:, 0] = 1 - bad
            ep[:, self.edit] = bad
            out.append(MoveScores(bad, ep, [self.point] * T, bad.copy()))
        return out

    def analyse(self, rec):
        return self.analyse_many([rec])[0]

    def findings_from(self, record, scores, rule_findings):
        return []


def _record(moves):
    return GameRecord("t.sgf", 0, 19, Node({"SZ": [b"19"]}), list(moves))


@pytest.mark.parametrize("kind", ["near", "two_lines", "swap2", "pair_order", "block_move", "extra_one",
                                  "extra_pair", "colour", "transpose", "mirror"])
def test_repairs_a_known_error_exactly(kind):
    for seed in range(30):
        clean = random_game(random.Random(seed), 120)
        got = KINDS[kind](clean, 19, random.Random(seed), None)
        if got is None:
            continue
        noisy, truth = got
        point = truth.undo.insert[0].point if kind in REPLACE_KINDS else None
        rep = ModelRepairer(KnowingDetector(clean, kind, point), keep_bias=0.1).repair(_record(noisy))
        assert [(m[0], m[1]) for m in rep.moves] == [(m[0], m[1]) for m in clean], (kind, seed, rep.edits)
        assert len(rep.edits) >= 1 and all(0 <= e.confidence <= 1 for e in rep.edits)
        return
    pytest.skip(f"{kind} did not apply to the random games")


def test_clean_record_is_left_alone():
    clean = random_game(random.Random(1), 100)
    rep = ModelRepairer(KnowingDetector(clean, "near")).repair(_record(clean))
    assert rep.moves == clean and rep.edits == [] and not rep.changed


def test_threshold_blocks_unsure_repairs():
    clean = random_game(random.Random(2), 100)
    noisy, truth = KINDS["near"](clean, 19, random.Random(2), None)
    det = KnowingDetector(clean, "near", truth.undo.insert[0].point)
    rep = ModelRepairer(det, threshold=0.99).repair(_record(noisy))
    assert not rep.changed


def test_rules_repairer_reports_only():
    clean = random_game(random.Random(3), 60)
    bad = list(clean)
    bad[30] = bad[30]._replace(point=bad[5].point)
    rep = RulesRepairer().repair(_record(bad))
    assert not rep.changed and rep.moves == bad
    assert [f.kind for f in rep.findings][:1] == ["occupied"] and rep.findings[0].move == 31


# ------------------------------------------------------------------ with an encoder-decoder judging


class KnowingScorer:
    """Stands in for rescore.Seq2SeqScorer: likes versions that agree with the clean game, proposes its moves."""

    def __init__(self, clean):
        self.clean = [(m[0], m[1]) for m in clean]

    def source(self, record):
        return object()

    def _score(self, moves):
        mv = [(m[0], m[1]) for m in moves]
        return -5.0 * (sum(a != b for a, b in zip(mv, self.clean)) + abs(len(mv) - len(self.clean)))

    def compare(self, src, moves, edits):
        from gofix.edits import apply_edit

        return self._score(moves), np.array([self._score(apply_edit(moves, e)) for e in edits])

    def next_moves(self, src, moves, at, k=4):
        return [(Move(*self.clean[at], ""), -0.1)] if at < len(self.clean) else []


class GapDetector(KnowingDetector):
    """Flags like KnowingDetector, with 'a move is missing' as the edit."""

    def __init__(self, clean):
        super().__init__(clean, "near")
        self.edit = EDIT_CLASSES.index("missing_before")

    def analyse_many(self, recs):
        out = super().analyse_many(recs)
        for s in out:
            s.edit_probs[:, EDIT_CLASSES.index("missing_after")] = s.p_wrong * 0.9
        return out


def _gap_case(kind):
    """A random game and a copy with ``kind`` (a missing-move kind) applied at move 60."""
    for seed in range(30):
        clean = random_game(random.Random(seed), 120)
        got = KINDS[kind](clean, 19, random.Random(seed), 60)
        if got is not None:
            return clean, got[0]
    pytest.skip(f"{kind} did not apply to the random games")


@pytest.mark.parametrize("kind", ["drop_one", "drop_one_recolour", "drop_pair"])
def test_scorer_restores_missing_moves(kind):
    clean, noisy = _gap_case(kind)
    rep = ModelRepairer(GapDetector(clean), scorer=KnowingScorer(clean), judge="seq2seq").repair(_record(noisy))
    assert [(m[0], m[1]) for m in rep.moves] == [(m[0], m[1]) for m in clean], (kind, rep.edits)
    assert rep.edits[0].kind == "insert" and 0.5 <= rep.edits[0].confidence <= 1


def test_scorer_proposes_the_replacement_point():
    """The tagger's point head knows nothing here (point None): the scorer's own proposal repairs the move."""
    for seed in range(30):
        clean = random_game(random.Random(seed), 120)
        got = KINDS["digit"](clean, 19, random.Random(seed), None)
        if got is None:
            continue
        noisy, _ = got
        rep = ModelRepairer(KnowingDetector(clean, "near", None), scorer=KnowingScorer(clean),
                            judge="seq2seq").repair(_record(noisy))
        assert [(m[0], m[1]) for m in rep.moves] == [(m[0], m[1]) for m in clean]
        return
    pytest.skip("no digit error applied")


def test_scorer_keeps_a_clean_record_and_respects_the_threshold():
    clean = random_game(random.Random(4), 100)
    rep = ModelRepairer(KnowingDetector(clean, "near"), scorer=KnowingScorer(clean)).repair(_record(clean))
    assert not rep.changed

    class Unsure(KnowingScorer):  # prefers the repair by a hair only
        def compare(self, src, moves, edits):
            base, cand = super().compare(src, moves, edits)
            return base, np.minimum(cand, base + 0.6)

    noisy, truth = KINDS["near"](clean, 19, random.Random(4), None)
    det = KnowingDetector(clean, "near", truth.undo.insert[0].point)
    assert ModelRepairer(det, scorer=KnowingScorer(clean), judge="seq2seq").repair(_record(noisy)).changed
    assert not ModelRepairer(det, scorer=Unsure(clean), threshold=0.9, judge="seq2seq").repair(_record(noisy)).changed
    # both judges: the tagger's gain and the scorer's add up
    assert ModelRepairer(det, scorer=Unsure(clean), judge="both", keep_bias=0.1).repair(_record(noisy)).changed
    with pytest.raises(ValueError):
        ModelRepairer(det, judge="oracle")


# ------------------------------------------------------------------ the rules point, check shows the repair


class BlindDetector(KnowingDetector):
    """Suspects nothing (p_wrong 0 everywhere) but knows where a misplaced stone belongs."""

    def analyse_many(self, recs):
        out = super().analyse_many(recs)
        for sc in out:
            sc.p_wrong[:] = 0.0
        return out


def _occupied_case():
    """A clean game and a copy whose move 60 was typed onto an occupied point next to where it belongs."""
    for seed in range(50):
        clean = random_game(random.Random(seed), 100)
        i = 60
        r, c = clean[i].point
        board = {m.point for m in clean[:i]}
        for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
            q = (r + dr, c + dc)
            if q in board:
                noisy = list(clean)
                noisy[i] = clean[i]._replace(point=q)
                return clean, noisy, i
    raise AssertionError("no game with an occupied neighbour")


def test_the_rules_point_at_an_illegal_move_and_the_repair_makes_it_legal():
    clean, noisy, i = _occupied_case()
    det = BlindDetector(clean, "near", clean[i].point)
    rep = ModelRepairer(det).repair(_record(noisy))
    assert [(m[0], m[1]) for m in rep.moves] == [(m[0], m[1]) for m in clean], rep.edits
    assert rep.edits[0].moves == (i + 1,)
    # without the bonus for making the record legal, a detector that sees nothing repairs nothing
    assert not ModelRepairer(det, legal_bonus=0.0).repair(_record(noisy)).changed


def test_rule_threshold_sets_the_bar_for_moves_only_the_rules_point_at():
    clean, noisy, i = _occupied_case()
    det = BlindDetector(clean, "near", clean[i].point)  # the tagger suspects nothing: only the rules point
    conf = ModelRepairer(det).repair(_record(noisy)).edits[0].confidence
    assert ModelRepairer(det, rule_threshold=conf - 0.01).repair(_record(noisy)).changed
    assert not ModelRepairer(det, rule_threshold=conf + 0.01).repair(_record(noisy)).changed
    # a move the tagger flags keeps the general threshold, whatever the rules' bar
    seen = KnowingDetector(clean, "near", clean[i].point)
    assert ModelRepairer(seen, rule_threshold=0.999).repair(_record(noisy)).changed


def test_check_reports_the_repair_fix_would_make():
    from gofix.repair.check import check_record
    from gofix.coords import to_gtp

    clean, noisy, i = _occupied_case()
    rec = _record(noisy)
    report = check_record(rec, repairer=ModelRepairer(BlindDetector(clean, "near", clean[i].point)))
    f = next(f for f in report.findings if f.move == i + 1)
    d = f.repair.to_dict()
    assert f.kind == "occupied" and d["to_gtp"] == [to_gtp(clean[i].point, 19)] and f.repair_point == clean[i].point
    assert d["kind"] == "replace" and d["moves"] == [i + 1] and 0 < d["confidence"] <= 1
    assert to_gtp(clean[i].point, 19) in f.repair.describe() and "(0." not in f.repair.describe()
    # a clean record gives a clean report
    assert check_record(_record(clean), repairer=ModelRepairer(BlindDetector(clean, "near"))).status == "clean"


def test_later_edits_are_numbered_as_the_record_was_read():
    """An extra move deleted at 31 shifts the rest; the second repair still names its move as read."""
    from gofix.repair.check import check_record

    for seed in range(40):
        clean = random_game(random.Random(seed), 120)
        r, c = clean[80].point
        board = {m.point for m in clean}
        q = next(((r + dr, c + dc) for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0))
                  if 0 <= r + dr < 19 and 0 <= c + dc < 19 and (r + dr, c + dc) not in board), None)
        extra = next((p for p in ((0, 0), (18, 18), (0, 18), (18, 0)) if p not in board), None)
        if q is None or extra is None:
            continue
        noisy = list(clean)
        noisy[80] = clean[80]._replace(point=q)
        noisy.insert(30, Move(clean[30].colour, extra, ""))
        noisy[31:] = [m._replace(colour="w" if m.colour == "b" else "b") for m in noisy[31:]]

        class Both(KnowingDetector):
            def analyse_many(self, recs):
                out = super().analyse_many(recs)
                for sc in out:
                    sc.edit_probs[:, EDIT_CLASSES.index("extra")] = sc.p_wrong * 0.9
                return out

        rep = ModelRepairer(Both(clean, "near", clean[80].point), keep_bias=0.1).repair(_record(noisy))
        if [(m[0], m[1]) for m in rep.moves] != [(m[0], m[1]) for m in clean]:
            continue
        by_kind = {e.kind: e for e in rep.edits}
        assert by_kind["replace"].moves == (82,) and "82" in by_kind["replace"].description
        assert by_kind["delete"].moves == (31,)
        report = check_record(_record(noisy), repairer=ModelRepairer(Both(clean, "near", clean[80].point),
                                                                     keep_bias=0.1))
        assert any(f.move == 82 and f.repair and "82" in f.repair.describe() for f in report.findings)
        return
    pytest.skip("no game where both errors were repaired")


def test_a_foul_as_the_last_move_is_left_as_played():
    clean = random_game(random.Random(11), 80)
    board = {m.point for m in clean}
    spare = next(p for p in ((0, 0), (18, 18), (0, 18), (18, 0), (9, 0)) if p not in board)
    fouled = clean + [Move(clean[-1].colour, spare, "")]  # the same player twice: a 'turn' foul, last
    det = BlindDetector(fouled, "colour")
    rep = ModelRepairer(det).repair(_record(fouled))
    assert [f.kind for f in rep.findings] == ["turn"] and not rep.changed
    # the same foul in the middle is evidence the repair engine acts on
    extended = fouled + [Move("w" if fouled[-1].colour == "b" else "b", None, "")]
    rep = ModelRepairer(det)
    assert rep._ruled(extended, rep._classes(_record(extended), extended)) == [80]


def test_the_smallest_edit_wins_a_tie():
    """A wrong colour makes two moves illegal; flipping it and deleting two moves both make the record
    legal again. With nothing else to tell them apart, the edit that keeps every move wins."""
    clean = random_game(random.Random(12), 100)
    noisy = list(clean)
    noisy[50] = clean[50]._replace(colour="w" if clean[50].colour == "b" else "b")

    class ColourOrExtra(BlindDetector):
        def analyse_many(self, recs):
            out = super().analyse_many(recs)
            for sc in out:
                sc.edit_probs[:, :] = 0.0
                sc.edit_probs[:, EDIT_CLASSES.index("extra")] = 0.6  # the deletions come first
                sc.edit_probs[:, EDIT_CLASSES.index("colour")] = 0.4
            return out

    rep = ModelRepairer(ColourOrExtra(clean, "colour")).repair(_record(noisy))
    assert [(m[0], m[1]) for m in rep.moves] == [(m[0], m[1]) for m in clean], rep.edits
    assert [e.kind for e in rep.edits] == ["colour"]
    rep = ModelRepairer(ColourOrExtra(clean, "colour"), edit_cost=0.0).repair(_record(noisy))
    assert rep.edits[0].kind == "delete"  # without the cost, the first of the tied candidates


# ------------------------------------------------------------------ the point head's say, moves just below the flag


class TornDetector:
    """Suspects move ``i`` (``p``); its point head ranks ``true`` far above ``decoy``, yet the surprise
    judge likes ``decoy`` a little better (move i still reads 0.2 wrong at ``true``, 0 at ``decoy``)."""

    threshold = 0.5

    def __init__(self, i, true, decoy, p=0.9):
        self.i, self.true, self.decoy, self.p = i, true, decoy, p

    def analyse_many(self, recs):
        out = []
        for r in recs:
            T = len(r.moves)
            pw = np.zeros(T)
            if T > self.i and r.moves[self.i].point not in (self.true, self.decoy):
                pw[self.i] = self.p  # the stone at move i is misplaced (windows start at move 0 here)
            for j, m in enumerate(r.moves):
                if m.point == self.true:
                    pw[j] = 0.2
            ep = np.zeros((T, len(EDIT_CLASSES)))
            ep[:, 0] = 1 - pw
            ep[:, EDIT_CLASSES.index("near")] = pw
            tops = [[self.true, self.decoy]] * T
            out.append(MoveScores(pw, ep, [self.true] * T, np.full(T, 0.8), top_points=tops,
                                  top_probs=[[0.8, 0.05]] * T))
        return out

    def analyse(self, rec):
        return self.analyse_many([rec])[0]

    def findings_from(self, record, scores, rule_findings):
        return []


def _torn_case():
    clean = random_game(random.Random(4), 40)
    i = 20
    r, c = clean[i].point
    taken = {m.point for m in clean}
    near = [(r + dr, c + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) != (0, 0)]
    free = [q for q in near if q not in taken and 0 <= q[0] < 19 and 0 <= q[1] < 19]
    noisy = list(clean)
    noisy[i] = clean[i]._replace(point=free[0])
    return clean, noisy, i, free[1]


def test_the_point_heads_ranking_decides_between_points():
    clean, noisy, i, decoy = _torn_case()
    det = TornDetector(i, clean[i].point, decoy)
    rep = ModelRepairer(det, keep_bias=0.1, context=40, point_weight=0.0).repair(_record(noisy))
    assert rep.moves[i].point == decoy  # the surprise judge alone takes the decoy
    rep = ModelRepairer(det, keep_bias=0.1, context=40, point_weight=0.5).repair(_record(noisy))
    assert [(m[0], m[1]) for m in rep.moves] == [(m[0], m[1]) for m in clean], rep.edits


def test_a_move_below_the_flag_is_repaired_only_when_sure():
    clean, noisy, i, decoy = _torn_case()
    det = TornDetector(i, clean[i].point, decoy, p=0.6)  # under the flag threshold (0.75)
    assert not ModelRepairer(det, flag_threshold=0.75, point_weight=0.5).repair(_record(noisy)).changed
    sure = ModelRepairer(det, flag_threshold=0.75, point_weight=0.5, low_flag=0.4, low_threshold=0.3)
    assert [(m[0], m[1]) for m in sure.repair(_record(noisy)).moves] == [(m[0], m[1]) for m in clean]
    unsure = ModelRepairer(det, flag_threshold=0.75, point_weight=0.5, low_flag=0.4, low_threshold=0.99)
    assert not unsure.repair(_record(noisy)).changed


# ------------------------------------------------------------------ a missing move found without the encoder-decoder


@pytest.mark.parametrize("kind", ["drop_one", "drop_one_recolour"])
def test_the_tagger_alone_restores_a_missing_move(kind):
    """No scorer: the engine tries every empty point near the gap (here the whole board, the random
    games are not local) in the colour the gap implies, and the tagger's judgement picks the point."""
    clean, noisy = _gap_case(kind)
    rep = ModelRepairer(GapDetector(clean), gap_radius=18).repair(_record(noisy))
    assert [(m[0], m[1]) for m in rep.moves] == [(m[0], m[1]) for m in clean], (kind, rep.edits)
    assert [e.kind for e in rep.edits] == ["insert"] and rep.edits[0].edit.recolour == (kind == "drop_one_recolour")
    # switched off, the same record gets no insertion
    off = ModelRepairer(GapDetector(clean), gap_radius=None).repair(_record(noisy))
    assert all(e.kind != "insert" for e in off.edits)


@pytest.mark.parametrize("recolour", [False, True])
def test_gap_candidates_are_the_empty_points_near_the_gap_in_the_implied_colour(recolour):
    from gofix.rules.board import replay

    clean = random_game(random.Random(21), 90)
    g = 50
    if recolour:  # alternation kept: the move missing at g has g's recorded colour, the rest flip back
        noisy = clean[:g] + [m._replace(colour="w" if m.colour == "b" else "b") for m in clean[g + 1:]]
    else:  # colours kept: two moves of one colour meet at the gap
        noisy = clean[:g] + clean[g + 1:]
    rec = _record(noisy)
    rep = ModelRepairer(GapDetector(clean), gap_radius=2)
    cands = rep._gap_inserts(rec, noisy, g)
    black, white = replay(19, noisy[:g]).board.stones()
    taken = set(black) | set(white)
    centres = [noisy[j].point for j in range(g - 2, g + 2)]
    expect = {(r, c) for r in range(19) for c in range(19) if (r, c) not in taken
              and any(max(abs(r - a), abs(c - b)) <= 2 for a, b in centres)}
    assert {c.edit.insert[0].point for c in cands} == expect and len(cands) == len(expect)
    colour = noisy[g].colour if recolour else ("w" if noisy[g].colour == "b" else "b")
    assert {(c.kind, c.edit.start, c.edit.delete, len(c.edit.insert), c.edit.recolour, c.edit.insert[0].colour)
            for c in cands} == {("insert", g, 0, 1, recolour, colour)}
    assert rep._gap_inserts(rec, noisy, 0) == [] and rep._gap_inserts(rec, noisy, len(noisy)) == []


def test_check_shows_where_the_missing_move_goes_and_its_colour():
    from gofix.repair.check import check_record

    clean, noisy = _gap_case("drop_one")
    gap = next(k for k, (a, b) in enumerate(zip(noisy, clean)) if (a[0], a[1]) != (b[0], b[1]))
    report = check_record(_record(noisy), repairer=ModelRepairer(GapDetector(clean), gap_radius=18))
    f = next(f for f in report.findings if f.repair and "inserted" in f.repair.describe())
    assert f.move == gap + 1 and f.repair_point == clean[gap].point and f.repair_colour == clean[gap].colour
    assert f.repair_colour != noisy[gap].colour  # two moves of one colour met at the gap


@pytest.mark.parametrize("kind, moves, move, answered", [
    ("replace", (57,), 57, True),  # the move it changes
    ("replace", (57,), 58, False),
    ("replace", (57,), 56, False),
    ("swap2", (40, 42), 41, False),  # the middle move of an i/i+2 exchange stays as it was
    ("swap2", (40, 42), 42, True),
    ("insert", (69,), 69, True),  # inserted right before the flagged move
    ("insert", (69,), 68, True),  # ... right after it: the flagged move's "missing move after"
    ("insert", (69,), 67, False),
    ("insert", (69,), 70, False),
    ("insert", (69, 70), 68, True),  # a missing pair before move 69
    ("insert", (), 90, False),  # after the last move: no number to place it by
    ("delete", (30,), 30, True),  # the move it deletes
    ("delete", (30,), 29, False),  # a deletion answers only what it deletes
    ("delete", (30,), 31, False),
    ("colour", (12,), 12, True),
])
def test_an_edit_answers_the_findings_it_touches_or_inserts_beside(kind, moves, move, answered):
    from gofix.findings import answers

    assert answers(kind, moves, move) is answered


def _applied_insert(before: int, colour: str = "w", point=(3, 3)):
    from gofix.edits import Edit
    from gofix.repair.repairer import AppliedEdit

    return AppliedEdit("insert", (before,), 0.9, f"{colour.upper()} D4 inserted before move {before} (missing move)",
                       Edit(before - 1, 0, (Move(colour, point, ""),)))


def test_check_puts_an_insert_after_the_flagged_move_on_its_finding():
    """A finding at move 68 answered by an insert before move 69 shows that repair; no suspect is
    made up at move 69 for it."""
    from gofix.findings import Finding, attach_repairs

    moves = random_game(random.Random(8), 90)
    rec = _record(moves)
    findings = attach_repairs([Finding(68, moves[67].colour.upper(), moves[67].sgf, "suspect", 0.8),
                               Finding(40, moves[39].colour.upper(), moves[39].sgf, "suspect", 0.7)],
                              [_applied_insert(69)], rec)
    assert [f.move for f in findings] == [68, 40]
    assert findings[0].repair.describe() == "W D4 inserted before move 69 (missing move)"
    assert findings[0].repair.to_dict()["confidence"] == 0.9
    assert findings[1].repair is None


def test_not_repaired_leaves_out_what_an_edit_answers_or_made_legal():
    from gofix.findings import not_repaired

    def finding(n, kind="suspect"):
        return {"move": n, "colour": "B", "point": "dd", "kind": kind, "confidence": 0.8, "repair": None}

    line = {"findings": [finding(40), finding(57), finding(68), finding(80, "occupied")],
            "edits": [_applied_insert(69).to_dict(), {"kind": "replace", "moves": [57], "confidence": 0.9,
                                                     "description": "B 57 at D4 -> D5"}],
            "caused": [80]}
    assert [f["move"] for f in not_repaired(line)] == [40]
    assert [f["move"] for f in not_repaired({**line, "caused": []})] == [40, 80]
    assert [f["move"] for f in not_repaired({"findings": [finding(9)], "edits": []})] == [9]
    # a game not written repaired (its file has an unreadable game): nothing was repaired
    assert [f["move"] for f in not_repaired({**line, "changed": False})] == [40, 57, 68, 80]
