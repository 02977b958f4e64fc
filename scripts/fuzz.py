"""Fuzz run of gofix: the reader and checker in process, then every command through the CLI.

    python scripts/fuzz.py [--seconds 120] [--rounds 2] [--big 400000] [--corpus ../shared/corpus/pro-games.tar.gz]

In process (``--seconds``): mutated records (corpus records when there, else ``gofix.evaluate.fuzz.SEED_GAMES``)
and random bytes through ``gofix.evaluate.fuzz.exercise`` (read, check, write, read back).

Through the CLI (``--rounds``, each with fresh seeds): a tree of hostile files (``gofix.evaluate.fuzz.hostile_files``:
huge counts and digit strings, odd encodings, records over the limits, a long repetitive record,
mutated records, an archive with a '../' member) run through the commands that read (check, compare)
and write (clean, convert, reconcile, fix): outside SRC, rerun, with --out inside SRC and SRC inside
--out, --out under a file and under /proc, a symbolic link inside DST, two runs at once into one --out. Counted: tracebacks, exit codes
outside 0/1/2, inputs changed (every file hashed before and after), files written outside --out (the
whole work tree snapshotted), and each run's peak RSS (``os.wait4``). Last, with the tagger,
``gofix check --json`` on a ``--big``-move record (0: not run).

Prints one line of figures; exits 1 when any count that must be 0 is not. A crashing input of the
in-process part is saved under runs/fuzz-crashes/.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

from gofix.evaluate.fuzz import SEED_GAMES, exercise, hostile_files, long_random, mutate

GOFIX = [sys.executable, "-c", "from gofix.cli import app; app(prog_name='gofix')"]


def corpus_seeds(path: Path, n: int) -> list[bytes]:
    out = []
    if not path.exists():
        return out
    with tarfile.open(path, "r|*") as tar:
        for m in tar:
            if m.isfile() and m.name.lower().endswith(".sgf"):
                out.append(tar.extractfile(m).read())
                if len(out) >= n:
                    break
    return out


def in_process(seeds: list[bytes], seconds: float, rng: random.Random) -> tuple[int, int]:
    """(inputs tried, crashes) of ``seconds`` of mutated seeds and random bytes through ``exercise``."""
    crash_dir = REPO / "runs" / "fuzz-crashes"
    tried = crashes = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if rng.random() < 0.1:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(500)))
        else:
            data = mutate(rng.choice(seeds), rng, rng.randrange(1, 40))
        tried += 1
        try:
            exercise(data)
        except Exception:  # noqa: BLE001 - a fuzzer reports every crash
            crashes += 1
            crash_dir.mkdir(parents=True, exist_ok=True)
            (crash_dir / f"crash-{crashes}.sgf").write_bytes(data)
            traceback.print_exc()
    return tried, crashes


# ------------------------------------------------------------------ through the CLI


@dataclass
class Tally:
    runs: int = 0
    tracebacks: int = 0
    bad_exits: int = 0
    inputs_changed: int = 0
    written_outside: int = 0
    peak_kb: int = 0
    exits: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    verbose: bool = False  # each run's exit code, peak RSS and command on stderr


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (links not followed), by path relative to it."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            if not p.is_symlink():
                out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


class Run:
    """One gofix run in the background, its output in files (no pipe to fill while another runs)."""

    def __init__(self, args: list, logs: Path):
        self.args = [str(a) for a in args]
        self.out = tempfile.TemporaryFile(dir=logs)
        self.proc = subprocess.Popen(GOFIX + self.args, stdout=self.out, stderr=subprocess.STDOUT)

    def finish(self, tally: Tally) -> int:
        """Wait (``os.wait4``: the child's own peak RSS); count its exit code, traceback and peak."""
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = code = os.waitstatus_to_exitcode(status)
        self.out.seek(0)
        text = self.out.read().decode("utf-8", "replace")
        self.out.close()
        tally.runs += 1
        tally.exits[code] = tally.exits.get(code, 0) + 1
        tally.peak_kb = max(tally.peak_kb, usage.ru_maxrss)
        if "Traceback" in text:
            tally.tracebacks += 1
            tally.problems.append(f"traceback: gofix {' '.join(self.args)}\n{text[-2000:]}")
        if tally.verbose:
            print(f"exit {code}, {usage.ru_maxrss // 1024} MB: gofix {' '.join(self.args)}", file=sys.stderr)
        if code not in (0, 1, 2):
            tally.bad_exits += 1
            tally.problems.append(f"exit {code}: gofix {' '.join(self.args)}")
        return code


def run_all(commands: list[tuple[list, list[Path]]], work: Path, inputs: list[Path], tally: Tally) -> None:
    """Run ``commands`` (argv, the paths it may write) at once; then count what changed outside them."""
    before = snapshot(work)
    runs = [Run(args, work.parent) for args, _ in commands]
    for run in runs:
        run.finish(tally)
    after = snapshot(work)
    allowed = [str(p.relative_to(work)) for _, outs in commands for p in outs]
    for rel in sorted(set(before) | set(after)):
        if before.get(rel) == after.get(rel):
            continue
        if any(str(Path(rel)).startswith(str(i.relative_to(work)) + os.sep) or rel == str(i.relative_to(work))
               for i in inputs):
            tally.inputs_changed += 1
            tally.problems.append(f"input changed: {rel} by {[' '.join(map(str, a)) for a, _ in commands]}")
        elif not any(rel == a or rel.startswith(a + os.sep) for a in allowed):
            tally.written_outside += 1
            tally.problems.append(f"written outside --out: {rel} by {[' '.join(map(str, a)) for a, _ in commands]}")


def build_src(root: Path, rng: random.Random, seeds: list[bytes]) -> Path:
    """SRC: hostile files, a sub-folder, two copies of a game (reconcile groups them), a zip with a
    '../' member and a good one."""
    src = root / "src"
    (src / "sub").mkdir(parents=True)
    for name, data in hostile_files(rng).items():
        (src / name).write_bytes(data)
    game = long_random(120, rng.randrange(1 << 30))
    (src / "sub" / "a.sgf").write_bytes(game)
    (src / "sub" / "a-copy.sgf").write_bytes(game)
    for k, seed in enumerate(rng.sample(seeds, min(6, len(seeds)))):
        (src / "sub" / f"m{k}.sgf").write_bytes(mutate(seed, rng, rng.randrange(1, 12)))
    with zipfile.ZipFile(src / "members.zip", "w") as z:
        z.writestr("../evil.sgf", SEED_GAMES[0])
        z.writestr("ok/one.sgf", SEED_GAMES[1])
    return src


def cli_round(work: Path, rng: random.Random, seeds: list[bytes], tally: Tally) -> None:
    src = build_src(work, rng, seeds)
    inputs = [src]
    rules = ["--rules-only"]
    # the commands that read
    for args in (["check", src, "--json", *rules], ["check", src / "long.sgf", "--json"],
                 ["check", src / "repetitive.sgf", *rules, "--no-diagrams"],
                 ["compare", src / "sub" / "a.sgf", src / "sub" / "a-copy.sgf", "--json", *rules],
                 ["compare", src / "repetitive.sgf", src / "repetitive.sgf", "--json", *rules]):
        run_all([(args, [])], work, inputs, tally)
    # the commands that write, outside SRC
    writers = {
        "clean": lambda out: ["clean", src, "--out", out, "--jobs", "1", *rules],
        "convert": lambda out: ["convert", src, "--out", out],
        "reconcile": lambda out: ["reconcile", src, "--out", out, "--jobs", "1", *rules],
    }
    for name, make in writers.items():
        out = work / f"out-{name}"
        run_all([(make(out), [out])], work, inputs, tally)
        run_all([(make(out), [out])], work, inputs, tally)  # rerun: a finished run
    fixed = work / "out-fix" / "fixed.sgf"
    fixed.parent.mkdir()
    run_all([(["fix", src / "sub" / "m0.sgf", "--out", fixed, *rules], [fixed.parent])], work, inputs, tally)
    run_all([(["fix", src / "repetitive.sgf", "--out", fixed, "--force", *rules], [fixed.parent])], work, inputs,
            tally)
    # --out inside SRC, and SRC inside --out: refused, nothing written
    for name, make in writers.items():
        run_all([(make(src / f"inner-{name}"), [])], work, inputs, tally)
        run_all([(make(work), [])], work, inputs, tally)
        run_all([(make(src / "sub"), [])], work, inputs, tally)
    # an --out under a regular file, and under /proc: one line, exit 2
    (work / "afile").write_bytes(b"not a folder")
    for name, make in writers.items():
        run_all([(make(work / "afile" / "x"), [])], work, inputs, tally)
        run_all([(make(Path("/proc") / f"gofix-fuzz-{name}"), [])], work, inputs, tally)
    # a symbolic link inside DST pointing outside it: never written through
    for name, make in writers.items():
        out, outside = work / f"linked-{name}", work / f"outside-{name}"
        out.mkdir()
        outside.mkdir()
        os.symlink(outside, out / "sub")
        run_all([(make(out), [out])], work, inputs, tally)
    # two runs at once into one --out
    for name, make in writers.items():
        out = work / f"twin-{name}"
        run_all([(make(out), [out]), (make(out), [out])], work, inputs, tally)


def big_record(work: Path, moves: int, tally: Tally) -> tuple[int, int | None]:
    """Peak RSS (KB) and exit code of ``gofix check --json`` (with the tagger) on a ``moves``-move record."""
    path = work / f"big{moves}.sgf"
    path.write_bytes(long_random(moves, 1))
    before = tally.peak_kb
    tally.peak_kb = 0
    code = Run(["check", path, "--json"], work).finish(tally)
    peak, tally.peak_kb = tally.peak_kb, max(before, tally.peak_kb)
    return peak, code


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=120, help="in-process fuzzing time")
    ap.add_argument("--rounds", type=int, default=2, help="CLI rounds, each a fresh hostile tree")
    ap.add_argument("--big", type=int, default=400_000, help="moves of the big record checked with the tagger (0: none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verbose", "-v", action="store_true", help="each CLI run's exit code, peak RSS and command")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus" / "pro-games.tar.gz")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    seeds = SEED_GAMES + corpus_seeds(args.corpus, 500)
    t0 = time.monotonic()
    tried, crashes = in_process(seeds, args.seconds, rng)
    tally = Tally(verbose=args.verbose)
    big = None
    with tempfile.TemporaryDirectory(prefix="gofix-fuzz-") as tmp:
        for r in range(args.rounds):
            work = Path(tmp) / f"round{r}"
            work.mkdir()
            cli_round(work, rng, seeds, tally)
            shutil.rmtree(work)
        if args.big:
            big = big_record(Path(tmp), args.big, tally)
    for p in tally.problems:
        print(p, file=sys.stderr)
    exits = ", ".join(f"{k}: {v}" for k, v in sorted(tally.exits.items()))
    line = (f"fuzz: {tried} inputs in process, {crashes} crashes; {tally.runs} CLI runs in {args.rounds} rounds "
            f"(exit codes {exits}): {tally.tracebacks} tracebacks, {tally.bad_exits} exit codes outside 0/1/2, "
            f"{tally.inputs_changed} inputs changed, {tally.written_outside} files written outside --out, "
            f"peak RSS {tally.peak_kb // 1024} MB")
    if big is not None:
        line += f"; {args.big:,}-move record with the tagger: peak RSS {big[0] // 1024} MB, exit {big[1]}"
    print(line + f"; {time.monotonic() - t0:.0f} s")
    bad = crashes + tally.tracebacks + tally.bad_exits + tally.inputs_changed + tally.written_outside
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
