"""What the command line asks of the library, in the library: the training runs' one options check, fix's
file names, the lazy judge, the engine choice, eval's cases and the review page's refusals."""

from __future__ import annotations

import pytest

from gofix.formats.paths import backup_name, in_place_target
from gofix.engine import locate
from gofix.evaluate import eval as ev
from gofix.repair.judge import LazyJudge
from gofix.repair.pretrained import trust_note
from gofix.review.runs import PageError, check_page, review_kept

SGF = b"(;GM[1]FF[4]SZ[19];B[pd];W[dp])"
GIB = b"\\HS\n\\[GAMEBLACKNAME=a\\]\n\\HE\n"


def test_plan_splits_all_and_checks_the_options_together():
    from gofix.train.loop import TrainConfig, parse_args, plan

    runs = plan(TrainConfig(model="all", out_dir="runs/x"), "2m")
    assert [(c.model, c.out_dir, c.time_budget_s) for c in runs] == [("birnn", "runs/x/birnn", 60.0),
                                                                    ("seq2seq", "runs/x/seq2seq", 60.0)]
    assert plan(TrainConfig(time_budget_s=9.0)) == [TrainConfig(time_budget_s=9.0)]
    for cfg, said in ((TrainConfig(model="x"), "model must be birnn, seq2seq or all"),
                      (TrainConfig(model="seq2seq", causal=True), "--causal is the tagger's ablation"),
                      (TrainConfig(model="all", init_from="a.pt"), "--init-from names one model's checkpoint"),
                      (TrainConfig(mix="nope"), "unknown error mix 'nope'; known: default, real"),
                      (TrainConfig(pipeline="gpu"), "pipeline must be cpu or tensor"),
                      (TrainConfig(model="seq2seq", pipeline="tensor"), "--pipeline tensor feeds the tagger")):
        with pytest.raises(ValueError, match=said):
            plan(cfg)
    with pytest.raises(ValueError, match="time budget '5q' is not like 30m, 2h or 900"):
        plan(TrainConfig(), "5q")
    with pytest.raises(SystemExit) as exc:  # python -m gofix.train.loop refuses the same
        parse_args(["--model", "seq2seq", "--causal"])
    assert exc.value.code == 2


def test_fix_in_place_names(tmp_path):
    src = tmp_path / "g.sgf"
    src.write_bytes(SGF)
    assert in_place_target(src, SGF) == src
    gib = tmp_path / "g.gib"
    gib.write_bytes(GIB)
    assert in_place_target(gib, GIB) == tmp_path / "g.gib.sgf"  # never written to
    assert backup_name(src) == tmp_path / "g.sgf.bak"
    (tmp_path / "g.sgf.bak").write_bytes(b"")
    (tmp_path / "g.sgf.bak1").write_bytes(b"")
    assert backup_name(src) == tmp_path / "g.sgf.bak2"


def test_the_lazy_judge_is_made_on_the_first_question():
    made = []

    class Judge:
        def choose(self, *args, **kwargs):
            return args

    def make():
        made.append(1)
        return Judge()

    judge = LazyJudge(make, threads=False)
    assert made == []
    assert judge.choose(19, [[], []], [(0, 0), (0, 0)]) == (19, [[], []], [(0, 0), (0, 0)])
    judge.choose(19, [[], []], [(0, 0), (0, 0)])
    assert made == [1]


def test_the_engine_choice(monkeypatch):
    monkeypatch.setattr(locate, "find_network", lambda explicit=None: None)
    assert locate.judge_network("none") is None and locate.judge_network("auto") is None
    assert locate.judge_network("AUTO") is None
    with pytest.raises(locate.EngineChoiceError, match="--engine bogus: choose auto, katago or none"):
        locate.judge_network("bogus")
    with pytest.raises(locate.EngineChoiceError, match="--engine katago: no KataGo network found"):
        locate.judge_network("katago")


def test_eval_cases_checks_the_split_and_finds_a_corrupt_folder(tmp_path):
    with pytest.raises(ValueError, match="split must be train, val, test or all, not 'x'"):
        ev.eval_cases(tmp_path, split="x")
    with pytest.raises(ValueError, match="unknown error mix"):
        ev.eval_cases(tmp_path, mix="nope")
    (tmp_path / "truth.jsonl").write_text("")
    cases, source = ev.eval_cases(tmp_path, mix="nope")  # a corrupt folder has its own errors
    assert source == f"{tmp_path} (truth.jsonl)" and ev.take_cases(cases, 5) == []


def test_the_review_page_refusals(tmp_path):
    page = tmp_path / "r.html"
    game = tmp_path / "g.sgf"
    game.write_bytes(SGF)
    check_page(page, [game])
    with pytest.raises(PageError, match="is an input of this run"):
        check_page(game, [f"{game}#0"])
    page.write_text("")
    with pytest.raises(PageError, match="exists: not overwritten"):
        check_page(page, [game])
    check_page(page, [game], force=True)
    link = tmp_path / "l.html"
    link.symlink_to(tmp_path / "nowhere.html")
    with pytest.raises(PageError, match="is a symbolic link"):
        check_page(link, [game], force=True)
    assert not review_kept(tmp_path) and not review_kept(tmp_path / "nothing")
    (tmp_path / "review.html").write_text("")
    assert review_kept(tmp_path) and not review_kept(tmp_path, force=True)


def test_the_trust_note_is_plain_words():
    for engine in (False, True):
        note = trust_note(None, engine)
        assert note.startswith("Repairs") and "[" not in note and note.endswith(".")
