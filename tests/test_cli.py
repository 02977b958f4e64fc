"""The command line, through Typer's CliRunner."""

import json
import os
import random
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofix.cli import app
from gofix.coords import to_gtp, to_sgf
from gofix.rules.synth import random_game

runner = CliRunner()


def _sgf(moves, size=19, extra=""):
    body = "".join(f";{m.colour.upper()}[{m.sgf}]" for m in moves)
    return f"(;FF[4]GM[1]SZ[{size}]{extra}{body})\n"


@pytest.fixture()
def games(tmp_path):
    """A directory with a clean game, a game with an occupied point, and a broken file."""
    clean = random_game(random.Random(1), 80)
    bad = list(random_game(random.Random(2), 80))
    bad[50] = bad[50]._replace(point=bad[10].point, sgf=bad[10].sgf)  # stone on an occupied point
    d = tmp_path / "games"
    (d / "sub").mkdir(parents=True)
    (d / "clean.sgf").write_text(_sgf(clean))
    (d / "sub" / "bad.sgf").write_text(_sgf(bad))
    (d / "broken.sgf").write_bytes(b"\x00\x01\x02 not sgf at all \xff\xfe")
    return d, clean, bad


def test_check_json_schema_and_exit_code(games):
    d, _, bad = games
    res = runner.invoke(app, ["check", str(d), "--json", "--rules-only"])
    assert res.exit_code == 1, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == 3
    keys = {"path", "game", "status", "size", "moves", "findings", "error"}
    for r in rows:
        assert set(r) == keys
    by_status = {r["status"]: r for r in rows}
    assert set(by_status) == {"clean", "flagged", "unreadable"}
    flagged = by_status["flagged"]
    assert flagged["path"].endswith("bad.sgf") and flagged["size"] == 19 and flagged["moves"] == 80
    f = flagged["findings"][0]
    assert set(f) == {"move", "colour", "point", "gtp", "kind", "confidence", "note", "repair"}
    assert f == {"move": 51, "colour": bad[50].colour.upper(), "point": bad[10].sgf, "gtp": to_gtp(bad[10].point, 19),
                 "kind": "occupied", "confidence": 1.0, "note": "point is already occupied", "repair": None}
    assert by_status["clean"]["findings"] == [] and by_status["clean"]["error"] is None
    assert by_status["unreadable"]["error"] and by_status["unreadable"]["path"].endswith("broken.sgf")


def test_check_exit_codes(games, tmp_path):
    d, _, _ = games
    assert runner.invoke(app, ["check", str(d / "clean.sgf"), "--rules-only"]).exit_code == 0
    res = runner.invoke(app, ["check", str(d / "sub" / "bad.sgf"), "--rules-only"])
    assert res.exit_code == 1
    assert "occupied" in res.stdout and "1 flagged" in res.stdout
    assert runner.invoke(app, ["check", str(d / "broken.sgf")]).exit_code == 2  # nothing readable
    assert runner.invoke(app, ["check", str(tmp_path / "missing.sgf")]).exit_code == 2  # usage
    assert runner.invoke(app, ["check"]).exit_code == 2


def test_check_reports_gtp_and_sgf_points(games):
    d, _, bad = games
    res = runner.invoke(app, ["check", str(d / "sub" / "bad.sgf"), "--rules-only"], terminal_width=200)
    from gofix.coords import to_gtp

    assert to_gtp(bad[10].point, 19) in res.stdout and bad[10].sgf in res.stdout


