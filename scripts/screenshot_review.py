"""Render the review report in a real browser, and measure a large one.

    python scripts/screenshot_review.py --out /tmp/review-shots                 # demo + a 200-record run
    python scripts/screenshot_review.py --out /tmp/review-shots --games 0 --measure 5000  # a 5,000-record report
    python scripts/screenshot_review.py --out /tmp/review-shots --games 0 --measure 5000 --reuse  # its report again

What it does (everything under ``--out``; nothing in the repository is written unless ``--docs``):

1. ``gofix check data/demo.sgf --html OUT/demo-review.html``;
2. the first ``--games`` readable 19x19 records of ``--corpus`` (default ../shared/corpus/pro-games.tar.gz)
   copied to ``OUT/src``, ``gofix corrupt`` (seed 1, half of them with one planted error), then
   ``gofix clean`` of that (``--rules-only`` to leave the models out) -> ``OUT/clean/review.html``;
3. screenshots of both with headless Chromium (``chromium --headless --screenshot``), PNG files
   ``OUT/review-demo.png`` and ``OUT/review-200.png`` (copied to docs/ with ``--docs``);
4. with ``--measure N``: N records, ``gofix corrupt --clean-share 0.9`` (about a tenth with one
   planted error), cleaned by an *oracle* repairer that undoes each planted error from truth.jsonl
   (so every finding of a corrupted game has both boards: the largest page per finding; the
   models are not what is measured here) through the real ``clean_tree`` and ``run_review``; prints
   the report's size, that it parses (html.parser: one section per finding), and the time headless
   Chromium takes to load it (``load_ms``: until its load event in an iframe, median of 3), and a
   screenshot of it, ``OUT/review-oracle-N.png``.

Needs Chromium (``apt-get install -y chromium``) for 3 and the load time; the rest runs without it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

from gofix.findings import Finding
from gofix.rules.findings import rule_findings
from gofix.archive.clean import clean_tree
from gofix.train.corrupt import Truth, undo_all
from gofix.repair.repairer import AppliedEdit, RepairResult
from gofix.review.runs import run_review
from gofix.record import Unreadable
from gofix.formats.sgf_writer import dump_game
from gofix.formats.read import iter_games

ROOT = Path(__file__).resolve().parents[1]
GOFIX = str(Path(sys.executable).with_name("gofix"))


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _browser_args(exe: str) -> list[str]:
    return [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"]


def browser(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Headless Chromium with ``args`` (after its own), its temporary files under /tmp: under a long
    $TMPDIR its Unix socket paths pass the 107-byte limit and it aborts."""
    exe = chromium()
    if exe is None:
        raise SystemExit("no chromium found (apt-get install -y chromium)")
    env = dict(os.environ, TMPDIR="/tmp") if os.path.isdir("/tmp") else None
    return subprocess.run(_browser_args(exe) + args, env=env, check=True, capture_output=True, **kwargs)


def screenshot(html: Path, png: Path, width: int = 1100, height: int = 1500) -> None:
    """A PNG of the top ``width`` x ``height`` pixels of ``html`` in headless Chromium."""
    browser([f"--window-size={width},{height}", f"--screenshot={png}", html.resolve().as_uri()], timeout=120)


def load_ms(html: Path, runs: int = 3) -> float:
    """Milliseconds from the start of a wrapper page until ``html``, in an iframe 1200 px wide, fires its
    load event (the document read, parsed and its SVG built), in headless Chromium: median of ``runs``."""
    wrapper = html.with_name("load-time.html")
    wrapper.write_text(
        "<!DOCTYPE html><html><body><pre id=\"t\">pending</pre><script>var t0=performance.now();"
        "var f=document.createElement('iframe');f.style.width='1200px';f.style.height='900px';"
        "f.onload=function(){document.getElementById('t').textContent='LOADED '+(performance.now()-t0).toFixed(0)};"
        f"f.src={json.dumps(html.name)};document.body.appendChild(f);</script></body></html>")
    times = []
    for _ in range(runs):
        dom = browser(["--dump-dom", wrapper.resolve().as_uri()], text=True, timeout=300).stdout
        found = re.search(r"LOADED (\d+)", dom)
        if not found:
            raise SystemExit(f"the load time of {html} could not be read from Chromium's DOM")
        times.append(float(found.group(1)))
    return statistics.median(times)


