import random

import pytest

from gofix.train.corrupt import Channel, undo_all
from gofix.evaluate.eval import Case, Output, RulesOnly, f_beta, markdown, run_system, score
from gofix.rules.synth import random_game


def _cases(n=12, errors=1, clean_share=0.5, seed=3, weights=None):
    rng = random.Random(seed)
    ch = Channel(errors_per_game=errors, clean_share=clean_share, **({"weights": weights} if weights else {}))
    cases = []
    for k in range(n):
        clean = random_game(random.Random(seed * 1000 + k), 90, 9 if k % 2 else 13)
        size = 9 if k % 2 else 13
        noisy, truths = ch.corrupt(clean, size, rng)
        cases.append(Case(f"g{k}", size, clean, noisy, truths))
    return cases


class Oracle:
    name = "oracle"

    def run(self, case):
        flags = [(p, 0.9) for t in case.truths for p in t.positions]
        return Output(flags, undo_all(case.noisy, case.truths))


class Silent:
    name = "silent"

    def run(self, case):
        return Output([], list(case.noisy))


class FlagsEverything:
    name = "everything"

    def run(self, case):
        return Output([(i, 1.0) for i in range(len(case.noisy))], None)


def test_oracle_scores_perfectly():
    cases = _cases()
    assert any(c.corrupted for c in cases) and any(not c.corrupted for c in cases)
    outs, secs = run_system(Oracle(), cases)
    s = score("oracle", cases, outs, seconds=secs)
    assert s.precision == 1.0 and s.recall == 1.0 and s.f05 == pytest.approx(1.0)
    assert s.top_flag_hit == 1.0
    assert s.repaired_exactly == 1.0
    assert s.changed_games == s.corrupted_games and s.changes_right == 1.0
    assert s.clean_untouched == 1.0 and s.false_flags_per_100_clean == 0.0
    assert all(d["recall"] == 1.0 for d in s.by_kind.values())
    assert s.errors == sum(len(c.truths) for c in cases)


def test_silent_system_has_zero_recall_and_leaves_clean_games_alone():
    cases = _cases()
    s = score("silent", cases, run_system(Silent(), cases)[0])
    assert s.recall == 0.0 and s.flags == 0 and s.precision == 0.0 and s.f05 == 0.0
    assert s.repaired_exactly == 0.0
    assert s.changed_games == 0 and s.changes_right == 1.0
    assert s.clean_untouched == 1.0


def test_changes_right_counts_every_change_wrong_but_the_exact_ones():
    """A system that restores half the corrupted games, botches the rest and changes one clean
    game: changes right = exact repairs / all games it changed."""
    cases = _cases(n=16)
    corrupted = [c for c in cases if c.corrupted]
    clean = [c for c in cases if not c.corrupted]
    good = {c.game_id for c in corrupted[::2]}
    touched_clean = clean[0].game_id

    class Mixed:
        name = "mixed"

        def run(self, case):
            if case.game_id in good:
                return Output([], undo_all(case.noisy, case.truths))
            if case.corrupted or case.game_id == touched_clean:
                return Output([], list(case.noisy[:-1]))  # a wrong change
            return Output([], list(case.noisy))

    s = score("mixed", cases, run_system(Mixed(), cases)[0])
    assert s.changed_games == len(corrupted) + 1
    assert s.changes_right == pytest.approx(len(good) / (len(corrupted) + 1))
    assert s.repaired_exactly == pytest.approx(len(good) / len(corrupted))
    assert "changes right" in markdown([s])


def test_flagging_everything_has_full_recall_and_low_precision():
    cases = _cases()
    s = score("all", cases, run_system(FlagsEverything(), cases)[0])
    assert s.recall == 1.0
    n_moves = sum(len(c.noisy) for c in cases)
    assert s.flags == n_moves
    window_moves = sum(len({p for t in c.truths for p in t.positions}) for c in cases)
    assert s.precision == pytest.approx(window_moves / n_moves)
    n_clean = sum(1 for c in cases if not c.corrupted)
    assert s.false_flags_per_100_clean == pytest.approx(
        100 * sum(len(c.noisy) for c in cases if not c.corrupted) / n_clean)


def test_threshold_and_margin():
    cases = [c for c in _cases(clean_share=0.0) if c.truths]
    case = cases[0]
    t = case.truths[0]
    low = Output([(t.positions[0], 0.3)], None)
    assert score("x", [case], [low], threshold=0.5).recall == 0.0
    assert score("x", [case], [low], threshold=0.2).recall == 1.0
    # a flag one move outside the window counts only with margin 1
    outside = max(t.positions) + 1
    if outside < len(case.noisy) and all(outside not in u.positions for u in case.truths):
        off = Output([(outside, 0.9)], None)
        assert score("x", [case], [off]).recall == 0.0
        assert score("x", [case], [off], margin=1).recall == 1.0


def test_rules_only_flags_exactly_the_illegal_moves():
    from gofix.rules.board import replay

    cases = _cases(n=10, clean_share=0.0, weights={"near": 1.0})
    outs = run_system(RulesOnly(), cases)[0]
    for c, o in zip(cases, outs):
        bad = [i for i, k in enumerate(replay(c.size, c.noisy).classes) if k != "ok"]
        assert [i for i, _ in o.flags] == bad
        assert o.repaired is None
    clean = _cases(n=6, clean_share=1.0)
    s = score("rules", clean, run_system(RulesOnly(), clean)[0])
    assert s.flags == 0 and s.clean_untouched == 1.0 and s.corrupted_games == 0


def test_f_beta_and_markdown():
    assert f_beta(1.0, 1.0) == pytest.approx(1.0)
    assert f_beta(0.0, 0.0) == 0.0
    assert f_beta(1.0, 0.5) == pytest.approx(1.25 * 0.5 / (0.25 + 0.5))
    cases = _cases(n=4)
    md = markdown([score("oracle", cases, run_system(Oracle(), cases)[0])], header="## test")
    assert md.startswith("## test") and "| oracle | 4 | 1.000 | 1.000 |" in md


def test_corpus_cases_reads_the_readable_games_and_corrupts_them_like_make_cases(tmp_path):
    from gofix.evaluate.eval import corpus_cases, make_cases
    from gofix.record import GameRecord
    from gofix.formats.read import iter_games

    for k in range(4):
        moves = random_game(random.Random(40 + k), 80)
        body = "".join(f";{m.colour.upper()}[{m.sgf}]" for m in moves)
        (tmp_path / f"g{k}.sgf").write_text(f"(;FF[4]GM[1]SZ[19]{body})\n")
    (tmp_path / "broken.sgf").write_text("(;FF[4]SZ[19];B[aa")
    got = list(corpus_cases(tmp_path, seed=5, split=None))
    assert len(got) == 4 and sum(c.corrupted for c in got) >= 1
    records = [g for g in iter_games(tmp_path) if isinstance(g, GameRecord)]
    want = list(make_cases(records, channel=Channel(errors_per_game=1, clean_share=0.5), seed=5, split=None))
    assert [(c.game_id, c.noisy, c.truths) for c in got] == [(c.game_id, c.noisy, c.truths) for c in want]
    assert len(list(corpus_cases(tmp_path, seed=5, split=None, limit=2))) == 2
    assert all(not c.corrupted for c in corpus_cases(tmp_path, channel=Channel(clean_share=1.0), split=None))
