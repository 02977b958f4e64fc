"""Fuzzing the reader and the checker: every input ends in a result or a typed error.

Bounded so it runs in CI in seconds; scripts/fuzz.py runs the same properties (the
generators are ``gofix.evaluate.fuzz``'s) for as long as you like, and through the CLI.
"""

import random

from hypothesis import HealthCheck, given, settings, strategies as st

from gofix.evaluate.fuzz import SEED_GAMES, exercise, hostile_files, mutate
from gofix.rules.synth import random_game

_settings = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(st.binary(max_size=400))
def test_random_bytes(data):
    exercise(data)


@_settings
@given(st.sampled_from(SEED_GAMES), st.integers(0, 2**32 - 1), st.integers(1, 12))
def test_mutated_sgf(seed_game, seed, n):
    exercise(mutate(seed_game, random.Random(seed), n))


@_settings
@given(st.text(alphabet="()[];\\:BWABAWSZCGM19pdqcaa \n", max_size=200))
def test_sgf_alphabet_soup(text):
    exercise(text.encode())


def test_long_synthetic_game_survives_mutation():
    moves = random_game(random.Random(5), 300)
    data = ("(;FF[4]SZ[19]" + "".join(f";{m.colour.upper()}[{m.sgf}]" for m in moves) + ")").encode()
    rng = random.Random(0)
    for _ in range(30):
        exercise(mutate(data, rng, rng.randrange(1, 30)))


def test_hostile_files_read_to_a_record_or_a_reason():
    files = hostile_files(random.Random(0), long_moves=300)
    assert len(files) > 20
    for name, data in files.items():
        if name not in ("over-moves.sgf", "repetitive.sgf"):  # 10,001 and 10,000 moves: the CLI run checks them
            exercise(data, name)


# ------------------------------------------------------------------ scripts/fuzz.py, bounded


def _fuzz_script():
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "fuzz.py"
    text = path.read_text()
    assert "test_fuzz" not in text and '"tests"' not in text  # the generators come from gofix.evaluate.fuzz
    spec = importlib.util.spec_from_file_location("fuzz_script", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_script"] = mod  # for its dataclasses
    spec.loader.exec_module(mod)
    return mod


def test_the_fuzz_run_counts_tracebacks_bad_exits_changed_inputs_and_writes_outside(tmp_path, monkeypatch):
    import sys

    fz = _fuzz_script()
    work = tmp_path / "work"
    (work / "src").mkdir(parents=True)
    (work / "src" / "a.sgf").write_bytes(SEED_GAMES[0])
    out = work / "out"
    # a stand-in for gofix: argv[1] says what it does
    monkeypatch.setattr(fz, "GOFIX", [sys.executable, "-c", """
import sys, pathlib
what, where = sys.argv[1], pathlib.Path(sys.argv[2])
if what == "write":
    where.mkdir(exist_ok=True); (where / "x.sgf").write_text("(;)")
elif what == "crash":
    raise RuntimeError("boom")
elif what == "exit":
    sys.exit(3)
"""])
    tally = fz.Tally()
    fz.run_all([(["write", out], [out])], work, [work / "src"], tally)  # inside its --out: fine
    assert (tally.runs, tally.written_outside, tally.inputs_changed, tally.peak_kb > 0) == (1, 0, 0, True)
    fz.run_all([(["write", work / "elsewhere"], [out])], work, [work / "src"], tally)
    fz.run_all([(["write", work / "src"], [out])], work, [work / "src"], tally)
    fz.run_all([(["crash", out], [out]), (["exit", out], [out])], work, [work / "src"], tally)  # two at once
    assert (tally.runs, tally.written_outside, tally.inputs_changed) == (5, 1, 1)
    assert (tally.tracebacks, tally.bad_exits, tally.exits) == (1, 1, {0: 3, 1: 1, 3: 1})


def test_the_fuzz_run_in_process_part_is_bounded(capsys):
    fz = _fuzz_script()
    assert fz.main(["--seconds", "0.5", "--rounds", "0", "--big", "0", "--corpus", "/nonexistent"]) == 0
    line = capsys.readouterr().out
    assert "0 crashes; 0 CLI runs" in line and "0 tracebacks" in line and "0 inputs changed" in line