def test_corrupt_then_eval(games, tmp_path):
    d, _, _ = games
    src = tmp_path / "src"
    src.mkdir()
    for k in range(6):
        (src / f"g{k}.sgf").write_text(_sgf(random_game(random.Random(10 + k), 120)))
    out = tmp_path / "noisy"
    res = runner.invoke(app, ["corrupt", str(src), "--out", str(out), "--seed", "3", "--clean-share", "0"])
    assert res.exit_code == 0, res.output
    truth = [json.loads(x) for x in (out / "truth.jsonl").read_text().splitlines()]
    assert len(truth) == 6 and all(len(t["kinds"]) == 1 for t in truth)
    assert sorted(p.name for p in out.glob("*.sgf")) == [f"g{k}.sgf" for k in range(6)]
    # same seed, same output
    out2 = tmp_path / "noisy2"
    runner.invoke(app, ["corrupt", str(src), "--out", str(out2), "--seed", "3", "--clean-share", "0"])
    assert (out / "truth.jsonl").read_bytes() == (out2 / "truth.jsonl").read_bytes()
    assert (out / "g0.sgf").read_bytes() == (out2 / "g0.sgf").read_bytes()
    # eval reads the corrupted set back
    res = runner.invoke(app, ["eval", str(out), "--json", "--rules-only"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout.strip().splitlines()[-1])
    rules = rep["results"][0]
    assert rules["system"] == "rules only" and rules["games"] == 6 and rules["errors"] == 6
    assert rules["repaired_exactly"] == 0.0


def test_eval_builds_cases_from_clean_games(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for k in range(8):
        (src / f"g{k}.sgf").write_text(_sgf(random_game(random.Random(k), 90)))
    md = tmp_path / "report.md"
    res = runner.invoke(app, ["eval", str(src), "--split", "all", "--limit", "8", "--markdown", str(md), "--rules-only"])
    assert res.exit_code == 0, res.output
    assert "rules only" in res.stdout and "| rules only | 8 |" in md.read_text()
    res = runner.invoke(app, ["eval", str(src), "--split", "bogus"])
    assert res.exit_code == 2


def test_corrupt_refuses_output_inside_input(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.sgf").write_text(_sgf(random_game(random.Random(0), 40)))
    res = runner.invoke(app, ["corrupt", str(src), "--out", str(src / "out")])
    assert res.exit_code == 2


def test_corrupt_never_writes_over_its_input_file(tmp_path):
    src = tmp_path / "a.sgf"
    src.write_text(_sgf(random_game(random.Random(0), 40)))
    before = src.read_bytes()
    res = runner.invoke(app, ["corrupt", str(src), "--out", str(tmp_path), "--clean-share", "0"])
    assert res.exit_code == 2 and src.read_bytes() == before  # the output folder holds the input
    assert "must not contain the input" in res.output
    (tmp_path / "o").mkdir()
    os.link(src, tmp_path / "o" / "a.sgf")  # where its output goes is the input itself: refused per write
    res = runner.invoke(app, ["corrupt", str(src), "--out", str(tmp_path / "o"), "--clean-share", "0"])
    assert res.exit_code != 0 and src.read_bytes() == before
    assert "would overwrite the input" in res.output


def test_check_output_refuses_the_input_and_what_is_inside_it(tmp_path):
    from gofix.formats.paths import UnsafePathError, check_output

    folder = tmp_path / "in"
    folder.mkdir()
    game = folder / "g.sgf"
    game.write_text("(;GM[1])")
    os.symlink(game, tmp_path / "link.sgf")
    for src, dst, why in [(folder, folder, "is the input"), (folder, folder / "sub" / "out", "must not be inside"),
                          (game, game, "is the input"), (game, tmp_path / "link.sgf", "is the input"),
                          (tmp_path / "x.zip", tmp_path / "x.zip" / "a", "must not be inside")]:
        with pytest.raises(UnsafePathError, match=why) as exc:
            check_output(src, dst)
        assert str(src) in str(exc.value) and str(dst) in str(exc.value)
    check_output(game, folder / "g.gib.sgf")  # beside the input file: fine
    check_output(folder, tmp_path / "out")


@pytest.mark.parametrize("command", ["check", "fix", "clean", "compare", "convert", "corrupt", "eval", "reconcile", "train",
                                     "review"])
def test_every_command_has_help_with_an_example(command):
    res = runner.invoke(app, [command, "--help"], terminal_width=200)
    assert res.exit_code == 0
    assert "Example" in res.stdout
    assert "gofix " + command in res.stdout


def test_train_command_runs_a_tiny_model(tmp_path):
    src = tmp_path / "games"
    src.mkdir()
    for k in range(12):
        (src / f"g{k}.sgf").write_text(_sgf(random_game(random.Random(k), 60)))
    out = tmp_path / "run"
    res = runner.invoke(app, ["train", str(src), "--out", str(out), "--preset", "tiny", "--time-budget", "4s",
                              "--threads", "1", "--no-calibrate"])  # no validation game: no card (test_calibrate)
    assert res.exit_code == 0, res.output
    assert (out / "cache.npz").exists() and (out / "last.pt").exists()
    from gofix.models.checkpoint import load

    model, ck = load(out / "last.pt")
    assert ck["model_config"]["hidden"] == model.cfg.hidden and ck["step"] > 0
    assert runner.invoke(app, ["train", str(src), "--model", "transformer"]).exit_code == 2
    assert runner.invoke(app, ["train", str(src), "--model", "seq2seq", "--causal"]).exit_code == 2
    res = runner.invoke(app, ["train", str(src), "--mix", "realistic"])
    assert res.exit_code == 2 and "unknown error mix" in res.output
    assert runner.invoke(app, ["train", str(src), "--pipeline", "gpu"]).exit_code == 2
    assert runner.invoke(app, ["train", str(src), "--model", "seq2seq", "--pipeline", "tensor"]).exit_code == 2
    # the real error mix and the tensor pipeline reach the run (its training config, in the checkpoint)
    real = tmp_path / "real"
    res = runner.invoke(app, ["train", str(out / "cache.npz"), "--out", str(real), "--preset", "tiny",
                              "--time-budget", "2s", "--threads", "1", "--mix", "real", "--pipeline", "tensor",
                              "--no-calibrate"])
    assert res.exit_code == 0, res.output
    tc = load(real / "last.pt")[1]["train_config"]
    assert (tc["mix"], tc["pipeline"]) == ("real", "tensor")
    # fine-tuning: from the checkpoint just trained; one model at a time, and only a checkpoint of that model
    tuned = tmp_path / "tuned"
    res = runner.invoke(app, ["train", str(out / "cache.npz"), "--out", str(tuned), "--init-from", str(out / "last.pt"),
                              "--time-budget", "2s", "--threads", "1", "--no-calibrate"])
    assert res.exit_code == 0, res.output
    assert load(tuned / "last.pt")[1]["model_config"] == ck["model_config"]  # not the default preset 'small'
    res = runner.invoke(app, ["train", str(out / "cache.npz"), "--out", str(tuned / "x"), "--model", "seq2seq",
                              "--init-from", str(out / "last.pt"), "--time-budget", "2s", "--threads", "1"])
    assert res.exit_code == 2 and "not a seq2seq" in res.output
    assert runner.invoke(app, ["train", str(src), "--model", "all", "--init-from", str(out / "last.pt")]).exit_code == 2
    both = tmp_path / "both"
    res = runner.invoke(app, ["train", str(out / "cache.npz"), "--out", str(both), "--model", "all", "--preset", "tiny",
                              "--time-budget", "4s", "--threads", "1", "--no-calibrate"])
    assert res.exit_code == 0, res.output
    assert load(both / "seq2seq" / "last.pt")[1]["model_kind"] == "seq2seq"
    assert load(both / "birnn" / "last.pt")[1]["model_kind"] == "birnn-tagger"
    # the trained checkpoint plugs into check and eval (findings of kind 'suspect' when it is unsure)
    res = runner.invoke(app, ["check", str(src), "--model", str(out / "last.pt"), "--json", "--threshold", "0.0"])
    rows = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{")]
    assert len(rows) == 12 and all(f["kind"] == "suspect" for r in rows for f in r["findings"])
    assert all(r["status"] == "flagged" for r in rows)  # threshold 0: every move is suspect
    res = runner.invoke(app, ["eval", str(src), "--split", "all", "--limit", "4", "--model", str(out / "last.pt"),
                              "--json"])
    assert res.exit_code == 0, res.output
    systems = [r["system"] for r in json.loads(res.stdout.strip().splitlines()[-1])["results"]]
    assert systems == ["rules only", "tagger (both sides)"]
    res = runner.invoke(app, ["eval", str(src), "--split", "all", "--limit", "4", "--model", str(out / "last.pt"),
                              "--seq2seq", str(both / "seq2seq" / "last.pt"), "--json"])
    assert res.exit_code == 0, res.output
    systems = [r["system"] for r in json.loads(res.stdout.strip().splitlines()[-1])["results"]]
    assert systems == ["rules only", "tagger (both sides)", "tagger + seq2seq"]
    # a tagger where the encoder-decoder belongs is refused before any work
    fixed = tmp_path / "fixed.sgf"
    res = runner.invoke(app, ["fix", str(src / "g0.sgf"), "-o", str(fixed), "--model", str(out / "last.pt"),
                              "--seq2seq", str(out / "last.pt")])
    assert res.exit_code == 2 and "encoder-decoder" in res.output and not fixed.exists()
    res = runner.invoke(app, ["fix", str(src / "g0.sgf"), "-o", str(fixed), "--model", str(out / "last.pt"),
                              "--seq2seq", str(both / "seq2seq" / "last.pt")])
    assert res.exit_code in (0, 1) and fixed.exists()
    assert runner.invoke(app, ["train", str(src), "--time-budget", "soon"]).exit_code == 2


def test_check_says_how_far_to_trust_its_repairs(tmp_path):
    """Under findings with a repair, check quotes the model card's measured share of right changes;
    without such figures in the card it says so; rules-only output has no such note."""
    import shutil

    from gofix.repair.pretrained import DEFAULT

    demo = Path(__file__).resolve().parent / "data" / "generated_three_errors.sgf"  # the tagger repairs it all
    model = tmp_path / "tagger.pt"
    shutil.copy(DEFAULT, model)
    card = json.loads(DEFAULT.with_suffix(".json").read_text())
    card["change_trust"] = {"games": 1234, "split": "val", "seed": 2, "changed": 10, "right": 7, "share_right": 0.7,
                            "bins": [{"confidence": [0.5, 0.9], "changed": 4, "right": 1},
                                     {"confidence": [0.9, 1.0], "changed": 6, "right": 6}]}
    model.with_suffix(".json").write_text(json.dumps(card))
    res = runner.invoke(app, ["check", str(demo), "--model", str(model), "--no-diagrams"])
    assert res.exit_code == 1 and re.search(r"confidence \d\.\d\d", res.stdout), res.output  # the demo gets a repair
    text = " ".join(res.stdout.split())
    assert "on 1,234 validation games" in text and "70%" in text and "0.50+: 1/4" in text and "0.90+: 6/6" in text
    res = runner.invoke(app, ["fix", str(demo), "-o", str(tmp_path / "fixed.sgf"), "--model", str(model)])
    # exit 0: the one repair answers every finding (issue 20.10)
    assert res.exit_code == 0 and "on 1,234 validation games" in " ".join(res.stdout.split()), res.output
    res = runner.invoke(app, ["clean", str(demo), "--out", str(tmp_path / "cleaned"), "--model", str(model),
                              "--jobs", "1"])
    assert res.exit_code == 0 and "on 1,234 validation games" in " ".join(res.stdout.split()), res.output
    del card["change_trust"]
    model.with_suffix(".json").write_text(json.dumps(card))
    res = runner.invoke(app, ["check", str(demo), "--model", str(model), "--no-diagrams"])
    assert "says nothing about how often" in " ".join(res.stdout.split())
    res = runner.invoke(app, ["check", str(demo), "--rules-only", "--no-diagrams"])
    assert "Repairs:" not in res.stdout


def test_messages_are_never_wrapped_whatever_the_path_length(tmp_path, monkeypatch):
    """A piped error or warning stays on one line (grep sees it whole), however long its path is."""
    monkeypatch.delenv("COLUMNS", raising=False)
    deep = tmp_path.joinpath(*(["a-rather-long-folder-name"] * 6))
    deep.mkdir(parents=True)
    broken = deep / "broken.sgf"
    broken.write_bytes(b"\x00\x01\x02 not sgf at all \xff\xfe")
    res = runner.invoke(app, ["check", str(broken), "--rules-only"])
    lines = [line for line in res.output.splitlines() if "broken.sgf" in line or "binary data" in line]
    assert len(str(broken)) > 160
    assert len(lines) == 1 and lines[0].startswith("unreadable ") and str(broken) in lines[0], res.output
    assert lines[0].endswith("binary data, not SGF"), res.output


@pytest.mark.parametrize("command", [[], ["check"], ["fix"], ["clean"], ["compare"], ["convert"], ["corrupt"],
                                     ["eval"], ["reconcile"], ["train"], ["engine"], ["engine", "info"],
                                     ["engine", "fetch"]])
def test_no_help_shows_a_path_only_this_project_has(command):
    """Examples name paths a user has (games/, archive.tar.gz), not the project's ../shared/ folder."""
    res = runner.invoke(app, [*command, "--help"], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "shared/" not in res.stdout and "../" not in res.stdout


def test_counts_are_singular_for_one(games, tmp_path):
    """One game, one finding, one file: no "1 games", "1 findings", "1 file(s)"."""
    d, _, _ = games
    said = []

    def run(*args):
        res = runner.invoke(app, list(args))
        said.append(res.output)
        return res

    res = run("check", str(d / "sub" / "bad.sgf"), "--rules-only", "--no-diagrams")
    assert res.exit_code == 1 and "1 game: 0 clean, 1 flagged (1 finding)" in res.stdout, res.output
    res = run("check", str(d), "--rules-only", "--no-diagrams")
    assert "3 games: 1 clean, 1 flagged (1 finding)" in res.stdout, res.output
    res = run("convert", str(d / "clean.sgf"), "--out", str(tmp_path / "sgf"))
    assert res.exit_code == 0 and "1 game in 1 file written to" in res.stdout, res.output
    res = run("fix", str(d / "clean.sgf"), "-o", str(tmp_path / "fixed.sgf"), "--rules-only")
    assert res.exit_code == 0 and "0 edits in 1 game" in res.stdout, res.output
    for text in (r"\b1 games\b(?!/s)", r"\b1 findings", r"\b1 files", r"\(s\)"):  # a rate of 1 games/s is a unit
        assert not any(re.search(text, out) for out in said), text


@pytest.mark.parametrize("name", ["bad_move_value.sgf", "empty_node.sgf", "ff1_pass_tt.sgf"])
def test_check_and_fix_with_the_bundled_models_end_without_a_traceback_on_odd_records(name, tmp_path):
    """A record whose candidate repairs leave a window with no move at all (``W[1]``, a move value
    that is no point, in a three-move game) once crashed the repair engine (AttributeError)."""
    path = Path(__file__).parent / "data" / name
    res = CliRunner().invoke(app, ["check", str(path), "--json", "--engine", "none"])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    assert res.exit_code in (0, 1), res.output
    lines = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert lines and lines[0]["path"].endswith(name)
    res = CliRunner().invoke(app, ["fix", str(path), "-o", str(tmp_path / name), "--engine", "none"])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    assert res.exit_code in (0, 1), res.output