def copy_records(corpus: Path, out: Path, n: int) -> int:
    """The first ``n`` readable 19x19 games of ``corpus``, one file each, under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    k = 0
    for g in iter_games(corpus):
        if isinstance(g, Unreadable) or g.size != 19 or len(g.moves) < 50:
            continue
        (out / f"{k:05d}.sgf").write_bytes(dump_game(g))
        k += 1
        if k == n:
            break
    return k


def gofix(*args: str) -> subprocess.CompletedProcess:
    res = subprocess.run([GOFIX, *args], capture_output=True, text=True, cwd=ROOT)
    if res.returncode not in (0, 1):
        raise SystemExit(f"gofix {' '.join(args)} failed ({res.returncode}): {res.stderr[-2000:]}")
    return res


class OracleRepairer:
    """Undoes the planted errors of ``truth.jsonl`` (what ``gofix corrupt`` wrote into ``root``)."""

    def __init__(self, root: str):
        self.root = root
        self._truth = None

    def __call__(self):
        return self

    def analyse_many(self, records):
        return [None] * len(records)

    def repair(self, record, first=None) -> RepairResult:
        if self._truth is None:
            with open(os.path.join(self.root, "truth.jsonl"), encoding="utf-8") as f:
                self._truth = {(e["path"], e["game"]): [Truth.from_dict(t) for t in e.get("truths", ())]
                               for e in map(json.loads, f) if e.get("game") is not None}
        rel = os.path.relpath(record.source, self.root).replace(os.sep, "/")
        truths = self._truth.get((rel, record.index), [])
        findings = rule_findings(record)
        if not truths:
            return RepairResult(list(record.moves), [], findings)
        moves = undo_all(record.moves, truths)
        edits = []
        for t in truths:
            at = tuple(p + 1 for p in t.positions) or (t.undo.start + 1,)
            edits.append(AppliedEdit(t.kind, at, 1.0, f"oracle: planted {t.kind} undone", t.undo))
            if not any(f.move in at for f in findings) and 0 < at[0] <= len(record.moves):
                m = record.moves[at[0] - 1]
                findings.append(Finding(at[0], m.colour.upper(), m.sgf, "suspect", 1.0, f"oracle: planted {t.kind} undone"))
        return RepairResult(moves, edits, sorted(findings, key=lambda f: f.move))


class _Sections(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections = 0

    def handle_starttag(self, tag, attrs):
        self.sections += tag == "section"


def measure(corpus: Path, out: Path, n: int, browser: bool, reuse: bool = False) -> dict:
    """Build (or with ``reuse``, take the finished clean run in ``OUT/mN-clean``) and measure the report
    of ``n`` records (see the module doc); each stage's seconds in the result."""
    src, noisy, dst = out / f"m{n}-src", out / f"m{n}-noisy", out / f"m{n}-clean"
    result: dict = {}
    if not (reuse and (dst / "report.jsonl").exists()):
        for d in (src, noisy, dst):
            shutil.rmtree(d, ignore_errors=True)
        t = time.perf_counter()
        copy_records(corpus, src, n)
        gofix("corrupt", str(src), "--out", str(noisy), "--seed", "1", "--clean-share", "0.9")
        result["copy_and_corrupt_seconds"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        clean_tree(noisy, dst, repairer_factory=OracleRepairer(str(noisy)), jobs=1)
        result["clean_seconds"] = round(time.perf_counter() - t, 1)
        print("cleaned:", json.dumps(result), flush=True)
    t = time.perf_counter()
    stats = run_review(dst)
    result["review_seconds"] = round(time.perf_counter() - t, 1)
    page = _Sections()
    page.feed((dst / "review.html").read_text(encoding="utf-8"))
    result.update(records=stats.games, findings=stats.findings, sections=page.sections, bytes=stats.bytes)
    if browser and chromium():
        result["load_ms"] = load_ms(dst / "review.html")
        screenshot(dst / "review.html", out / f"review-oracle-{n}.png")
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "pro-games.tar.gz")
    ap.add_argument("--games", type=int, default=200, help="records of the clean run to screenshot (0: none)")
    ap.add_argument("--rules-only", action="store_true", help="clean the 200-record run with the rules only")
    ap.add_argument("--measure", type=int, default=0, help="also build and measure a report of this many records")
    ap.add_argument("--docs", action="store_true", help="copy the PNGs to docs/")
    ap.add_argument("--reuse", action="store_true", help="--measure: take OUT/mN-clean of an earlier run as it is")
    args = ap.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    demo = out / "demo-review.html"
    pages = []
    if not args.reuse:
        gofix("check", "data/demo.sgf", "--html", str(demo), "-q")
        print(f"demo report: {demo} ({demo.stat().st_size:,} bytes)")
        pages.append((demo, out / "review-demo.png"))
    if args.games:
        src, noisy, dst = out / "src", out / "noisy", out / "clean"
        for d in (src, noisy, dst):
            shutil.rmtree(d, ignore_errors=True)
        copied = copy_records(args.corpus, src, args.games)
        gofix("corrupt", str(src), "--out", str(noisy), "--seed", "1")
        t = time.perf_counter()
        gofix("clean", str(noisy), "--out", str(dst), "--jobs", "0", *(["--rules-only"] if args.rules_only else []))
        run = dst / "review.html"
        print(f"{copied}-record clean run ({'rules only' if args.rules_only else 'bundled tagger'}, "
              f"{time.perf_counter() - t:.0f} s): {run} ({run.stat().st_size:,} bytes)")
        pages.append((run, out / f"review-{args.games}.png"))
    if chromium() and pages:
        for html, png in pages:
            screenshot(html, png)
            print(f"screenshot: {png} ({png.stat().st_size:,} bytes)")
            if args.docs:
                shutil.copy(png, ROOT / "docs" / png.name)
    elif pages:
        print("no chromium: no screenshots")
    if args.measure:
        print("measured:", json.dumps(measure(args.corpus, out, args.measure, browser=True, reuse=args.reuse)))


if __name__ == "__main__":
    main()
