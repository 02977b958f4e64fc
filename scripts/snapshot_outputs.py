"""Golden outputs of every gofix command, to prove a refactor changes no byte of them.

    python scripts/snapshot_outputs.py OUTDIR [--shared ../shared] [--games 200] [--fix-games 20]
    python scripts/snapshot_outputs.py BEFORE; (refactor, reinstall); python scripts/snapshot_outputs.py AFTER
    diff -r BEFORE AFTER        # empty: every output the same

Stdlib only. It runs the ``gofix`` console script next to ``sys.executable`` (so: the gofix
installed in the venv whose python runs this), with the working directory OUTDIR, every input a
copy under ``OUTDIR/input/`` named by a relative path, every output written under OUTDIR, and
``COLUMNS=100 TERM=dumb GOFIX_THREADS=1`` (``GOFIX_KATAGO_MODEL`` removed). OUTDIR must be new or
empty and outside the repository. Each run ``runs/<group>/<name>`` leaves ``.cmd`` (its argv, with
``gofix`` for the program), ``.out`` (stdout), ``.err`` (stderr) and ``.rc`` (exit code); the
trees the commands write stay where they wrote them. Every model run uses the bundled models,
``--engine none`` and ``--jobs 1`` where the command has the option.

Runs (``<shared>`` ones are skipped without ``--shared``, and listed in ``skipped.txt``):

- ``help``: ``gofix --help``, ``--version`` and ``gofix COMMAND --help`` for every command;
- ``check-fixtures``: ``check --json`` on each file of tests/data (one run per file: one that
  crashes would end a run over the directory), ``check --json --rules-only`` over the whole
  directory, the text report (with diagrams) of data/demo.sgf and
  tests/data/generated_three_errors.sgf, and ``check --html`` of the demo;
- ``fix-fixtures``: ``fix -o fix/fixtures/NAME`` on a handful of fixtures and the demo;
- ``convert-fixtures``: ``convert`` of tests/data (the fixtures are all SGF by name; convert
  recognises by content);
- <shared> ``corrupt``: the first ``--games`` regular ``.sgf`` members of
  ``corpus/pro-games.tar.gz`` in archive order are extracted to ``input/clean/`` (member paths);
  ``corrupt input/clean --out input/corrupted --seed 1`` makes the corrupted games (kept: they are
  its output), and ``corrupt --seed 7 --mix real --errors-per-game 2`` a second tree ``corrupt-real``;
- <shared> ``check-corpus``: ``check --json`` over ``input/clean`` and over ``input/corrupted``;
- <shared> ``fix-corpus``: ``fix`` on the first ``--fix-games`` corrupted games (truth.jsonl order
  of the games with a planted error), into ``fix/corpus/``;
- <shared> ``clean``: ``clean input/corrupted --out clean`` (report.jsonl, records, review.html);
- <shared> ``compare``: ``compare --json A B`` on each of the real-dev pairs (copied to
  ``input/real-dev``), the text report of the first three, and ``--html`` of the first;
- <shared> ``reconcile``: ``reconcile input/real-dev --out reconcile``;
- <shared> ``convert-formats``: ``convert input/formats --out convert-formats`` (GIB/NGF/UGF).

Normalised, in every file under OUTDIR once all runs are done (nothing else is touched):

- the absolute OUTDIR path (as given and resolved) -> ``<OUT>`` (gofix's ``.gofix-run.json``
  ``src``, review pages' titles and commands), the repository path -> ``<REPO>`` and the venv's
  ``sys.prefix`` -> ``<VENV>`` where they are not under the repository;
- in ``.out``/``.err`` only: the timings of the summary lines, ``in 1.2 s`` -> ``in <t> s`` and
  ``(34 games/s)`` -> ``(<t> games/s)``; in a rich table, the cells of the columns whose header is
  ``games/s`` or ends in `` s`` (``grouping s``, ``judging s``, ``total s``) -> ``<t>`` (padded to the
  cell's width, so the table keeps its shape);
- in ``.err`` only: the frames of a Python traceback (rich's boxed one or the plain one: file
  paths, line numbers and code lines, which a move of modules changes by nature) -> one line
  ``<traceback>``; the exception line after it is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOFIX = Path(sys.executable).parent / "gofix"
COMMANDS = ("check", "fix", "clean", "review", "convert", "corrupt", "eval", "train", "compare",
            "reconcile", "engine")
FIX_FIXTURES = ("generated_three_errors.sgf", "variations.sgf", "passes.sgf", "handicap_as_moves.sgf",
                "collection_third_broken.sgf", "charset_big5_ca.sgf", "moves_in_root.sgf",
                "bad_move_value.sgf")
TEXT_CHECKS = ("input/demo.sgf", "input/fixtures/generated_three_errors.sgf")
TIMEOUT = 1800  # seconds a run may take before the script gives up on it


class Snapshot:
    def __init__(self, out: Path):
        self.out = out
        self.env = {k: v for k, v in os.environ.items() if k not in ("GOFIX_KATAGO_MODEL", "FORCE_COLOR", "NO_COLOR")}
        self.env.update(COLUMNS="100", TERM="dumb", GOFIX_THREADS="1")
        self.n_runs = 0

    def run(self, name: str, *args: str) -> int:
        """Run ``gofix ARGS`` in OUTDIR; leave ``runs/NAME.{cmd,out,err,rc}``; return the exit code."""
        base = self.out / "runs" / name
        base.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        proc = subprocess.run([str(GOFIX), *args], cwd=self.out, env=self.env, capture_output=True,
                              timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        self.n_runs += 1
        print(f"  {name}: rc {proc.returncode} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)
        Path(f"{base}.cmd").write_text(json.dumps(["gofix", *args]) + "\n", encoding="utf-8")
        Path(f"{base}.out").write_bytes(proc.stdout)
        Path(f"{base}.err").write_bytes(proc.stderr)
        Path(f"{base}.rc").write_text(f"{proc.returncode}\n", encoding="utf-8")
        return proc.returncode


def slug(rel: str) -> str:
    """A relative path as one file name (``pro/AJ1st/01/1.sgf`` -> ``pro_AJ1st_01_1.sgf``)."""
    return rel.replace("/", "_")


def copy_inputs(out: Path, shared: Path | None, games: int) -> list[str]:
    """Copy the inputs under OUTDIR/input; return what could not be had (skipped)."""
    inp = out / "input"
    shutil.copytree(REPO / "tests" / "data", inp / "fixtures")
    shutil.copy2(REPO / "data" / "demo.sgf", inp / "demo.sgf")
    if shared is None:
        return ["--shared not given or not found: corpus, real-dev and formats runs skipped"]
    skipped = []
    for name in ("formats", "real-dev"):
        if (shared / name).is_dir():
            shutil.copytree(shared / name, inp / name)
        else:
            skipped.append(f"{shared / name} not found: its runs skipped")
    tar = shared / "corpus" / "pro-games.tar.gz"
    if not tar.is_file():
        skipped.append(f"{tar} not found: corrupt, check-corpus, fix-corpus and clean skipped")
        return skipped
    n = 0
    with tarfile.open(tar) as tf:  # archive order: deterministic, and no need to read the rest
        for member in tf:
            if n >= games:
                break
            if not (member.isfile() and member.name.endswith(".sgf")):
                continue
            rel = Path(member.name)
            if rel.is_absolute() or ".." in rel.parts:
                continue
            target = inp / "clean" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tf.extractfile(member).read())
            n += 1
    return skipped


def fixture_runs(s: Snapshot) -> None:
    s.run("help/gofix", "--help")
    s.run("help/version", "--version")
    for cmd in COMMANDS:
        s.run(f"help/{cmd}", cmd, "--help")
    for sub in ("info", "fetch"):
        s.run(f"help/engine-{sub}", "engine", sub, "--help")

    fixtures = sorted(p.name for p in (s.out / "input" / "fixtures").iterdir())
    for name in fixtures:
        s.run(f"check-fixtures/{name}", "check", "--json", "--engine", "none", "--jobs", "1",
              f"input/fixtures/{name}")
    s.run("check-fixtures/ALL-rules-only", "check", "--json", "--rules-only", "--jobs", "1", "input/fixtures")
    for path in TEXT_CHECKS:
        s.run(f"check-fixtures/text-{Path(path).name}", "check", "--engine", "none", "--jobs", "1", path)
    s.run("check-fixtures/html-demo", "check", "--engine", "none", "--jobs", "1", "--html",
          "html/check-demo.html", "input/demo.sgf")

    (s.out / "fix" / "fixtures").mkdir(parents=True)
    for name in FIX_FIXTURES:
        s.run(f"fix-fixtures/{name}", "fix", "--engine", "none", "-o", f"fix/fixtures/{name}",
              f"input/fixtures/{name}")
    s.run("fix-fixtures/demo.sgf", "fix", "--engine", "none", "-o", "fix/fixtures/demo.sgf", "input/demo.sgf")

    s.run("convert-fixtures/fixtures", "convert", "input/fixtures", "--out", "convert-fixtures")


def shared_runs(s: Snapshot, fix_games: int) -> None:
    inp = s.out / "input"
    if (inp / "clean").is_dir():
        s.run("corrupt/corrupt", "corrupt", "input/clean", "--out", "input/corrupted", "--seed", "1")
        s.run("corrupt/corrupt-real", "corrupt", "input/clean", "--out", "corrupt-real", "--seed", "7",
              "--mix", "real", "--errors-per-game", "2")

        s.run("check-corpus/clean", "check", "--json", "--engine", "none", "--jobs", "1", "input/clean")
        s.run("check-corpus/corrupted", "check", "--json", "--engine", "none", "--jobs", "1", "input/corrupted")

        (s.out / "fix" / "corpus").mkdir(parents=True)
        truth = [json.loads(line) for line in (inp / "corrupted" / "truth.jsonl").read_text("utf-8").splitlines()]
        for t in [t for t in truth if t["kinds"]][:fix_games]:
            rel = t["path"]
            s.run(f"fix-corpus/{slug(rel)}", "fix", "--engine", "none", "-o", f"fix/corpus/{slug(rel)}",
                  f"input/corrupted/{rel}")

        s.run("clean/clean", "clean", "input/corrupted", "--out", "clean", "--jobs", "1", "--engine", "none")

    if (inp / "real-dev").is_dir():
        pairs = []
        for d in sorted(p for p in (inp / "real-dev").iterdir() if p.is_dir()):
            a, b = sorted(d.glob("A__*.sgf")), sorted(d.glob("B__*.sgf"))
            if len(a) == 1 and len(b) == 1:
                pairs.append((d.name, f"input/real-dev/{d.name}/{a[0].name}", f"input/real-dev/{d.name}/{b[0].name}"))
        for pair_id, a, b in pairs:
            s.run(f"compare/{pair_id}", "compare", "--json", "--engine", "none", a, b)
        for pair_id, a, b in pairs[:3]:
            s.run(f"compare/text-{pair_id}", "compare", "--engine", "none", a, b)
        if pairs:
            pair_id, a, b = pairs[0]
            s.run(f"compare/html-{pair_id}", "compare", "--engine", "none", "--html",
                  f"html/compare-{pair_id}.html", a, b)

        s.run("reconcile/reconcile", "reconcile", "input/real-dev", "--out", "reconcile", "--jobs", "1",
              "--engine", "none")

    if (inp / "formats").is_dir():
        s.run("convert-formats/formats", "convert", "input/formats", "--out", "convert-formats")


# --- normalisation --------------------------------------------------------------------------

_SECONDS = re.compile(r"\bin \d+(?:\.\d+)? s\b")
_RATE = re.compile(r"\(\d+(?:\.\d+)? games/s\)")
_RICH_TB = re.compile(r"^╭─+ Traceback \(most recent call last\) ─+╮\n(?:.*\n)*?╰─+╯\n", re.M)
_PLAIN_TB = re.compile(r"^Traceback \(most recent call last\):\n(?:[ \t].*\n)+", re.M)


def _timed_columns(header: str) -> list[int]:
    cells = header.split("┃")[1:-1]
    return [k for k, c in enumerate(cells) if c.strip() == "games/s" or c.strip().endswith(" s")]


def _tables(text: str) -> str:
    """Blank the timing cells of rich tables (header row ``┃ ... ┃``, data rows ``│ ... │``)."""
    lines = text.split("\n")
    timed: list[int] = []
    for i, line in enumerate(lines):
        if line.startswith("┃"):
            timed = _timed_columns(line)
        elif line.startswith("│") and timed:
            cells = line.split("│")
            for k in timed:
                if k + 1 < len(cells) - 1:
                    width = len(cells[k + 1])
                    cells[k + 1] = " " + "<t>".rjust(width - 2) + " " if width >= 5 else "<t>"
            lines[i] = "│".join(cells)
        elif not line.startswith(("┡", "├", "┏", "└", "╇", "│")):
            timed = []
    return "\n".join(lines)


def normalise(out: Path) -> None:
    prefixes = sorted({str(out), os.path.realpath(out)}, key=len, reverse=True)
    others = [(str(REPO), "<REPO>")]
    if not Path(sys.prefix).resolve().is_relative_to(REPO):
        others.insert(0, (str(Path(sys.prefix).resolve()), "<VENV>"))
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        new = text
        for p in prefixes:
            new = new.replace(p, "<OUT>")
        for p, tag in others:
            new = new.replace(p, tag)
        if path.parent.is_relative_to(out / "runs") and path.suffix in (".out", ".err"):
            new = _RATE.sub("(<t> games/s)", _SECONDS.sub("in <t> s", _tables(new)))
            if path.suffix == ".err":
                new = _PLAIN_TB.sub("<traceback>\n", _RICH_TB.sub("<traceback>\n", new))
        if new != text:
            path.write_bytes(new.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared",
                    help="the shared folder (default: ../shared next to the repository)")
    ap.add_argument("--games", type=int, default=200, help="corpus games to take (default 200)")
    ap.add_argument("--fix-games", type=int, default=20, help="corrupted games to run `gofix fix` on (default 20)")
    args = ap.parse_args(argv)

    if not GOFIX.is_file():
        sys.exit(f"no gofix console script at {GOFIX}: run this with the python of the venv gofix is installed in")
    out = Path(os.path.abspath(args.outdir))
    if out.resolve().is_relative_to(REPO) or out.resolve().is_relative_to(args.shared.resolve()):
        sys.exit(f"{out}: OUTDIR must lie outside the repository and the shared folder")
    if out.exists() and any(out.iterdir()):
        sys.exit(f"{out}: OUTDIR must be new or empty (the runs refuse outputs that exist)")
    out.mkdir(parents=True, exist_ok=True)
    shared = args.shared.resolve() if args.shared.is_dir() else None

    t0 = time.perf_counter()
    s = Snapshot(out)
    skipped = copy_inputs(out, shared, args.games)
    print(f"snapshot of {GOFIX} into {out}", file=sys.stderr)
    fixture_runs(s)
    if shared is not None:
        shared_runs(s, args.fix_games)
    (out / "skipped.txt").write_text("".join(f"{line}\n" for line in skipped), encoding="utf-8")
    normalise(out)
    n_files = sum(1 for p in out.rglob("*") if p.is_file())
    for line in skipped:
        print(f"skipped: {line}", file=sys.stderr)
    print(f"{s.n_runs} runs, {n_files} files under {out} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
